"""`preflight scan`: the real checkov over the plan export, the repository and the workflows.

checkov runs a handful of times in this module (each run is a few seconds): one run over a
directory of plans carries the secure, insecure and trap cases together.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from preflight.checkov import config as scan_config
from preflight.checkov import coverage, scan, tfplan
from preflight.checkov.config import ScanConfig, ScanError, Skip
from preflight.checkov.report import Finding
from tests.support.checkov import requires_checkov
from tests.support.tfplan_plans import (
    BUCKET,
    BUCKET_BINDING,
    BUCKET_MEMBER,
    CRYPTO_KEY,
    CRYPTO_KEY_MEMBER,
    KEY_RING,
    PROJECT_BINDING,
    PROJECT_MEMBER,
    SINK,
    TOPIC,
    insecure_snapshot,
    platform,
    secure_snapshot,
    urn,
)

# (check id, resource type, logical name): what the secure slice passes and the insecure fails.
EXPECTED = [
    ("CKV_GCP_29", BUCKET, "archive"),  # uniform bucket-level access
    ("CKV_GCP_114", BUCKET, "archive"),  # public access prevention enforced
    ("CKV_GCP_78", BUCKET, "archive"),  # versioning
    ("CKV_GCP_62", BUCKET, "archive"),  # access logging (unknown log bucket in the insecure one)
    ("CKV_GCP_28", BUCKET_MEMBER, "archive-reader"),  # bucket not public (allUsers)
    ("CKV_GCP_28", BUCKET_BINDING, "archive-admins"),  # ... (allAuthenticatedUsers)
    ("CKV_GCP_117", PROJECT_MEMBER, "eng-logs"),  # no basic roles (owner)
    ("CKV_GCP_117", PROJECT_BINDING, "ops-run"),  # ... (editor)
    ("CKV_GCP_42", PROJECT_MEMBER, "agent-storage"),  # service account without admin roles
    ("CKV_GCP_43", CRYPTO_KEY, "data-key"),  # rotation within 90 days
    ("CKV_GCP_112", CRYPTO_KEY_MEMBER, "data-key-user"),  # KMS IAM not public
    ("CKV2_GCP_6", CRYPTO_KEY, "data-key"),  # graph: key connected to a public grant
    ("CKV2_GCP_4", SINK, "archive-sink"),  # graph: sink's bucket has a locked retention
    ("CKV_GCP_83", TOPIC, "rotation"),  # topic CMEK (unknown key in the insecure one)
]
# Graph checks that only fire through `configuration` references.
GRAPH = [
    ("CKV2_GCP_6", CRYPTO_KEY, "data-key"),
    ("CKV2_GCP_8", KEY_RING, "keys"),
    ("CKV2_GCP_4", SINK, "archive-sink"),
]


def _without(plan: dict[str, Any], key: str) -> dict[str, Any]:
    plan = json.loads(json.dumps(plan))
    for res in plan["planned_values"]["root_module"]["resources"]:
        res.pop(key)
    return plan


@pytest.fixture(scope="module")
def plans_report() -> scan.ScanReport:
    """One checkov run: secure, insecure, insecure without references, and two broken plans."""
    secure = tfplan.export_plan(secure_snapshot()).plan
    no_version = json.loads(json.dumps(secure))
    del no_version["terraform_version"]
    plans = {
        "secure": secure,
        "insecure": tfplan.export_plan(insecure_snapshot()).plan,
        "noref": tfplan.export_plan(platform("noref", secure=False, references=False)).plan,
        "no-version": no_version,
        "no-mode": _without(secure, "mode"),
    }
    return scan.scan_plans_and_repo(plans, repo=None, config=ScanConfig())


def _result(report: scan.ScanReport, check: str, stack: str, token: str, name: str) -> str:
    found = [
        f for f in report.results(check) if f.stack == stack and f.urn == urn(stack, token, name)
    ]
    assert len(found) == 1, (check, stack, name, found)
    return found[0].result


@requires_checkov
@pytest.mark.parametrize(("check", "token", "name"), EXPECTED)
def test_secure_slice_passes(plans_report, check: str, token: str, name: str) -> None:
    assert _result(plans_report, check, "secure", token, name) == "passed"


@requires_checkov
@pytest.mark.parametrize(("check", "token", "name"), [*EXPECTED, GRAPH[1]])
def test_insecure_slice_fails(plans_report, check: str, token: str, name: str) -> None:
    assert _result(plans_report, check, "insecure", token, name) == "failed"


@requires_checkov
def test_secure_slice_has_no_failure_at_all(plans_report) -> None:
    assert [f for f in plans_report.failed if f.stack == "secure"] == []


@requires_checkov
@pytest.mark.parametrize(("check", "token", "name"), GRAPH)
def test_graph_checks_need_the_configuration_references(plans_report, check, token, name) -> None:
    """The same insecure grants without dependency info: checkov cannot connect them."""
    assert _result(plans_report, check, "noref", token, name) == "passed"
    assert _result(plans_report, check, "insecure", token, name) == "failed"
    assert _result(plans_report, "CKV_GCP_112", "noref", CRYPTO_KEY_MEMBER, "data-key-user") == (
        "failed"
    )


@requires_checkov
def test_plans_checkov_cannot_read_fail_the_resource_count(plans_report) -> None:
    assert plans_report.exported == {
        "secure": 12,
        "insecure": 13,
        "noref": 13,
        "no-version": 12,
        "no-mode": 12,
    }
    assert plans_report.checkov_resources == 38
    assert plans_report.problems == [
        "checkov counted 38 resources in the plans, the export has 62 (secure 12, insecure 13, "
        "noref 13, no-version 12, no-mode 12): a plan lacks terraform_version, a resource's mode "
        "or address, or checkov could not read it"
    ]
    assert {f.stack for f in plans_report.findings} == {"secure", "insecure", "noref"}
    assert not plans_report.ok


@requires_checkov
def test_findings_are_located_by_urn_and_plan_lines(plans_report) -> None:
    finding = next(
        f
        for f in plans_report.results("CKV_GCP_28", "failed")
        if f.stack == "insecure" and f.address == "google_storage_bucket_iam_member.archive-reader"
    )
    assert finding.urn == urn("insecure", BUCKET_MEMBER, "archive-reader")
    assert finding.file == "insecure.tfplan.json"
    text = tfplan.render(tfplan.export_plan(insecure_snapshot()).plan).splitlines()
    block = "\n".join(text[finding.lines[0] - 1 : finding.lines[1]])
    assert '"member": "allUsers"' in block
    above = [line for line in text[: finding.lines[0]] if '"address"' in line]
    assert above[-1].strip() == '"address": "google_storage_bucket_iam_member.archive-reader",'
    assert finding.where == finding.urn


@requires_checkov
def test_missing_address_fails_the_scan() -> None:
    plan = _without(tfplan.export_plan(secure_snapshot()).plan, "address")
    report = scan.scan_plans_and_repo({"no-address": plan}, repo=None, config=ScanConfig())
    assert not report.ok
    assert report.problems[-1] == (
        "checkov counted 0 resources in the plans, the export has 12 (no-address 12): a plan "
        "lacks terraform_version, a resource's mode or address, or checkov could not read it"
    )


# --- repository: secrets and workflows ------------------------------------------------------


def _aws_key() -> str:
    """A made-up access key id, built at run time so no key sits in this file."""
    return "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))


@requires_checkov
def test_repository_secrets_and_workflows(tmp_path: Path) -> None:
    canary, skipped_canary = _aws_key(), _aws_key()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.yaml").write_text(f"name: app\naws_access_key_id: {canary}\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "corpus.yaml").write_text(f"aws_access_key_id: {skipped_canary}\n")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "name: ci\non:\n  pull_request_target:\npermissions: write-all\njobs:\n  test:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
        f"        env:\n          AWS_ACCESS_KEY_ID: {canary}\n"
    )
    reason = "test corpus: made-up keys that prove the scanner finds them"
    config = ScanConfig(
        skips=(
            Skip(check="CKV_SECRET_2", paths=("tests/*",), reason=reason),
            Skip(check="CKV_GCP_62", urns=("urn:pulumi:*::nothing",), reason=reason),
        )
    )
    report = scan.scan_plans_and_repo({}, repo=tmp_path, config=config, complete=True)
    secret_findings = sorted((f.file, f.result) for f in report.results("CKV_SECRET_2"))
    assert secret_findings == [
        (".github/workflows/ci.yml", "failed"),
        ("config/app.yaml", "failed"),
        ("tests/corpus.yaml", "skipped"),
    ]
    skipped = report.results("CKV_SECRET_2", "skipped")[0]
    assert (skipped.reason, skipped.where) == (reason, "tests/corpus.yaml:1")
    gha = report.results("CKV_GHA_2", "failed")
    assert len(gha) == 1  # the workflow is scanned twice by checkov, reported once
    assert gha[0].file == ".github/workflows/ci.yml" and gha[0].resource
    assert report.notices == [
        "skip CKV_GCP_62 urn:pulumi:*::nothing matched no failed check: remove it from "
        "tools/checkov/config.yaml"
    ]
    text = report.render() + json.dumps(report.to_json())
    assert canary not in text and skipped_canary not in text
    assert all(f.resource is None for f in report.findings if f.framework == "secrets")
    assert "\n  CKV_SECRET_2 AWS Access Key\n    config/app.yaml:2\n" in report.render()
    assert report.render().endswith("scan: FAILED\n")


# --- the program: what `make scan` runs ---------------------------------------------------------


@requires_checkov
def test_scan_of_every_stack_passes_with_matching_counts(
    tmp_path: Path, snapshots, monkeypatch, capsys
) -> None:
    """What `make scan` runs (`python -m preflight scan --all`), on the fixture's snapshots."""
    import preflight.synth

    monkeypatch.setattr(preflight.synth, "synthesize", lambda stacks, **_kw: snapshots)
    out = tmp_path / "scan.json"
    parser = argparse.ArgumentParser()
    scan.add_arguments(parser)
    code = scan.run(parser.parse_args(["--all", "--json", str(out)]))
    stdout = capsys.readouterr().out
    assert code == 0, stdout
    assert stdout.endswith("scan: OK\n")
    doc = json.loads(out.read_text())
    exported = {s: tfplan.export_plan(snap).resource_count for s, snap in snapshots.items()}
    assert doc["resources"] == {"exported": exported, "checkov": sum(exported.values())}
    assert doc["problems"] == [] and doc["notices"] == [
        n for n in doc["notices"] if n.startswith("no checkov coverage")
    ]
    assert doc["summary"]["terraform_plan"]["failed"] == 0
    assert all("reason" in r for r in doc["results"] if r["result"] == "skipped")
    # The README shows this very summary and the generated coverage table.
    readme = (scan_config.REPO / "README.md").read_text()
    shown = readme.split(coverage.SUMMARY_MARKERS[0])[1].split(coverage.SUMMARY_MARKERS[1])[0]
    assert shown == f"\n```text\n$ make scan\n{coverage.summary_lines(stdout)}```\n"
    table = readme.split(coverage.COVERAGE_MARKERS[0])[1].split(coverage.COVERAGE_MARKERS[1])[0]
    assert table == "\n" + coverage.coverage_table(
        (scan_config.REPO / "docs" / "checkov.md").read_text()
    )


