"""The operations workflows: the monthly security scan (playbook §6), the quarterly rollback
drill (§11) and the 48-hour notice step of the prod deploy (§9). Their shell steps run for real
under bash against command doubles; every script command line parses with that script's parser.
(Pins, permissions and keyless rules are checked for every workflow in test_workflows.py.)"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.operator_scripts import SCRIPTS, load_script, write_double
from tests.support.workflows import WORKFLOWS, load, step_named, triggers

ROOT = Path(__file__).resolve().parents[2]
needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


# A command double that logs its argv (one JSON line) and exits 0.
LOGGER = """\
import json, os, sys
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
"""


def bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env={"PATH": f"{cwd / 'bin'}:/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def logged(path: Path) -> list[list[str]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_monthly_scan_runs_monthly_and_by_hand() -> None:
    on = triggers(load("monthly-scan.yml"))
    assert set(on) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    assert cron.split()[2:] == ["1", "*", "*"], cron  # day 1 of every month
    assert on["workflow_dispatch"] is None  # no inputs: nothing changes what is scanned


def test_monthly_scan_scans_main_and_each_deployed_revision() -> None:
    jobs = load("monthly-scan.yml")["jobs"]
    assert list(jobs) == ["revisions", "scan", "report"]
    revisions = jobs["revisions"]
    assert revisions["permissions"] == {"contents": "read", "deployments": "read"}
    assert revisions["outputs"]["matrix"] == "${{ steps.revisions.outputs.matrix }}"
    find = step_named(revisions, "main and the revision")
    assert find["env"] == {
        "GH_TOKEN": "${{ github.token }}",
        "REPO": "${{ github.repository }}",
        "MAIN_SHA": "${{ github.sha }}",
    }
    assert find["run"].endswith('>> "$GITHUB_OUTPUT"')
    scan = jobs["scan"]
    assert scan["needs"] == "revisions"
    assert scan["strategy"] == {
        "fail-fast": False,
        "matrix": "${{ fromJSON(needs.revisions.outputs.matrix) }}",
    }
    revision, ops = scan["steps"][:2]
    assert revision["with"] == {
        "ref": "${{ matrix.ref }}",
        "path": "revision",
        "persist-credentials": False,
    }
    assert ops["with"] == {"path": "ops", "persist-credentials": False}  # this commit's script
    run = step_named(scan, "Dependency audit, checkov, secret scan")
    assert run["run"].startswith("python3 ops/scripts/monthly_scan.py run ")
    assert "--checkout revision" in run["run"]
    upload = step_named(scan, "Upload the scan evidence")
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "scan-evidence/${{ matrix.label }}"
    assert upload["with"]["if-no-files-found"] == "error"


def test_a_failed_monthly_scan_opens_an_issue_with_the_jobs_own_token() -> None:
    report = load("monthly-scan.yml")["jobs"]["report"]
    assert report["if"] == "failure()"
    assert report["needs"] == ["revisions", "scan"]
    assert report["permissions"] == {"contents": "read", "issues": "write"}
    step = step_named(report, "Open an issue")
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert "gh issue create" in step["run"]


@needs_bash
def test_the_issue_step_calls_gh_issue_create(tmp_path: Path) -> None:
    write_double(tmp_path / "bin", "gh", LOGGER)
    step = step_named(load("monthly-scan.yml")["jobs"]["report"], "Open an issue")
    done = bash(
        step["run"],
        tmp_path,
        FAKE_LOG=str(tmp_path / "log"),
        REPO="acme/controlplane",
        RUN_URL="https://github.com/acme/controlplane/actions/runs/7",
        SCAN_MONTH="2025-07",
    )
    assert done.returncode == 0, done.stderr
    ((*head, body),) = logged(tmp_path / "log")
    assert head == [
        "issue",
        "create",
        "--repo",
        "acme/controlplane",
        "--title",
        "Monthly security scan failed (2025-07)",
        "--body",
    ]
    assert body.startswith(
        "The monthly security scan (playbook §6) failed: "
        "https://github.com/acme/controlplane/actions/runs/7\n"
    )


def test_the_rollback_drill_is_quarterly_preview_only_unless_dispatched_with_execute() -> None:
    workflow = load("rollback-drill.yml")
    on = triggers(workflow)
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    assert cron.split()[3] == "1,4,7,10", cron  # once a quarter
    assert on["workflow_dispatch"]["inputs"] == {
        "execute": {
            "description": "After the preview, roll staging back for real (needs the staging "
            "environment's approval)",
            "type": "boolean",
            "default": False,
        }
    }
    job = workflow["jobs"]["drill"]
    # a real rollback runs in `staging` (its reviewers approve it) as staging's deployer;
    # the scheduled preview runs in preview-staging as its preview identity
    assert job["environment"] == "${{ inputs.execute == true && 'staging' || 'preview-staging' }}"
    auth = step_named(job, "Authenticate to Google Cloud")
    assert auth["with"]["service_account"] == (
        "${{ inputs.execute == true && vars.GCP_DEPLOY_SERVICE_ACCOUNT "
        "|| vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"
    )
    assert job["env"]["EXECUTE"] == "${{ inputs.execute == true }}"
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    upload = step_named(job, "Upload the drill evidence")
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "evidence/rollback-drill-staging.json"


@needs_bash
@pytest.mark.parametrize(("execute", "flag"), [("false", []), ("true", ["--execute"])])
def test_the_drill_step_passes_execute_only_when_asked(
    tmp_path: Path, execute: str, flag: list[str]
) -> None:
    write_double(tmp_path / ".venv" / "bin", "python", LOGGER)
    step = step_named(load("rollback-drill.yml")["jobs"]["drill"], "Rollback drill")
    done = bash(step["run"], tmp_path, FAKE_LOG=str(tmp_path / "log"), EXECUTE=execute)
    assert done.returncode == 0, done.stderr
    assert logged(tmp_path / "log") == [
        [
            "scripts/rollback_drill.py",
            "--stack",
            "staging",
            "--evidence",
            "evidence/rollback-drill-staging.json",
            *flag,
        ]
    ]


def test_the_prod_deploy_checks_the_notice_only_for_a_high_impact_change() -> None:
    job = load("deploy-stack.yml")["jobs"]["deploy"]
    classify = step_named(job, "Classify the prod change")
    assert classify["id"] == "impact"
    assert classify["if"] == "inputs.stack == 'prod'"
    assert classify["env"] == {"DEPLOYED_COMMIT": "${{ steps.target.outputs.commit }}"}
    notice = step_named(job, "48-hour notice of a high-impact change")
    assert notice["if"] == "inputs.stack == 'prod' && steps.impact.outputs.high-impact == 'true'"
    assert notice["run"] == (
        ".venv/bin/python scripts/change_notice.py check --stack prod --high-impact"
    )


# The project's python, doubled: `-m preflight diff` prints FAKE_DIFF (or fails when it is
# unset); anything else runs with the real interpreter (scripts/change_notice.py).
PYTHON = """\
import json, os, subprocess, sys
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:3] == ["-m", "preflight", "diff"]:
    if "FAKE_DIFF" not in os.environ:
        sys.exit(1)
    print(os.environ["FAKE_DIFF"])
    sys.exit(3 if "--allow-data-loss" not in args else 0)
