"""What the pack knows about pulumi-datadog 5.x and pulumi-pagerduty 4.x resource shapes.

Type tokens and camelCase inputs are checked against the installed SDKs by
tests/policies/test_observability_shapes.py. Also here: reading a Datadog metric monitor query,
tags, ``@pagerduty-<service>`` mentions and Datadog durations, all from plain strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies._lib.props import as_list, get

DATADOG_MONITOR = "datadog:index/monitor:Monitor"
DATADOG_SYNTHETICS_TEST = "datadog:index/syntheticsTest:SyntheticsTest"
DATADOG_DOWNTIME_SCHEDULE = "datadog:index/downtimeSchedule:DowntimeSchedule"
DATADOG_PAGERDUTY_SERVICE = "datadog:pagerduty/serviceObject:ServiceObject"
"""Datadog's PagerDuty service object: what makes ``@pagerduty-<serviceName>`` valid."""
PAGERDUTY_SCHEDULE = "pagerduty:index/schedule:Schedule"
PAGERDUTY_ESCALATION_POLICY = "pagerduty:index/escalationPolicy:EscalationPolicy"
SCHEDULE_REFERENCE = "schedule_reference"
"""An escalation rule target that is a schedule (the other kind is ``user_reference``)."""

METRIC_MONITOR_TYPES = ("query alert", "metric alert")
"""Datadog monitor types whose ``query`` is a metric query (``metric alert`` is the legacy name
Datadog still accepts and shows as ``query alert``)."""

_PAGERDUTY_HANDLE = re.compile(r"(?<![\w@.-])@pagerduty(?:-(?P<service>[^\s,;()\[\]{}]+))?")


def tags(props: Mapping[str, Any]) -> dict[str, list[str]]:
    """``tags`` as key -> values (``env:prod`` -> ``{"env": ["prod"]}``)."""
    found: dict[str, list[str]] = {}
    for tag in as_list(get(props, "tags")):
        key, _, value = str(tag).partition(":")
        found.setdefault(key, []).append(value)
    return found


def tag(props: Mapping[str, Any], key: str) -> str | None:
    """The first non-empty value of tag ``key``, or None."""
    return next((value for value in tags(props).get(key, []) if value), None)


@dataclass(frozen=True)
class Handle:
    """One ``@pagerduty[-<service>]`` mention in a notification message."""

    text: str
    service: str | None


def pagerduty_handles(message: str) -> list[Handle]:
    """The PagerDuty mentions of a Datadog message, in order (``@pagerduty`` alone included)."""
    return [Handle(m.group(0), m.group("service")) for m in _PAGERDUTY_HANDLE.finditer(message)]


_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
_WINDOW = re.compile(r"^last_(?P<n>[1-9][0-9]*)(?P<unit>[mhdw])$")
_DURATION = re.compile(r"^(?P<n>[1-9][0-9]*)(?P<unit>[mhdw])$")


def window_minutes(text: str) -> int | None:
    """``last_5m`` -> 5, ``last_1h`` -> 60; None when it is not a window."""
    match = _WINDOW.match(text)
    return int(match.group("n")) * _UNIT_MINUTES[match.group("unit")] if match else None


def duration_minutes(text: str) -> int | None:
    """A Datadog duration (``2h``, ``120m``, ``1d``, ``1w``) in minutes; None when malformed."""
    match = _DURATION.match(text)
    return int(match.group("n")) * _UNIT_MINUTES[match.group("unit")] if match else None


def minutes_text(minutes: int) -> str:
    """``5`` -> ``5m``, ``60`` -> ``1h``: a window as the playbook and Datadog write it."""
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


@dataclass(frozen=True)
class MetricTerm:
    """``avg:mission.success_rate{env:prod,service:agent}`` in a query."""

    metric: str
    scope: tuple[str, ...]


@dataclass(frozen=True)
class MetricQuery:
    """A Datadog metric monitor query: ``avg(last_5m):<body> < 0.97``."""

    text: str
    aggregation: str
    """The time aggregation: avg, max, min, sum."""
    window: str
    """``last_5m``."""
    window_minutes: int
    body: str
    comparator: str
    threshold: float
    terms: tuple[MetricTerm, ...]
    complement_of: float | None
    """``1`` or ``100`` when the body is ``1 - <metric>`` / ``100 - <metric>``, else None."""
    anomaly_direction: str | None
    """``below``/``above``/``both`` for an ``anomalies(...)`` query, else None."""

    @property
    def is_anomaly(self) -> bool:
        return self.anomaly_direction is not None

    @property
    def metrics(self) -> list[str]:
        return sorted({term.metric for term in self.terms})


_QUERY = re.compile(
    r"^\s*(?P<agg>[a-z_]+)\((?P<window>last_[0-9]+[mhdw])\)\s*:\s*(?P<body>.+?)\s*"
    r"(?P<cmp><=|>=|<|>)\s*(?P<threshold>[-+]?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*$"
)
_TERM = re.compile(
    r"(?:(?:avg|sum|min|max|count)\s*:\s*)?(?P<metric>[A-Za-z][A-Za-z0-9_.]*)\s*\{(?P<scope>[^}]*)\}"
)
_COMPLEMENT = re.compile(r"^(?P<whole>1|100)\s*-\s*(?P<rest>.+)$")
_ANOMALY = re.compile(r"^anomalies\s*\(")
_ANOMALY_DIRECTION = re.compile(r"direction\s*=\s*['\"](?P<direction>\w+)['\"]")


def scope_terms(scope: str) -> tuple[str, ...]:
    """``env:prod,service:agent`` (or ``env:prod AND service:agent``) -> its terms."""
    parts = re.split(r",|\s+AND\s+", scope)
    return tuple(part.strip() for part in parts if part.strip())


def parse_query(text: str) -> MetricQuery | None:
    """The parts of a metric monitor query, or None when it is not one this pack can read."""
    match = _QUERY.match(text)
    if match is None:
        return None
    minutes = window_minutes(match.group("window"))
    if minutes is None:
        return None
    body = match.group("body").strip()
    complement = _COMPLEMENT.match(body)
    anomaly = _ANOMALY.match(body)
    direction: str | None = None
    if anomaly is not None:
        found = _ANOMALY_DIRECTION.search(body)
        # Datadog's default direction is 'both'.
        direction = found.group("direction") if found else "both"
    terms = tuple(
        MetricTerm(term.group("metric"), scope_terms(term.group("scope")))
        for term in _TERM.finditer(body)
    )
    return MetricQuery(
        text=text,
        aggregation=match.group("agg"),
        window=match.group("window"),
        window_minutes=minutes,
        body=body,
        comparator=match.group("cmp"),
        threshold=float(match.group("threshold")),
        terms=terms,
        complement_of=float(complement.group("whole")) if complement else None,
        anomaly_direction=direction,
    )


def rrule_parts(rrule: str) -> dict[str, str]:
    """``FREQ=WEEKLY;INTERVAL=1;BYDAY=SU`` -> ``{"FREQ": "WEEKLY", ...}`` (keys upper-case)."""
    parts: dict[str, str] = {}
    for item in rrule.strip().removeprefix("RRULE:").split(";"):
        key, sep, value = item.partition("=")
        if sep:
            parts[key.strip().upper()] = value.strip().upper()
    return parts
