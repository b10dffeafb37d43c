"""CP-ALR-005: the environment's §9 maintenance window is a weekly Datadog downtime.

The window of the environment (``environment`` and ``windows`` in the config; the defaults are
the playbook's: staging Saturdays 02:00-04:00 UTC, prod Sundays 03:00-05:00 UTC, none for dev)
must be covered by a ``datadog.DowntimeSchedule`` with a recurring schedule: an RRULE that repeats
weekly on the window's day (no COUNT or UNTIL), a start at the window's time of day on that day,
a duration of the window's length, the window's time zone (UTC when unset, as Datadog defaults),
and the environment as scope (``env:<environment>``) with the environment's monitors muted
(``monitorIdentifier.monitorTags`` holding ``env:<environment>``, or ``*``). Downtimes with a
one-time schedule are not maintenance windows and are left alone; the deprecated
``datadog.Downtime`` (API v1) is not recognised.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema
from policies._lib.meta import Meta
from policies._lib.observability import (
    DATADOG_DOWNTIME_SCHEDULE,
    duration_minutes,
    minutes_text,
    rrule_parts,
    scope_terms,
)
from policies._lib.playbook import WEEKDAYS
from policies._lib.policy import stack_policy, types
from policies._lib.props import as_list, get, is_missing
from policies._lib.windows import BYDAY, UTC_NAMES, window_config

META = Meta(
    id="CP-ALR-005",
    name="alerting-downtime-missing-maintenance-window",
    description=(
        "Ensure the environment's weekly maintenance window (staging Saturdays 02:00-04:00 UTC, "
        "prod Sundays 03:00-05:00 UTC) is a Datadog downtime scoped to the environment."
    ),
    severity="medium",
    section="§9 Maintenance Window: Saturdays 02:00-04:00 UTC (staging), Sundays 03:00-05:00 UTC",
    remediation=(
        "Declare a datadog.DowntimeSchedule with a weekly recurring schedule on the window "
        "(components.maintenance_windows.MaintenanceWindows, from controlplane:maintenanceWindow)."
    ),
    on_missing="violation",
    missing_rationale=(
        "without the downtime, planned maintenance pages the on-call; a recurrence without "
        "start or duration is not the window (Datadog starts it at creation); an unset time "
        "zone is UTC, Datadog's default"
    ),
)

CONFIG: Schema = window_config("needs no downtime")

_RRULE_KEYS = {"FREQ", "INTERVAL", "BYDAY", "WKST"}


def _zone(name: str) -> str:
    return "UTC" if name.upper() in UTC_NAMES else name


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def describe(window: Mapping[str, Any]) -> str:
    return (
        f"{str(window['day']).capitalize()}s {window['start']}-{window['end']} {window['timeZone']}"
    )


def _recurrence(recurrence: Any, window: Mapping[str, Any]) -> list[str]:
    """Why one recurrence is not the weekly window (empty when it is)."""
    problems: list[str] = []
    rrule = get(recurrence, "rrule")
    parts = rrule_parts(str(rrule)) if not is_missing(rrule) else {}
    byday = BYDAY[window["day"]]
    if (
        parts.get("FREQ") != "WEEKLY"
        or parts.get("INTERVAL", "1") != "1"
        or parts.get("BYDAY") != byday
        or set(parts) - _RRULE_KEYS
    ):
        found = "no rrule" if is_missing(rrule) else f"rrule {rrule}"
        problems.append(f"{found} is not every {window['day']}: use FREQ=WEEKLY;BYDAY={byday}")
    start = get(recurrence, "start")
    try:
        first = datetime.fromisoformat(str(start)) if not is_missing(start) else None
    except ValueError:
        first = None
    if first is None:
        problems.append(
            f"start {'is not set' if is_missing(start) else repr(str(start)) + ' is not a time'}: "
            f"start at {window['start']} on a {window['day']} (YYYY-MM-DDT{window['start']}:00)"
        )
    else:
        if first.strftime("%H:%M:%S") != f"{window['start']}:00":
            problems.append(f"start {start} is not at {window['start']}")
        if WEEKDAYS[first.weekday()] != window["day"]:
            problems.append(
                f"start {start} is a {WEEKDAYS[first.weekday()]}: the first window is a "
                f"{window['day']}"
            )
    length = _minutes(window["end"]) - _minutes(window["start"])
    duration = get(recurrence, "duration")
    if is_missing(duration) or duration_minutes(str(duration)) != length:
        found = "no duration" if is_missing(duration) else f"duration {duration}"
        problems.append(f"{found} is not the window's {minutes_text(length)}")
    return problems


def _downtime(downtime: PolicyResource, env: str, window: Mapping[str, Any]) -> list[str]:
    props = downtime.props
    problems: list[str] = []
    scope = get(props, "scope")
    if is_missing(scope) or f"env:{env}" not in scope_terms(str(scope)):
        found = "no scope" if is_missing(scope) else f"scope {scope!s}"
        problems.append(f"{found} does not select env:{env}")
    monitor_tags = [str(t) for t in as_list(get(props, "monitorIdentifier.monitorTags"))]
    if not is_missing(get(props, "monitorIdentifier.monitorId")):
        problems.append(
            f"it mutes one monitor (monitorId): mute the environment's with monitorTags [env:{env}]"
        )
    elif f"env:{env}" not in monitor_tags and "*" not in monitor_tags:
        problems.append(f"monitorTags {monitor_tags} do not include env:{env}")
    schedule = get(props, "recurringSchedule")
    zone = get(schedule, "timezone")
    zone_name = "UTC" if is_missing(zone) else str(zone)
    if _zone(zone_name) != _zone(str(window["timeZone"])):
        problems.append(f"timezone {zone_name} is not {window['timeZone']}")
    recurrences = as_list(get(schedule, "recurrences"))
    if not recurrences:
        problems.append(
            f"recurringSchedule has no recurrences: add FREQ=WEEKLY;BYDAY="
            f"{BYDAY[window['day']]} at {window['start']}"
        )
    by_recurrence = [_recurrence(r, window) for r in recurrences]
    if not any(not p for p in by_recurrence):
        for index, recurrence_problems in enumerate(by_recurrence):
            problems += [f"recurrences[{index}]: {p}" for p in recurrence_problems]
    return problems


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    env = str(config["environment"])
    window = config["windows"].get(env)
    if window is None:
        return
    recurring = [d for d in resources if not is_missing(get(d.props, "recurringSchedule"))]
    if not recurring:
        yield (
            f"no weekly Datadog downtime mutes env:{env} {describe(window)}: declare a "
            "DowntimeSchedule with a recurring schedule for the maintenance window",
            None,
        )
        return
    results = [(d, _downtime(d, env, window)) for d in recurring]
    if any(not problems for _, problems in results):
        return
    for downtime, problems in results:
        yield (
            f"not the {env} maintenance window ({describe(window)}): {'; '.join(problems)}",
            downtime.urn,
        )


POLICY = stack_policy(META, applies_to=types(DATADOG_DOWNTIME_SCHEDULE), check=check, config=CONFIG)
