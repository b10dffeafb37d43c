"""``python -m preflight diff`` interrupted as a real process: SIGINT, SIGTERM and SIGHUP in the
middle of the base synthesis leave no worktree, no temporary folder and no running child;
after a SIGKILL the next run removes what was left; two runs at once leave each other alone.

The middle is made deterministic by the base revision's own ``preflight`` (the diff runs it in
the worktree): a stub that writes ``started-<pid>`` and, when ``STUB_HOLD`` is set, waits for a
``release`` file, writing ``terminated-<pid>`` if SIGTERM comes first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from preflight.cli import ROOT
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

STUB = """\
import os, signal, sys, time
from collections.abc import Iterator
from pathlib import Path

state = Path(os.environ["STUB_STATE"])
pid = os.getpid()


def stop(signum, frame):
    (state / f"terminated-{pid}").write_text(signal.Signals(signum).name)
    sys.exit(143)


signal.signal(signal.SIGTERM, stop)
(state / f"started-{pid}").write_text(os.getcwd())
while os.environ.get("STUB_HOLD") and not (state / "release").exists():
    time.sleep(0.05)
out = Path(sys.argv[sys.argv.index("--out-dir") + 1])
out.mkdir(parents=True, exist_ok=True)
"""

WORKING_TREE_PROGRAM = 'import pulumi\n\npulumi.export("x", 1)\n'

INTERRUPTED = (
    "preflight diff: interrupted by {name}: stopped, the temporary worktree and folder are "
    "removed (exit {code})"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project whose base commit synthesizes through the stub and whose working tree is a
    one-output program the real in-process synth runs."""
    repo = tmp_path / "repo"
    (repo / "preflight").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "Pulumi.yaml").write_text("name: controlplane\nruntime: python\n")
    (repo / "Pulumi.dev.yaml").write_text("config: {}\n")
    (repo / "__main__.py").write_text(WORKING_TREE_PROGRAM)
    (repo / "preflight" / "__init__.py").write_text("")
    (repo / "preflight" / "__main__.py").write_text(STUB)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "branch", "base")
    (tmp_path / "tmp").mkdir()
    (tmp_path / "state").mkdir()
    return repo


STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_process_left(repo: Path) -> Iterator[None]:
    yield
    stop_all(STARTED, repo.parent / "state")
    STARTED.clear()


def start(repo: Path, *, hold: bool) -> subprocess.Popen[str]:
    """``python -m preflight diff`` of this checkout, its temporary folders in ``tmp``."""
    state = repo.parent / "state"
    env = {
        **os.environ,
        "TMPDIR": str(repo.parent / "tmp"),
        "STUB_STATE": str(state),
        "STUB_HOLD": "1" if hold else "",
    }
    argv = [sys.executable, "-m", "preflight", "diff", "--base", "base", "--project", str(repo)]
    argv += ["--skip-policy", "--format", "json", "--now", "2026-12-13T10:00:00Z"]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    STARTED.append(proc)
    return proc


def stub_pid(started: Path) -> int:
    return int(started.name.rsplit("-", 1)[1])


def assert_nothing_left(repo: Path) -> None:
    assert worktrees(repo) == [str(repo)]
    assert left_in(repo.parent / "tmp") == []
    assert not (repo / ".git" / "worktrees").exists() or left_in(repo / ".git" / "worktrees") == []


@pytest.mark.parametrize(("signum", "code"), SIGNAL_EXIT, ids=SIGNAL_IDS)
def test_a_signal_during_the_base_synthesis_cleans_up_and_says_so_in_one_line(
    repo: Path, signum: int, code: int
) -> None:
    proc = start(repo, hold=True)
    started = wait_for("started-*", repo.parent / "state", proc)
    assert len(worktrees(repo)) == 2  # in the middle: the base is checked out
    proc.send_signal(signum)
    returncode, out, err = finish(proc)
    assert returncode == code, err
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines()[-1] == INTERRUPTED.format(name=signal.Signals(signum).name, code=code)
    # the base synthesis was stopped, not orphaned
    assert (repo.parent / "state" / f"terminated-{stub_pid(started)}").read_text() == "SIGTERM"
    assert_nothing_left(repo)


def test_after_a_sigkill_the_next_run_removes_what_was_left(repo: Path) -> None:
    proc = start(repo, hold=True)
    started = wait_for("started-*", repo.parent / "state", proc)
    kill(proc)
    # no handler ran: the worktree and its folder are still there
    assert len(worktrees(repo)) == 2
    (left,) = left_in(repo.parent / "tmp")
    assert left.startswith(f"preflight-diff-{proc.pid}-")
    # the kernel stopped the base synthesis with its parent (PR_SET_PDEATHSIG)
    wait_for(f"terminated-{stub_pid(started)}", repo.parent / "state")
    wait_gone(stub_pid(started))
    next_run = start(repo, hold=False)
    returncode, out, err = finish(next_run)
    assert returncode == 0, err
    assert f"preflight diff: removed 1 temporary folder(s) that interrupted runs left: {left}" in (
        err.splitlines()
    )
    assert '"stack": "dev"' in out
    assert_nothing_left(repo)


def test_two_runs_at_once_leave_each_other_alone(repo: Path) -> None:
    first = start(repo, hold=True)
    wait_for("started-*", repo.parent / "state", first)
    (held,) = left_in(repo.parent / "tmp")
    second = start(repo, hold=False)
    returncode, _, err = finish(second)
    assert returncode == 0, err
    assert "removed" not in err
    # the first run's folder and worktree survived the second run's start-up and clean-up
    assert left_in(repo.parent / "tmp") == [held]
    assert len(worktrees(repo)) == 2
    assert first.poll() is None
    (repo.parent / "state" / "release").write_text("")
    returncode, out, err = finish(first)
    assert returncode == 0, err
    assert '"stack": "dev"' in out
    assert_nothing_left(repo)
