"""Playbook §1, §4, §9, §12: monitoring, SLOs, on-call, alert routing and maintenance windows.

Stack config keys (each a section model below):

- ``controlplane:monitoring`` (:class:`MonitoringSection`): metric names, the threshold and
  window of every §4 alert, the team tag, the synthetic checks;
- ``controlplane:slos`` (:class:`SlosSection`): the §1 objectives and their burn-rate alerts;
- ``controlplane:oncall`` (:class:`OnCallSection`): PagerDuty rotations, escalation, urgency;
- ``controlplane:routing`` (:class:`RoutingSection`): where each severity is notified;
- ``controlplane:maintenanceWindow`` (:class:`MaintenanceWindowSection`): the §9 window.

Scales, chosen once for the whole program: rates are ratios from 0 to 1 (``0.97`` is 97 %),
latencies and durations are seconds, SLO targets are percentages (Datadog's ``(0, 100)``),
evaluation windows are ``<n>m``, ``<n>h`` or ``<n>d``.

The playbook's numbers live in :data:`PLAYBOOK`. A config may be stricter than the playbook
but never looser; the validators say which key, what was found and what to write instead.
The policy pack keeps its own copy of these numbers on purpose (DESIGN.md: a shared constant
would make its check unable to fail); do not import this module from ``policies/``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.base import Model
from controlplane.naming import Environment

Severity = Literal["critical", "high", "informational"]
"""Alert severities of playbook §4, most urgent first."""
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "informational")

Comparator = Literal["<", "<=", ">", ">="]
Role = Literal["primary", "secondary", "incidentCommander"]
"""On-call roles of playbook §4 and §12, in escalation order."""
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

Window = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,3}[mhd]$")]
"""An evaluation window: ``5m``, ``1h``, ``2d``."""
MetricName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z][a-zA-Z0-9_.]{0,199}$")]
"""A Datadog metric name."""
TagValue = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,99}$")]
"""A Datadog tag value (lowercase)."""
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
"""A time of day, ``HH:MM`` (24 h)."""
PagerDutyUserId = Annotated[str, StringConstraints(pattern=r"^P[A-Z0-9]{5,13}$")]
"""A PagerDuty user id, as shown in the user's profile URL (``PXXXXXX``)."""
SyntheticsLocation = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+:[a-z0-9-]+$")]
"""A Datadog synthetics location, e.g. ``aws:eu-central-1``."""
UrlPath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]*$")]
"""An absolute URL path."""
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s/$.?#][^\s]*$")]
"""An ``https://`` URL."""
TimeZone = Annotated[str, StringConstraints(pattern=r"^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$")]
"""An IANA time zone name (``UTC``, ``Etc/UTC``, ``Europe/Berlin``)."""

_TARGET_RE = re.compile(
    r"^(pagerduty|slack:[a-z0-9][a-z0-9_-]{0,79}|email:[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,})$"
)
PAGERDUTY = "pagerduty"
"""The routing target that pages: the environment's PagerDuty service."""


def window_minutes(window: str) -> int:
    """``"5m"`` -> 5, ``"1h"`` -> 60, ``"2d"`` -> 2880."""
    return int(window[:-1]) * {"m": 1, "h": 60, "d": 1440}[window[-1]]


def shorter_than(window: str, info: ValidationInfo, other: str, other_key: str) -> str:
    """``window`` when it is shorter than the already validated field ``other``."""
    limit = info.data.get(other)
    if limit and window_minutes(window) >= window_minutes(limit):
        raise ValueError(f"a window shorter than {other_key} ({limit})")
    return window


# --------------------------------------------------------------------------------------------
# The playbook's numbers (the program's copy).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaybookAlert:
    """One alert of playbook §4 as the playbook states it."""

    slug: str
    """Stable id: the ``alert:<slug>`` tag and the runbook file ``docs/runbooks/<slug>.md``."""
    severity: Severity
    comparator: Comparator | None
    """How the metric compares to the threshold when the alert fires (None: anomaly)."""
    threshold: float | None
    """The playbook's number in the program's scale, or None where the playbook names none."""
    window: str | None
    """The playbook's window, or None where the playbook names none."""
    quote: str
    """The playbook's words."""

    def looser(self, threshold: float) -> bool:
        """True when ``threshold`` would alert later than the playbook's."""
        if self.threshold is None or self.comparator is None:
            return False
        if self.comparator in ("<", "<="):
            return threshold < self.threshold
        return threshold > self.threshold


