"""SiemHealth: alerts when SIEM forwarding (playbook §4 "Forward to SIEM") stops or loses logs.

Per environment that has ``controlplane:siem``, two Datadog metric monitors on the Pub/Sub
subscriptions of :mod:`components.siem_forwarding`:

- **stalled**: the forwarding subscription's oldest unacknowledged message stays older than
  ``siem.alerts.backlogAgeMinutes`` over ``backlogWindowMinutes``: the Dataflow job reads
  nothing (stopped, failed, or its workers cannot pull);
- **dead letters**: any undelivered message on the dead-letter hold subscription: Datadog
  refused logs, or the job never acknowledged them.

Metric names and tags are those of Datadog's Google Cloud Pub/Sub integration, which Datadog's
Google Cloud page names for monitoring log forwarding: ``gcp.pubsub.subscription.
oldest_unacked_message_age`` (seconds) and ``gcp.pubsub.subscription.num_undelivered_messages``
on the input and dead-letter subscriptions, tagged ``project_id`` and ``subscription_id``
(https://docs.datadoghq.com/integrations/google_cloud_platform/#monitor-the-cloud-pubsub-log-forwarding,
https://docs.datadoghq.com/integrations/google_cloud_pubsub/#metrics).

A lost security feed is a security matter: where the environment has the security route
(``controlplane:security``), both monitors page it like the other security monitors (the
security PagerDuty service and the Security Lead, tags ``route:security`` and ``sev:sev1``,
:mod:`components.security_escalation`); elsewhere (dev) they alert as ``critical`` through the
environment's routing (:class:`components.datadog_common.AlertRouting`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_datadog as datadog

from components.datadog_common import AlertRouting, security_monitor
from config.monitoring import MonitoringSection
from config.siem import SiemAlertsSpec
from controlplane.naming import Naming

RUNBOOK_SLUG = "siem-forwarding"
"""The runbook ``docs/runbooks/siem-forwarding.md``."""
STALLED_ALERT = "siem-forwarding-stalled"
DEAD_LETTER_ALERT = "siem-dead-letters"
BACKLOG_AGE_METRIC = "gcp.pubsub.subscription.oldest_unacked_message_age"
"""Age in seconds of the oldest unacknowledged message of a subscription (Datadog's Google
Cloud Pub/Sub integration, a gauge)."""
UNDELIVERED_METRIC = "gcp.pubsub.subscription.num_undelivered_messages"
"""Unacknowledged (backlog) messages of a subscription (the same integration, a gauge)."""
MINUTE_SECONDS = 60


def subscription_scope(project: str, subscription_id: str) -> str:
    """The integration's tags of one subscription: ``{project_id:<p>,subscription_id:<id>}``."""
    return "{" + f"project_id:{project},subscription_id:{subscription_id}" + "}"


def stalled_query(project: str, subscription_id: str, spec: SiemAlertsSpec) -> str:
    """Fires when the oldest unacked message stayed older than the age over the whole window
    (``min`` over the window: every point above the threshold)."""
    return (
        f"min(last_{spec.backlog_window_minutes}m):max:{BACKLOG_AGE_METRIC}"
        f"{subscription_scope(project, subscription_id)} > "
        f"{spec.backlog_age_minutes * MINUTE_SECONDS}"
    )


def dead_letter_query(project: str, subscription_id: str, spec: SiemAlertsSpec) -> str:
    """Fires on any undelivered message on the dead-letter hold subscription in the window."""
    return (
        f"max(last_{spec.dead_letter_window_minutes}m):max:{UNDELIVERED_METRIC}"
        f"{subscription_scope(project, subscription_id)} > 0"
    )


@dataclass(frozen=True)
class SecurityRoute:
    """The security route's handles (:class:`components.security_escalation.SecurityEscalation`)."""

    service_name: str
    """The security PagerDuty service as Datadog knows it (``@pagerduty-<name>``)."""
    security_lead: str
    """The Security Lead's address (``controlplane:security.contacts.securityLead``)."""
    notify_after: Sequence[pulumi.Resource] = ()
    """Datadog's service object of the route, which makes the handle valid."""


