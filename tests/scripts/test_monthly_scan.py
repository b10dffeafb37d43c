"""scripts/monthly_scan.py offline: a `gh` double answering the deployments API from a fixture,
and a `make` double plus a fake checkout for one revision's scan."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.operator_scripts import run_script, write_double

MAIN = "a" * 40
STAGING = "b" * 40
PROD_OLD = "c" * 40

# gh double: `gh api PATH` answers from FAKE_GH_API (a JSON map PATH -> response).
GH = """\
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(["gh", *args]) + "\\n")
answers = json.loads(Path(os.environ["FAKE_GH_API"]).read_text())
if args[0] != "api" or args[1] not in answers:
    print("HTTP 404: Not Found", file=sys.stderr)
    sys.exit(1)
print(json.dumps(answers[args[1]]))
"""

# make double: logs the target, prints a line, exits as FAKE_MAKE_EXIT_<TARGET> says.
MAKE = """\
import json, os, sys

with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(["make", *sys.argv[1:], os.getcwd()]) + "\\n")
print("make " + sys.argv[1] + ": output")
sys.exit(int(os.environ.get("FAKE_MAKE_EXIT_" + sys.argv[1].upper(), "0")))
"""

# the checkout's .venv/bin/python: `-m preflight evidence --all --out DIR` writes a manifest.
PYTHON = """\
import json, os, sys
from pathlib import Path

with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(["python", *sys.argv[1:]]) + "\\n")
out = Path(sys.argv[sys.argv.index("--out") + 1])
(out / "prod").mkdir(parents=True)
(out / "prod" / "manifest.json").write_text("{}")
print(f"{out}/prod: 1 files, manifest manifest.json")
"""


def deployments(repo: str, env: str, items: list[tuple[int, str, str]]) -> dict[str, Any]:
    """gh api answers: the deployments of ``env`` (newest first) and each one's latest status."""
    answers: dict[str, Any] = {
        f"repos/{repo}/deployments?environment={env}&per_page=30": [
            {"id": i, "sha": sha, "environment": env} for i, sha, _ in items
        ]
    }
    for i, _, state in items:
        answers[f"repos/{repo}/deployments/{i}/statuses?per_page=1"] = [{"state": state}]
    return answers


@pytest.fixture
def tools(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    write_double(bin_dir, "gh", GH)
    write_double(bin_dir, "make", MAKE)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_LOG": str(tmp_path / "calls.jsonl"),
        "FAKE_GH_API": str(tmp_path / "gh-api.json"),
    }


def logged(tools: dict[str, str]) -> list[list[str]]:
    log = Path(tools["FAKE_LOG"])
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def revisions(
    tmp_path: Path,
    tools: dict[str, str],
    history: dict[str, list[tuple[int, str, str]]],
    repo: str = "acme/controlplane",
) -> Any:
    """``monthly_scan.py revisions`` for ``repo``, the gh double answering with each environment's
    deployments in ``history`` (id, sha, latest state; newest first)."""
    answers: dict[str, Any] = {}
    for environment, items in history.items():
        answers.update(deployments(repo, environment, items))
    Path(tools["FAKE_GH_API"]).write_text(json.dumps(answers))
    return run_script(
        "monthly_scan", "revisions", "--repo", repo, "--main-sha", MAIN, cwd=tmp_path, env=tools
    )


def test_revisions_are_main_and_each_environments_last_successful_deployment(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    history = {
        "dev": [(31, MAIN, "success")],
        # the newest staging deployment failed: staging still runs the one before
        "staging": [(30, MAIN, "failure"), (20, STAGING, "success")],
        "prod": [(21, STAGING, "in_progress"), (10, PROD_OLD, "success")],
    }
    done = revisions(tmp_path, tools, history)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("matrix=") and done.stdout.count("\n") == 1
    assert json.loads(done.stdout.removeprefix("matrix=")) == {
        "include": [
            {"label": "main-dev", "ref": MAIN},
            {"label": "staging", "ref": STAGING},
            {"label": "prod", "ref": PROD_OLD},
        ]
    }


def test_an_environment_never_deployed_is_left_out_with_a_note(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    history = {"dev": [], "staging": [(5, MAIN, "failure")], "prod": [(6, MAIN, "success")]}
    done = revisions(tmp_path, tools, history)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.removeprefix("matrix=")) == {
        "include": [{"label": "main-prod", "ref": MAIN}]
    }
    assert "monthly scan: dev: no successful deployment found" in done.stderr
    assert "monthly scan: staging: no successful deployment found" in done.stderr


def test_a_failing_github_api_is_one_line_and_exit_1(tmp_path: Path, tools: dict[str, str]):
    done = revisions(tmp_path, tools, {}, repo="a/b")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "monthly scan: error: gh api repos/a/b/deployments?environment=dev&per_page=30 "
        "failed: HTTP 404: Not Found\n"
    )