@dataclass(frozen=True)
class PlaybookSlo:
    """One objective of playbook §1."""

    quote: str
    min_target: float = 0.0
    """Lowest allowed target in percent (count-based objectives; 0: no floor)."""
    max_threshold_seconds: float = math.inf
    """Highest allowed p95 latency in seconds (latency objectives; inf: no ceiling)."""


@dataclass(frozen=True)
class PlaybookWindow:
    """A maintenance window of playbook §9."""

    day: Weekday
    start: str
    end: str
    time_zone: str
    quote: str

    def describe(self) -> str:
        return f"{self.day} {self.start}-{self.end} {self.time_zone}"


@dataclass(frozen=True)
class Playbook:
    """The numbers of the operations playbook that this program declares."""

    alerts: MappingProxyType[str, PlaybookAlert]
    """§4 alerts keyed by their config key under ``monitoring.alerts``."""
    slos: MappingProxyType[str, PlaybookSlo]
    """§1 objectives keyed by their config key under ``slos``."""
    escalation: tuple[Role, ...]
    escalation_quote: str
    maintenance: MappingProxyType[str, PlaybookWindow]
    """§9 windows keyed by environment."""


_ALERTS_QUOTE = (
    "Critical: Mission success <97% (5m window), SSE heartbeat >8s, undo failures >1% in hour, "
    "telemetry ingestion stalled >15m"
)

PLAYBOOK = Playbook(
    alerts=MappingProxyType(
        {
            "missionSuccessRate": PlaybookAlert(
                "mission-success-rate",
                "critical",
                "<",
                0.97,
                "5m",
                "Mission success <97% (5m window)",
            ),
            "sseHeartbeat": PlaybookAlert(
                "sse-heartbeat", "critical", ">", 8.0, None, "SSE heartbeat >8s"
            ),
            "undoFailures": PlaybookAlert(
                "undo-failures", "critical", ">", 0.01, "1h", "undo failures >1% in hour"
            ),
            "telemetryIngestionStalled": PlaybookAlert(
                "telemetry-ingestion-stalled",
                "critical",
                "<=",
                0.0,
                "15m",
                "telemetry ingestion stalled >15m",
            ),
            "oauthFailureRate": PlaybookAlert(
                "oauth-failure-rate", "high", ">", 0.05, None, "High: OAuth failure rate >5%"
            ),
            "plannerRetrySpikes": PlaybookAlert(
                "planner-retry-spikes", "high", ">", None, None, "planner retry spikes"
            ),
            "composioRateLimitWarnings": PlaybookAlert(
                "composio-rate-limit-warnings",
                "high",
                ">",
                None,
                None,
                "Composio rate-limit warnings",
            ),
            "libraryReuseDrop": PlaybookAlert(
                "library-reuse-drop",
                "informational",
                None,
                None,
                None,
                "Informational: Library reuse drops below rolling average",
            ),
        }
    ),
    slos=MappingProxyType(
        {
            "missionCompletion": PlaybookSlo(
                "Maintain mission completion success ≥99%", min_target=99.0
            ),
            "streamingHeartbeat": PlaybookSlo(
                "Streaming heartbeat ≤5s p95", max_threshold_seconds=5.0
            ),
            "apiLatency": PlaybookSlo("API latency ≤300ms p95", max_threshold_seconds=0.3),
        }
    ),
    escalation=("primary", "secondary", "incidentCommander"),
    escalation_quote="Primary on-call → Secondary on-call → Incident Commander",
    maintenance=MappingProxyType(
        {
            "staging": PlaybookWindow(
                "saturday", "02:00", "04:00", "UTC", "Saturdays 02:00-04:00 UTC (staging)"
            ),
            "prod": PlaybookWindow(
                "sunday", "03:00", "05:00", "UTC", "Sundays 03:00-05:00 UTC (production)"
            ),
        }
    ),
)
"""The playbook's numbers; the single place in the program that holds them."""


# --------------------------------------------------------------------------------------------
# controlplane:monitoring
# --------------------------------------------------------------------------------------------


