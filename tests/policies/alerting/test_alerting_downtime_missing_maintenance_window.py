"""CP-ALR-005 alerting-downtime-missing-maintenance-window (stack policy)."""

from __future__ import annotations

import copy

import pytest

from policies.alerting.alerting_downtime_missing_maintenance_window import META
from tests.support import policies_alerting as shapes
from tests.support.policies import message_for

NAME = META.name
PROD = "Sundays 03:00-05:00 UTC"
STAGING = "Saturdays 02:00-04:00 UTC"

msg = message_for(META)


def downtime(make, env="prod", name=None, **changes):
    inputs = shapes.downtime_inputs(env)
    for path, value in changes.items():
        target = inputs
        *parents, last = path.split("__")
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return make(shapes.DOWNTIME, name or f"acme-{env}-maintenance-weekly", inputs)


def recurrence(**changes):
    found = copy.deepcopy(shapes.downtime_inputs("prod")["recurringSchedule"]["recurrences"][0])
    found.update(changes)
    return {"recurringSchedule__recurrences": [found]}


def not_the_window(detail: str, env: str = "prod", window: str = PROD) -> str:
    return msg(f"not the {env} maintenance window ({window}): {detail}")


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_compliant_baseline_passes(analyze, make, env):
    assert analyze([downtime(make, env)], env=env).of(NAME) == []


def test_dev_needs_no_window(analyze):
    assert analyze([], env="dev").of(NAME) == []


@pytest.mark.parametrize(("env", "window"), [("staging", STAGING), ("prod", PROD)])
def test_missing_downtime_is_rejected_on_purpose(analyze, env, window):
    # Decided: without it, planned maintenance pages the on-call.
    assert META.on_missing == "violation"
    checked = analyze([], env=env)
    assert checked.of(NAME) == [
        (
            "",
            msg(
                f"no weekly Datadog downtime mutes env:{env} {window}: declare a DowntimeSchedule "
                "with a recurring schedule for the maintenance window"
            ),
        )
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_the_other_environments_window_is_rejected(analyze, make):
    resource = downtime(make, "prod")
    assert analyze([resource], env="staging").of(NAME) == [
        (
            resource["urn"],
            not_the_window(
                "scope env:prod does not select env:staging; monitorTags ['env:prod', "
                "'managed-by:pulumi'] do not include env:staging; recurrences[0]: rrule "
                "FREQ=WEEKLY;INTERVAL=1;BYDAY=SU is not every saturday: use "
                "FREQ=WEEKLY;BYDAY=SA; recurrences[0]: start 2026-12-06T03:00:00 is not at "
                "02:00; recurrences[0]: start 2026-12-06T03:00:00 is a sunday: the first window "
                "is a saturday",
                "staging",
                STAGING,
            ),
        )
    ]


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        (
            recurrence(rrule="FREQ=WEEKLY;INTERVAL=1;BYDAY=SA"),
            "recurrences[0]: rrule FREQ=WEEKLY;INTERVAL=1;BYDAY=SA is not every sunday: use "
            "FREQ=WEEKLY;BYDAY=SU",
        ),
        (
            recurrence(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SU"),
            "recurrences[0]: rrule FREQ=WEEKLY;INTERVAL=2;BYDAY=SU is not every sunday: use "
            "FREQ=WEEKLY;BYDAY=SU",
        ),
        (
            recurrence(rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=4"),
            "recurrences[0]: rrule FREQ=WEEKLY;BYDAY=SU;COUNT=4 is not every sunday: use "
            "FREQ=WEEKLY;BYDAY=SU",
        ),
        (
            recurrence(rrule="FREQ=DAILY"),
            "recurrences[0]: rrule FREQ=DAILY is not every sunday: use FREQ=WEEKLY;BYDAY=SU",
        ),
        (
            recurrence(start="2026-12-06T04:00:00"),
            "recurrences[0]: start 2026-12-06T04:00:00 is not at 03:00",
        ),
        (
            recurrence(start="2026-12-07T03:00:00"),
            "recurrences[0]: start 2026-12-07T03:00:00 is a monday: the first window is a sunday",
        ),
        (
            recurrence(start="soon"),
            "recurrences[0]: start 'soon' is not a time: start at 03:00 on a sunday "
            "(YYYY-MM-DDT03:00:00)",
        ),
        (
            recurrence(duration="3h"),
            "recurrences[0]: duration 3h is not the window's 2h",
        ),
        (
            {"recurringSchedule__timezone": "Europe/Berlin"},
            "timezone Europe/Berlin is not UTC",
        ),
        (
            {"recurringSchedule__recurrences": []},
            "recurringSchedule has no recurrences: add FREQ=WEEKLY;BYDAY=SU at 03:00",
        ),
        ({"scope": "env:staging"}, "scope env:staging does not select env:prod"),
        (
            {"monitorIdentifier": {"monitorTags": ["team:sre"]}},
            "monitorTags ['team:sre'] do not include env:prod",
        ),
        (
            {"monitorIdentifier": {"monitorId": 12345}},
            "it mutes one monitor (monitorId): mute the environment's with monitorTags [env:prod]",
        ),
    ],
)
def test_each_property_that_breaks_the_window(analyze, make, changes, detail):
    resource = downtime(make, **changes)
    assert analyze([resource]).of(NAME) == [(resource["urn"], not_the_window(detail))]


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (
            "start",
            "recurrences[0]: start is not set: start at 03:00 on a sunday (YYYY-MM-DDT03:00:00)",
        ),
        ("duration", "recurrences[0]: no duration is not the window's 2h"),
        ("rrule", "recurrences[0]: no rrule is not every sunday: use FREQ=WEEKLY;BYDAY=SU"),
    ],
)
def test_missing_recurrence_properties_are_rejected(analyze, make, path, detail):
    resource = downtime(make, **{f"recurringSchedule__recurrences__0__{path}": None})
    assert analyze([resource]).of(NAME) == [(resource["urn"], not_the_window(detail))]


