"""SecurityEscalation: the security route of playbook §1 and §12, apart from the operations chain.

§1 "Security: Zero unauthorized actions; immediate containment on anomaly" and §12 "Security
Lead": security alerts do not go through the operations chain of :mod:`components.on_call`
(primary → secondary → incident commander). Per environment that has ``controlplane:security``:

- a PagerDuty escalation policy whose first level pages the Security Lead's users
  (``user_reference``), then the incident commander rotation of the operations chain;
- a PagerDuty service on that policy, always high urgency; its event orchestration sets every
  alert to ``critical`` and the incident priority of playbook §5 SEV1 (customer data and trust at
  risk), so the SEV1 response (:mod:`components.severity_response`) starts;
- Datadog's PagerDuty service object for it (``@pagerduty-<name>``), keyed by a Datadog
  integration on the service (the key stays a Pulumi secret);
- two Datadog monitors that page only that service and the Security Lead's address: an anomaly
  monitor on ``safeguard.overrides.count`` (§4 metric, §11 "override spikes": overrides above
  their expected range) and an alert on any unauthorized-action signal in the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_datadog as datadog
import pulumi_pagerduty as pagerduty

from components.datadog_common import number, scope, security_monitor
from components.monitoring import anomaly_query
from components.on_call import DATADOG_VENDOR, priority_id
from config.monitoring import AnomalyAlert, MonitoringSection
from config.security import SecuritySection
from controlplane.naming import Naming
from controlplane.playbook import SECURITY_SEV, SEV_LEVELS

RUNBOOK_SLUG = "security-escalation"
"""The rule's slug: the runbook ``docs/runbooks/security-escalation.md``."""
ROUTE_TAG = "route:security"
"""The tag of the monitors that page the security route instead of the operations chain."""
OVERRIDES_ALERT = "safeguard-overrides"
UNAUTHORIZED_ALERT = "unauthorized-actions"


def security_service_name(naming: Naming) -> str:
    """Name of the environment's security PagerDuty service (also its Datadog handle)."""
    return naming.physical("security", "service")


@dataclass(frozen=True)
class SecurityEscalationArgs:
    """Inputs of :class:`SecurityEscalation`."""

    naming: Naming
    """Names and tags of the environment."""
    config: SecuritySection
    """``controlplane:security``: Security Lead, contacts, the two alerts."""
    monitoring: MonitoringSection
    """``controlplane:monitoring``: the overrides metric name, the team tag, runbook links."""
    service: str
    """The agent's Datadog service name; scopes the queries."""
    incident_commander_schedule: pulumi.Input[str]
    """Id of the incident commander schedule of the operations chain (second level)."""