class MetricNames(Model):
    """Datadog metric names; the first six are the ones playbook §4 names."""

    mission_success_rate: MetricName = Field(
        "mission.success_rate", description="Mission success rate, a ratio 0-1 (§4)."
    )
    planner_latency_p95: MetricName = Field(
        "planner.latency.p95", description="Planner latency p95 in seconds (§4)."
    )
    executor_heartbeat_latency: MetricName = Field(
        "executor.heartbeat.latency",
        description="Seconds between SSE heartbeats of the executor stream (§4).",
    )
    undo_success_rate: MetricName = Field(
        "undo.success_rate", description="Undo success rate, a ratio 0-1 (§4)."
    )
    safeguard_overrides_count: MetricName = Field(
        "safeguard.overrides.count", description="Safeguard overrides, a count (§4)."
    )
    telemetry_events_ingested: MetricName = Field(
        "telemetry.events.ingested", description="Telemetry events ingested, a count (§4)."
    )
    oauth_failure_rate: MetricName = Field(
        "oauth.failure_rate", description="OAuth failure rate, a ratio 0-1."
    )
    planner_retries: MetricName = Field(
        "planner.retries.count", description="Planner retries, a count."
    )
    composio_rate_limit_warnings: MetricName = Field(
        "composio.rate_limit.warnings", description="Composio rate-limit warnings, a count."
    )
    library_reuse_rate: MetricName = Field(
        "library.reuse.rate", description="Share of missions that reuse a library entry, 0-1."
    )


class ThresholdAlert(Model):
    """A threshold alert: fires when the metric crosses ``threshold`` over ``window``."""

    threshold: float = Field(
        description="The alert threshold in the metric's scale (ratios 0-1, seconds, counts)."
    )
    window: Window = Field(description="Evaluation window, e.g. `5m` or `1h`.")

    @field_validator("threshold")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("a finite number")
        return value


class AnomalyAlert(Model):
    """An anomaly alert: fires when the metric drops below its expected (rolling) range."""

    algorithm: Literal["basic", "agile", "robust"] = Field(
        "basic",
        description="Datadog anomaly algorithm; `basic` compares with a rolling quantile.",
    )
    deviations: float = Field(2.0, gt=0, le=6, description="Width of the expected band.")
    evaluation_window: Window = Field("4h", description="History the monitor evaluates.")
    alert_window: Window = Field(
        "30m", description="How long the metric must be anomalous before the alert fires."
    )
    seasonality: Literal["hourly", "daily", "weekly"] = Field(
        "weekly", description="Seasonality for the `agile` and `robust` algorithms."
    )

    @field_validator("alert_window")
    @classmethod
    def _shorter(cls, window: str, info: ValidationInfo) -> str:
        return shorter_than(window, info, "evaluation_window", "evaluationWindow")


class Alerts(Model):
    """The alerts of playbook §4. Defaults are the playbook's numbers where it names them."""

    mission_success_rate: ThresholdAlert = Field(
        ThresholdAlert(threshold=0.97, window="5m"),
        description="Critical: mission success ratio below threshold (§4: <97% over 5m).",
    )
    sse_heartbeat: ThresholdAlert = Field(
        ThresholdAlert(threshold=8.0, window="5m"),
        description="Critical: SSE heartbeat latency above threshold seconds (§4: >8s).",
    )
    undo_failures: ThresholdAlert = Field(
        ThresholdAlert(threshold=0.01, window="1h"),
        description="Critical: undo failure ratio above threshold (§4: >1% in an hour).",
    )
    telemetry_ingestion_stalled: ThresholdAlert = Field(
        ThresholdAlert(threshold=0.0, window="15m"),
        description="Critical: events ingested over the window at most threshold; no data "
        "counts as stalled (§4: stalled >15m).",
    )
    oauth_failure_rate: ThresholdAlert = Field(
        ThresholdAlert(threshold=0.05, window="15m"),
        description="High: OAuth failure ratio above threshold (§4: >5%).",
    )
    planner_retry_spikes: ThresholdAlert = Field(
        ThresholdAlert(threshold=25.0, window="10m"),
        description="High: planner retries over the window above threshold (§4: spikes).",
    )
    composio_rate_limit_warnings: ThresholdAlert = Field(
        ThresholdAlert(threshold=5.0, window="15m"),
        description="High: Composio rate-limit warnings over the window above threshold.",
    )
    library_reuse_drop: AnomalyAlert = Field(
        AnomalyAlert(),
        description="Informational: library reuse below its rolling range (anomaly).",
    )

    @field_validator(
        "mission_success_rate",
        "sse_heartbeat",
        "undo_failures",
        "telemetry_ingestion_stalled",
        "oauth_failure_rate",
    )
    @classmethod
    def _not_looser_than_playbook(
        cls, alert: ThresholdAlert, info: ValidationInfo
    ) -> ThresholdAlert:
        key = _alias(cls, info)
        book = PLAYBOOK.alerts[key]
        wants = []
        if book.threshold is not None:
            direction = "or higher" if book.comparator in ("<", "<=") else "or lower"
            wants.append(f"threshold {_num(book.threshold)} {direction}")
        if book.window is not None:
            wants.append(f"window {book.window} or shorter")
        problems = []
        if book.looser(alert.threshold):
            problems.append(f"threshold {_num(alert.threshold)}")
        if book.window is not None and window_minutes(alert.window) > window_minutes(book.window):
            problems.append(f"window {alert.window}")
        if problems:
            raise ValueError(
                f"{' and '.join(wants)} (playbook §4: {book.quote!r}); "
                f"{' and '.join(problems)} would alert later than the playbook allows"
            )
        return alert