@dataclass(frozen=True)
class SiemHealthArgs:
    """Inputs of :class:`SiemHealth`."""

    naming: Naming
    """Names and tags of the environment."""
    project: str
    """GCP project of the subscriptions (the integration's ``project_id`` tag)."""
    subscription_id: str
    """Short id of the subscription the Dataflow job reads."""
    dead_letter_subscription_id: str
    """Short id of the dead-letter hold subscription."""
    spec: SiemAlertsSpec
    """``controlplane:siem.alerts``: thresholds and windows."""
    monitoring: MonitoringSection
    """``controlplane:monitoring``: the team tag and runbook links."""
    service: str
    """The agent's Datadog service name (the monitors' ``service`` tag)."""
    alerts: AlertRouting
    """The environment's routing: used where there is no security route."""
    security: SecurityRoute | None = None
    """The security route; when set, the monitors page it instead of ``alerts``."""


class SiemHealth(pulumi.ComponentResource):
    """The stalled-forwarding and dead-letter monitors of one environment."""

    monitors: dict[str, datadog.Monitor]
    """The two monitors keyed by their ``alert:`` tag."""

    def __init__(
        self, name: str, args: SiemHealthArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:observability:SiemHealth", name, None, opts)
        spec = args.spec
        dead_letter_retention = "the dead-letter subscription keeps them for replay"
        self.monitors = {
            STALLED_ALERT: self._monitor(
                f"{name}-{STALLED_ALERT}",
                args,
                alert=STALLED_ALERT,
                title=(
                    f"SIEM forwarding stalled: oldest log older than {spec.backlog_age_minutes}m"
                ),
                summary=(
                    f"The oldest unacknowledged message of {args.subscription_id} stayed older "
                    f"than {spec.backlog_age_minutes} minutes over "
                    f"{spec.backlog_window_minutes} minutes: the Dataflow job sends no logs to "
                    "the SIEM, so anomaly detection is blind."
                ),
                query=stalled_query(args.project, args.subscription_id, spec),
                monitor_thresholds=datadog.MonitorMonitorThresholdsArgs(
                    critical=str(spec.backlog_age_minutes * MINUTE_SECONDS)
                ),
            ),
            DEAD_LETTER_ALERT: self._monitor(
                f"{name}-{DEAD_LETTER_ALERT}",
                args,
                alert=DEAD_LETTER_ALERT,
                title="SIEM logs dead-lettered: Datadog refused or never got them",
                summary=(
                    f"{args.dead_letter_subscription_id} holds undelivered messages (last "
                    f"{spec.dead_letter_window_minutes} minutes): logs did not reach the SIEM; "
                    f"{dead_letter_retention}."
                ),
                query=dead_letter_query(args.project, args.dead_letter_subscription_id, spec),
                monitor_thresholds=datadog.MonitorMonitorThresholdsArgs(critical="0"),
            ),
        }
        self.register_outputs({"monitorIds": {key: m.id for key, m in self.monitors.items()}})

    def _monitor(
        self,
        logical_name: str,
        args: SiemHealthArgs,
        *,
        alert: str,
        title: str,
        summary: str,
        **definition: Any,
    ) -> datadog.Monitor:
        runbook = args.monitoring.runbook(RUNBOOK_SLUG)
        common: dict[str, Any] = {
            "type": "query alert",
            "require_full_window": False,
            "include_tags": True,
            **definition,
        }
        route = args.security
        if route is None:
            return args.alerts.monitor(
                self,
                logical_name,
                naming=args.naming,
                severity="critical",
                title=title,
                summary=summary,
                runbook=runbook,
                tags={"service": args.service, "team": args.monitoring.team, "alert": alert},
                **common,
            )
        return security_monitor(
            logical_name,
            naming=args.naming,
            service=args.service,
            team=args.monitoring.team,
            pagerduty_service_name=route.service_name,
            security_lead=route.security_lead,
            runbook=runbook,
            alert=alert,
            title=title,
            summary=summary,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(route.notify_after)),
            **definition,
        )
