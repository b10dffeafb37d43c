"""scripts/change_notice.py: a high-impact prod change needs a committed change record announced
48 hours before (playbook §9); the clock is always given with --now."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.operator_scripts import commit_all, init_repo, run_script

NOW = "2025-06-08T10:00:00Z"


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
            "argument command: invalid choice: 'announce' (choose from 'check', 'classify')",
        ),
    ],
    ids=["subcommand-argument-missing", "unknown-subcommand"],
)
def test_bad_arguments_are_one_line_usage_errors(repo: Path, args: list[str], message: str) -> None:
    done = run_script("change_notice", *args, cwd=repo)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"change notice: error: {message} (see --help)\n"


def diff_report(stack: str, resources: list[dict[str, object]], risks: list[str]) -> dict:
    return {
        "dataLoss": bool(risks),
        "stacks": [{"stack": stack, "dataLossRisks": risks, "resources": resources}],
    }


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (diff_report("prod", [{"urn": "u1", "op": "update", "stateful": True}], []), "false"),
        (diff_report("prod", [{"urn": "u1", "op": "replace", "stateful": False}], []), "false"),
        (diff_report("prod", [{"urn": "u1", "op": "delete", "stateful": True}], ["u1"]), "true"),
        # retained on delete: no data loss, still a stateful replacement
        (diff_report("prod", [{"urn": "u2", "op": "replace", "stateful": True}], []), "true"),
        (diff_report("staging", [], []), "true"),  # no entry for prod: not classified
        (None, "true"),  # the diff could not run
    ],
)
def test_classify_reads_the_diff_report(tmp_path: Path, report: dict | None, expected: str) -> None:
    path = tmp_path / "diff.json"
    if report is not None:
        path.write_text(json.dumps(report))
    done = run_script(
        "change_notice", "classify", "--stack", "prod", "--diff-json", str(path), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"high-impact={expected}\n"
    assert bool(done.stderr) is (expected == "true")


pytestmark = pytest.mark.playbook("change-notice")
