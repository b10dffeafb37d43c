"""The GitHub Actions workflows: they parse, every action is pinned by commit SHA, permissions
are explicit and minimal, deployments go dev -> staging -> prod behind their environments, and
the prod maintenance-window gate does what the playbook says (run for real under bash)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.support.workflows import WORKFLOWS, load, step_named, steps, triggers

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(WORKFLOWS.glob("*.yml"))

# The reviewed pins (full commit SHA of the release tag in the comment). Bumping one is a
# reviewed change of this table and of the workflows together.
PINS = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "google-github-actions/auth": ("ba79af03959ebeac9769e648f473a284504d9193", "v2.1.10"),
    "pulumi/actions": ("8582a9e8cc630786854029b4e09281acd6794b58", "v6.6.1"),
}
# Write scopes a job may hold, and the only jobs that hold them.
WRITE_SCOPES = {
    ("pr.yml", "diff"): {"pull-requests"},
    ("preview.yml", "preview"): {"id-token", "pull-requests"},
    ("deploy.yml", "dev"): {"id-token"},
    ("deploy.yml", "staging"): {"id-token"},
    ("deploy.yml", "prod"): {"id-token"},
    ("deploy-stack.yml", "deploy"): {"id-token"},
    ("monthly-scan.yml", "report"): {"issues"},
    ("rollback-drill.yml", "drill"): {"id-token"},
}


def uses_of(workflow: dict[str, Any]) -> list[str]:
    found = []
    for job in workflow["jobs"].values():
        if "uses" in job:
            found.append(job["uses"])
        found += [s["uses"] for s in steps(job) if "uses" in s]
    return found


def test_the_expected_workflows_exist_and_parse() -> None:
    assert [f.name for f in FILES] == [
        "deploy-stack.yml",
        "deploy.yml",
        "monthly-scan.yml",
        "pr.yml",
        "preview.yml",
        "rollback-drill.yml",
    ]
    for f in FILES:
        workflow = load(f.name)
        assert workflow["name"] and workflow["jobs"] and triggers(workflow), f.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_commit_sha(path: Path) -> None:
    workflow = load(path.name)
    for ref in uses_of(workflow):
        if ref.startswith("./"):
            assert (ROOT / ref).is_file(), f"{path.name}: {ref} does not exist"
            continue
        action, _, sha = ref.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", sha), f"{path.name}: {ref} is not pinned by SHA"
        assert action in PINS, f"{path.name}: {action} is not a reviewed action"
        assert sha == PINS[action][0], (
            f"{path.name}: {action} pinned to {sha}, not the reviewed pin"
        )
    for line in path.read_text().splitlines():
        match = re.search(r"uses: ([\w.-]+/[\w./-]+)@(\S+)(.*)$", line)
        if match:
            assert match.group(3).strip() == f"# {PINS[match.group(1)][1]}", line


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_permissions_are_explicit_and_least_privilege(path: Path) -> None:
    workflow = load(path.name)
    assert workflow["permissions"] == {}, f"{path.name}: top-level permissions must be {{}}"
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{path.name}/{name}: no explicit permissions"
        assert permissions.get("contents") == "read", f"{path.name}/{name}"
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes == WRITE_SCOPES.get((path.name, name), set()), f"{path.name}/{name}"
        assert set(permissions.values()) <= {"read", "write"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_keys_no_secrets_no_injection(path: Path) -> None:
    text = path.read_text()
    assert "secrets." not in text  # keyless: OIDC and the job's own token only
    assert "credentials_json" not in text
    assert "pull_request_target" not in text
    workflow = load(path.name)
    for name, job in workflow["jobs"].items():
        for step in steps(job):
            assert "${{" not in str(step.get("run", "")), (
                f"{path.name}/{name}: pass expressions through env:, not into the script"
            )


def test_pull_request_checks_run_without_credentials() -> None:
    pr = load("pr.yml")
    assert triggers(pr) == {
        "pull_request": {
            "branches": ["main"],
            # adding the allow-data-loss label must re-run the checks
            "types": ["opened", "synchronize", "reopened", "labeled", "unlabeled"],
        }
    }
    runs = {name: [str(s.get("run", "")) for s in steps(job)] for name, job in pr["jobs"].items()}
    assert runs["test"][-1] == "make test"  # lint, type check, bandit and the whole suite
    assert ".venv/bin/python -m preflight check --all" in runs["policy"]
    assert "make scan" in runs["scan"]
    diff_job = pr["jobs"]["diff"]
    assert diff_job["steps"][0]["with"]["fetch-depth"] == 0
    script = step_named(diff_job, "preflight diff").get("run", "")
    assert ".venv/bin/python -m preflight diff --base origin/main --format markdown" in script
    assert "--json-out preflight-diff-report.json" in script
    comment = step_named(diff_job, "Post or update the sticky PR comment")
    assert comment["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert "<!-- preflight-diff -->" in comment["run"] and "--method PATCH" in comment["run"]
    final = step_named(diff_job, "Fail on a data-loss risk")
    assert "3) " in final["run"] and "exit 3" in final["run"]
    for job in pr["jobs"].values():
        assert "id-token" not in job["permissions"]


def test_preview_is_gated_on_configured_credentials_and_uses_oidc() -> None:
    preview = load("preview.yml")
    job = preview["jobs"]["preview"]
    assert job["if"] == (
        "vars.GCP_WORKLOAD_IDENTITY_PROVIDER != '' "
        "&& github.event.pull_request.head.repo.full_name == github.repository"
    )
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    # each stack's preview identity is a variable of its own GitHub environment
    assert job["environment"] == "preview-${{ matrix.stack }}"
    assert job["env"]["PREVIEW_SERVICE_ACCOUNT"] == "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"
    notice, *rest = steps(job)
    assert notice["if"] == "env.PREVIEW_SERVICE_ACCOUNT == ''"
    assert all(s["if"] == "env.PREVIEW_SERVICE_ACCOUNT != ''" for s in rest)
    auth = step_named(job, "Authenticate to Google Cloud")
    assert auth["with"] == {
        "workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
        "service_account": "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}",
    }
    pulumi = step_named(job, "pulumi preview")
    assert pulumi["uses"].startswith("pulumi/actions@")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["with"]["comment-on-pr"] is True and pulumi["with"]["diff"] is True
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"


def test_deploys_dev_then_staging_then_prod_behind_environments() -> None:
    deploy = load("deploy.yml")
    on = triggers(deploy)
    assert on["push"] == {"branches": ["main"]}
    assert on["workflow_dispatch"]["inputs"]["force"] == {
        "description": "Deploy prod inside the Sunday 03:00-05:00 UTC maintenance window "
        "(the change freeze still applies)",
        "type": "boolean",
        "default": False,
    }
    assert deploy["concurrency"] == {"group": "deploy-main", "cancel-in-progress": False}
    jobs = deploy["jobs"]
    assert list(jobs) == ["dev", "staging", "prod-gate", "prod"]
    assert jobs["dev"]["if"] == "github.ref == 'refs/heads/main'"
    assert "needs" not in jobs["dev"]
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod-gate"]["needs"] == "staging"
    assert jobs["prod"]["needs"] == "prod-gate"
    for stack in ("dev", "staging", "prod"):
        assert jobs[stack]["uses"] == "./.github/workflows/deploy-stack.yml"
        assert jobs[stack]["with"]["stack"] == stack
    assert jobs["prod"]["with"]["force"] == "${{ inputs.force == true }}"
    gate = [str(s.get("run", "")) for s in steps(jobs["prod-gate"])]
    # prod-deploy.json with the 48-hour notice advisory: the change is classified in the prod job
    assert (
        ".venv/bin/python scripts/change_notice.py policy-config --stack prod --advisory "
        '--out "$RUNNER_TEMP/prod-gate.json"\n'
        ".venv/bin/python -m preflight check --stack prod "
        '--policy-config "$RUNNER_TEMP/prod-gate.json"\n'
    ) in gate


def test_each_stack_deployment_gates_records_rollback_target_and_keeps_evidence() -> None:
    job = load("deploy-stack.yml")["jobs"]["deploy"]
    assert job["environment"] == "${{ inputs.stack }}"
    names = [str(s.get("name", s.get("uses", ""))) for s in steps(job)]
    order = [
        "Policy gate",
        "Production maintenance window",
        "Authenticate to Google Cloud",
        "Install the Pulumi CLI",
        "Record the rollback target",
        "Classify the prod change",
        "48-hour notice of a high-impact change",
        "Prod's policy config with the classification and the announcement",
        "pulumi up",
        "Evidence bundle",
        "Upload the evidence bundle",
    ]
    positions = [next(i for i, n in enumerate(names) if n.startswith(o)) for o in order]
    assert positions == sorted(positions), names
    deploy_config = (
        "policies/config/${{ inputs.stack == 'prod' && 'prod-deploy' || inputs.stack }}.json"
    )
    gate = step_named(job, "Policy gate")
    assert gate["run"] == (
        'if [ "$STACK" = prod ]; then\n'
        "  .venv/bin/python scripts/change_notice.py policy-config --stack prod --advisory "
        '--out "$RUNNER_TEMP/prod-gate.json"\n'
        '  POLICY_CONFIG="$RUNNER_TEMP/prod-gate.json"\n'
        "fi\n"
        '.venv/bin/python -m preflight check --stack "$STACK" --policy-config "$POLICY_CONFIG"\n'
    )
    assert gate["env"]["POLICY_CONFIG"] == deploy_config
    notice_config = step_named(job, "Prod's policy config with the classification")
    assert notice_config["if"] == "inputs.stack == 'prod'"
    assert (
        ".venv/bin/python scripts/change_notice.py policy-config --stack prod \\\n"
        '  --diff-json "$RUNNER_TEMP/prod-diff.json" --out "$RUNNER_TEMP/prod-deploy.json"\n'
        ".venv/bin/python -m preflight check --stack prod "
        '--policy-config "$RUNNER_TEMP/prod-deploy.json"\n'
    ) in notice_config["run"]
    assert step_named(job, "Production maintenance window")["if"] == "inputs.stack == 'prod'"
    target = step_named(job, "Record the rollback target")
    assert target["id"] == "target"
    assert target["run"].startswith(
        '.venv/bin/python scripts/rollback.py --stack "$STACK" --target --format markdown '
        '>> "$GITHUB_STEP_SUMMARY"\n'
    )
    assert 'echo "commit=$previous" >> "$GITHUB_OUTPUT"' in target["run"]
    assert (ROOT / "scripts" / "rollback.py").is_file()
    up = step_named(job, "pulumi up")["with"]
    assert (up["command"], up["stack-name"]) == ("up", "${{ inputs.stack }}")
    assert up["policyPacks"] == "policies"
    # prod: prod-deploy.json as the step before completed it; the others their committed config
    assert up["policyPackConfigs"] == (
        "${{ inputs.stack == 'prod' && format('{0}/prod-deploy.json', runner.temp) "
        "|| format('policies/config/{0}.json', inputs.stack) }}"
    )
    evidence = step_named(job, "Evidence bundle")
    assert evidence["if"] == "always()"
    # The diff base is the commit that ran before this deploy, captured before `up`.
    assert evidence["env"] == {"DEPLOYED_COMMIT": "${{ steps.target.outputs.commit }}"}
    assert (
        '.venv/bin/python -m preflight evidence --stack "$STACK" --out "evidence/$STACK"'
        in evidence["run"]
    )
    assert '${DEPLOYED_COMMIT:+--deployed-commit "$DEPLOYED_COMMIT"}' in evidence["run"]
    upload = step_named(job, "Upload the evidence bundle")
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "evidence/${{ inputs.stack }}"
    assert upload["with"]["if-no-files-found"] == "error"


def test_pulumi_cli_version_matches_the_sdk_pin() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (pin,) = [d for d in pyproject["project"]["dependencies"] if d.startswith("pulumi==")]
    versions = set(re.findall(r"pulumi-version: (\S+)", "".join(f.read_text() for f in FILES)))
    assert versions == {pin.split("==")[1]}


def test_make_targets_the_workflows_call_exist() -> None:
    makefile = ROOT / "Makefile"
    if not makefile.is_file():
        pytest.skip("no Makefile in this checkout")
    called = set(re.findall(r"\bmake (\w[\w-]*)", "".join(f.read_text() for f in FILES)))
    assert called == {"test", "scan", "venv", "audit"}
    defined = set(re.findall(r"^([\w-]+):", makefile.read_text(), flags=re.MULTILINE))
    assert called <= defined, f"Makefile lacks {sorted(called - defined)}"


def _window_scripts() -> list[tuple[str, str]]:
    found = []
    for name in ("deploy.yml", "deploy-stack.yml"):
        for job in load(name)["jobs"].values():
            for step in steps(job):
                if step.get("id") == "maintenance-window":
                    found.append((name, step["run"]))
    return found


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash and GNU date")
@pytest.mark.parametrize(
    ("now", "force", "passes"),
    [
        ("2025-06-08T03:00:00Z", "false", False),  # Sunday 03:00: the window opens
        ("2025-06-08T04:59:59Z", "false", False),
        ("2025-06-08T05:00:00Z", "false", True),  # 05:00: the window is over
        ("2025-06-08T02:59:59Z", "false", True),
        ("2025-06-07T03:30:00Z", "false", True),  # Saturday: staging's window, not prod's
        ("2025-06-09T03:30:00Z", "false", True),  # Monday
        ("2025-06-08T03:30:00Z", "true", True),  # forced by hand
    ],
)
def test_prod_maintenance_window_gate(now: str, force: str, passes: bool) -> None:
    scripts = _window_scripts()
    assert [name for name, _ in scripts] == ["deploy.yml", "deploy-stack.yml"]
    for name, script in scripts:
        done = subprocess.run(
            ["bash", "-e", "-c", script],
            env={"PATH": "/usr/bin:/bin", "DEPLOY_GATE_NOW": now, "FORCE": force},
            capture_output=True,
            text=True,
            check=False,
        )
        assert (done.returncode == 0) is passes, (name, done.stdout, done.stderr)
        if not passes:
            assert done.stdout == (
                "::error::prod is in its maintenance window (Sun 03:00-05:00 UTC): deploy after "
                "05:00 UTC, or run this workflow by hand with force\n"
            )
        elif force == "true":
            assert done.stdout.startswith("::warning::deploying prod inside the maintenance window")
        else:
            assert done.stdout == f"outside the prod maintenance window at {now}\n"


def test_the_deploy_runbook_documents_what_the_workflows_need() -> None:
    runbook = (ROOT / "docs" / "runbooks" / "deploy.md").read_text()
    text = "".join(f.read_text() for f in FILES)
    for variable in sorted(set(re.findall(r"vars\.(\w+)", text))):
        assert f"`{variable}`" in runbook, variable
    for environment in ("dev", "staging", "prod", "preview-dev", "preview-staging", "preview-prod"):
        assert f"| `{environment}` |" in runbook, environment
    for job in load("pr.yml")["jobs"].values():  # the required status checks
        assert f"`{job['name']}`" in runbook, job["name"]
    assert "`allow-data-loss`" in runbook


pytestmark = pytest.mark.playbook("deploy", "security-checks", "freeze-periods")