sys.exit(subprocess.run([os.environ["REAL_PYTHON"], *args]).returncode)
"""

DIFF_WITH_DATA_LOSS = {
    "stacks": [
        {
            "stack": "prod",
            "dataLossRisks": ["urn:kms"],
            "highImpact": True,
            "highImpactReasons": [
                {"kind": "data-loss", "urn": "urn:kms", "reason": "replace of a stateful resource"}
            ],
            "resources": [{"urn": "urn:kms", "op": "replace", "stateful": True}],
        }
    ]
}
DIFF_UPDATE_ONLY = {
    "stacks": [
        {
            "stack": "prod",
            "dataLossRisks": [],
            "highImpact": False,
            "highImpactReasons": [],
            "resources": [{"op": "update"}],
        }
    ]
}


@needs_bash
@pytest.mark.parametrize(
    ("commit", "diff", "expected"),
    [
        ("c" * 40, DIFF_WITH_DATA_LOSS, "true"),
        ("c" * 40, DIFF_UPDATE_ONLY, "false"),
        ("c" * 40, None, "true"),  # the diff failed
        ("", None, "true"),  # prod's first deployment: nothing to diff against
    ],
)
def test_the_classify_step_writes_the_output_the_notice_step_reads(
    tmp_path: Path, commit: str, diff: dict[str, Any] | None, expected: str
) -> None:
    write_double(tmp_path / ".venv" / "bin", "python", PYTHON)
    (tmp_path / "scripts").symlink_to(SCRIPTS)
    (tmp_path / "runner").mkdir()
    output = tmp_path / "github-output"
    env = {
        "FAKE_LOG": str(tmp_path / "log"),
        "REAL_PYTHON": sys.executable,
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_OUTPUT": str(output),
        "DEPLOYED_COMMIT": commit,
    }
    if diff is not None:
        env["FAKE_DIFF"] = json.dumps(diff)
    step = step_named(load("deploy-stack.yml")["jobs"]["deploy"], "Classify the prod change")
    done = bash(step["run"], tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert output.read_text() == f"high-impact={expected}\n"
    calls = logged(tmp_path / "log")
    if commit:
        assert calls[0] == [
            "-m",
            "preflight",
            "diff",
            "--base",
            commit,
            "--stack",
            "prod",
            "--format",
            "json",
            "--skip-policy",
            "--allow-data-loss",
        ]
    assert calls[-1][:4] == ["scripts/change_notice.py", "classify", "--stack", "prod"]


def _script_commands() -> list[tuple[str, str, str]]:
    """(workflow, script, arguments) of every scripts/<name>.py call in the workflows."""
    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        text = path.read_text().replace("\\\n", " ")
        for name, line in re.findall(r"scripts/(\w+)\.py ([^\n>]+)", text):
            if name in ("change_notice", "monthly_scan", "rollback_drill"):
                found.append((path.name, name, line))
    return found


def test_every_operations_script_command_in_the_workflows_parses() -> None:
    commands = _script_commands()
    assert {name for _, name, _ in commands} == {"change_notice", "monthly_scan", "rollback_drill"}
    for workflow, name, line in commands:
        argv = [a for a in shlex.split(line) if not a.startswith("${flags")]
        argv = [os.path.expandvars(a) if a.startswith("$") else a for a in argv]
        argv = ["value" if a.startswith("$") else a for a in argv]
        load_script(name).build_parser().parse_args(argv)  # exits 2 on a drifted option
        assert argv, (workflow, line)
