"""scripts/rollback.py interrupted as a real process while ``pulumi preview`` runs, and its
refusal to roll back past uncommitted changes to the policy config or the stack file.

The middle is made deterministic by a Pulumi CLI double that, for the command named in
``FAKE_PULUMI_HOLD``, writes ``started-<pid>`` and waits for a ``release`` file; a SIGINT or
SIGTERM it gets first is written to ``signalled-<pid>`` (the signal's name) and ends it with
exit 255, as the CLI's cancellation does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import fake_pulumi
from tests.support.git import git
from tests.support.interrupts import (
    SIGNAL_EXIT,
    SIGNAL_IDS,
    finish,
    kill,
    left_in,
    stop_all,
    wait_for,
    wait_gone,
    worktrees,
)
from tests.support.operator_scripts import rollback_repo

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "rollback.py"
DRILL = SCRIPT.with_name("rollback_drill.py")
HISTORY_CALL = [
    "stack",
    "history",
    "--stack",
    "prod",
    "--json",
    "--page-size",
    "100",
    "--page",
    "1",
]

HOLDING_DOUBLE = fake_pulumi.program("""\
import time

command = args[0]
if os.environ.get("FAKE_PULUMI_HOLD") == command:
    state = Path(os.environ["FAKE_PULUMI_STATE"])
    pid = os.getpid()

    def cancel(signum, frame):
        (state / f"signalled-{pid}").write_text(signal.Signals(signum).name)
        sys.exit(255)

    signal.signal(signal.SIGINT, cancel)
    signal.signal(signal.SIGTERM, cancel)
    (state / f"started-{pid}").write_text(os.getcwd())
    while not (state / "release").exists():
        time.sleep(0.05)