def _num(value: float) -> str:
    return f"{value:g}"


def _alias(model: type[Model], info: ValidationInfo) -> str:
    """The config key (camelCase alias) of the field being validated."""
    name = str(info.field_name)
    return model.model_fields[name].alias or name


class SyntheticsSettings(Model):
    """Synthetic API tests of the agent's SSE endpoint and Composio check (playbook §3)."""

    locations: list[SyntheticsLocation] = Field(
        ["aws:eu-central-1", "aws:us-east-1"],
        min_length=1,
        description="Datadog locations the tests run from.",
    )
    tick_every_seconds: int = Field(300, ge=30, le=604800, description="Run interval.")
    base_url: HttpsUrl | None = Field(
        None,
        description="Base URL of the agent; default: the agent service URL of the environment.",
    )
    sse_path: UrlPath = Field(
        "/healthz/sse", description="Health check that opens an SSE stream and closes it."
    )
    composio_path: UrlPath = Field(
        "/healthz/composio", description="Health check of the agent's Composio connectivity."
    )
    timeout_seconds: int = Field(30, ge=1, le=60, description="Request timeout.")
    max_response_time_ms: int = Field(
        2000, ge=1, le=60000, description="Slower responses fail the test."
    )
    min_location_failed: int = Field(
        1, ge=1, description="Failing locations needed before the test alerts."
    )
    retries: int = Field(1, ge=0, le=3, description="Retries before a location counts failed.")
    sse_severity: Severity = Field("critical", description="Severity of the SSE test's alert.")
    composio_severity: Severity = Field(
        "high", description="Severity of the Composio test's alert."
    )

    @field_validator("locations")
    @classmethod
    def _unique_locations(cls, locations: list[str]) -> list[str]:
        if len(set(locations)) != len(locations):
            raise ValueError("each location once")
        return locations

    @field_validator("min_location_failed")
    @classmethod
    def _reachable(cls, count: int, info: ValidationInfo) -> int:
        locations = info.data.get("locations")
        if locations is not None and count > len(locations):
            raise ValueError(f"at most the number of locations ({len(locations)})")
        return count


class MonitoringSection(Model):
    """``controlplane:monitoring``: Datadog monitors and synthetics (playbook §3, §4)."""

    team: TagValue = Field("sre", description="The `team:` tag of every monitor.")
    runbook_base_url: HttpsUrl | None = Field(
        None,
        description="URL of the repository root for runbook links (e.g. "
        "`https://github.com/<org>/<repo>/blob/main`); without it messages link the "
        "repository path `docs/runbooks/<alert>.md`.",
    )
    metrics: MetricNames = Field(MetricNames(), description="Metric names.")
    alerts: Alerts = Field(Alerts(), description="Threshold and window of each §4 alert.")
    synthetics: SyntheticsSettings = Field(SyntheticsSettings(), description="Synthetic API tests.")

    def runbook(self, slug: str) -> str:
        """The runbook link for ``slug``."""
        path = f"docs/runbooks/{slug}.md"
        if self.runbook_base_url is None:
            return path
        return f"{self.runbook_base_url.rstrip('/')}/{path}"


# --------------------------------------------------------------------------------------------
# controlplane:slos
# --------------------------------------------------------------------------------------------


