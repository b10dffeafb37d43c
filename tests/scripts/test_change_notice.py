"""scripts/change_notice.py: a high-impact prod change needs a committed change record announced
48 hours before (playbook §9); the clock is always given with --now."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from preflight import diff
from preflight.analyzer.host import PolicyPackHost
from preflight.check import check_snapshot
from preflight.cli import ROOT
from tests.support.operator_scripts import commit_all, init_repo, run_script
from tests.support.preflight import pack_host

NOW = "2025-06-08T10:00:00Z"
POLICY = "changes-stack-enforce-change-notice"
FREEZE = "changes-stack-disallow-freeze-changes"


def record(
    announced_at: str,
    stacks: str = "[prod]",
    high_impact: str = "true",
    extra: str = "",
) -> str:
    return (
        f"announced_at: {announced_at}\n"
        f"stacks: {stacks}\n"
        "summary: Replace the agent's KMS key ring; agents restart once\n"
        f"high_impact: {high_impact}\n"
        "announced_to: [ops-oncall@company.com, product@company.com]\n"
        f"{extra}"
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    (root / "changes").mkdir()
    (root / "README.md").write_text("a project\n")
    commit_all(root, "start")
    return root


def check(repo: Path, *args: str) -> tuple[int, str, str]:
    done = run_script(
        "change_notice",
        "check",
        "--changes",
        str(repo / "changes"),
        "--now",
        NOW,
        *args,
        cwd=repo,
    )
    return done.returncode, done.stdout, done.stderr


def add(repo: Path, name: str, text: str, *, commit: bool = True) -> None:
    (repo / "changes" / name).write_text(text)
    if commit:
        commit_all(repo, f"announce {name}")


def test_a_high_impact_prod_change_without_an_announcement_is_refused(repo: Path) -> None:
    code, out, err = check(repo, "--stack", "prod", "--high-impact")
    assert code == 1 and out == ""
    assert err == (
        "change notice: refused: prod: no committed change record in changes/ announces this "
        "high-impact change 48 hours (and at most 14 days) before 2025-06-08T10:00:00Z: add "
        "changes/<yyyy-mm-dd>-<slug>.yaml (docs/runbooks/change-notice.md), or pass "
        '--override "<reason>" for an emergency\n'
    )


@pytest.mark.parametrize(
    ("name", "announced", "expected"),
    [
        pytest.param(
            "2025-06-06-kms-key-ring.yaml",
            "2025-06-06T10:00:00Z",
            (
                0,
                "change notice: prod: announced 2025-06-06T10:00:00Z (48h before now) in "
                "changes/2025-06-06-kms-key-ring.yaml: Replace the agent's KMS key ring; agents "
                "restart once\n",
                "",
            ),
            id="48-hours-old-is-accepted",
        ),
        pytest.param(
            "2025-06-07-kms-key-ring.yaml",
            "2025-06-06T10:00:01Z",
            (
                1,
                "",
                "change notice: refused: prod: changes/2025-06-07-kms-key-ring.yaml was announced "
                "2025-06-06T10:00:01Z, only 47h before now: deploy from 2025-06-08T10:00:01Z, or "
                "override with a reason for an emergency\n",
            ),
            id="less-than-48-hours-old-says-when-to-deploy",
        ),
    ],
)
def test_an_announcements_age_decides_against_the_48_hours(
    repo: Path, name: str, announced: str, expected: tuple[int, str, str]
) -> None:
    add(repo, name, record(announced))
    assert check(repo, "--stack", "prod", "--high-impact") == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (record("2025-06-01T10:00:00Z", stacks="[staging]"), "another stack"),
        (record("2025-06-01T10:00:00Z", high_impact="false"), "not marked high-impact"),
        (record("2025-05-20T10:00:00Z"), "older than 14 days"),
        (record("2025-06-09T10:00:00Z"), "announced in the future"),
    ],
)
def test_records_that_do_not_announce_this_change_are_not_counted(
    repo: Path, text: str, why: str
) -> None:
    add(repo, "2025-06-01-change.yaml", text)
    code, _, err = check(repo, "--stack", "prod", "--high-impact")
    assert code == 1, why
    assert "no committed change record" in err, why


def test_an_uncommitted_record_is_not_an_announcement(repo: Path) -> None:
    add(repo, "2025-06-01-kms.yaml", record("2025-06-01T10:00:00Z"), commit=False)
    assert check(repo, "--stack", "prod", "--high-impact")[0] == 1
    commit_all(repo, "announce")
    assert check(repo, "--stack", "prod", "--high-impact")[0] == 0
    # changed after the commit: the committed text is not what is on disk
    (repo / "changes" / "2025-06-01-kms.yaml").write_text(record("2025-06-01T09:00:00Z"))
    assert check(repo, "--stack", "prod", "--high-impact")[0] == 1


def test_the_override_is_accepted_with_a_reason(repo: Path) -> None:
    code, out, err = check(repo, "--stack", "prod", "--high-impact", "--override", "INC-123 fix")
    assert code == 0, err
    assert out == "change notice: warning: prod: 48-hour notice overridden: INC-123 fix\n"


@pytest.mark.parametrize("reason", ["", "   "])
def test_the_override_is_refused_without_a_reason(repo: Path, reason: str) -> None:
    code, out, err = check(repo, "--stack", "prod", "--high-impact", "--override", reason)
    assert (code, out) == (2, "")
    assert err == (
        'change notice: error: --override needs the reason for the emergency, e.g. "INC-123"\n'
    )


def test_a_committed_emergency_record_overrides_the_notice(repo: Path) -> None:
    add(repo, "2025-06-08-hotfix.yaml", record(NOW, extra='emergency: "INC-124: key leaked"\n'))
    code, out, err = check(repo, "--stack", "prod", "--high-impact")
    assert code == 0, err
    assert out == (
        "change notice: warning: prod: 48-hour notice overridden by "
        "changes/2025-06-08-hotfix.yaml: INC-124: key leaked\n"
    )


def test_a_change_that_is_not_high_impact_needs_no_notice(repo: Path) -> None:
    code, out, _ = check(repo, "--stack", "prod")
    assert code == 0
    assert out == "change notice: prod: not a high-impact change: no 48-hour notice needed\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("announced_at: 2025-06-01T10:00:00Z\n", "missing stacks, summary, high_impact"),
        (record("2025-06-01T10:00:00"), "has no offset: write it in UTC, ending in Z"),
        (record("'June 1st'"), "is not an RFC 3339 time"),
        (record("2025-06-01T10:00:00Z", stacks="prod"), "stacks is a list of stack names"),
        (record("2025-06-01T10:00:00Z", extra="owner: me\n"), "unknown key owner"),
        (record("2025-06-01T10:00:00Z", high_impact="maybe"), "high_impact is true or false"),
        ("stacks: [prod\n", "not valid YAML"),
    ],
)
def test_a_malformed_record_is_a_usage_error_naming_the_file(
    repo: Path, text: str, message: str
) -> None:
    add(repo, "2025-06-01-bad.yaml", text)
    code, _, err = check(repo, "--stack", "prod", "--high-impact")
    assert code == 2
    assert err.startswith("change notice: error: 2025-06-01-bad.yaml: "), err
    assert message in err and len(err.splitlines()) == 1


def test_a_bad_now_is_a_usage_error(repo: Path) -> None:
    done = run_script("change_notice", "check", "--stack", "prod", "--now", "tomorrow", cwd=repo)
    assert done.returncode == 2
    assert "--now: 'tomorrow' is not an RFC 3339 time" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check"], "the following arguments are required: --stack"),
        (
            ["announce"],
            "argument command: invalid choice: 'announce' (choose from 'check', 'classify', "
            "'policy-config')",
        ),
    ],
    ids=["subcommand-argument-missing", "unknown-subcommand"],
)
def test_bad_arguments_are_one_line_usage_errors(repo: Path, args: list[str], message: str) -> None:
    done = run_script("change_notice", *args, cwd=repo)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"change notice: error: {message} (see --help)\n"


BASELINE = ROOT / "tests" / "policies" / "baseline" / "prod.json"
IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
THRESHOLD = "datadog:index/monitor:Monitor"


def planted(kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The program's prod snapshot, and the same with one planted change: ``iam`` changes a
    project IAM member (high-impact), ``threshold`` a monitor's critical threshold (not)."""
    base = json.loads(BASELINE.read_text())
    head = copy.deepcopy(base)
    if kind == "iam":
        member = next(r for r in head["resources"] if r["type"] == IAM_MEMBER)
        member["inputs"]["member"] = "serviceAccount:intruder@acme-prod.iam.gserviceaccount.com"
    else:
        monitor = next(r for r in head["resources"] if r["type"] == THRESHOLD)
        monitor["inputs"]["monitorThresholds"]["warning"] = "0.999"
    return base, head


