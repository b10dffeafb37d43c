"""The program's copy of the operations playbook's constants (playbook v2.0).

:data:`PLAYBOOK` is the single place in the program that holds the playbook's numbers: the §4
alert table (thresholds, windows, severities), the §1 objectives, the §4 escalation order and
the §9 maintenance windows; with :data:`MATRIX` (§2), :data:`JOB_CADENCE` (§7) and the §4 log
retention. Config field defaults are derived from it. A config may be stricter than the
playbook but never looser.

The policy pack holds its own copy on purpose (DESIGN.md, "Thresholds live twice": a shared
constant would make its check unable to fail): never import this module from ``policies/``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from controlplane.naming import DataClass

MATRIX: dict[str, tuple[DataClass, tuple[str, ...]]] = {
    "dev": ("synthetic", ("engineering", "qa")),
    "staging": ("anonymized", ("engineering", "operations")),
    "prod": ("live", ("operations", "on-call")),
}
"""Playbook §2: the data each shared environment holds and the groups that may access it."""

JOB_CADENCE: dict[str, Literal["daily", "weekly"]] = {
    "telemetry-vacuum": "daily",
    "library-reembedding": "weekly",
    "composio-sync": "weekly",
    "backup-verification": "weekly",
}
"""Playbook §7: the scheduled maintenance jobs and how often each runs."""

LOG_HOT_DAYS = 30
"""Playbook §4: days logs stay hot (searchable)."""
LOG_ARCHIVE_DAYS = 180
"""Playbook §4: days logs are kept in cold storage."""
AUDIT_LOG_TYPES: tuple[str, ...] = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
"""Playbook §6: the audit logs turned on: admin reads and data-access reads and writes."""
PROD_SIEM_AUDIT_LOGS: tuple[str, ...] = ("activity", "data_access")
"""Playbook §4 "Forward to SIEM for anomaly detection": the audit streams prod's SIEM sink must
carry (who changed what, who read or wrote data); the policy pack checks the same list."""

Severity = Literal["critical", "high", "informational"]
"""Alert severities of playbook §4, most urgent first."""
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "informational")

Comparator = Literal["<", "<=", ">", ">="]
Scale = Literal["ratio", "seconds", "count"]
"""What an alert's threshold measures, which bounds the values that make sense for it."""

SCALE_BOUNDS: dict[Scale, tuple[float, float, str]] = {
    "ratio": (0.0, 1.0, "a ratio from 0 to 1 (0.97 for 97%)"),
    "seconds": (0.0, 3600.0, "seconds, more than 0 and at most 3600"),
    "count": (0.0, 1e9, "a count, 0 or more (at most a billion)"),
}
"""(lowest, highest, how to write it) of each scale; a seconds threshold must exceed its lowest
(an alert on a latency of 0 s would always fire)."""

MAX_ALERT_WINDOW = "1d"
"""The longest evaluation window of a §4 threshold alert: a longer one reports a problem a day
after it started."""
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


SevLevel = Literal["SEV1", "SEV2", "SEV3"]
"""Incident severity levels of playbook §5, most severe first."""
ResponseRole = Literal["comms", "ops", "scribe"]
"""The roles the incident commander assigns in playbook §5 "Triage"."""
RESPONSE_ROLES: tuple[ResponseRole, ...] = ("comms", "ops", "scribe")


@dataclass(frozen=True)
class PlaybookSev:
    """One severity level of playbook §5 and what it maps to in PagerDuty and Datadog."""

    level: SevLevel
    quote: str
    """The playbook's words."""
    pagerduty_priority: str
    """The PagerDuty incident priority (by name, ``P1`` most urgent) an incident gets."""
    urgency: Literal["high", "low"]
    """The PagerDuty urgency: SEV1 and SEV2 page at once, SEV3 waits for working hours."""
    datadog_priority: int
    """The Datadog monitor priority (1 most urgent)."""
    response_roles: tuple[ResponseRole, ...]
    """The roles the incident commander brings in (§5 "Triage"); only SEV1 brings them at once."""


SEV_LEVELS: MappingProxyType[SevLevel, PlaybookSev] = MappingProxyType(
    {
        "SEV1": PlaybookSev(
            "SEV1",
            "Customer data at risk, widespread failure, trust breach",
            "P1",
            "high",
            1,
            RESPONSE_ROLES,
        ),
        "SEV2": PlaybookSev(
            "SEV2", "Major feature outage, SLA breach, repeated undo failure", "P2", "high", 2, ()
        ),
        "SEV3": PlaybookSev(
            "SEV3",
            "Degraded experience, partial functionality, non-blocking errors",
            "P3",
            "low",
            3,
            (),
        ),
    }
)
"""Playbook §5 severity levels; the single place that maps them to PagerDuty and Datadog."""

ALERT_SEV: dict[Severity, SevLevel | None] = {
    "critical": "SEV2",
    "high": "SEV3",
    "informational": None,
}
"""The §5 level of an incident opened by a §4 alert: critical alerts are major outages or SLA
breaches (mission success, SSE heartbeat, repeated undo failure), high ones degrade the
experience; informational alerts open no incident. Security alerts (§1 "Zero unauthorized
actions") put customer data and trust at risk: :data:`SECURITY_SEV`."""
SECURITY_SEV: SevLevel = "SEV1"
"""The level of an incident opened by a security alert (unauthorized action, override spike)."""
INFORMATIONAL_DATADOG_PRIORITY = 5
"""Datadog priority of alerts that open no incident."""