class SecurityEscalation(pulumi.ComponentResource):
    """The security escalation policy, service and monitors of one environment."""

    escalation_policy: pagerduty.EscalationPolicy
    service: pagerduty.Service
    datadog_service_name: str
    """``@pagerduty-<name>`` pages the security route."""
    service_object: datadog.pagerduty.ServiceObject
    """Datadog's PagerDuty service object of the route (makes the handle valid)."""
    monitors: dict[str, datadog.Monitor]
    """The two security monitors keyed by their ``alert:`` tag."""

    def __init__(
        self, name: str, args: SecurityEscalationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:oncall:SecurityEscalation", name, None, opts)
        cfg, naming = args.config, args.naming
        child = pulumi.ResourceOptions(parent=self)
        lead = cfg.security_lead

        self.escalation_policy = pagerduty.EscalationPolicy(
            f"{name}-escalation",
            name=naming.physical("security", "escalation"),
            description=(
                f"{naming.env}: Security Lead → Incident Commander (playbook §1 security, §12)."
            ),
            num_loops=2,
            rules=[
                pagerduty.EscalationPolicyRuleArgs(
                    escalation_delay_in_minutes=lead.delay_minutes,
                    targets=[
                        pagerduty.EscalationPolicyRuleTargetArgs(type="user_reference", id=user)
                        for user in lead.users
                    ],
                ),
                pagerduty.EscalationPolicyRuleArgs(
                    escalation_delay_in_minutes=lead.delay_minutes,
                    targets=[
                        pagerduty.EscalationPolicyRuleTargetArgs(
                            type="schedule_reference", id=args.incident_commander_schedule
                        )
                    ],
                ),
            ],
            opts=child,
        )

        self.datadog_service_name = security_service_name(naming)
        self.service = pagerduty.Service(
            f"{name}-service",
            name=self.datadog_service_name,
            description=(
                f"Control plane {naming.env}: security alerts (unauthorized actions, safeguard "
                "override spikes); SEV1, always high urgency."
            ),
            escalation_policy=self.escalation_policy.id,
            incident_urgency_rule=pagerduty.ServiceIncidentUrgencyRuleArgs(
                type="constant", urgency=SEV_LEVELS[SECURITY_SEV].urgency
            ),
            opts=child,
        )
        pagerduty.EventOrchestrationService(
            f"{name}-priority",
            service=self.service.id,
            enable_event_orchestration_for_service=True,
            sets=[pagerduty.EventOrchestrationServiceSetArgs(id="start", rules=[])],
            catch_all=pagerduty.EventOrchestrationServiceCatchAllArgs(
                actions=pagerduty.EventOrchestrationServiceCatchAllActionsArgs(
                    severity="critical",
                    priority=priority_id(self, cfg.priorities[SECURITY_SEV]),
                )
            ),
            opts=child,
        )

        vendor = pagerduty.get_vendor_output(
            name=DATADOG_VENDOR, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        integration = pagerduty.ServiceIntegration(
            f"{name}-datadog",
            name=DATADOG_VENDOR,
            service=self.service.id,
            vendor=vendor.id,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["integrationKey"]),
        )
        integration_key: pulumi.Output[str] = pulumi.Output.secret(integration.integration_key)
        self.service_object = service_object = datadog.pagerduty.ServiceObject(
            f"{name}-datadog-service",
            service_name=self.datadog_service_name,
            service_key=integration_key,
            opts=child,
        )

        where = "{" + scope(naming, args.service) + "}"
        overrides = cfg.overrides
        unauthorized = cfg.unauthorized_actions
        anomaly = AnomalyAlert(
            algorithm=overrides.algorithm,
            deviations=overrides.deviations,
            evaluation_window=overrides.evaluation_window,
            alert_window=overrides.alert_window,
            seasonality=overrides.seasonality,
        )
        notify = pulumi.ResourceOptions(parent=self, depends_on=[service_object])
        self.monitors = {
            OVERRIDES_ALERT: self._monitor(
                f"{name}-{OVERRIDES_ALERT}",
                args,
                alert=OVERRIDES_ALERT,
                title=f"Safeguard overrides above their expected range over {anomaly.alert_window}",
                summary=(
                    "Safeguard overrides spiked above their expected range (anomaly, "
                    f"{number(anomaly.deviations)} deviations, algorithm {anomaly.algorithm})."
                ),
                opts=notify,
                query=anomaly_query(
                    args.monitoring.metrics.safeguard_overrides_count,
                    where,
                    anomaly,
                    direction="above",
                ),
                monitor_thresholds=datadog.MonitorMonitorThresholdsArgs(
                    critical="1", critical_recovery="0"
                ),
                monitor_threshold_windows=datadog.MonitorMonitorThresholdWindowsArgs(
                    trigger_window=f"last_{anomaly.alert_window}",
                    recovery_window=f"last_{anomaly.alert_window}",
                ),
            ),
            UNAUTHORIZED_ALERT: self._monitor(
                f"{name}-{UNAUTHORIZED_ALERT}",
                args,
                alert=UNAUTHORIZED_ALERT,
                title=f"Unauthorized action signalled in {unauthorized.window}",
                summary=(
                    "The safeguards refused at least one unauthorized action over the last "
                    f"{unauthorized.window}: contain at once (playbook §1, §5)."
                ),
                opts=notify,
                query=(
                    f"sum(last_{unauthorized.window}):sum:{unauthorized.metric}{where}"
                    ".as_count() > 0"
                ),
                monitor_thresholds=datadog.MonitorMonitorThresholdsArgs(critical="0"),
            ),
        }
        self.register_outputs(
            {
                "serviceId": self.service.id,
                "escalationPolicyId": self.escalation_policy.id,
                "datadogServiceName": self.datadog_service_name,
                "monitorIds": {key: m.id for key, m in self.monitors.items()},
            }
        )

    def _monitor(
        self,
        logical_name: str,
        args: SecurityEscalationArgs,
        *,
        alert: str,
        title: str,
        summary: str,
        opts: pulumi.ResourceOptions,
        **definition: Any,
    ) -> datadog.Monitor:
        return security_monitor(
            logical_name,
            naming=args.naming,
            service=args.service,
            team=args.monitoring.team,
            pagerduty_service_name=self.datadog_service_name,
            security_lead=args.config.contacts.security_lead,
            runbook=args.monitoring.runbook(RUNBOOK_SLUG),
            alert=alert,
            title=title,
            summary=summary,
            opts=opts,
            **definition,
        )
