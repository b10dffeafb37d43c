"""The pack's own copy of the playbook's alerting, on-call and change-calendar numbers.

DESIGN.md: "Thresholds live twice on purpose". The program declares its monitors, schedules and
downtimes from the stack config; this module holds what playbook v2.0 says, independently, so
that the alerting and change policies can fail when the program drifts. Never import the
program's copy (``config.observability``) here.

Scales, chosen once for the pack (config can change a metric's scale, see ``Scale``): rates are
ratios 0-1 (97 % is ``0.97``), latencies are seconds, counts are counts over the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["critical", "high", "informational"]
Direction = Literal["below", "above"]
"""Which side of the threshold the alert fires on."""
Kind = Literal["rate", "latency", "count", "anomaly"]
"""What the metric measures; decides the scales it may be written in."""
Scale = Literal["ratio", "percent", "seconds", "milliseconds", "count"]

SCALES_BY_KIND: dict[Kind, tuple[Scale, ...]] = {
    "rate": ("ratio", "percent"),
    "latency": ("seconds", "milliseconds"),
    "count": ("count",),
    "anomaly": ("ratio", "percent", "count"),
}
"""The scales a metric of each kind may be written in (first: the pack's own)."""
SCALE_FACTOR: dict[str, float] = {
    "ratio": 1.0,
    "percent": 100.0,
    "seconds": 1.0,
    "milliseconds": 1000.0,
    "count": 1.0,
}
"""A value in the pack's scale times this factor is the value in ``Scale``."""
SCALE_TEXT: dict[str, str] = {
    "ratio": "a ratio 0-1",
    "percent": "a percentage 0-100",
    "seconds": "seconds",
    "milliseconds": "milliseconds",
    "count": "a count",
}
COMPLEMENT_OF: dict[str, float] = {"ratio": 1.0, "percent": 100.0}
"""The whole of a rate in each scale: ``1 - success`` is the failure ratio."""

ALERT_TAG_KEY = "alert"
"""Monitors of a playbook alert carry the tag ``alert:<slug>`` (the slug is stable)."""


@dataclass(frozen=True)
class PlaybookAlert:
    """One alert of playbook §4 as the playbook states it, in the pack's scales."""

    slug: str
    """Stable id: the ``alert:<slug>`` tag of its monitor."""
    severity: Severity
    quote: str
    """The playbook's words."""
    metric: str
    """The metric its monitor reads (§4 names the first four; the others are the program's)."""
    kind: Kind
    direction: Direction
    threshold: float | None = None
    """The playbook's number in the pack's scale; None where the playbook names none."""
    inclusive: bool = False
    """Whether the playbook's alert fires at the threshold itself (``<=``/``>=``)."""
    window_minutes: int | None = None
    """The playbook's window; None where it names none."""
    complement: bool = False
    """The playbook speaks of ``1 - metric`` (undo *failures* from the undo success rate)."""
    no_data_fires: bool = False
    """No data counts as firing (telemetry ingestion stalled)."""

    @property
    def measure(self) -> str:
        """What the alert compares, in words: ``1 - undo.success_rate`` or the metric."""
        return f"1 - {self.metric}" if self.complement else self.metric


ALERTS: tuple[PlaybookAlert, ...] = (
    PlaybookAlert(
        "mission-success-rate",
        "critical",
        "Mission success <97% (5m window)",
        "mission.success_rate",
        "rate",
        "below",
        threshold=0.97,
        window_minutes=5,
    ),
    PlaybookAlert(
        "sse-heartbeat",
        "critical",
        "SSE heartbeat >8s",
        "executor.heartbeat.latency",
        "latency",
        "above",
        threshold=8.0,
    ),
    PlaybookAlert(
        "undo-failures",
        "critical",
        "undo failures >1% in hour",
        "undo.success_rate",
        "rate",
        "above",
        threshold=0.01,
        window_minutes=60,
        complement=True,
    ),
    PlaybookAlert(
        "telemetry-ingestion-stalled",
        "critical",
        "telemetry ingestion stalled >15m",
        "telemetry.events.ingested",
        "count",
        "below",
        threshold=0.0,
        inclusive=True,
        window_minutes=15,
        no_data_fires=True,
    ),
    PlaybookAlert(
        "oauth-failure-rate",
        "high",
        "OAuth failure rate >5%",
        "oauth.failure_rate",
        "rate",
        "above",
        threshold=0.05,
    ),
    PlaybookAlert(
        "planner-retry-spikes",
        "high",
        "planner retry spikes",
        "planner.retries.count",
        "count",
        "above",
    ),
    PlaybookAlert(
        "composio-rate-limit-warnings",
        "high",
        "Composio rate-limit warnings",
        "composio.rate_limit.warnings",
        "count",
        "above",
    ),
    PlaybookAlert(
        "library-reuse-drop",
        "informational",
        "Library reuse drops below rolling average",
        "library.reuse.rate",
        "anomaly",
        "below",
    ),
)
"""Playbook §4 "Alerts", in the playbook's order."""
ALERTS_BY_SLUG: dict[str, PlaybookAlert] = {alert.slug: alert for alert in ALERTS}


def metrics_schema(description: str) -> dict[str, object]:
    """The ``metrics`` config property of the alert policies: the metric each §4 alert's monitor
    reads, by alert slug, defaulting to the playbook's."""
    return {
        "type": "object",
        "properties": {alert.slug: {"type": "string", "minLength": 1} for alert in ALERTS},
        "additionalProperties": False,
        "default": {alert.slug: alert.metric for alert in ALERTS},
        "description": description,
    }


SEVERITIES: tuple[Severity, ...] = ("critical", "high", "informational")

ESCALATION: tuple[tuple[str, str], ...] = (
    ("primary on-call", "*-primary"),
    ("secondary on-call", "*-secondary"),
    ("incident commander", "*-incident-commander"),
)
"""§4 "Alerts route to PagerDuty schedule: Primary on-call → Secondary on-call → Incident
Commander": each role and the logical name pattern of its schedule, in escalation order."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class MaintenanceWindow:
    """A weekly maintenance window of playbook §9."""

    day: str
    start: str
    end: str
    time_zone: str
    quote: str


MAINTENANCE_WINDOWS: dict[str, MaintenanceWindow] = {
    "staging": MaintenanceWindow("saturday", "02:00", "04:00", "UTC", "Saturdays 02:00-04:00 UTC"),
    "prod": MaintenanceWindow("sunday", "03:00", "05:00", "UTC", "Sundays 03:00-05:00 UTC"),
}
"""§9 "Maintenance Window: Saturdays 02:00-04:00 UTC (staging), Sundays 03:00-05:00 UTC
(production)", keyed by environment."""

FREEZE_WEEKS: tuple[int, ...] = (12, 13)
FREEZE_QUARTERS: tuple[int, ...] = (1, 2, 3, 4)
"""§9 "Freeze Periods: End-of-quarter (Q4 weeks 12-13)", read as weeks 12 and 13 of every
quarter: "end-of-quarter" is the rule and a quarter has 13 weeks, so weeks 12-13 are its last two.
``freezeQuarters: [4]`` in the policy config gives the literal reading (December only). Weeks are
counted as ``policies._lib.quarters`` describes."""

CHANGE_NOTICE_HOURS = 48
"""§9 "notify stakeholders 48 hours prior to high-impact updates"."""
CHANGE_NOTICE_MAX_AGE_DAYS = 14
"""An announcement older than this no longer covers a change (``scripts/change_notice.py``
keeps the same figure): announce it again."""


@dataclass(frozen=True)
class QueryShape:
    """The query a playbook alert's monitor must have, as the program writes it
    (components/monitoring.py): ``<time>(last_<window>):<space>:<metric>{<scope>}[.as_count()]
    <comparator> <threshold>``, with ``1 - `` before the metric for a complement."""

    time_aggregations: tuple[str, ...]
    """Time aggregations that alert no later than the program's (first: the program's)."""
    space_aggregation: str
    as_count: bool
    comparators: tuple[str, ...]


QUERY_SHAPES: dict[str, QueryShape] = {
    "mission-success-rate": QueryShape(("avg", "min"), "avg", False, ("<", "<=")),
    "sse-heartbeat": QueryShape(("max", "avg"), "avg", False, (">", ">=")),
    "undo-failures": QueryShape(("avg", "max"), "avg", False, (">", ">=")),
    "telemetry-ingestion-stalled": QueryShape(("sum",), "sum", True, ("<=", "<")),
    "oauth-failure-rate": QueryShape(("avg", "max"), "avg", False, (">", ">=")),
    "planner-retry-spikes": QueryShape(("sum",), "sum", True, (">", ">=")),
    "composio-rate-limit-warnings": QueryShape(("sum",), "sum", True, (">", ">=")),
    "library-reuse-drop": QueryShape(("avg",), "avg", False, (">=",)),
}
"""Per §4 alert, the query shape of components/monitoring.py: the pack's copy, so that a query
with extra arithmetic (``* 0``, ``/ 1000000``), functions (``.rollup``, ``timeshift``) or another
aggregation is told apart from the program's."""

BURN_RATE_ALERTS: tuple[tuple[float, str, str], ...] = ((14.4, "1h", "5m"), (6.0, "6h", "30m"))
"""The loosest SLO burn-rate alerts the pack accepts: (burn rate, long window, short window).
The playbook names none; these are the program's (controlplane:slos.burnRateAlerts), the two
multiwindow alerts of Google's SRE workbook ("Alerting on SLOs", 2% and 5% of a 30-day budget)."""