def diff_report(kind: str) -> dict[str, Any]:
    """The JSON report ``preflight diff`` writes for the planted change."""
    base, head = planted(kind)
    d = diff.diff_snapshots("prod", base, head)
    report: dict[str, Any] = diff.render_json(
        [d], {"rev": "b", "commit": "c"}, allow_data_loss=True
    )
    return report


def classify(tmp_path: Path, report: dict[str, Any] | None) -> tuple[str, str]:
    path = tmp_path / "diff.json"
    if report is not None:
        path.write_text(json.dumps(report))
    done = run_script(
        "change_notice", "classify", "--stack", "prod", "--diff-json", str(path), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def test_classify_reads_the_diffs_classification(tmp_path: Path) -> None:
    out, err = classify(tmp_path, diff_report("iam"))
    assert out == "high-impact=true\n"
    assert err == (
        "change notice: prod: iam: IAM change: replace `gcp:projects/iAMMember:IAMMember` "
        "(access-run-developer-engineering)\n"
    )
    assert classify(tmp_path, diff_report("threshold")) == ("high-impact=false\n", "")


@pytest.mark.parametrize(
    "report",
    [
        # a report from a diff without the classification: never read as "not high-impact"
        {"stacks": [{"stack": "prod", "dataLossRisks": [], "resources": []}]},
        {"stacks": [{"stack": "staging", "highImpact": False, "highImpactReasons": []}]},
        {"stacks": [{"stack": "prod", "highImpact": True, "highImpactReasons": []}]},
        None,  # the diff could not run
    ],
    ids=["unclassified", "no-entry", "no-reason", "no-report"],
)
def test_classify_fails_closed(tmp_path: Path, report: dict[str, Any] | None) -> None:
    out, err = classify(tmp_path, report)
    assert out == "high-impact=true\n"
    assert "treated as high-impact" in err


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackHost]:
    yield from pack_host()