@pytest.mark.parametrize("zone", [None, "Etc/UTC", "GMT"])
def test_utc_spellings_and_the_default_zone_pass(analyze, make, zone):
    resource = downtime(make, recurringSchedule__timezone=zone)
    assert analyze([resource]).of(NAME) == []


@pytest.mark.parametrize("duration", ["120m", "2h"])
def test_durations_are_compared_in_minutes(analyze, make, duration):
    assert analyze([downtime(make, **recurrence(duration=duration))]).of(NAME) == []


def test_one_matching_downtime_is_enough(analyze, make):
    other = downtime(make, name="acme-prod-release-freeze", scope="env:staging")
    assert analyze([other, downtime(make)]).of(NAME) == []


def test_one_time_downtimes_are_not_windows(analyze, make):
    one_time = make(
        shapes.DOWNTIME,
        "acme-prod-migration",
        {"scope": "env:prod", "oneTimeSchedule": {"start": "2026-12-06T03:00:00Z"}},
    )
    assert analyze([one_time]).of(NAME) == [
        (
            "",
            msg(
                f"no weekly Datadog downtime mutes env:prod {PROD}: declare a DowntimeSchedule "
                "with a recurring schedule for the maintenance window"
            ),
        )
    ]


def test_windows_are_configurable(analyze, make):
    resource = downtime(make)
    overrides = {
        NAME: {
            "windows": {
                "prod": {"day": "sunday", "start": "03:00", "end": "04:00", "timeZone": "UTC"}
            }
        }
    }
    assert analyze([resource], overrides=overrides).of(NAME) == [
        (
            resource["urn"],
            not_the_window(
                "recurrences[0]: duration 2h is not the window's 1h",
                window="Sundays 03:00-04:00 UTC",
            ),
        )
    ]


def test_exclude_pattern_removes_the_downtime_from_the_stack_check(analyze, make):
    resource = downtime(make)
    checked = analyze([resource], overrides={NAME: {"exclude": ["*-maintenance-*"]}})
    assert [m for _, m in checked.of(NAME)] == [
        msg(
            f"no weekly Datadog downtime mutes env:prod {PROD}: declare a DowntimeSchedule with "
            "a recurring schedule for the maintenance window"
        )
    ]
    assert checked.logged_excluded(
        NAME, "acme-prod-maintenance-weekly", "*-maintenance-*", resource["urn"]
    )


def test_include_pattern_limits_the_stack_check(analyze, make):
    checked = analyze([downtime(make)], overrides={NAME: {"include": ["other-*"]}})
    assert len(checked.of(NAME)) == 1