def checkout(tmp_path: Path, makefile: str = "venv:\naudit:\nscan:\n") -> Path:
    root = tmp_path / "revision"
    (root / "preflight").mkdir(parents=True)
    (root / "preflight" / "evidence.py").write_text("")
    (root / "Makefile").write_text(makefile)
    write_double(root / ".venv" / "bin", "python", PYTHON)
    return root


def scan(tmp_path: Path, tools: dict[str, str], **env: str) -> Any:
    return run_script(
        "monthly_scan",
        "run",
        "--label",
        "staging-prod",
        "--revision",
        STAGING,
        "--checkout",
        "revision",
        "--out",
        "out",
        "--now",
        "2025-07-01T06:17:00Z",
        cwd=tmp_path,
        env={**tools, **env},
    )


def test_a_clean_revision_passes_and_leaves_logs_summary_and_bundle(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    root = checkout(tmp_path)
    done = scan(tmp_path, tools)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "monthly scan: staging-prod: venv: passed",
        "monthly scan: staging-prod: audit: passed",
        "monthly scan: staging-prod: scan: passed",
        "monthly scan: staging-prod: evidence: passed",
        f"monthly scan: staging-prod ({STAGING[:12]}): passed",
    ]
    out = tmp_path / "out"
    assert [c[:2] for c in logged(tools)] == [
        ["make", "venv"],
        ["make", "audit"],
        ["make", "scan"],
        ["python", "-m"],
    ]
    assert all(c[2] == str(root) for c in logged(tools) if c[0] == "make")  # in the revision
    assert logged(tools)[3][1:] == [
        "-m",
        "preflight",
        "evidence",
        "--all",
        "--out",
        str(out / "bundle"),
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["format"] == "controlplane-monthly-scan/1"
    assert (summary["label"], summary["revision"]) == ("staging-prod", STAGING)
    assert summary["startedAt"] == summary["finishedAt"] == "2025-07-01T06:17:00Z"
    assert summary["result"] == "passed"
    assert [s["name"] for s in summary["steps"]] == ["venv", "audit", "scan", "evidence"]
    audit = summary["steps"][1]
    assert audit == {
        "name": "audit",
        "command": "make audit",
        "status": "passed",
        "exitCode": 0,
        "log": "audit.log",
        "sha256": hashlib.sha256((out / "audit.log").read_bytes()).hexdigest(),
    }
    assert (out / "audit.log").read_text() == "make audit: output\n"
    assert (out / "bundle" / "prod" / "manifest.json").is_file()


@pytest.mark.parametrize("target", ["audit", "scan"])
def test_a_finding_fails_the_scan_and_the_other_steps_still_run(
    tmp_path: Path, tools: dict[str, str], target: str
) -> None:
    checkout(tmp_path)
    done = scan(tmp_path, tools, **{f"FAKE_MAKE_EXIT_{target.upper()}": "1"})
    assert done.returncode == 1
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["result"] == "failed"
    (step,) = [s for s in summary["steps"] if s["name"] == target]
    assert (step["status"], step["exitCode"]) == ("failed", 1)
    assert [s["status"] for s in summary["steps"]].count("passed") == 3
    assert done.stdout.splitlines()[-1] == f"monthly scan: staging-prod ({STAGING[:12]}): failed"


def test_a_failed_setup_skips_the_rest(tmp_path: Path, tools: dict[str, str]) -> None:
    checkout(tmp_path)
    done = scan(tmp_path, tools, FAKE_MAKE_EXIT_VENV="2")
    assert done.returncode == 1
    steps = json.loads((tmp_path / "out" / "summary.json").read_text())["steps"]
    assert [s["status"] for s in steps] == ["failed", "skipped", "skipped", "skipped"]
    assert [c[:2] for c in logged(tools)] == [["make", "venv"]]


def test_a_revision_without_the_audit_target_is_reported_unavailable(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    checkout(tmp_path, makefile="venv:\nscan:\n")
    done = scan(tmp_path, tools)
    assert done.returncode == 1
    audit = json.loads((tmp_path / "out" / "summary.json").read_text())["steps"][1]
    assert audit == {
        "name": "audit",
        "command": "make audit",
        "status": "unavailable",
        "reason": "this revision's Makefile has no `audit`",
    }
    assert ["make", "audit"] not in [c[:2] for c in logged(tools)]


def test_a_missing_checkout_is_a_usage_error(tmp_path: Path, tools: dict[str, str]) -> None:
    done = scan(tmp_path, tools)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "monthly scan: error: --checkout revision is not a directory\n"


pytestmark = pytest.mark.playbook("monthly-scans")