def deploy_path(
    repo: Path, tmp_path: Path, host: PolicyPackHost
) -> tuple[int, str, dict[str, Any], list[tuple[str, str]]]:
    """What the prod deploy runs (deploy-stack.yml) for the planted IAM change: classify, the
    notice check, the policy config for `pulumi up`, and the policy pack over the new stack.
    The freeze's clock is pinned with the notice's (outside the freeze)."""
    report = tmp_path / "prod-diff.json"
    report.write_text(json.dumps(diff_report("iam")))
    out, _ = classify(tmp_path, json.loads(report.read_text()))
    assert out == "high-impact=true\n"
    code, _, err = check(repo, "--stack", "prod", "--high-impact")
    base = json.loads((ROOT / "policies" / "config" / "prod-deploy.json").read_text())
    base[FREEZE] = {"enforcementLevel": base[FREEZE], "now": NOW}
    base_path = tmp_path / "prod-deploy-base.json"
    base_path.write_text(json.dumps(base))
    config_path = tmp_path / "prod-deploy.json"
    done = run_script(
        "change_notice",
        "policy-config",
        "--stack",
        "prod",
        "--diff-json",
        str(report),
        "--config",
        str(base_path),
        "--out",
        str(config_path),
        "--now",
        NOW,
        "--changes",
        str(repo / "changes"),
        cwd=repo,
    )
    assert done.returncode == 0, done.stderr
    config = json.loads(config_path.read_text())
    _, head = planted("iam")
    result = check_snapshot(host, head, "planted", config_path)
    violations = [(v.policy_name, v.message) for v in result.violations]
    return code, err, config, violations


def test_the_deploy_path_refuses_a_high_impact_prod_change_without_48_hours_notice(
    repo: Path, tmp_path: Path, pack: PolicyPackHost
) -> None:
    code, err, config, violations = deploy_path(repo, tmp_path, pack)
    assert code == 1 and "no committed change record" in err
    assert config[POLICY]["classification"]["highImpact"] is True
    assert "announcement" not in config[POLICY]
    [(policy, message)] = violations
    assert policy == POLICY
    assert "high-impact change (iam: IAM change: replace" in message
    assert message.endswith(
        "playbook §9 wants it announced 48 hours before it is deployed, and no announcement was "
        "passed; commit a change record in changes/ (docs/runbooks/change-notice.md), or for an "
        'emergency set override {"reason": "...", "until": "YYYY-MM-DD"} in this policy\'s config'
    )
    # announced 40 hours before: both refuse, naming when the change may go
    add(repo, "2025-06-06-iam.yaml", record("2025-06-06T18:00:00Z"))
    code, err, config, violations = deploy_path(repo, tmp_path, pack)
    assert code == 1 and "only 40h before now" in err
    [(policy, message)] = violations
    assert policy == POLICY and "only 40h before now: deploy from 2025-06-08T18:00:00Z" in message


def test_the_deploy_path_accepts_a_high_impact_prod_change_announced_48_hours_before(
    repo: Path, tmp_path: Path, pack: PolicyPackHost
) -> None:
    add(repo, "2025-06-06-iam.yaml", record("2025-06-06T09:00:00Z"))
    code, err, config, violations = deploy_path(repo, tmp_path, pack)
    assert (code, err) == (0, "")
    assert config[POLICY]["announcement"] == {
        "announcedAt": "2025-06-06T09:00:00Z",
        "record": "changes/2025-06-06-iam.yaml",
    }
    assert violations == []


def test_the_deploy_path_lets_an_emergency_record_through(
    repo: Path, tmp_path: Path, pack: PolicyPackHost
) -> None:
    add(repo, "2025-06-08-iam.yaml", record("2025-06-08T09:00:00Z", extra='emergency: "INC-9"\n'))
    code, _, config, violations = deploy_path(repo, tmp_path, pack)
    assert code == 0
    assert config[POLICY]["override"] == {
        "reason": "changes/2025-06-08-iam.yaml: INC-9",
        "until": "2025-06-09",
    }
    assert violations == []


def test_policy_config_without_a_diff_leaves_the_change_unclassified(
    repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "gate.json"
    done = run_script(
        "change_notice",
        "policy-config",
        "--stack",
        "prod",
        "--advisory",
        "--out",
        str(out),
        "--changes",
        str(repo / "changes"),
        cwd=repo,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"change notice: prod: wrote {out}: not classified (treated as high-impact); "
        "no announcement\n"
    )
    assert json.loads(out.read_text())[POLICY] == {"enforcementLevel": "advisory"}


pytestmark = pytest.mark.playbook("change-notice")