class SloTargets(Model):
    """The objective over both windows Datadog reports: 7 and 30 days (percent, 0-100)."""

    seven_days: float = Field(gt=0, lt=100, description="Target over 7 days, in percent.")
    thirty_days: float = Field(gt=0, lt=100, description="Target over 30 days, in percent.")

    def by_timeframe(self) -> dict[str, float]:
        return {"7d": self.seven_days, "30d": self.thirty_days}


class CountSlo(Model):
    """A count-based objective: good events over total events."""

    good_metric: MetricName = Field(
        "mission.runs.succeeded", description="Count of missions that completed successfully."
    )
    total_metric: MetricName = Field("mission.runs.total", description="Count of missions.")
    targets: SloTargets = Field(
        SloTargets(seven_days=99.0, thirty_days=99.0), description="Targets in percent."
    )


class LatencySlo(Model):
    """A time-slice objective: the p95 of a latency metric stays at or under a threshold."""

    metric: MetricName = Field(description="Latency metric in seconds (a distribution).")
    threshold_seconds: float = Field(gt=0, description="p95 threshold in seconds.")
    targets: SloTargets = Field(
        SloTargets(seven_days=99.0, thirty_days=99.0),
        description="Share of good time slices, in percent.",
    )
    query_interval_seconds: Literal[60, 300] = Field(300, description="Time-slice size.")


