"""scripts/rollback.py against a recorded `pulumi stack history --json`, a real temporary git
repository, and a Pulumi CLI double that records every command line and working directory."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support import fake_pulumi
from tests.support.git import git
from tests.support.operator_scripts import rollback_repo
from tests.support.scripts import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "rollback.py"

# The shape `pulumi stack history --json` prints (pkg/cmd/pulumi/stack/stack_history.go,
# updateInfoJSON): newest first; environment carries git.head; config secrets carry no value.
# <C1>..<C3> are replaced by the commits of the test repository.
RECORDED_HISTORY = """
[
  {"version": 7, "kind": "update", "startTime": "2025-06-08T10:00:00.000Z",
   "message": "deploy c3", "result": "succeeded", "endTime": "2025-06-08T10:04:00.000Z",
   "environment": {"git.head": "<C3>", "git.headName": "refs/heads/main", "git.dirty": "false",
                   "exec.kind": "cli"},
   "config": {"controlplane:supabaseToken": {"secret": true}},
   "resourceChanges": {"same": 40, "update": 1}},
  {"version": 6, "kind": "update", "startTime": "2025-06-07T10:00:00.000Z",
   "message": "deploy c3 (first try)", "result": "failed", "endTime": "2025-06-07T10:02:00.000Z",
   "environment": {"git.head": "<C3>", "git.dirty": "false"}, "config": {},
   "resourceChanges": {"same": 40}},
  {"version": 5, "kind": "refresh", "startTime": "2025-06-06T10:00:00.000Z", "message": "",
   "result": "succeeded", "endTime": "2025-06-06T10:01:00.000Z",
   "environment": {"git.head": "<C2>", "git.dirty": "false"}, "config": {}},
  {"version": 4, "kind": "update", "startTime": "2025-06-05T10:00:00.000Z",
   "message": "deploy c2\\nwith a second line", "result": "succeeded",
   "endTime": "2025-06-05T10:03:00.000Z",
   "environment": {"git.head": "<C2>", "git.dirty": "false"}, "config": {},
   "resourceChanges": {"create": 2, "same": 38}},
  {"version": 3, "kind": "update", "startTime": "2025-06-04T10:00:00.000Z", "message": "hotfix",
   "result": "succeeded", "endTime": "2025-06-04T10:03:00.000Z",
   "environment": {"git.head": "<C1>", "git.dirty": "true"}, "config": {}},
  {"version": 2, "kind": "update", "startTime": "2025-06-03T10:00:00.000Z", "message": "manual",
   "result": "succeeded", "endTime": "2025-06-03T10:03:00.000Z", "environment": {},
   "config": {}},
  {"version": 1, "kind": "update", "startTime": "2025-06-02T10:00:00.000Z", "message": "first",
   "result": "succeeded", "endTime": "2025-06-02T10:03:00.000Z",
   "environment": {"git.head": "0123456789abcdef0123456789abcdef01234567"}, "config": {}}
]
"""

# The CLI double: besides logging calls and serving the recorded history, exits as the test
# asks and can interrupt its caller (Ctrl-C).
DOUBLE = fake_pulumi.program("""\
command = args[0]
if os.environ.get("FAKE_PULUMI_INTERRUPT") == command:
    os.kill(os.getppid(), signal.SIGINT)
