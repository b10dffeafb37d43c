"""CP-CHG-001 changes-stack-disallow-freeze-changes (stack policy), under the prod deploy config.

Every test pins ``now``: the committed configs leave it unset (the current time), which no test
may depend on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from policies.changes.changes_stack_disallow_freeze_changes import META
from preflight.analyzer.config import PolicyConfigError
from tests.support.policies import load_config, message_for

NAME = META.name
Q4_2026 = "Q4 2026 weeks 12-13, 2026-12-17 to 2026-12-31 UTC"
OVERRIDE_HINT = (
    ', or for a critical fix set override {"reason": "...", "until": "YYYY-MM-DD"} in this '
    "policy's config"
)

msg = message_for(META)


def frozen(stamp: str, freeze: str = Q4_2026, reopens: str = "2027-01-01") -> str:
    return (
        f"{stamp} is in the change freeze ({freeze}, playbook §9: critical fixes only): deploy "
        f"from {reopens}"
    )


@pytest.fixture
def deploy(analyze, make):
    """Analyze one bucket under policies/config/prod-deploy.json with this policy's settings."""
    bucket = make("gcp:storage/bucket:Bucket", "logs-archive", {"name": "acme-prod-logs"})

    def run(**settings):
        return analyze([bucket], config=load_config("prod-deploy"), overrides={NAME: settings})

    return run


def test_compliant_baseline_passes(deploy):
    assert deploy(now="2026-12-13T10:00:00Z").of(NAME) == []


def test_change_inside_the_freeze_is_rejected(deploy):
    checked = deploy(now="2026-12-20T10:00:00Z")
    assert checked.of(NAME) == [("", msg(frozen("2026-12-20T10:00:00Z") + OVERRIDE_HINT))]
    assert checked.levels(NAME) == ["mandatory"]


@pytest.mark.parametrize(
    ("now", "is_frozen"),
    [
        ("2026-12-16T23:59:59Z", False),
        ("2026-12-17T00:00:00Z", True),
        ("2026-12-31T23:59:59Z", True),
        ("2027-01-01T00:00:00Z", False),
        # 00:30 in UTC+01:00 is still December 16 in UTC.
        ("2026-12-17T00:30:00+01:00", False),
        ("2026-12-16T23:30:00-01:00", True),
    ],
)
def test_freeze_boundaries_in_utc(deploy, now, is_frozen):
    assert bool(deploy(now=now).of(NAME)) is is_frozen


@pytest.mark.parametrize(
    ("now", "freeze", "reopens"),
    [
        ("2027-03-19T08:00:00Z", "Q1 2027 weeks 12-13, 2027-03-19 to 2027-03-31 UTC", "2027-04-01"),
        ("2028-03-18T08:00:00Z", "Q1 2028 weeks 12-13, 2028-03-18 to 2028-03-31 UTC", "2028-04-01"),
        ("2026-06-17T08:00:00Z", "Q2 2026 weeks 12-13, 2026-06-17 to 2026-06-30 UTC", "2026-07-01"),
        ("2026-09-30T08:00:00Z", "Q3 2026 weeks 12-13, 2026-09-16 to 2026-09-30 UTC", "2026-10-01"),
    ],
)
def test_every_quarter_ends_in_a_freeze(deploy, now, freeze, reopens):
    assert deploy(now=now).of(NAME) == [("", msg(frozen(now, freeze, reopens) + OVERRIDE_HINT))]


@pytest.mark.parametrize("now", ["2027-03-18T08:00:00Z", "2026-06-16T08:00:00Z"])
def test_the_day_before_a_freeze_is_open(deploy, now):
    assert deploy(now=now).of(NAME) == []


def test_quarters_are_configurable(deploy):
    assert deploy(now="2027-03-20T08:00:00Z", freezeQuarters=[4]).of(NAME) == []
    assert deploy(now="2026-12-20T08:00:00Z", freezeQuarters=[4]).of(NAME) != []


def test_weeks_are_configurable(deploy):
    assert deploy(now="2026-12-20T08:00:00Z", freezeWeeks=[13]).of(NAME) == []
    assert deploy(now="2026-12-26T08:00:00Z", freezeWeeks=[13]).of(NAME) == [
        (
            "",
            msg(
                frozen("2026-12-26T08:00:00Z", "Q4 2026 week 13, 2026-12-24 to 2026-12-31 UTC")
                + OVERRIDE_HINT
            ),
        )
    ]


