"""CP-ALR-007: nothing mutes the environment's alerts outside its §9 maintenance window.

CP-ALR-005 makes sure the window is muted; this policy makes sure nothing else is. Every mute
of the stack must lie inside the environment's weekly window (``environment`` and ``windows`` in
the config, the playbook's by default; an environment without a window may mute nothing):

* a ``datadog.DowntimeSchedule`` selects the environment (``scope`` with ``env:<env>`` as a
  required term, no ``OR``, no wildcard) and its monitors (``monitorIdentifier`` with
  ``monitorTags`` holding ``env:<env>``, or one ``monitorId``), and its schedule is inside the
  window: a recurring one repeats weekly on the window's day only, each occurrence starting at or
  after the window's start and ending by its end, in the window's time zone; a one-time one
  starts and ends inside one occurrence;
* the older ``datadog.Downtime`` (API v1, deprecated in pulumi-datadog 5.x) is not declared at
  all: the program declares its windows as downtime schedules;
* a ``pagerduty.MaintenanceWindow`` (no incidents on its services while it lasts) starts and
  ends inside one occurrence of the window;
* a ``datadog.SloCorrection`` (its time leaves the SLO, so its burn-rate alerts cannot fire
  for it) covers only occurrences of the window: pulumi-datadog 5.x takes epoch seconds and an
  RRULE of ``FREQ``, ``INTERVAL``, ``COUNT`` and ``UNTIL`` repeating from the start.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema
from policies._lib.meta import Meta
from policies._lib.observability import DATADOG_DOWNTIME_SCHEDULE, scope_terms
from policies._lib.paging import DATADOG_DOWNTIME, PAGERDUTY_MAINTENANCE_WINDOW
from policies._lib.policy import stack_policy, types
from policies._lib.props import as_list, get, is_missing, number
from policies._lib.windows import (
    Window,
    correction_problem,
    recurrence_problem,
    span_problem,
    window_config,
    zone,
)

META = Meta(
    id="CP-ALR-007",
    name="alerting-mute-disallow-outside-maintenance-window",
    description=(
        "Ensure no Datadog downtime, SLO correction or PagerDuty maintenance window mutes the "
        "environment's alerts beyond its weekly maintenance window (staging Saturdays "
        "02:00-04:00 UTC, prod Sundays 03:00-05:00 UTC), in time or in scope."
    ),
    severity="critical",
    section="§9 Maintenance Window: Saturdays 02:00-04:00 UTC (staging), Sundays 03:00-05:00 UTC",
    remediation=(
        "Remove the mute, or make it a DowntimeSchedule scoped to env:<env> with monitorTags "
        "[env:<env>] inside the window (components.maintenance_windows.MaintenanceWindows)."
    ),
    on_missing="violation",
    missing_rationale=(
        "a mute without a start begins at creation and one without an end never ends, so both "
        "fail; a downtime without a scope or monitor identifier mutes more than the environment"
    ),
)

CONFIG: Schema = window_config("may mute nothing")

DATADOG_SLO_CORRECTION = "datadog:index/sloCorrection:SloCorrection"
_OR = re.compile(r"\bOR\b", re.IGNORECASE)


def _text(value: Any) -> str | None:
    return None if is_missing(value) else str(value)


def _scope(props: Mapping[str, Any], env: str) -> Iterator[str]:
    scope = _text(get(props, "scope"))
    wanted = f"env:{env}"
    if scope is None:
        yield f"it has no scope: scope it to {wanted}"
    elif _OR.search(scope) or "*" in scope or wanted not in scope_terms(scope):
        yield f"scope {scope!r} reaches beyond {wanted}: scope it to {wanted}"
    tags = [str(t) for t in as_list(get(props, "monitorIdentifier.monitorTags"))]
    if is_missing(get(props, "monitorIdentifier.monitorId")) and wanted not in tags:
        yield (
            f"monitorIdentifier {tags or 'unset'} mutes monitors of any environment: "
            f"restrict it with monitorTags [{wanted}]"
        )


def _schedule(props: Mapping[str, Any], window: Window | None) -> Iterator[str]:
    recurring = get(props, "recurringSchedule")
    one_time = get(props, "oneTimeSchedule")
    if is_missing(recurring) and is_missing(one_time):
        yield "it has no schedule: it mutes from its creation for ever"
        return
    if window is None:
        yield "the environment has no maintenance window to mute"
        return
    if not is_missing(one_time):
        problem = span_problem(_text(get(one_time, "start")), _text(get(one_time, "end")), window)
        if problem is not None:
            yield f"oneTimeSchedule: {problem}"
    if is_missing(recurring):
        return
    zone_name = _text(get(recurring, "timezone")) or "UTC"
    if zone(zone_name) != zone(window.time_zone):
        yield f"recurringSchedule timezone {zone_name} is not the window's {window.time_zone}"
        return
    recurrences = as_list(get(recurring, "recurrences"))
    if not recurrences:
        yield "recurringSchedule has no recurrences"
    for index, recurrence in enumerate(recurrences):
        rrule = _text(get(recurrence, "rrule")) or ""
        problem = recurrence_problem(
            rrule, _text(get(recurrence, "start")), _text(get(recurrence, "duration")), window
        )
        if problem is not None:
            yield f"recurrences[{index}]: {problem}"


def _maintenance(props: Mapping[str, Any], window: Window | None) -> Iterator[str]:
    if window is None:
        yield "the environment has no maintenance window to mute"
        return
    problem = span_problem(_text(get(props, "startTime")), _text(get(props, "endTime")), window)
    if problem is not None:
        yield problem


def _correction(props: Mapping[str, Any], window: Window | None) -> Iterator[str]:
    if window is None:
        yield "the environment has no maintenance window to correct"
        return
    problem = correction_problem(
        number(get(props, "start")),
        number(get(props, "end")),
        number(get(props, "duration")),
        _text(get(props, "rrule")),
        window,
    )
    if problem is not None:
        yield problem


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    env = str(config["environment"])
    given = config["windows"].get(env)
    window = Window.of(given) if given is not None else None
    where = window.describe() if window is not None else "no maintenance window"
    for mute in resources:
        if mute.resource_type == DATADOG_DOWNTIME:
            yield (
                f"the deprecated datadog.Downtime {mute.name} mutes monitors outside the "
                f"reviewed schedule: declare the window as a DowntimeSchedule ({env}: {where})",
                mute.urn,
            )
            continue
        if mute.resource_type == DATADOG_SLO_CORRECTION:
            problems = list(_correction(mute.props, window))
            kind = "SLO correction"
        elif mute.resource_type == PAGERDUTY_MAINTENANCE_WINDOW:
            problems = list(_maintenance(mute.props, window))
            kind = "PagerDuty maintenance window"
        else:
            problems = [*_scope(mute.props, env), *_schedule(mute.props, window)]
            kind = "downtime"
        if problems:
            yield (
                f"{kind} {mute.name} mutes {env} outside its maintenance window ({where}): "
                f"{'; '.join(problems)}",
                mute.urn,
            )


POLICY = stack_policy(
    META,
    applies_to=types(
        DATADOG_DOWNTIME_SCHEDULE,
        DATADOG_DOWNTIME,
        PAGERDUTY_MAINTENANCE_WINDOW,
        DATADOG_SLO_CORRECTION,
    ),
    check=check,
    config=CONFIG,
)
