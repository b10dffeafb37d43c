"""What the Datadog components share: severity routing, monitor names, messages, scopes.

Monitoring, Slos and Synthetics alert the same way (playbook §4): the severity picks the
priority, the re-notification interval and the notification targets of ``controlplane:routing``;
the monitor name starts with ``[<severity>]``, the marker that the on-call service's event
orchestration reads to set the PagerDuty urgency (:mod:`components.on_call`). The scorecard
draws the same scopes and objectives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_datadog as datadog

from config.routing import PAGERDUTY, RoutingSection
from controlplane.naming import Naming
from controlplane.playbook import SECURITY_SEV, SEV_LEVELS, SEVERITIES, Severity, datadog_priority

PRIORITY: dict[Severity, str] = {severity: datadog_priority(severity) for severity in SEVERITIES}
"""Datadog monitor priority (P1 most urgent) per severity, from its playbook §5 level
(:data:`controlplane.playbook.ALERT_SEV`): critical SEV2 → 2, high SEV3 → 3, informational 5."""
RENOTIFY_MINUTES: dict[Severity, int] = {"critical": 30, "high": 120, "informational": 0}
"""Re-notification interval while an alert stays open (0: never)."""
URGENCY_TEXT: dict[Severity, str] = {
    "critical": "pages at high urgency",
    "high": "pages at low urgency",
    "informational": "never pages",
}
SLO_SLUGS = {
    "missionCompletion": "mission-completion",
    "streamingHeartbeat": "streaming-heartbeat",
    "apiLatency": "api-latency",
}
"""Stable ids of the §1 objectives (logical names, ``slo:`` tags, scorecard widgets)."""


def number(value: float) -> str:
    """A threshold as Datadog and the playbook write it: ``0.97``, ``8``, ``0``."""
    return f"{value:g}"


def scope(naming: Naming, service: str) -> str:
    """The tag filter that scopes a query to the environment and the agent's service."""
    return f"env:{naming.env},service:{service}"


def monitor_name(severity: Severity, title: str, naming: Naming) -> str:
    """``[critical] <title> (<env>)``; the marker drives the PagerDuty urgency."""
    return f"[{severity}] {title} ({naming.env})"


def notification_handle(target: str, pagerduty_service_name: str) -> str:
    """The Datadog ``@`` handle of one routing target (``pagerduty``, ``slack:<channel>``,
    ``email:<address>``)."""
    if target == PAGERDUTY:
        return f"@pagerduty-{pagerduty_service_name}"
    if target.startswith("slack:"):
        return f"@slack-{target.removeprefix('slack:')}"
    return f"@{target.removeprefix('email:')}"


def notification_handles(
    routing: RoutingSection, severity: Severity, pagerduty_service_name: str
) -> list[str]:
    """Datadog ``@`` handles of the targets that ``routing`` gives ``severity``."""
    return [
        notification_handle(target, pagerduty_service_name) for target in routing.targets(severity)
    ]


def alert_message(
    *,
    summary: str,
    runbook: str,
    severity: Severity,
    routing: RoutingSection,
    pagerduty_service_name: str,
) -> str:
    """The notification text: what fired, the runbook, the severity and its targets."""
    handles = notification_handles(routing, severity, pagerduty_service_name)
    paging = (
        f"PagerDuty service {pagerduty_service_name} {URGENCY_TEXT[severity]}"
        if routing.pages(severity)
        else "no paging"
    )
    return "\n".join(
        [
            summary,
            "",
            f"Runbook: {runbook}",
            f"Severity: {severity} (routing: {paging})",
            "",
            f"Notify: {' '.join(handles)}",
        ]
    )


@dataclass(frozen=True)
class AlertRouting:
    """Where the alerts of one environment go; Monitoring, Slos and Synthetics take the same."""

    routing: RoutingSection
    """``controlplane:routing``: notification targets per severity."""
    pagerduty_service_name: str
    """The environment's PagerDuty service as Datadog knows it (``OnCall.datadog_service_name``);
    ``@pagerduty-<name>`` is the paging handle."""
    notify_after: Sequence[pulumi.Resource] = ()
    """Resources the notification handles need first (``OnCall.service_object``, which makes
    ``@pagerduty-<name>`` valid in Datadog)."""

    def message(self, *, summary: str, runbook: str, severity: Severity) -> str:
        """:func:`alert_message` with this environment's targets."""
        return alert_message(
            summary=summary,
            runbook=runbook,
            severity=severity,
            routing=self.routing,
            pagerduty_service_name=self.pagerduty_service_name,
        )

    def options(self, parent: pulumi.Resource) -> pulumi.ResourceOptions:
        """A notifying child's options: under ``parent``, after :attr:`notify_after`."""
        return pulumi.ResourceOptions(parent=parent, depends_on=list(self.notify_after))

    def monitor(
        self,
        parent: pulumi.Resource,
        logical_name: str,
        *,
        naming: Naming,
        severity: Severity,
        title: str,
        summary: str,
        runbook: str,
        tags: Mapping[str, str],
        **definition: Any,
    ) -> datadog.Monitor:
        """A Datadog monitor that alerts as ``severity`` says: the ``[<severity>]`` name, the
        message with ``runbook`` and this environment's targets, the severity's priority and
        re-notification interval, and ``tags`` plus ``severity`` on the environment's tags.
        ``definition`` is the rest of the monitor (type, query, thresholds)."""
        return datadog.Monitor(
            logical_name,
            name=monitor_name(severity, title, naming),
            message=self.message(summary=summary, runbook=runbook, severity=severity),
            priority=PRIORITY[severity],
            renotify_interval=RENOTIFY_MINUTES[severity],
            tags=naming.tags(severity=severity, **tags),
            opts=self.options(parent),
            **definition,
        )


def security_monitor(
    logical_name: str,
    *,
    naming: Naming,
    service: str,
    team: str,
    pagerduty_service_name: str,
    security_lead: str,
    runbook: str,
    alert: str,
    title: str,
    summary: str,
    opts: pulumi.ResourceOptions,
    **definition: Any,
) -> datadog.Monitor:
    """A critical ``query alert`` monitor on the security route: it pages the security PagerDuty
    service and the Security Lead, at the security SEV's priority, tagged ``route:security`` and
    ``sev:<level>`` (:mod:`components.security_escalation`). ``opts`` gives its parent and must
    make it wait for the route's Datadog service object, which makes the ``@pagerduty-`` handle
    valid."""
    sev = SEV_LEVELS[SECURITY_SEV]
    handles = [f"@pagerduty-{pagerduty_service_name}", f"@{security_lead}"]
    message = "\n".join(
        [
            summary,
            "",
            f"Runbook: {runbook}",
            f"Severity: critical, {sev.level} (routing: security escalation, Security Lead "
            "first, then Incident Commander)",
            "",
            f"Notify: {' '.join(handles)}",
        ]
    )
    return datadog.Monitor(
        logical_name,
        name=monitor_name("critical", title, naming),
        message=message,
        priority=str(sev.datadog_priority),
        renotify_interval=30,
        tags=naming.tags(
            severity="critical",
            service=service,
            team=team,
            alert=alert,
            route="security",
            sev=sev.level.lower(),
        ),
        type="query alert",
        require_full_window=False,
        include_tags=True,
        opts=opts,
        **definition,
    )