def test_override_with_a_reason_lets_the_change_through(deploy):
    override = {"reason": "roll back the broken 1.4.2 release", "until": "2026-12-21"}
    checked = deploy(now="2026-12-20T10:00:00Z", override=override)
    assert checked.of(NAME) == []
    assert (
        "warning",
        f"{NAME}: change freeze {Q4_2026} overridden until 2026-12-21: roll back the broken "
        "1.4.2 release",
        "",
    ) in checked.logs()


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        (
            {"reason": "  ", "until": "2026-12-21"},
            "it has no reason: say which critical fix needs the change",
        ),
        ({"reason": "hotfix"}, "it has no until date (YYYY-MM-DD)"),
        ({"reason": "hotfix", "until": "2026-12-19"}, "it expired on 2026-12-19"),
        (
            {"reason": "hotfix", "until": "2027-01-15"},
            "until 2027-01-15 is after the freeze ends (2026-12-31): end it by then",
        ),
        ({"reason": "hotfix", "until": "2026-12-32"}, "until 2026-12-32 is not a date"),
    ],
)
def test_incomplete_override_is_not_applied(deploy, override, problem):
    checked = deploy(now="2026-12-20T10:00:00Z", override=override)
    assert checked.of(NAME) == [
        ("", msg(f"{frozen('2026-12-20T10:00:00Z')}; the override is not applied: {problem}"))
    ]


def test_override_outside_a_freeze_changes_nothing(deploy):
    assert deploy(now="2026-11-02T10:00:00Z", override={"reason": "x"}).of(NAME) == []


def test_override_ending_today_still_applies(deploy):
    override = {"reason": "hotfix", "until": "2026-12-20"}
    assert deploy(now="2026-12-20T23:00:00Z", override=override).of(NAME) == []


def test_now_that_is_no_time_is_a_config_error(deploy):
    with pytest.raises(PolicyConfigError, match=rf"{NAME}: now: 'next week' does not match"):
        deploy(now="next week")


def test_now_that_does_not_exist_is_reported(deploy):
    checked = deploy(now="2026-02-30T10:00:00Z")
    assert checked.of(NAME) == [
        (
            "",
            msg(
                "now '2026-02-30T10:00:00Z' is not a time (day is out of range for month): "
                "write e.g. 2026-12-20T10:00:00Z"
            ),
        )
    ]


def test_unset_now_is_the_current_time(deploy):
    # Every week frozen: the message names the time the pack read from its clock.
    before = datetime.now(UTC)
    checked = deploy(freezeWeeks=list(range(1, 14)))
    after = datetime.now(UTC)
    [(_, message)] = checked.of(NAME)
    stamp = re.search(r"\n(\S+) is in the change freeze", message)
    assert stamp is not None, message
    seen = datetime.strptime(stamp.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= seen <= after


def test_missing_override_keeps_the_freeze_on_purpose(deploy):
    # Decided: no override, no change.
    assert META.on_missing == "violation"
    assert deploy(now="2026-12-20T10:00:00Z", override={}).of(NAME) != []


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_pull_request_configs_never_apply_the_freeze(analyze, make, env):
    bucket = make("gcp:storage/bucket:Bucket", "logs-archive", {"name": "x"})
    checked = analyze([bucket], env=env, overrides={NAME: {"now": "2026-12-20T10:00:00Z"}})
    assert checked.of(NAME) == []


def test_exclude_every_resource_turns_the_check_off(deploy):
    checked = deploy(now="2026-12-20T10:00:00Z", exclude=["*"])
    assert checked.of(NAME) == []
    assert checked.logged_excluded(
        NAME,
        "logs-archive",
        "*",
        "urn:pulumi:prod::controlplane::gcp:storage/bucket:Bucket::logs-archive",
    )


def test_include_pattern_limits_the_check(deploy):
    assert deploy(now="2026-12-20T10:00:00Z", include=["nothing-*"]).of(NAME) == []
    assert deploy(now="2026-12-20T10:00:00Z", include=["logs-*"]).of(NAME) != []