class BurnRateAlert(Model):
    """A burn-rate monitor on every SLO (multiwindow: long and short window)."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,19}$")] = Field(
        description="Short name, part of the monitor's logical name (`fast`, `slow`)."
    )
    timeframe: Literal["7d", "30d"] = Field("30d", description="The SLO window it burns.")
    burn_rate: float = Field(gt=0, description="Alert when the burn rate is at least this.")
    long_window: Window = Field(description="Long window, 1h to 48h.")
    short_window: Window = Field(description="Short window, shorter than the long window.")
    severity: Severity = Field(description="Severity, which decides the routing.")

    @field_validator("long_window")
    @classmethod
    def _long(cls, window: str) -> str:
        if not 60 <= window_minutes(window) <= 48 * 60:
            raise ValueError("a window between 1h and 48h (Datadog's limits)")
        return window

    @field_validator("short_window")
    @classmethod
    def _short(cls, window: str, info: ValidationInfo) -> str:
        return shorter_than(window, info, "long_window", "longWindow")


class SlosSection(Model):
    """``controlplane:slos``: the objectives of playbook §1 and their burn-rate alerts."""

    mission_completion: CountSlo = Field(
        CountSlo(), description="Mission completion ≥ 99% (playbook §1)."
    )
    streaming_heartbeat: LatencySlo = Field(
        LatencySlo(metric="executor.heartbeat.latency", threshold_seconds=5.0),
        description="Streaming heartbeat ≤ 5 s p95 (playbook §1).",
    )
    api_latency: LatencySlo = Field(
        LatencySlo(metric="trace.fastapi.request", threshold_seconds=0.3),
        description="API latency ≤ 300 ms p95 (playbook §1).",
    )
    burn_rate_alerts: list[BurnRateAlert] = Field(
        [
            BurnRateAlert(
                name="fast", burn_rate=14.4, long_window="1h", short_window="5m", severity="high"
            ),
            BurnRateAlert(
                name="slow",
                burn_rate=6.0,
                long_window="6h",
                short_window="30m",
                severity="informational",
            ),
        ],
        min_length=1,
        description="Burn-rate monitors created for every SLO.",
    )

    @field_validator("mission_completion")
    @classmethod
    def _completion_target(cls, slo: CountSlo) -> CountSlo:
        book = PLAYBOOK.slos["missionCompletion"]
        low = {k: v for k, v in slo.targets.by_timeframe().items() if v < book.min_target}
        if low:
            found = ", ".join(f"{k} {_num(v)}" for k, v in low.items())
            raise ValueError(
                f"targets {_num(book.min_target)} or higher (playbook §1: {book.quote!r}); "
                f"{found} is looser than the playbook allows"
            )
        return slo

    @field_validator("streaming_heartbeat", "api_latency")
    @classmethod
    def _latency_threshold(cls, slo: LatencySlo, info: ValidationInfo) -> LatencySlo:
        book = PLAYBOOK.slos[_alias(cls, info)]
        if slo.threshold_seconds > book.max_threshold_seconds:
            raise ValueError(
                f"thresholdSeconds {_num(book.max_threshold_seconds)} or lower (playbook §1: "
                f"{book.quote!r}); {_num(slo.threshold_seconds)} is looser than the playbook "
                "allows"
            )
        return slo

    @field_validator("burn_rate_alerts")
    @classmethod
    def _reachable_burn_rates(
        cls, alerts: list[BurnRateAlert], info: ValidationInfo
    ) -> list[BurnRateAlert]:
        names = [alert.name for alert in alerts]
        if len(set(names)) != len(names):
            raise ValueError("each name once")
        objectives = {
            key: info.data[field]
            for key, field in (
                ("missionCompletion", "mission_completion"),
                ("streamingHeartbeat", "streaming_heartbeat"),
                ("apiLatency", "api_latency"),
            )
            if field in info.data
        }
        for index, alert in enumerate(alerts):
            for key, slo in objectives.items():
                target = slo.targets.by_timeframe()[alert.timeframe]
                ceiling = 100.0 / (100.0 - target)
                if alert.burn_rate > ceiling:
                    raise ValueError(
                        f"burn rates of at most {ceiling:.4g} for the {_num(target)}% "
                        f"{alert.timeframe} target of {key} (Datadog refuses a burn rate above "
                        f"1/(1 - target)); burnRate {_num(alert.burn_rate)} of item {index} can "
                        "never fire"
                    )
        return alerts

    def objectives(self) -> dict[str, CountSlo | LatencySlo]:
        """The three objectives keyed by their config key."""
        return {
            "missionCompletion": self.mission_completion,
            "streamingHeartbeat": self.streaming_heartbeat,
            "apiLatency": self.api_latency,
        }


# --------------------------------------------------------------------------------------------
# controlplane:oncall
# --------------------------------------------------------------------------------------------


class Rotation(Model):
    """A PagerDuty rotation: who is on call, in which order, and when shifts hand off."""

    users: list[PagerDutyUserId] = Field(
        min_length=1, description="PagerDuty user ids in rotation order."
    )
    handoff: AwareDatetime = Field(
        description="Start of the first shift, ISO 8601 with offset "
        "(e.g. `2026-12-07T09:00:00+00:00`); later handoffs follow every turn."
    )
    turn_length_hours: int = Field(168, ge=1, le=8760, description="Shift length in hours.")

    @field_validator("users")
    @classmethod
    def _unique(cls, users: list[str]) -> list[str]:
        if len(set(users)) != len(users):
            raise ValueError("each user once in the rotation")
        return users


_ROLE_TEXT = {
    "primary": "primary on-call",
    "secondary": "secondary on-call",
    "incidentCommander": "incident commander",
}


class Schedules(Model):
    """The three on-call schedules of playbook §4 and §12."""

    primary: Rotation | None = Field(None, description="Primary on-call rotation.")
    secondary: Rotation | None = Field(None, description="Secondary on-call rotation.")
    incident_commander: Rotation | None = Field(
        None, description="Incident commander rotation (`ops-oncall@`, playbook §12)."
    )

    @model_validator(mode="after")
    def _all_roles(self) -> Schedules:
        missing = [role for role, rotation in self._rotations().items() if rotation is None]
        if missing:
            names = ", ".join(f"{role} (the {_ROLE_TEXT[role]})" for role in missing)
            raise ValueError(
                f"a rotation (users, handoff) for {names}: playbook §4 escalates "
                f"{PLAYBOOK.escalation_quote}"
            )
        return self

    def _rotations(self) -> dict[Role, Rotation | None]:
        return {
            "primary": self.primary,
            "secondary": self.secondary,
            "incidentCommander": self.incident_commander,
        }

    def by_role(self) -> dict[Role, Rotation]:
        """The rotations keyed by role, in escalation order."""
        return {role: r for role, r in self._rotations().items() if r is not None}


class EscalationLevel(Model):
    """One level of the escalation policy."""

    schedule: Role = Field(description="Which schedule this level notifies.")
    delay_minutes: int = Field(
        ge=1, le=1440, description="Minutes before an unacknowledged incident moves on."
    )


class SupportHours(Model):
    """Hours when incidents page at their severity's urgency; outside them, low urgency."""

    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        [1, 2, 3, 4, 5], min_length=1, description="Days, 1 (Monday) to 7 (Sunday)."
    )
    start: ClockTime = Field("09:00", description="Start of support hours.")
    end: ClockTime = Field("18:00", description="End of support hours (same day).")
    time_zone: TimeZone = Field("Etc/UTC", description="Time zone of start and end.")

    @field_validator("days")
    @classmethod
    def _unique_days(cls, days: list[int]) -> list[int]:
        if len(set(days)) != len(days):
            raise ValueError("each day once")
        return days

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: str, info: ValidationInfo) -> str:
        start = info.data.get("start")
        if start and end <= start:
            raise ValueError(f"a time after start ({start}) on the same day")
        return end


