"""The observability resources of one environment, hand-built in the components' exact shapes.

The alerting policy tests and the compliant baselines (``tests/policies/make_corpus.py``) start
from these: the §4 monitors of ``components/monitoring.py``, the schedules and escalation policy
of ``components/on_call.py``, Datadog's PagerDuty service object, and the weekly downtime of
``components/maintenance_windows.py``, with the example config of
``tests/components/conftest_observability.py``. ``tests/policies/alerting/test_shapes.py``
synthesizes the real components under mocks and checks that these dicts are what they register,
so the policy tests cannot drift from the program.

Schedules carry an ``id`` input: that is how the engine shows them to stack policies after an
update (outputs include the id), and what the escalation order is resolved against.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Resource = dict[str, Any]
Make = Callable[..., Resource]
"""``make(type, name, inputs)``: a snapshot resource (``tests.support.policies.make_resource``)."""

MONITOR = "datadog:index/monitor:Monitor"
SERVICE_OBJECT = "datadog:pagerduty/serviceObject:ServiceObject"
SCHEDULE = "pagerduty:index/schedule:Schedule"
ESCALATION = "pagerduty:index/escalationPolicy:EscalationPolicy"
DOWNTIME = "datadog:index/downtimeSchedule:DowntimeSchedule"
SYNTHETICS = "datadog:index/syntheticsTest:SyntheticsTest"

AGENT_SERVICE = "controlplane-agent"
DATA_CLASS = {"dev": "synthetic", "staging": "anonymized", "prod": "live"}
SCHEDULE_IDS = {"primary": "PPRIMRY", "secondary": "PSECOND", "incident-commander": "PINCCMD"}
ROLE_TITLES = {
    "primary": "Primary on-call",
    "secondary": "Secondary on-call",
    "incident-commander": "Incident Commander",
}
ROLE_USERS = {
    "primary": (["PAAAAA1", "PAAAAA2", "PAAAAA3"], 168),
    "secondary": (["PBBBBB1", "PBBBBB2"], 168),
    "incident-commander": (["PCCCCC1", "PCCCCC2"], 336),
}
DELAYS = {"primary": 10, "secondary": 15, "incident-commander": 20}
NUM_LOOPS = {"dev": 1, "staging": 2, "prod": 3}

ROUTING = {
    "dev": {
        "critical": ["pagerduty", "slack:cp-dev-alerts"],
        "high": ["slack:cp-dev-alerts"],
        "informational": ["slack:cp-dev-alerts"],
    },
    "staging": {
        "critical": ["pagerduty", "slack:cp-staging-alerts"],
        "high": ["pagerduty"],
        "informational": ["slack:cp-staging-alerts"],
    },
    "prod": {
        "critical": ["pagerduty", "slack:cp-prod-incidents"],
        "high": ["pagerduty", "slack:cp-prod-alerts"],
        "informational": ["slack:cp-prod-alerts", "email:ops-oncall@company.com"],
    },
}
"""The example routing of each environment (tests/components/conftest_observability.py)."""

URGENCY = {
    "critical": "pages at high urgency",
    "high": "pages at low urgency",
    "informational": "never pages",
}
PRIORITY = {"critical": "2", "high": "3", "informational": "5"}  # §5: SEV2, SEV3, none
RENOTIFY = {"critical": 30, "high": 120, "informational": 0}

ANOMALY = (
    "anomalies(avg:library.reuse.rate{{{where}}}, 'basic', 2, direction='below', "
    "alert_window='last_30m', interval=60, count_default_zero='true')"
)

# slug, severity, title, summary, query (``{where}`` is the scope), threshold
ALERTS: list[tuple[str, str, str, str, str, str]] = [
    (
        "mission-success-rate",
        "critical",
        "Mission success rate below 0.97 over 5m",
        "Mission success rate (ratio 0-1) fell below 0.97 over the last 5m.",
        "avg(last_5m):avg:mission.success_rate{{{where}}} < 0.97",
        "0.97",
    ),
    (
        "sse-heartbeat",
        "critical",
        "SSE heartbeat above 8s",
        "Executor SSE heartbeat latency rose above 8 s (max over the last 5m).",
        "max(last_5m):avg:executor.heartbeat.latency{{{where}}} > 8",
        "8",
    ),
    (
        "undo-failures",
        "critical",
        "Undo failures above 0.01 over 1h",
        "Undo failure ratio (1 - undo success rate) rose above 0.01 over the last 1h.",
        "avg(last_1h):1 - avg:undo.success_rate{{{where}}} > 0.01",
        "0.01",
    ),
    (
        "telemetry-ingestion-stalled",
        "critical",
        "Telemetry ingestion stalled for 15m",
        "At most 0 telemetry events were ingested over the last 15m; no data counts as stalled.",
        "sum(last_15m):sum:telemetry.events.ingested{{{where}}}.as_count() <= 0",
        "0",
    ),
    (
        "oauth-failure-rate",
        "high",
        "OAuth failure rate above 0.05 over 15m",
        "OAuth failure rate (ratio 0-1) rose above 0.05 over the last 15m.",
        "avg(last_15m):avg:oauth.failure_rate{{{where}}} > 0.05",
        "0.05",
    ),
    (
        "planner-retry-spikes",
        "high",
        "Planner retries above 25 in 10m",
        "Planner retries spiked above 25 over the last 10m.",
        "sum(last_10m):sum:planner.retries.count{{{where}}}.as_count() > 25",
        "25",
    ),
    (
        "composio-rate-limit-warnings",
        "high",
        "Composio rate-limit warnings above 5 in 15m",
        "Composio returned more than 5 rate-limit warnings over the last 15m.",
        "sum(last_15m):sum:composio.rate_limit.warnings{{{where}}}.as_count() > 5",
        "5",
    ),
    (
        "library-reuse-drop",
        "informational",
        "Library reuse below its rolling range over 30m",
        "Library reuse dropped below its rolling average (anomaly, 2 deviations, algorithm basic).",
        "avg(last_4h):" + ANOMALY + " >= 1",
        "1",
    ),
]
SLUGS = [alert[0] for alert in ALERTS]


def pagerduty_service(env: str) -> str:
    return f"acme-{env}-oncall-service"


def handles(env: str, severity: str) -> list[str]:
    found = []
    for target in ROUTING[env][severity]:
        if target == "pagerduty":
            found.append(f"@pagerduty-{pagerduty_service(env)}")
        elif target.startswith("slack:"):
            found.append(f"@slack-{target.removeprefix('slack:')}")
        else:
            found.append(f"@{target.removeprefix('email:')}")
    return found


def message(env: str, slug: str, severity: str, summary: str) -> str:
    pages = "pagerduty" in ROUTING[env][severity]
    routing = (
        f"PagerDuty service {pagerduty_service(env)} {URGENCY[severity]}"
        if pages
        else ("no paging")
    )
    return "\n".join(
        [
            summary,
            "",
            f"Runbook: docs/runbooks/{slug}.md",
            f"Severity: {severity} (routing: {routing})",
            "",
            f"Notify: {' '.join(handles(env, severity))}",
        ]
    )


def monitor_inputs(env: str, slug: str) -> dict[str, Any]:
    """The inputs components.monitoring gives the monitor of alert ``slug`` in ``env``."""
    _, severity, title, summary, query, threshold = next(a for a in ALERTS if a[0] == slug)
    where = f"env:{env},service:{AGENT_SERVICE}"
    tags = {
        "alert": slug,
        "data-class": DATA_CLASS[env],
        "env": env,
        "managed-by": "pulumi",
        "service": AGENT_SERVICE,
        "severity": severity,
        "team": "sre",
    }
    inputs: dict[str, Any] = {
        "includeTags": True,
        "message": message(env, slug, severity, summary),
        "monitorThresholds": {"critical": threshold},
        "name": f"[{severity}] {title} ({env})",
        "notifyNoData": False,
        "priority": PRIORITY[severity],
        "query": query.format(where=where),
        "renotifyInterval": RENOTIFY[severity],
        "requireFullWindow": False,
        "tags": [f"{k}:{v}" for k, v in sorted(tags.items())],
        "type": "query alert",
    }
    if slug == "telemetry-ingestion-stalled":
        inputs.update(notifyNoData=True, noDataTimeframe=30)
    if slug == "library-reuse-drop":
        inputs["monitorThresholds"] = {"critical": "1", "criticalRecovery": "0"}
        inputs["monitorThresholdWindows"] = {
            "recoveryWindow": "last_30m",
            "triggerWindow": "last_30m",
        }
    return inputs


def schedule_inputs(env: str, role: str) -> dict[str, Any]:
    users, hours = ROLE_USERS[role]
    return {
        "description": f"{ROLE_TITLES[role]} of {env} (playbook §4, §12).",
        "id": SCHEDULE_IDS[role],
        "layers": [
            {
                "name": f"{ROLE_TITLES[role]} rotation",
                "rotationTurnLengthSeconds": hours * 3600,
                "rotationVirtualStart": "2026-12-07T09:00:00+00:00",
                "start": "2026-12-07T09:00:00+00:00",
                "users": users,
            }
        ],
        "name": f"acme-{env}-oncall-{role}",
        "timeZone": "Etc/UTC",
    }


def escalation_inputs(env: str, order: list[str] | None = None) -> dict[str, Any]:
    roles = order or ["primary", "secondary", "incident-commander"]
    return {
        "description": (
            f"{env}: Primary on-call → Secondary on-call → Incident Commander (playbook §4)."
        ),
        "name": f"acme-{env}-oncall-escalation",
        "numLoops": NUM_LOOPS[env],
        "rules": [
            {
                "escalationDelayInMinutes": DELAYS[role],
                "targets": [{"id": SCHEDULE_IDS[role], "type": "schedule_reference"}],
            }
            for role in roles
        ],
    }


WINDOWS = {
    "staging": ("saturday", "SA", "2026-12-05T02:00:00", "02:00-04:00"),
    "prod": ("sunday", "SU", "2026-12-06T03:00:00", "03:00-05:00"),
}


def downtime_inputs(env: str) -> dict[str, Any]:
    day, byday, start, hours = WINDOWS[env]
    return {
        "displayTimezone": "UTC",
        "message": (
            f"Maintenance window of {env}: {day} {hours} UTC (playbook §9). Monitors of the "
            "environment are muted; any still alerting at the end notify then."
        ),
        "monitorIdentifier": {"monitorTags": [f"env:{env}", "managed-by:pulumi"]},
        "muteFirstRecoveryNotification": True,
        "notifyEndStates": ["alert", "warn"],
        "notifyEndTypes": ["expired", "canceled"],
        "recurringSchedule": {
            "recurrences": [
                {"duration": "2h", "rrule": f"FREQ=WEEKLY;INTERVAL=1;BYDAY={byday}", "start": start}
            ],
            "timezone": "UTC",
        },
        "scope": f"env:{env}",
    }


def observability(env: str, make: Make) -> list[Resource]:
    """Every alerting resource of ``env``, wired like the components wire them."""
    service = make(
        SERVICE_OBJECT,
        f"acme-{env}-oncall-datadog-service",
        {"serviceKey": "[secret]", "serviceName": pagerduty_service(env)},
    )
    service["additionalSecretOutputs"] = ["serviceKey"]
    schedules = [
        make(SCHEDULE, f"acme-{env}-oncall-{role}", schedule_inputs(env, role))
        for role in ROLE_TITLES
    ]
    escalation = make(ESCALATION, f"acme-{env}-oncall-escalation", escalation_inputs(env))
    urns = sorted(s["urn"] for s in schedules)
    escalation["dependencies"] = list(urns)
    escalation["propertyDependencies"] = {"rules": list(urns)}
    monitors = []
    for slug in SLUGS:
        monitor = make(MONITOR, f"acme-{env}-monitoring-{slug}", monitor_inputs(env, slug))
        monitor["dependencies"] = [service["urn"]]
        monitors.append(monitor)
    resources = [service, *schedules, escalation, *monitors]
    if env in WINDOWS:
        resources.append(make(DOWNTIME, f"acme-{env}-maintenance-weekly", downtime_inputs(env)))
    return resources


PD_SERVICE = "pagerduty:index/service:Service"
PAGING_SERVICE_ID = "PSERVIC"


def paging_service(env: str, make: Make, escalation: Resource) -> Resource:
    """The PagerDuty service of ``env`` as components/on_call.py declares it (without support
    hours), bound to ``escalation`` by dependency as the engine shows an id known only at apply."""
    service = make(
        PD_SERVICE,
        pagerduty_service(env),
        {
            "acknowledgementTimeout": "1800",
            "autoResolveTimeout": "14400",
            "description": f"Control plane {env}: Datadog alerts routed by severity.",
            "escalationPolicy": "PESCALA",
            "id": PAGING_SERVICE_ID,
            "incidentUrgencyRule": {"type": "constant", "urgency": "severity_based"},
            "name": pagerduty_service(env),
        },
    )
    service["propertyDependencies"] = {"escalationPolicy": [escalation["urn"]]}
    service["dependencies"] = [escalation["urn"]]
    return service


SECURITY_LEAD = "PSSSSS1"
PAGERDUTY_SERVICE = "pagerduty:index/service:Service"
SECURITY_ALERTS = ("safeguard-overrides", "unauthorized-actions")


def security_service(env: str) -> str:
    return f"acme-{env}-security-service"


def security_escalation_inputs(env: str, first: list[dict[str, str]] | None = None) -> Resource:
    """The escalation policy of components/security_escalation.py: the Security Lead, then the
    incident commander rotation (``first`` replaces the first level's targets)."""
    return {
        "name": f"acme-{env}-security-escalation",
        "numLoops": 2,
        "rules": [
            {
                "escalationDelayInMinutes": 10,
                "targets": first or [{"id": SECURITY_LEAD, "type": "user_reference"}],
            },
            {
                "escalationDelayInMinutes": 10,
                "targets": [
                    {"id": SCHEDULE_IDS["incident-commander"], "type": "schedule_reference"}
                ],
            },
        ],
    }


def security_monitor_inputs(env: str, alert: str, handles: list[str] | None = None) -> Resource:
    """A security monitor's inputs as components/security_escalation.py gives them (``handles``
    replaces who it notifies)."""
    notify = handles or [f"@pagerduty-{security_service(env)}", "@security@company.com"]
    tags = {
        "alert": alert,
        "data-class": DATA_CLASS[env],
        "env": env,
        "managed-by": "pulumi",
        "route": "security",
        "service": AGENT_SERVICE,
        "sev": "sev1",
        "severity": "critical",
        "team": "sre",
    }
    return {
        "includeTags": True,
        "message": "\n".join(
            [
                f"Security alert {alert}.",
                "",
                "Runbook: docs/runbooks/security-escalation.md",
                "Severity: critical, SEV1 (routing: security escalation, Security Lead first, "
                "then Incident Commander)",
                "",
                f"Notify: {' '.join(notify)}",
            ]
        ),
        "monitorThresholds": {"critical": "0"},
        "name": f"[critical] Security alert {alert} ({env})",
        "priority": "1",
        "query": f"sum(last_5m):sum:safeguard.{alert}.count{{env:{env}}}.as_count() > 0",
        "renotifyInterval": 30,
        "requireFullWindow": False,
        "tags": [f"{k}:{v}" for k, v in sorted(tags.items())],
        "type": "query alert",
    }


def security_route(env: str, make: Make) -> list[Resource]:
    """The security route of ``env``: escalation policy, service, Datadog service object and the
    two security monitors, wired like components/security_escalation.py wires them."""
    service_object = make(
        SERVICE_OBJECT,
        f"acme-{env}-security-datadog-service",
        {"serviceKey": "[secret]", "serviceName": security_service(env)},
    )
    service_object["additionalSecretOutputs"] = ["serviceKey"]
    escalation = make(
        ESCALATION, f"acme-{env}-security-escalation", security_escalation_inputs(env)
    )
    service = make(
        PAGERDUTY_SERVICE,
        security_service(env),
        {
            "name": security_service(env),
            "incidentUrgencyRule": {"type": "constant", "urgency": "high"},
        },
    )
    monitors = []
    for alert in SECURITY_ALERTS:
        monitor = make(MONITOR, f"acme-{env}-security-{alert}", security_monitor_inputs(env, alert))
        monitor["dependencies"] = [service_object["urn"]]
        monitors.append(monitor)
    return [service_object, escalation, service, *monitors]
