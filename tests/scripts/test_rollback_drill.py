"""scripts/rollback_drill.py offline: a real temporary git repository and a `pulumi` double on
PATH that answers `pulumi stack history --json` from a fixture and records every call."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support import fake_pulumi
from tests.support.operator_scripts import commit_all, git, init_repo, run_script, write_double

NOW = "2025-07-01T09:00:00Z"

# The CLI double: besides logging calls and serving the fixture history, `preview` and `up`
# exit as FAKE_PULUMI_EXIT_<COMMAND> says and print a resource summary.
DOUBLE = fake_pulumi.program("""\
print("Previewing update (staging)")
print("Policies:")
print("    controlplane-policies@v1 (local: policies)")
print("Resources:")
print("    ~ 2 to update")
print("    40 unchanged")
sys.exit(int(os.environ.get("FAKE_PULUMI_EXIT_" + args[0].upper(), "0")))
""")


def update(version: int, commit: str | None, result: str = "succeeded", kind: str = "update"):
    env = {"git.head": commit, "git.dirty": "false"} if commit else {}
    return {
        "version": version,
        "kind": kind,
        "startTime": f"2025-06-{version:02d}T10:00:00.000Z",
        "endTime": f"2025-06-{version:02d}T10:03:00.000Z",
        "message": f"deploy v{version}",
        "result": result,
        "environment": env,
        "config": {},
    }


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    repo = init_repo(tmp_path / "repo")
    (repo / "Pulumi.yaml").write_text("name: controlplane\nruntime: python\n")
    (repo / "policies" / "config").mkdir(parents=True)
    (repo / "policies" / "config" / "staging.json").write_text("{}\n")
    commits = []
    for label in ("c1", "c2", "c3"):
        (repo / "version.txt").write_text(label + "\n")
        commits.append(commit_all(repo, label))
    c1, c2, c3 = commits
    history = [
        update(9, c3),  # running now
        update(8, c3, result="failed"),
        update(7, c2, kind="refresh"),
        update(6, c2),  # the previous successful update: the drill's target
        update(5, c1),
    ]
    bin_dir = tmp_path / "bin"
    write_double(bin_dir, "pulumi", DOUBLE)
    (tmp_path / "tmp").mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_PULUMI_LOG": str(tmp_path / "calls.jsonl"),
        "FAKE_PULUMI_HISTORY": str(tmp_path / "history.json"),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    world = {"repo": repo, "commits": commits, "env": env, "tmp": tmp_path, "history": history}
    save_history(world)
    return world


def save_history(world: dict[str, Any]) -> None:
    Path(world["env"]["FAKE_PULUMI_HISTORY"]).write_text(json.dumps(world["history"]))


def drill(world: dict[str, Any], *args: str, **env: str) -> Any:
    clean = {k: v for k, v in os.environ.items() if k != "PULUMI_BIN"}
    os.environ.pop("PULUMI_BIN", None)
    evidence = world["tmp"] / "evidence.json"
    done = run_script(
        "rollback_drill",
        "--evidence",
        str(evidence),
        "--now",
        NOW,
        *args,
        cwd=world["repo"],
        env={**clean, **world["env"], **env},
    )
    world["evidence"] = json.loads(evidence.read_text()) if evidence.exists() else None
    return done


def calls(world: dict[str, Any]) -> list[dict[str, Any]]:
    return fake_pulumi.calls(Path(world["env"]["FAKE_PULUMI_LOG"]))


def assert_no_worktree_left(world: dict[str, Any]) -> None:
    listed = git(world["repo"], "worktree", "list", "--porcelain")
    assert [line for line in listed.splitlines() if line.startswith("worktree ")] == [
        f"worktree {world['repo']}"
    ]
    assert list((world["tmp"] / "tmp").iterdir()) == []


def test_previews_the_previous_update_and_records_the_evidence(world: dict[str, Any]) -> None:
    done = drill(world)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "rollback drill: staging: passed: rollback from version 9 to 6 (preview)\n"
    )
    _, c2, c3 = world["commits"]
    config = "policies/config/staging.json"
    assert world["evidence"] == {
        "format": "controlplane-rollback-drill/1",
        "stack": "staging",
        "mode": "preview",
        "startedAt": NOW,
        "finishedAt": NOW,
        "from": {"version": 9, "commit": c3, "message": "deploy v9"},
        "to": {"version": 6, "commit": c2, "message": "deploy v6"},
        "preview": {
            "exitCode": 0,
            "passed": True,
            "policyPack": "policies",
            "policyPackConfig": config,
            "summary": [
                "Policies:",
                "    controlplane-policies@v1 (local: policies)",
                "Resources:",
                "    ~ 2 to update",
                "    40 unchanged",
            ],
        },
        "rollback": None,
        "result": "passed",
    }
    history, preview = calls(world)
    assert history["argv"][:5] == ["stack", "history", "--stack", "staging", "--json"]
    policies = world["repo"] / "policies"
    assert preview["argv"] == [
        "preview",
        "--stack",
        "staging",
        "--policy-pack",
        str(policies),
        "--policy-pack-config",
        str(policies / "config" / "staging.json"),
    ]
    assert preview["version_txt"] == "c2"  # previewed from the target's commit
    assert preview["cwd"] != str(world["repo"])  # in a temporary worktree, not the checkout
    assert_no_worktree_left(world)


def test_a_failed_preview_fails_the_drill_and_is_recorded(world: dict[str, Any]) -> None:
    done = drill(world, FAKE_PULUMI_EXIT_PREVIEW="255")
    assert done.returncode == 1
    assert done.stdout == (
        "rollback drill: staging: failed: rollback from version 9 to 6 (preview)\n"
    )
    assert world["evidence"]["result"] == "failed"
    assert world["evidence"]["preview"]["exitCode"] == 255
    assert world["evidence"]["preview"]["passed"] is False
    assert [c["argv"][0] for c in calls(world)] == ["stack", "preview"]
    assert_no_worktree_left(world)


def test_preview_only_never_runs_up(world: dict[str, Any]) -> None:
    assert drill(world).returncode == 0
    assert all(c["argv"][0] != "up" for c in calls(world))


def test_execute_rolls_back_through_the_rollback_script(world: dict[str, Any]) -> None:
    done = drill(world, "--execute")
    assert done.returncode == 0, done.stderr
    evidence = world["evidence"]
    assert evidence["mode"] == "execute" and evidence["result"] == "passed"
    assert evidence["rollback"] == {
        "command": f"scripts/rollback.py --stack staging --to 6 --yes --cwd {world['repo']}",
        "exitCode": 0,
    }
    kinds = [c["argv"][0] for c in calls(world)]
    # the drill's preview, then scripts/rollback.py: history, its own preview, up
    assert kinds == ["stack", "preview", "stack", "preview", "up"]
    up = calls(world)[-1]
    assert up["version_txt"] == "c2"
    assert up["argv"][:6] == ["up", "--stack", "staging", "--yes", "--message", up["argv"][5]]
    assert up["argv"][5].startswith("rollback of staging to version 6 (commit ")
    assert_no_worktree_left(world)


def test_execute_after_a_failed_preview_does_not_roll_back(world: dict[str, Any]) -> None:
    done = drill(world, "--execute", FAKE_PULUMI_EXIT_PREVIEW="1")
    assert done.returncode == 1
    assert world["evidence"]["rollback"] is None
    assert "up" not in [c["argv"][0] for c in calls(world)]


def test_a_failed_rollback_fails_the_drill(world: dict[str, Any]) -> None:
    done = drill(world, "--execute", FAKE_PULUMI_EXIT_UP="1")
    assert done.returncode == 1
    assert world["evidence"]["rollback"]["exitCode"] == 1
    assert world["evidence"]["result"] == "failed"


def test_nothing_to_drill_is_recorded_as_not_run(world: dict[str, Any]) -> None:
    world["history"] = [update(9, world["commits"][2]), update(8, None, result="failed")]
    save_history(world)
    done = drill(world)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-2:] == [
        "rollback drill: error: version 9 is the stack's only successful update: there is no "
        "earlier one to roll back to",
        f"rollback drill: evidence written to {world['tmp'] / 'evidence.json'}",
    ]
    assert world["evidence"]["result"] == "not run"
    assert world["evidence"]["to"] is None and world["evidence"]["preview"] is None
    assert [c["argv"][0] for c in calls(world)] == ["stack"]


def test_a_target_that_cannot_be_rolled_back_to_is_not_previewed(world: dict[str, Any]) -> None:
    world["history"][3] = update(6, "0123456789abcdef0123456789abcdef01234567")
    save_history(world)
    done = drill(world)
    assert done.returncode == 2
    assert world["evidence"]["reason"].startswith(
        "commit 0123456789abcdef0123456789abcdef01234567 of version 6 is not in this repository"
    )
    assert world["evidence"]["to"]["version"] == 6
    assert [c["argv"][0] for c in calls(world)] == ["stack"]


def test_prefers_the_stacks_deploy_policy_config(world: dict[str, Any]) -> None:
    config = world["repo"] / "policies" / "config"
    (config / "staging-deploy.json").write_text("{}\n")
    assert drill(world).returncode == 0
    assert world["evidence"]["preview"]["policyPackConfig"] == "policies/config/staging-deploy.json"


def test_the_default_evidence_path_is_per_stack(world: dict[str, Any]) -> None:
    done = run_script("rollback_drill", "--now", NOW, cwd=world["repo"], env=world["env"])
    assert done.returncode == 0, done.stderr
    written = json.loads((world["repo"] / "evidence" / "rollback-drill-staging.json").read_text())
    assert written["to"]["version"] == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--now", "soon"],
            "rollback drill: error: --now: 'soon' is not an RFC 3339 time: "
            "write e.g. 2025-06-06T09:00:00Z\n",
        ),
        (["--bogus"], "rollback drill: error: unrecognized arguments: --bogus (see --help)\n"),
    ],
)
def test_bad_arguments_are_usage_errors(world: dict[str, Any], args: list[str], message: str):
    done = run_script("rollback_drill", *args, cwd=world["repo"], env=world["env"])
    assert (done.returncode, done.stderr) == (2, message)


pytestmark = pytest.mark.playbook("game-day")