class AlertGrouping(Model):
    """How PagerDuty groups the alerts of the service into incidents."""

    type: Literal["time", "intelligent", "content_based"] = Field(
        "content_based", description="PagerDuty alert grouping type."
    )
    time_window_seconds: int = Field(
        900, ge=300, le=3600, description="Grouping window (timeout for `time`)."
    )
    fields: list[Annotated[str, StringConstraints(pattern=r"^[a-z_.]{1,80}$")]] = Field(
        ["summary"], min_length=1, description="Fields compared by `content_based` grouping."
    )


class OnCallSection(Model):
    """``controlplane:oncall``: PagerDuty schedules, escalation and service settings."""

    time_zone: TimeZone = Field("Etc/UTC", description="Time zone of the schedules.")
    schedules: Schedules = Field(description="Rotations for the three on-call roles.")
    escalation: list[EscalationLevel] = Field(
        description="Levels in order: primary, secondary, incidentCommander."
    )
    num_loops: int = Field(
        2, ge=1, le=9, description="Times the policy repeats after its last level."
    )
    auto_resolve_seconds: int = Field(
        14400, ge=60, le=604800, description="Open incidents resolve after this long."
    )
    acknowledgement_timeout_seconds: int = Field(
        1800, ge=60, le=86400, description="Acknowledged incidents re-trigger after this long."
    )
    support_hours: SupportHours | None = Field(
        None,
        description="When set, incidents outside these hours are low urgency (no night "
        "pages); required in dev when dev routes to PagerDuty.",
    )
    alert_grouping: AlertGrouping = Field(AlertGrouping(), description="Alert grouping.")

    @field_validator("escalation")
    @classmethod
    def _playbook_order(cls, levels: list[EscalationLevel]) -> list[EscalationLevel]:
        found = tuple(level.schedule for level in levels)
        if found != PLAYBOOK.escalation:
            missing = [role for role in PLAYBOOK.escalation if role not in found]
            hint = f": add the {', '.join(missing)} level" if missing else ": reorder the levels"
            raise ValueError(
                f"levels {' → '.join(PLAYBOOK.escalation)} in that order (playbook §4: "
                f"{PLAYBOOK.escalation_quote!r}); found {' → '.join(found) or 'none'}{hint}"
            )
        return levels


# --------------------------------------------------------------------------------------------
# controlplane:routing
# --------------------------------------------------------------------------------------------

Target = str
"""``pagerduty`` (the environment's PagerDuty service), ``slack:<channel>`` or
``email:<address>``."""


class RoutingSection(Model):
    """``controlplane:routing``: who is notified for each severity (playbook §4)."""

    critical: list[Target] = Field(
        min_length=1, description="Targets of critical alerts (staging/prod: pagerduty)."
    )
    high: list[Target] = Field(
        min_length=1, description="Targets of high alerts (staging/prod: pagerduty)."
    )
    informational: list[Target] = Field(
        min_length=1, description="Targets of informational alerts; never pagerduty."
    )

    @field_validator("critical", "high", "informational")
    @classmethod
    def _targets(cls, targets: list[str]) -> list[str]:
        for target in targets:
            if not _TARGET_RE.match(target):
                raise ValueError(
                    f"targets written pagerduty, slack:<channel> or email:<address>; "
                    f"{target!r} is none of these"
                )
        if len(set(targets)) != len(targets):
            raise ValueError("each target once")
        return targets

    @field_validator("informational")
    @classmethod
    def _never_pages(cls, targets: list[str]) -> list[str]:
        if PAGERDUTY in targets:
            raise ValueError(
                "only non-paging targets (slack:<channel> or email:<address>): informational "
                "alerts never page (playbook §4); remove 'pagerduty'"
            )
        return targets

    def targets(self, severity: Severity) -> list[str]:
        """The targets of ``severity``."""
        return {"critical": self.critical, "high": self.high, "informational": self.informational}[
            severity
        ]

    def pages(self, severity: Severity) -> bool:
        """Whether alerts of ``severity`` go to PagerDuty."""
        return PAGERDUTY in self.targets(severity)


