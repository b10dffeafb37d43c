"""CP-CHG-002 changes-stack-enforce-change-notice (stack policy), under the prod deploy config.

Every test pins ``now`` (the committed configs leave it unset) and the freeze's ``now`` outside
the freeze, so only the notice decides.
"""

from __future__ import annotations

import pytest

from policies.changes.changes_stack_enforce_change_notice import META
from preflight.analyzer.config import PolicyConfigError
from tests.support.policies import load_config, message_for

NAME = META.name
FREEZE = "changes-stack-disallow-freeze-changes"
NOW = "2026-12-10T12:00:00Z"
IAM = "iam: IAM change: update `gcp:projects/iAMMember:IAMMember`"
HIGH = {"highImpact": True, "reasons": [IAM]}
HINT = (
    "; commit a change record in changes/ (docs/runbooks/change-notice.md), or for an emergency "
    'set override {"reason": "...", "until": "YYYY-MM-DD"} in this policy\'s config'
)

msg = message_for(META)


def refused(problem: str, why: str = f"high-impact change ({IAM})") -> str:
    return f"{why}: playbook §9 wants it announced 48 hours before it is deployed, and {problem}"


def announced(at: str, record: str = "changes/2026-12-08-iam.yaml") -> dict[str, str]:
    return {"announcedAt": at, "record": record}


@pytest.fixture
def deploy(analyze, make):
    """Analyze one bucket under policies/config/prod-deploy.json with this policy's settings."""
    bucket = make("gcp:storage/bucket:Bucket", "logs-archive", {"name": "acme-prod-logs"})

    def run(**settings):
        overrides = {NAME: {"now": NOW, **settings}, FREEZE: {"now": NOW}}
        return analyze([bucket], config=load_config("prod-deploy"), overrides=overrides)

    return run


def test_compliant_baseline_passes(deploy):
    # Announced 50 hours before: the high-impact change goes through.
    assert (
        deploy(classification=HIGH, announcement=announced("2026-12-08T10:00:00Z")).of(NAME) == []
    )


def test_a_change_that_is_not_high_impact_needs_no_announcement(deploy):
    assert deploy(classification={"highImpact": False, "reasons": []}).of(NAME) == []


def test_high_impact_change_without_announcement_is_refused(deploy):
    checked = deploy(classification=HIGH)
    assert checked.of(NAME) == [("", msg(refused("no announcement was passed") + HINT))]
    assert checked.levels(NAME) == ["mandatory"]


def test_missing_classification_is_high_impact_on_purpose(deploy):
    # A deploy that did not classify its change never skips the notice (fail closed).
    why = (
        "the change was not classified (no classification in this policy's config): treated "
        "as high-impact"
    )
    assert deploy().of(NAME) == [("", msg(refused("no announcement was passed", why) + HINT))]
    assert deploy(announcement=announced("2026-12-08T10:00:00Z")).of(NAME) == []


def test_announcement_younger_than_48_hours_is_refused(deploy):
    checked = deploy(classification=HIGH, announcement=announced("2026-12-08T13:00:00Z"))
    problem = (
        "changes/2026-12-08-iam.yaml was announced 2026-12-08T13:00:00Z, only 47h before now: "
        "deploy from 2026-12-10T13:00:00Z"
    )
    assert checked.of(NAME) == [("", msg(refused(problem) + HINT))]


@pytest.mark.parametrize(
    ("at", "ok"),
    [
        ("2026-12-08T12:00:00Z", True),  # exactly 48 hours
        ("2026-12-08T12:00:01Z", False),
        ("2026-11-26T12:00:00Z", True),  # exactly 14 days
        ("2026-11-26T11:59:59Z", False),
        ("2026-12-08T13:00:00+01:00", True),  # 12:00 UTC
    ],
)
def test_notice_boundaries(deploy, at, ok):
    assert (deploy(classification=HIGH, announcement=announced(at)).of(NAME) == []) is ok


@pytest.mark.parametrize(
    ("announced_at", "problem"),
    [
        (
            "2026-11-01T00:00:00Z",
            "changes/2026-12-08-iam.yaml was announced 2026-11-01T00:00:00Z, more than "
            "14 days ago: announce the change again",
        ),
        (
            "2026-12-11T00:00:00Z",
            "changes/2026-12-08-iam.yaml is announced at 2026-12-11T00:00:00Z, after now",
        ),
    ],
    ids=["stale", "future"],
)
def test_stale_and_future_announcements_are_named(deploy, announced_at, problem):
    checked = deploy(classification=HIGH, announcement=announced(announced_at))
    assert checked.of(NAME) == [("", msg(refused(problem) + HINT))]


def test_many_reasons_are_counted(deploy):
    reasons = [f"iam: change {i}" for i in range(5)]
    checked = deploy(classification={"highImpact": True, "reasons": reasons})
    why = "high-impact change (iam: change 0; iam: change 1; iam: change 2; and 2 more)"
    assert checked.of(NAME) == [("", msg(refused("no announcement was passed", why) + HINT))]


def test_emergency_override_lets_the_change_through_with_a_warning(deploy):
    override = {"reason": "INC-123: revoke a leaked grant", "until": "2026-12-10"}
    checked = deploy(classification=HIGH, override=override)
    assert checked.of(NAME) == []
    assert (
        "warning",
        f"{NAME}: 48-hour notice overridden until 2026-12-10: INC-123: revoke a leaked grant",
        "",
    ) in checked.logs()


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        (
            {"reason": " ", "until": "2026-12-11"},
            "it has no reason: name the incident that cannot wait 48 hours",
        ),
        ({"reason": "INC-1"}, "it has no until date (YYYY-MM-DD)"),
        ({"reason": "INC-1", "until": "2026-12-09"}, "it expired on 2026-12-09"),
        ({"reason": "INC-1", "until": "2026-02-30"}, "until 2026-02-30 is not a date"),
        (
            {"reason": "INC-1", "until": "2026-12-25"},
            "until 2026-12-25 is more than 14 days ahead: end it sooner",
        ),
    ],
)
def test_incomplete_override_is_not_applied(deploy, override, problem):
    checked = deploy(classification=HIGH, override=override)
    assert checked.of(NAME) == [
        (
            "",
            msg(
                refused("no announcement was passed") + f"; the override is not applied: {problem}"
            ),
        )
    ]


def test_bad_announcement_time_is_a_config_error(deploy):
    with pytest.raises(PolicyConfigError, match="announcedAt"):
        deploy(classification=HIGH, announcement={"announcedAt": "yesterday"})


def test_unknown_classification_key_is_a_config_error(deploy):
    with pytest.raises(PolicyConfigError, match="classification"):
        deploy(classification={"highImpact": True, "why": "x"})


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "org"])
def test_pull_request_and_bootstrap_configs_never_apply_the_notice(analyze, make, env):
    bucket = make("gcp:storage/bucket:Bucket", "logs-archive", {"name": "x"})
    checked = analyze([bucket], env=env, overrides={NAME: {"now": NOW}})
    assert checked.of(NAME) == []


def test_exclude_every_resource_turns_the_check_off(deploy):
    checked = deploy(classification=HIGH, exclude=["*"])
    assert checked.of(NAME) == []
    assert checked.logged_excluded(
        NAME,
        "logs-archive",
        "*",
        "urn:pulumi:prod::controlplane::gcp:storage/bucket:Bucket::logs-archive",
    )