sys.exit(int(os.environ.get("FAKE_PULUMI_EXIT_" + command.upper(), "0")))
""")


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    repo = tmp_path / "repo"
    commits = rollback_repo(repo)
    history = RECORDED_HISTORY
    for i, commit in enumerate(commits, start=1):
        history = history.replace(f"<C{i}>", commit)
    history_file = tmp_path / "history.json"
    history_file.write_text(history)
    double = tmp_path / "bin" / "pulumi"
    double.parent.mkdir()
    double.write_text(f"#!{sys.executable}\n{DOUBLE}")
    double.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    env = {
        **os.environ,
        "PULUMI_BIN": str(double),
        "FAKE_PULUMI_LOG": str(log),
        "FAKE_PULUMI_HISTORY": str(history_file),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir()
    return {"repo": repo, "commits": commits, "env": env, "log": log, "tmp": tmp_path / "tmp"}


def run(
    world: dict[str, Any], *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=world["repo"],
        env={**world["env"], **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def calls(world: dict[str, Any]) -> list[dict[str, Any]]:
    return fake_pulumi.calls(world["log"])


def assert_no_worktree_left(world: dict[str, Any]) -> None:
    listed = git(world["repo"], "worktree", "list", "--porcelain")
    assert [line for line in listed.splitlines() if line.startswith("worktree ")] == [
        f"worktree {world['repo']}"
    ]
    assert list(world["tmp"].iterdir()) == []


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


def policy_args(world: dict[str, Any]) -> list[str]:
    policies = world["repo"] / "policies"
    return [
        "--policy-pack",
        str(policies),
        "--policy-pack-config",
        str(policies / "config" / "prod.json"),
    ]


def test_lists_history_with_commit_result_and_time(world: dict[str, Any]) -> None:
    done = run(world, "--stack", "prod")
    assert done.returncode == 0, done.stderr
    c1, c2, c3 = (c[:12] for c in world["commits"])
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["VERSION", "KIND", "RESULT", "STARTED", "COMMIT", "MESSAGE"]
    assert lines[1].split() == [
        "7",
        "update",
        "succeeded",
        "2025-06-08",
        "10:00",
        "UTC",
        c3,
        "deploy",
        "c3",
    ]
    assert lines[2].split()[:7] == ["6", "update", "failed", "2025-06-07", "10:00", "UTC", c3]
    assert lines[3].split()[:3] == ["5", "refresh", "succeeded"]
    assert lines[4].split() == [
        "4",
        "update",
        "succeeded",
        "2025-06-05",
        "10:00",
        "UTC",
        c2,
        "deploy",
        "c2",
    ]
    assert f"{c1} (uncommitted changes)" in lines[5]
    assert lines[6].split()[:7] == ["2", "update", "succeeded", "2025-06-03", "10:00", "UTC", "-"]
    assert "0123456789ab (not in this repository)" in lines[7]
    assert len(lines) == 8
    assert [c["argv"] for c in calls(world)] == [
        ["stack", "history", "--stack", "prod", "--json", "--page-size", "20", "--page", "1"]
    ]
    assert calls(world)[0]["cwd"] == str(world["repo"])


def test_rolls_back_to_a_chosen_version_from_a_temporary_worktree(world: dict[str, Any]) -> None:
    done = run(world, "--stack", "prod", "--to", "4", "--yes")
    assert done.returncode == 0, done.stderr
    c2 = world["commits"][1]
    recorded = calls(world)
    assert [c["argv"] for c in recorded] == [
        HISTORY_CALL,
        ["preview", "--stack", "prod", *policy_args(world)],
        [
            "up",
            "--stack",
            "prod",
            "--yes",
            "--message",
            f"rollback of prod to version 4 (commit {c2[:12]})",
            *policy_args(world),
        ],
    ]
    # preview and up ran in a worktree of version 4's commit, not in the operator's checkout
    worktree = recorded[1]["cwd"]
    assert worktree != str(world["repo"])
    assert recorded[2]["cwd"] == worktree
    assert recorded[1]["version_txt"] == "v2"
    assert (world["repo"] / "version.txt").read_text() == "v3\n"
    assert not Path(worktree).exists()
    assert_no_worktree_left(world)
    assert done.stderr.splitlines()[-1] == (
        f"rollback: stack prod rolled back to version 4 (commit {c2[:12]}); "
        "verify it as docs/runbooks/rollback.md says"
    )


def test_asks_for_the_stack_name_before_up(world: dict[str, Any]) -> None:
    done = run(world, "--stack", "prod", "--to", "4", stdin="prod\n")
    assert done.returncode == 0, done.stderr
    assert "Type the stack name to confirm" in done.stdout
    assert [c["argv"][0] for c in calls(world)] == ["stack", "preview", "up"]


def test_a_wrong_answer_aborts_without_up(world: dict[str, Any]) -> None:
    done = run(world, "--stack", "prod", "--to", "4", stdin="yes\n")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "rollback: aborted: nothing was changed"
    assert [c["argv"][0] for c in calls(world)] == ["stack", "preview"]
    assert_no_worktree_left(world)


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("6", "version 6 failed: roll back only to a version whose update succeeded"),
        (
            "1",
            "commit 0123456789abcdef0123456789abcdef01234567 of version 1 is not in this "
            "repository: run `git fetch origin` and try again",
        ),
        ("5", "version 5 was a refresh, not an update: pick a version whose kind is update"),
        (
            "2",
            "version 2 recorded no git commit (git.head): it cannot be checked out; "
            "pick a version that shows a commit",
        ),
        (
            "99",
            "version 99 is not in the history of stack prod (it has versions 1-7): "
            "run without --to to list them",
        ),
        ("7", "version 7 is what stack prod runs now: there is nothing to roll back"),
    ],
)
def test_refuses_versions_it_cannot_roll_back_to(
    world: dict[str, Any], version: str, message: str
) -> None:
    done = run(world, "--stack", "prod", "--to", version, "--yes")
    assert done.returncode == 2
    assert done.stderr == f"rollback: error: {message}\n"
    assert [c["argv"] for c in calls(world)] == [HISTORY_CALL]
    assert_no_worktree_left(world)


def test_refuses_a_version_deployed_from_a_dirty_tree_unless_allowed(world: dict[str, Any]) -> None:
    c1 = world["commits"][0]
    done = run(world, "--stack", "prod", "--to", "3", "--yes")
    assert done.returncode == 2
    assert done.stderr == (
        "rollback: error: version 3 was deployed with uncommitted changes (git.dirty=true), "
        f"so commit {c1[:12]} does not reproduce it: pass --allow-dirty to use that commit anyway\n"
    )
    done = run(world, "--stack", "prod", "--to", "3", "--yes", "--allow-dirty")
    assert done.returncode == 0, done.stderr
    assert calls(world)[-1]["argv"][5] == f"rollback of prod to version 3 (commit {c1[:12]})"
    assert calls(world)[-1]["version_txt"] == "v1"


@pytest.mark.parametrize(
    ("env", "message", "commands"),
    [
        pytest.param(
            {"FAKE_PULUMI_EXIT_PREVIEW": "255"},
            "rollback: error: pulumi preview failed (exit 255): nothing was changed; "
            "fix the cause above and run again",
            ["stack", "preview"],
            id="failed-preview-stops-before-up",
        ),
        pytest.param(
            {"FAKE_PULUMI_EXIT_UP": "1"},
            "rollback: error: pulumi up failed (exit 1): stack prod may be partly rolled back; "
            "check `pulumi stack history --stack prod` and docs/runbooks/rollback.md",
            ["stack", "preview", "up"],
            id="failed-up-says-what-to-check",
        ),
    ],
)
def test_a_failed_pulumi_command_exits_1_and_removes_the_worktree(
    world: dict[str, Any], env: dict[str, str], message: str, commands: list[str]
) -> None:
    done = run(world, "--stack", "prod", "--to", "4", "--yes", **env)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == message
    assert [c["argv"][0] for c in calls(world)] == commands
    assert_no_worktree_left(world)


def test_ctrl_c_during_preview_runs_nothing_further_and_cleans_up(world: dict[str, Any]) -> None:
    done = run(world, "--stack", "prod", "--to", "4", "--yes", FAKE_PULUMI_INTERRUPT="preview")
    assert done.returncode == 130
    assert "rollback: interrupted: waiting for pulumi to stop cleanly" in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "rollback: interrupted: nothing further was run and any temporary worktree was removed"
    )
    assert [c["argv"][0] for c in calls(world)] == ["stack", "preview"]
    assert_no_worktree_left(world)


def test_missing_policy_config_is_a_usage_error(world: dict[str, Any]) -> None:
    (world["repo"] / "policies" / "config" / "prod.json").unlink()
    done = run(world, "--stack", "prod", "--to", "4", "--yes")
    assert done.returncode == 2
    expected = world["repo"] / "policies" / "config" / "prod.json"
    assert done.stderr == (
        f"rollback: error: policy pack config not found at {expected}: "
        "pass --policy-pack-config FILE\n"
    )
    assert [c["argv"][0] for c in calls(world)] == ["stack"]


def test_target_names_the_latest_successful_update(world: dict[str, Any]) -> None:
    c3 = world["commits"][2]
    done = run(world, "--stack", "prod", "--target", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "stack": "prod",
        "target": {
            "version": 7,
            "commit": c3,
            "commitInRepository": True,
            "finished": "2025-06-08T10:04:00+00:00",
            "message": "deploy c3",
        },
    }
    done = run(world, "--stack", "prod", "--target", "--format", "markdown")
    assert done.stdout.splitlines()[:7] == [
        "### Rollback target for `prod`",
        "",
        "If this deployment goes wrong, roll back to the last successful update:",
        "",
        "| Version | Commit | Finished | Message |",
        "| --- | --- | --- | --- |",
        f"| 7 | `{c3}` | 2025-06-08 10:04 UTC | deploy c3 |",
    ]
    assert "`python scripts/rollback.py --stack prod --to 7`" in done.stdout


def test_target_skips_failed_updates_and_handles_a_first_deployment(
    world: dict[str, Any], tmp_path: Path
) -> None:
    history = json.loads(Path(world["env"]["FAKE_PULUMI_HISTORY"]).read_text())
    trimmed = tmp_path / "trimmed.json"
    trimmed.write_text(json.dumps(history[1:]))  # newest is now the failed version 6
    done = run(world, "--stack", "prod", "--target", FAKE_PULUMI_HISTORY=str(trimmed))
    assert done.stdout.startswith("rollback target for stack prod: version 4, ")
    trimmed.write_text("[]")
    done = run(world, "--stack", "prod", "--target", FAKE_PULUMI_HISTORY=str(trimmed))
    assert done.returncode == 0
    assert done.stdout == (
        "stack prod has no successful update yet: this is its first deployment, "
        "nothing to roll back to\n"
    )


def test_pages_through_long_histories(world: dict[str, Any], tmp_path: Path) -> None:
    c2 = world["commits"][1]
    entries = [
        {
            "version": v,
            "kind": "update",
            "result": "succeeded",
            "message": f"v{v}",
            "startTime": "2025-01-01T00:00:00.000Z",
            "environment": {"git.head": c2},
            "config": {},
        }
        for v in range(250, 0, -1)
    ]
    long_history = tmp_path / "long.json"
    long_history.write_text(json.dumps(entries))
    done = run(
        world, "--stack", "prod", "--to", "30", "--yes", FAKE_PULUMI_HISTORY=str(long_history)
    )
    assert done.returncode == 0, done.stderr
    pages = [c["argv"][-1] for c in calls(world) if c["argv"][0] == "stack"]
    assert pages == ["1", "2", "3"]


def test_missing_cli_and_bad_arguments_are_usage_errors(world: dict[str, Any]) -> None:
    done = run(world, "--stack", "prod", PULUMI_BIN=str(world["tmp"] / "nope"))
    assert done.returncode == 2
    assert (
        done.stderr
        == f"rollback: error: PULUMI_BIN={world['tmp'] / 'nope'} is not an executable file\n"
    )
    done = run(world, "--stack", "prod", "--to", "four")
    assert done.returncode == 2
    assert done.stderr == (
        "rollback: error: argument --to: invalid int value: 'four' (see --help)\n"
    )


def test_lists_history_as_json_when_asked(world: dict[str, Any]) -> None:
    done = run(world, "--stack", "prod", "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [u["version"] for u in listed[:3]] == [7, 6, 5]
    assert listed[0]["result"] == "succeeded"
    assert listed[0]["commit"] == world["commits"][2]
    assert listed[0]["commitInRepository"] is True
    assert listed[1]["result"] == "failed"
    assert set(listed[0]) == {
        "version",
        "kind",
        "result",
        "started",
        "finished",
        "commit",
        "commitInRepository",
        "dirty",
        "message",
    }


def test_parse_history_reads_the_cli_shape_and_never_keeps_config() -> None:
    module = load_script("rollback")
    text = textwrap.dedent(
        """
        [{"version": 3, "kind": "update", "startTime": "2025-06-08T10:00:00.000Z",
          "message": "m", "result": "in-progress",
          "environment": {"git.head": "ABCDEF0123456789abcdef0123456789ABCDEF01"},
          "config": {"a:b": {"secret": true}, "a:c": {"value": "plain", "secret": false}}}]
        """
    )
    (update,) = module.parse_history(text)
    assert update.version == 3
    assert update.commit == "abcdef0123456789abcdef0123456789abcdef01"
    assert update.result == "in-progress"
    assert update.end_time is None
    assert not hasattr(update, "config")
    with pytest.raises(module.RollbackError, match="did not print a list of updates"):
        module.parse_history('{"version": 1}')


def test_every_rollback_command_in_the_docs_and_workflows_parses() -> None:
    module = load_script("rollback")
    root = SCRIPT.parents[1]
    sources = [
        root / "docs" / "runbooks" / "rollback.md",
        root / "docs" / "runbooks" / "deploy.md",
        *sorted((root / ".github" / "workflows").glob("*.yml")),
    ]
    commands = [
        (path.name, line)
        for path in sources
        for line in re.findall(r"scripts/rollback\.py ([^`\n>]+)", path.read_text())
    ]
    assert len(commands) >= 5
    for name, line in commands:
        argv = [a.replace('"$STACK"', "prod").strip('"') for a in shlex.split(line)]
        argv = ["prod" if a in ("<stack>", "$STACK") else a for a in argv]
        module.build_parser().parse_args(argv)  # exits 2 on a drifted option
        assert argv[:2] == ["--stack", argv[1]], (name, line)


def test_prefers_the_stacks_deploy_policy_config(world: dict[str, Any]) -> None:
    config = world["repo"] / "policies" / "config"
    (config / "prod-deploy.json").write_text((config / "prod.json").read_text())
    done = run(world, "--stack", "prod", "--to", "4", "--yes")
    assert done.returncode == 0, done.stderr
    used = [c["argv"][c["argv"].index("--policy-pack-config") + 1] for c in calls(world)[1:]]
    assert used == [str(config / "prod-deploy.json")] * 2


def test_a_rollback_is_not_held_for_the_48_hour_notice(tmp_path) -> None:
    """A rollback restores what already ran: the deploy config it runs with overrides the notice
    (with the rollback as reason) and keeps every other policy as configured."""
    module = load_script("rollback")
    committed = tmp_path / "prod-deploy.json"
    base = {
        "changes-stack-disallow-freeze-changes": "mandatory",
        module.change_notice.POLICY: "mandatory",
    }
    committed.write_text(json.dumps(base))
    into = tmp_path / "run"
    into.mkdir()
    used = module.rollback_config(committed, "prod", 4, into)
    assert used == into / "prod-deploy.json"
    derived = json.loads(used.read_text())
    assert derived["changes-stack-disallow-freeze-changes"] == "mandatory"
    notice = derived[module.change_notice.POLICY]
    assert notice["enforcementLevel"] == "mandatory"
    assert notice["override"]["reason"] == "rollback of prod to version 4"
    assert json.loads(committed.read_text()) == base


def test_a_config_without_the_notice_is_used_as_it_is(tmp_path) -> None:
    module = load_script("rollback")
    committed = tmp_path / "prod.json"
    committed.write_text(json.dumps({module.change_notice.POLICY: "disabled"}))
    assert module.rollback_config(committed, "prod", 4, tmp_path) == committed


pytestmark = pytest.mark.playbook("rollback")


def test_lists_history_as_markdown_when_asked(world: dict[str, Any]) -> None:
    done = run(world, "--stack", "prod", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        "| Version | Kind | Result | Started | Commit | Message |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    assert lines[2].startswith("| 7 | update | succeeded | 2025-06-08 ")
    assert f"`{world['commits'][2][:12]}`" in lines[2]


def test_help_names_the_config_a_rollback_really_uses(world: dict[str, Any]) -> None:
    done = run(world, "--help")
    text = " ".join(done.stdout.split())
    assert "default: a temporary copy of <policy pack>/config/<stack>-deploy.json" in text
    assert "with the 48-hour notice overridden for the rollback" in text
    assert "output of the history listing and of --target" in text