def test_checkov_missing_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError) as err:
        scan.scan_plans_and_repo({}, repo=tmp_path, checkov=tmp_path / "checkov")
    assert str(err.value) == (
        f"checkov is not installed at {tmp_path / 'checkov'}: create it with "
        "`python3 -m venv .venv-checkov && .venv-checkov/bin/pip install --no-deps "
        "--require-hashes -r tools/checkov/requirements.txt`"
    )


# --- justified skips -------------------------------------------------------------------------


def test_skip_without_reason_or_scope_is_rejected(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("skips:\n  - check: CKV_GCP_62\n    urns: ['*']\n    reason: because\n")
    with pytest.raises(ScanError) as err:
        scan_config.load_config(cfg)
    assert str(err.value) == (
        f"{cfg}: skips.0.reason: String should have at least 20 characters (each skip needs "
        "check: CKV_..., urns: or paths:, and a reason of 20+ characters)"
    )
    cfg.write_text("skips:\n  - check: CKV_GCP_62\n    reason: a reason long enough here\n")
    with pytest.raises(ScanError) as err:
        scan_config.load_config(cfg)
    assert "give either `urns` (plan findings) or `paths` (file findings)" in str(err.value)


def test_skips_only_turn_failures_into_justified_skips() -> None:
    skip = Skip(check="CKV_GCP_62", urns=("urn:pulumi:prod::*::*-access-logs",), reason="x" * 20)
    base: dict[str, Any] = {
        "framework": "terraform_plan",
        "check_id": "CKV_GCP_62",
        "check_name": "Bucket should log access",
        "file": "prod.tfplan.json",
        "lines": (1, 2),
    }
    logs = Finding(**base, result="failed", urn="urn:pulumi:prod::cp::b::acme-access-logs")
    other = Finding(**base, result="failed", urn="urn:pulumi:prod::cp::b::acme-archive")
    passed = Finding(**base, result="passed", urn="urn:pulumi:prod::cp::b::acme-access-logs2")
    out, unused = scan.apply_skips([logs, other, passed], [skip])
    assert [(f.result, f.reason) for f in out] == [
        ("skipped", "x" * 20),
        ("failed", None),
        ("passed", None),
    ]
    assert unused == []


def test_committed_config_is_valid_and_every_skip_is_justified() -> None:
    config = scan_config.load_config()
    assert all(len(s.reason) >= 20 for s in config.skips)


# --- coverage table -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checkov_checks() -> dict[str, set[str]]:
    return coverage.checkov_checks()


@requires_checkov
def test_checkov_check_list_per_terraform_type(checkov_checks) -> None:
    assert checkov_checks["google_storage_bucket"] >= {"CKV_GCP_29", "CKV_GCP_114", "CKV_GCP_62"}
    assert "CKV2_GCP_6" in checkov_checks["google_kms_crypto_key_iam_member"]
    assert "google_cloud_run_v2_service" not in checkov_checks
    assert "google_secret_manager_secret" not in checkov_checks


@requires_checkov
def test_coverage_doc_is_current(snapshots, checkov_checks) -> None:
    assert scan_config.DOC.read_text() == coverage.build_docs(snapshots, checkov_checks), (
        "docs/checkov.md is stale: run `python -m preflight scan --docs`"
    )


@requires_checkov
def test_coverage_table_rows(snapshots, checkov_checks) -> None:
    text = coverage.coverage_markdown(
        snapshots,
        checkov_checks,
        {"gcp:storage/bucket:Bucket": {"storage-bucket-enforce-uniform-access"}},
        "3.3.30",
        ScanConfig(),
    )
    rows = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| `")}
    bucket = rows["| `gcp:storage/bucket:Bucket`"]
    assert bucket.startswith("| `gcp:storage/bucket:Bucket` | `google_storage_bucket` | ")
    assert bucket.endswith(
        "| 6: CKV2_GCP_4, CKV_GCP_114, CKV_GCP_29, CKV_GCP_62, CKV_GCP_63, CKV_GCP_78 "
        "| 1: storage-bucket-enforce-uniform-access |"
    )
    assert rows["| `gcp:cloudrunv2/service:Service`"].endswith("| 0 | 0 |")
    assert "## Justified skips\n\nNone.\n" in text


def test_crossguard_coverage_asks_each_policy_which_types_it_applies_to(
    snapshots, monkeypatch
) -> None:
    from types import SimpleNamespace

    import policies._lib.registry as registry

    def policy(name: str, applies) -> SimpleNamespace:
        return SimpleNamespace(meta=SimpleNamespace(name=name), schema={}, applies_to=applies)

    bucket = policy("storage-bucket-enforce-x", lambda t, _p, _c: t == BUCKET)
    grants = policy("iam-binding-disallow-y", lambda t, p, _c: "IAM" in t and "role" in p)
    monkeypatch.setattr(registry, "collect", lambda: [bucket, grants])
    types = [BUCKET, PROJECT_MEMBER, "gcp:kms/keyRingIAMMember:KeyRingIAMMember"]
    assert coverage.crossguard_policies(snapshots, types) == {
        BUCKET: {"storage-bucket-enforce-x"},
        PROJECT_MEMBER: {"iam-binding-disallow-y"},  # the stacks' members carry a role
        "gcp:kms/keyRingIAMMember:KeyRingIAMMember": set(),  # not declared: asked with {}
    }
    monkeypatch.setattr(registry, "collect", lambda: [SimpleNamespace(meta=None, schema={})])
    assert coverage.crossguard_policies(snapshots, types) is None


def _sleeper(seconds: float) -> subprocess.Popen[str]:
    code = f"import time; time.sleep({seconds}); print('[]')"
    return subprocess.Popen(  # a fixed argv
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_a_long_scan_says_it_is_still_running(monkeypatch, capsys) -> None:
    monkeypatch.setattr(scan, "HEARTBEAT_SECONDS", 0.2)
    assert scan._finish(_sleeper(0.9), "the repository") == []
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 2
    assert all(
        re.fullmatch(r"scan: checkov is still scanning the repository \(\d+ s\)", line)
        for line in lines
    ), lines


def test_a_scan_past_the_timeout_is_stopped(monkeypatch, capsys) -> None:
    monkeypatch.setattr(scan, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(scan, "CHECKOV_TIMEOUT", 0.5)
    proc = _sleeper(30)
    with pytest.raises(
        scan.CheckovError, match=re.escape("did not finish the repository in 0.5 s")
    ):
        scan._finish(proc, "the repository")
    assert proc.poll() is not None