sys.exit(0)
""")


def update(version: int, commit: str) -> dict[str, Any]:
    """One successful update as `pulumi stack history --json` prints it."""
    return {
        "version": version,
        "kind": "update",
        "result": "succeeded",
        "message": f"deploy {commit[:7]}",
        "startTime": "2025-06-05T10:00:00.000Z",
        "endTime": "2025-06-05T10:03:00.000Z",
        "environment": {"git.head": commit, "git.dirty": "false"},
        "config": {},
    }


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    """A project at v3 whose stack history has version 4 at commit v2 and 7 at v3, the holding
    double as the Pulumi CLI, its temporary folders in ``tmp``."""
    repo = tmp_path / "repo"
    commits = rollback_repo(repo)
    history = tmp_path / "history.json"
    history.write_text(json.dumps([update(7, commits[2]), update(4, commits[1])]))
    double = tmp_path / "bin" / "pulumi"
    double.parent.mkdir()
    double.write_text(f"#!{sys.executable}\n{HOLDING_DOUBLE}")
    double.chmod(0o755)
    for folder in ("tmp", "state"):
        (tmp_path / folder).mkdir()
    env = {
        **os.environ,
        "PULUMI_BIN": str(double),
        "FAKE_PULUMI_LOG": str(tmp_path / "calls.jsonl"),
        "FAKE_PULUMI_HISTORY": str(history),
        "FAKE_PULUMI_STATE": str(tmp_path / "state"),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    return {"repo": repo, "env": env, "tmp": tmp_path / "tmp", "state": tmp_path / "state"}


def run(world: dict[str, Any], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=world["repo"],
        env=world["env"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def calls(world: dict[str, Any]) -> list[dict[str, Any]]:
    return fake_pulumi.calls(Path(world["env"]["FAKE_PULUMI_LOG"]))


STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_process_left(tmp_path: Path) -> Iterator[None]:
    yield
    if (tmp_path / "state").is_dir():
        stop_all(STARTED, tmp_path / "state")
    STARTED.clear()


def start(
    world: dict[str, Any], *args: str, hold: str = "", script: Path = SCRIPT
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=world["repo"],
        env={**world["env"], "FAKE_PULUMI_HOLD": hold},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    STARTED.append(proc)
    return proc


def pid_of(started: Path) -> int:
    return int(started.name.rsplit("-", 1)[1])


def assert_nothing_left(world: dict[str, Any]) -> None:
    assert worktrees(world["repo"]) == [str(world["repo"])]
    assert left_in(world["tmp"]) == []


ROLLBACK = ("--stack", "prod", "--to", "4", "--yes")


@pytest.mark.parametrize(("signum", "code"), SIGNAL_EXIT, ids=SIGNAL_IDS)
def test_a_signal_during_preview_cancels_pulumi_and_removes_the_worktree(
    world: dict[str, Any], signum: int, code: int
) -> None:
    proc = start(world, *ROLLBACK, hold="preview")
    started = wait_for("started-*", world["state"], proc)
    assert len(worktrees(world["repo"])) == 2  # in the middle: the target is checked out
    proc.send_signal(signum)
    returncode, _, err = finish(proc)
    assert returncode == code, err
    assert "Traceback" not in err
    # Pulumi was asked to cancel the way it understands (SIGINT), and waited for
    assert (world["state"] / f"signalled-{pid_of(started)}").read_text() == "SIGINT"
    assert "rollback: interrupted: waiting for pulumi to stop cleanly" in err.splitlines()
    by = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    assert err.splitlines()[-1] == (
        f"rollback: interrupted{by}: nothing further was run and any temporary worktree was removed"
    )
    assert [c["argv"][0] for c in calls(world)] == ["stack", "preview"]
    assert_nothing_left(world)


def test_after_a_sigkill_the_next_rollback_removes_what_was_left(world: dict[str, Any]) -> None:
    proc = start(world, *ROLLBACK, hold="preview")
    started = wait_for("started-*", world["state"], proc)
    kill(proc)
    assert len(worktrees(world["repo"])) == 2
    (left,) = left_in(world["tmp"])
    assert left.startswith(f"preflight-rollback-{proc.pid}-")
    # Pulumi got SIGINT from the kernel when its parent died (PR_SET_PDEATHSIG)
    signalled = wait_for(f"signalled-{pid_of(started)}", world["state"])
    assert signalled.read_text() == "SIGINT"
    wait_gone(pid_of(started))
    done = run(world, *ROLLBACK)
    assert done.returncode == 0, done.stderr
    assert (
        f"rollback: removed 1 temporary folder(s) that interrupted runs left: {left}"
        in done.stderr.splitlines()
    )
    assert [c["argv"][0] for c in calls(world)] == ["stack", "preview", "stack", "preview", "up"]
    assert_nothing_left(world)


def test_two_rollbacks_at_once_leave_each_other_alone(world: dict[str, Any]) -> None:
    first = start(world, *ROLLBACK, hold="preview")
    wait_for("started-*", world["state"], first)
    (kept,) = left_in(world["tmp"])
    done = run(world, *ROLLBACK)
    assert done.returncode == 0, done.stderr
    assert "removed" not in done.stderr
    assert left_in(world["tmp"]) == [kept]
    assert len(worktrees(world["repo"])) == 2
    assert first.poll() is None
    (world["state"] / "release").write_text("")
    returncode, _, err = finish(first)
    assert returncode == 0, err
    assert_nothing_left(world)


def test_a_signal_during_the_drills_preview_stops_it_and_removes_the_worktree(
    world: dict[str, Any], tmp_path: Path
) -> None:
    evidence = tmp_path / "evidence.json"
    proc = start(
        world, "--stack", "prod", "--evidence", str(evidence), hold="preview", script=DRILL
    )
    started = wait_for("started-*", world["state"], proc)
    assert len(worktrees(world["repo"])) == 2
    proc.send_signal(signal.SIGTERM)
    returncode, _, err = finish(proc)
    assert returncode == 143, err
    assert "Traceback" not in err
    assert (world["state"] / f"signalled-{pid_of(started)}").read_text() == "SIGINT"
    assert err.splitlines()[-1] == (
        "rollback drill: interrupted by SIGTERM: the preview was stopped and the temporary "
        "worktree removed; no evidence was written"
    )
    assert not evidence.exists()
    assert_nothing_left(world)


# --- uncommitted policy config and stack file ----------------------------------------------


@pytest.fixture
def committed(world: dict[str, Any]) -> dict[str, Any]:
    """``world`` with the stack file committed at HEAD, as a real project has it."""
    (world["repo"] / "Pulumi.prod.yaml").write_text("config:\n  controlplane:env: prod\n")
    git(world["repo"], "add", "-A")
    git(world["repo"], "commit", "-q", "-m", "stack file")
    return world


CONFIG_NOTE = "policies/config/prod.json (preview and up would use it as modified)"
STACK_NOTE = "Pulumi.prod.yaml (the rollback applies version 4's, not this one)"


@pytest.mark.parametrize(
    ("change", "listed"),
    [
        pytest.param(
            {"policies/config/prod.json": '{"all": "advisory"}\n'}, CONFIG_NOTE, id="config"
        ),
        pytest.param(
            {"Pulumi.prod.yaml": "config:\n  controlplane:env: dev\n"}, STACK_NOTE, id="stack-file"
        ),
        pytest.param(
            {
                "policies/config/prod.json": '{"all": "advisory"}\n',
                "Pulumi.prod.yaml": "config: {}\n",
            },
            f"{CONFIG_NOTE} and {STACK_NOTE}",
            id="both",
        ),
    ],
)
def test_uncommitted_policy_config_or_stack_file_is_refused_without_yes(
    committed: dict[str, Any], change: dict[str, str], listed: str
) -> None:
    for name, text in change.items():
        (committed["repo"] / name).write_text(text)
    done = run(committed, "--stack", "prod", "--to", "4", stdin="prod\n")
    assert done.returncode == 2
    assert done.stderr == (
        f"rollback: error: uncommitted changes to {listed}: commit or revert them, or pass --yes "
        "to roll back anyway\n"
    )
    assert [c["argv"] for c in calls(committed)] == [HISTORY_CALL]
    assert left_in(committed["tmp"]) == []

    done = run(committed, "--stack", "prod", "--to", "4", "--yes")
    assert done.returncode == 0, done.stderr
    assert (
        f"rollback: rolling back with uncommitted changes to {listed}, as --yes says"
        in done.stderr.splitlines()
    )
    assert [c["argv"][0] for c in calls(committed)][1:] == ["stack", "preview", "up"]


def test_a_new_untracked_deploy_config_counts_as_uncommitted(committed: dict[str, Any]) -> None:
    config = committed["repo"] / "policies" / "config"
    (config / "prod-deploy.json").write_text("{}\n")
    done = run(committed, "--stack", "prod", "--to", "4", stdin="prod\n")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "rollback: error: uncommitted changes to policies/config/prod-deploy.json "
    )


def test_a_clean_checkout_rolls_back_without_a_word_about_it(committed: dict[str, Any]) -> None:
    done = run(committed, "--stack", "prod", "--to", "4", stdin="prod\n")
    assert done.returncode == 0, done.stderr
    assert "uncommitted" not in done.stderr
    assert os.path.exists(committed["repo"] / "Pulumi.prod.yaml")
