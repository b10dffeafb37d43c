"""CP-ALR-007 alerting-mute-disallow-outside-maintenance-window (stack policy)."""

from __future__ import annotations

import copy

import pytest

from policies.alerting.alerting_mute_disallow_outside_maintenance_window import META
from tests.support import policies_alerting as shapes
from tests.support.policies import message_for

NAME = META.name
PROD = "Sundays 03:00-05:00 UTC"
MAINTENANCE = "pagerduty:index/maintenanceWindow:MaintenanceWindow"

msg = message_for(META)


def downtime(make, env="prod", name=None, **changes):
    inputs = shapes.downtime_inputs(env)
    for key, value in changes.items():
        if value is None:
            inputs.pop(key, None)
        else:
            inputs[key] = value
    return make(shapes.DOWNTIME, name or f"acme-{env}-maintenance-weekly", inputs)


def recurring(**recurrence):
    schedule = copy.deepcopy(shapes.downtime_inputs("prod")["recurringSchedule"])
    schedule["recurrences"][0].update(recurrence)
    return schedule


def outside(name: str, detail: str, kind: str = "downtime", env: str = "prod") -> str:
    window = PROD if env == "prod" else "no maintenance window"
    return msg(f"{kind} {name} mutes {env} outside its maintenance window ({window}): {detail}")


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_the_weekly_window_passes(analyze, make, env):
    assert analyze([downtime(make, env)], env=env).of(NAME) == []


def test_a_shorter_mute_inside_the_window_passes(analyze, make):
    inside = downtime(
        make,
        name="deploy",
        recurringSchedule=None,
        oneTimeSchedule={"start": "2026-12-13T03:30:00Z", "end": "2026-12-13T04:30:00Z"},
    )
    one_monitor = downtime(
        make,
        name="one-monitor",
        monitorIdentifier={"monitorId": 12345},
        recurringSchedule=recurring(start="2026-12-06T04:00:00", duration="30m"),
    )
    assert analyze([downtime(make), inside, one_monitor]).of(NAME) == []


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        (
            {"recurringSchedule": recurring(rrule="FREQ=DAILY")},
            "recurrences[0]: rrule FREQ=DAILY repeats beyond every sunday: use "
            "FREQ=WEEKLY;BYDAY=SU",
        ),
        (
            {"recurringSchedule": recurring(rrule="FREQ=WEEKLY;BYDAY=SU,MO")},
            "recurrences[0]: rrule FREQ=WEEKLY;BYDAY=SU,MO repeats beyond every sunday: use "
            "FREQ=WEEKLY;BYDAY=SU",
        ),
        (
            {"recurringSchedule": recurring(rrule="FREQ=WEEKLY;BYDAY=SU;BYHOUR=3,15")},
            "recurrences[0]: rrule FREQ=WEEKLY;BYDAY=SU;BYHOUR=3,15 adds BYHOUR: a weekly rule "
            "on SU is all it may say",
        ),
        (
            {"recurringSchedule": recurring(duration="3h")},
            "recurrences[0]: it lasts until 06:00, past 05:00",
        ),
        (
            {"recurringSchedule": recurring(start="2026-12-06T02:00:00")},
            "recurrences[0]: it starts at 02:00, before 03:00",
        ),
        (
            {"recurringSchedule": recurring(start="2026-12-05T03:00:00")},
            "recurrences[0]: it starts on a saturday, not a sunday",
        ),
        (
            {"recurringSchedule": recurring(start=None)},
            "recurrences[0]: it has no start (Datadog starts it at creation, at any time of day)",
        ),
        (
            {"recurringSchedule": {**recurring(), "timezone": "Asia/Tokyo"}},
            "recurringSchedule timezone Asia/Tokyo is not the window's UTC",
        ),
        (
            {"recurringSchedule": None, "oneTimeSchedule": {"start": "2026-12-06T03:00:00Z"}},
            "oneTimeSchedule: it has no end: it mutes for ever",
        ),
        (
            {
                "recurringSchedule": None,
                "oneTimeSchedule": {"start": "2026-12-06T03:00:00Z", "end": "2027-12-06T03:00:00Z"},
            },
            "oneTimeSchedule: it lasts until 03:00 365 day(s) later, past 05:00",
        ),
        ({"recurringSchedule": None}, "it has no schedule: it mutes from its creation for ever"),
        (
            {"scope": "*"},
            "scope '*' reaches beyond env:prod: scope it to env:prod",
        ),
        (
            {"scope": "env:prod OR service:agent"},
            "scope 'env:prod OR service:agent' reaches beyond env:prod: scope it to env:prod",
        ),
        ({"scope": None}, "it has no scope: scope it to env:prod"),
        (
            {"monitorIdentifier": {"monitorTags": ["*"]}},
            "monitorIdentifier ['*'] mutes monitors of any environment: restrict it with "
            "monitorTags [env:prod]",
        ),
    ],
)
def test_a_mute_beyond_the_window_is_rejected(analyze, make, changes, detail):
    extra = downtime(make, name="extra", **changes)
    checked = analyze([downtime(make), extra])
    assert checked.of(NAME) == [(extra["urn"], outside("extra", detail))]