SECURITY_CONTACTS = {
    "incidentCommander": "ops-oncall@company.com",
    "securityLead": "security@company.com",
    "productLead": "product@company.com",
    "uxLead": "ux@company.com",
}
"""Playbook §12 "Contacts & Escalations", the program's defaults."""


def datadog_priority(severity: Severity) -> str:
    """The Datadog monitor priority of an alert of ``severity`` (from its §5 level)."""
    level = ALERT_SEV[severity]
    if level is None:
        return str(INFORMATIONAL_DATADOG_PRIORITY)
    return str(SEV_LEVELS[level].datadog_priority)


@dataclass(frozen=True)
class PlaybookAlert:
    """One alert of playbook §4 as the playbook states it, and the program's defaults."""

    slug: str
    """Stable id: the monitor's ``alert:<slug>`` tag, the policy pack's data key and the runbook
    file ``docs/runbooks/<slug>.md``."""
    field: str
    """Its config key under ``monitoring.alerts`` (``sseHeartbeat``)."""
    severity: Severity
    comparator: Comparator | None
    """How the metric compares to the threshold when the alert fires (None: anomaly)."""
    threshold: float | None
    """The playbook's number in the program's scale, or None where the playbook names none."""
    window: str | None
    """The playbook's window, or None where the playbook names none."""
    quote: str
    """The playbook's words."""
    program_threshold: float | None = None
    """The program's default threshold where the playbook names none."""
    program_window: str | None = None
    """The program's default window where the playbook names none."""
    scale: Scale | None = None
    """What the threshold measures (None: an anomaly alert, which has no threshold)."""

    @property
    def default_threshold(self) -> float:
        """The config default: the playbook's threshold, else the program's."""
        value = self.threshold if self.threshold is not None else self.program_threshold
        if value is None:
            raise ValueError(f"{self.field} has no threshold (an anomaly alert)")
        return value

    @property
    def default_window(self) -> str:
        """The config default: the playbook's window, else the program's."""
        value = self.window if self.window is not None else self.program_window
        if value is None:
            raise ValueError(f"{self.field} has no window (an anomaly alert)")
        return value

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
    """§4 alerts keyed by slug: the monitor's ``alert:<slug>`` tag, the policy pack's data key
    and the runbook ``docs/runbooks/<slug>.md``."""
    slos: MappingProxyType[str, PlaybookSlo]
    """§1 objectives keyed by their config key under ``slos``."""
    escalation: tuple[Role, ...]
    escalation_quote: str
    maintenance: MappingProxyType[str, PlaybookWindow]
    """§9 windows keyed by environment."""

    def alert(self, field: str) -> PlaybookAlert:
        """The row of the alert whose config key under ``monitoring.alerts`` is ``field``."""
        for alert in self.alerts.values():
            if alert.field == field:
                return alert
        raise KeyError(field)


PLAYBOOK = Playbook(
    alerts=MappingProxyType(
        {
            alert.slug: alert
            for alert in (
                PlaybookAlert(
                    "mission-success-rate",
                    "missionSuccessRate",
                    "critical",
                    "<",
                    0.97,
                    "5m",
                    "Mission success <97% (5m window)",
                    scale="ratio",
                ),
                PlaybookAlert(
                    "sse-heartbeat",
                    "sseHeartbeat",
                    "critical",
                    ">",
                    8.0,
                    None,
                    "SSE heartbeat >8s",
                    program_window="5m",
                    scale="seconds",
                ),
                PlaybookAlert(
                    "undo-failures",
                    "undoFailures",
                    "critical",
                    ">",
                    0.01,
                    "1h",
                    "undo failures >1% in hour",
                    scale="ratio",
                ),
                PlaybookAlert(
                    "telemetry-ingestion-stalled",
                    "telemetryIngestionStalled",
                    "critical",
                    "<=",
                    0.0,
                    "15m",
                    "telemetry ingestion stalled >15m",
                    scale="count",
                ),
                PlaybookAlert(
                    "oauth-failure-rate",
                    "oauthFailureRate",
                    "high",
                    ">",
                    0.05,
                    None,
                    "High: OAuth failure rate >5%",
                    program_window="15m",
                    scale="ratio",
                ),
                PlaybookAlert(
                    "planner-retry-spikes",
                    "plannerRetrySpikes",
                    "high",
                    ">",
                    None,
                    None,
                    "planner retry spikes",
                    program_threshold=25.0,
                    program_window="10m",
                    scale="count",
                ),
                PlaybookAlert(
                    "composio-rate-limit-warnings",
                    "composioRateLimitWarnings",
                    "high",
                    ">",
                    None,
                    None,
                    "Composio rate-limit warnings",
                    program_threshold=5.0,
                    program_window="15m",
                    scale="count",
                ),
                PlaybookAlert(
                    "library-reuse-drop",
                    "libraryReuseDrop",
                    "informational",
                    None,
                    None,
                    None,
                    "Informational: Library reuse drops below rolling average",
                ),
            )
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