# --------------------------------------------------------------------------------------------
# controlplane:maintenanceWindow
# --------------------------------------------------------------------------------------------


class MaintenanceWindowSection(Model):
    """``controlplane:maintenanceWindow``: the weekly window of playbook §9 (a downtime)."""

    day: Weekday = Field(description="Day of the week of the window.")
    start: ClockTime = Field(description="Start, HH:MM.")
    end: ClockTime = Field(description="End, HH:MM, later the same day.")
    time_zone: TimeZone = Field("UTC", description="Time zone of start and end.")
    first_occurrence: date = Field(
        description="Date of the first window (must fall on `day`); Datadog may refuse an "
        "anchor in the past when the schedule is created or changed: move it on by whole weeks."
    )

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: str, info: ValidationInfo) -> str:
        start = info.data.get("start")
        if start and end <= start:
            raise ValueError(f"a time after start ({start}) on the same day")
        return end

    @field_validator("first_occurrence")
    @classmethod
    def _on_the_day(cls, first: date, info: ValidationInfo) -> date:
        day = info.data.get("day")
        actual = WEEKDAYS[first.weekday()]
        if day and actual != day:
            raise ValueError(f"a {day} (the window's day); {first.isoformat()} is a {actual}")
        return first

    def describe(self) -> str:
        return f"{self.day} {self.start}-{self.end} {self.time_zone}"

    def duration_minutes(self) -> int:
        """Length of the window in minutes."""
        start_h, start_m = (int(x) for x in self.start.split(":"))
        end_h, end_m = (int(x) for x in self.end.split(":"))
        return (end_h * 60 + end_m) - (start_h * 60 + start_m)


# --------------------------------------------------------------------------------------------
# All keys together, and the rules that depend on the environment.
# --------------------------------------------------------------------------------------------


Problem = tuple[str, str, str]
"""``(key path, found, expected)``; the key path is relative to ``controlplane:``."""

OBSERVABILITY_KEYS = ("monitoring", "slos", "oncall", "routing", "maintenanceWindow")
"""The ``controlplane:<key>`` keys this module owns."""


class ObservabilitySections(Model):
    """The observability keys of one stack (each optional key has playbook defaults)."""

    monitoring: MonitoringSection = Field(
        MonitoringSection(), description="Datadog monitors and synthetics (playbook §3, §4)."
    )
    slos: SlosSection = Field(SlosSection(), description="SLOs of playbook §1.")
    oncall: OnCallSection = Field(description="PagerDuty schedules and escalation (§4, §12).")
    routing: RoutingSection = Field(description="Notification targets per severity (§4).")
    maintenance_window: MaintenanceWindowSection | None = Field(
        None, description="Weekly maintenance window (§9); required in staging and prod."
    )


def validate_for_env(env: Environment, sections: ObservabilitySections) -> list[Problem]:
    """Environment rules across the observability keys; an empty list means none is broken."""
    problems: list[Problem] = []
    routing = sections.routing
    if env in ("staging", "prod"):
        for severity in ("critical", "high"):
            if not routing.pages(severity):
                problems.append(
                    (
                        f"routing.{severity}",
                        str(routing.targets(severity)),
                        f"'pagerduty' among the targets in {env}: {severity} alerts page the "
                        "on-call (playbook §4)",
                    )
                )
    elif sections.oncall.support_hours is None:
        paging = [s for s in SEVERITIES if routing.pages(s)]
        if paging:
            problems.append(
                (
                    "oncall.supportHours",
                    f"none while routing.{paging[0]} pages PagerDuty in {env}",
                    "support hours (e.g. days [1, 2, 3, 4, 5], start 09:00, end 18:00): dev "
                    "must not page anyone at night, so outside support hours its incidents "
                    "are low urgency",
                )
            )
    book = PLAYBOOK.maintenance.get(env)
    window = sections.maintenance_window
    if book is not None:
        if window is None:
            problems.append(
                (
                    "maintenanceWindow",
                    "none",
                    f"{book.describe()} for {env} (playbook §9: {book.quote!r})",
                )
            )
        elif (window.day, window.start, window.end, window.time_zone) != (
            book.day,
            book.start,
            book.end,
            book.time_zone,
        ):
            problems.append(
                (
                    "maintenanceWindow",
                    window.describe(),
                    f"{book.describe()} for {env} (playbook §9: {book.quote!r})",
                )
            )
    return problems