def test_a_missing_start_or_end_is_rejected_on_purpose(analyze, make):
    assert META.on_missing == "violation"
    extra = downtime(make, name="extra", recurringSchedule=None, oneTimeSchedule={})
    assert analyze([downtime(make), extra]).of(NAME) == [
        (
            extra["urn"],
            outside(
                "extra", "oneTimeSchedule: it has no start (it starts at creation, at any time)"
            ),
        )
    ]


def test_the_deprecated_downtime_type_is_rejected(analyze, make):
    legacy = make("datadog:index/downtime:Downtime", "legacy", {"scopes": ["env:prod"]})
    assert analyze([downtime(make), legacy]).of(NAME) == [
        (
            legacy["urn"],
            msg(
                "the deprecated datadog.Downtime legacy mutes monitors outside the reviewed "
                f"schedule: declare the window as a DowntimeSchedule (prod: {PROD})"
            ),
        )
    ]


def test_pagerduty_maintenance_windows_follow_the_same_window(analyze, make):
    inside = make(
        MAINTENANCE,
        "inside",
        {"startTime": "2026-12-13T03:00:00+00:00", "endTime": "2026-12-13T05:00:00+00:00"},
    )
    year = make(
        MAINTENANCE,
        "year",
        {"startTime": "2026-12-13T03:00:00Z", "endTime": "2027-12-13T03:00:00Z"},
    )
    assert analyze([downtime(make), inside, year]).of(NAME) == [
        (
            year["urn"],
            outside(
                "year",
                "it lasts until 03:00 365 day(s) later, past 05:00",
                kind="PagerDuty maintenance window",
            ),
        )
    ]


def test_dev_may_mute_nothing(analyze, make):
    extra = downtime(
        make, name="dev-window", scope="env:dev", monitorIdentifier={"monitorTags": ["env:dev"]}
    )
    assert analyze([extra], env="dev").of(NAME) == [
        (
            extra["urn"],
            outside("dev-window", "the environment has no maintenance window to mute", env="dev"),
        )
    ]


SUNDAY_0300_UTC = 1796526000  # 2026-12-06T03:00:00Z


@pytest.mark.parametrize(
    ("inputs", "detail"),
    [
        ({"duration": 7200, "rrule": "FREQ=WEEKLY"}, None),
        ({"end": SUNDAY_0300_UTC + 3600}, None),
        (
            {"duration": 7200, "rrule": "FREQ=DAILY"},
            "rrule FREQ=DAILY repeats beyond every sunday: use FREQ=WEEKLY from a sunday",
        ),
        (
            {"duration": 86400, "rrule": "FREQ=WEEKLY"},
            "it lasts until 03:00 1 day(s) later, past 05:00",
        ),
        ({}, "it has no end: it corrects for ever"),
    ],
)
def test_slo_corrections_follow_the_same_window(analyze, make, inputs, detail):
    correction = make(
        "datadog:index/sloCorrection:SloCorrection",
        "correction",
        {"category": "Scheduled Maintenance", "sloId": "123", "start": SUNDAY_0300_UTC, **inputs},
    )
    expected = (
        []
        if detail is None
        else [(correction["urn"], outside("correction", detail, kind="SLO correction"))]
    )
    assert analyze([downtime(make), correction]).of(NAME) == expected
