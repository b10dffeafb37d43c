"""OnCall: the PagerDuty side of alert routing (playbook §4, §12) and its Datadog integration.

Per environment:

- three schedules (primary on-call, secondary on-call, incident commander), each a rotation
  of users with its handoff time from config;
- one escalation policy whose levels go primary, then secondary, then incident commander,
  with the delays from config and at least one loop;
- one service on that policy, with auto-resolve, acknowledgement timeout and alert grouping;
- urgency and priority by severity: an event orchestration on the service reads the ``[<severity>]``
  marker that every monitor name starts with (:func:`components.datadog_common.monitor_name`)
  and sets the alert severity to ``critical`` (high urgency) for critical alerts and
  ``warning`` (low urgency) for high alerts, and suppresses informational ones (they never
  page, even if one is misrouted); it also sets the PagerDuty incident priority of the alert's
  playbook §5 level (:data:`controlplane.playbook.ALERT_SEV`: critical SEV2, high SEV3), looked
  up by name in the account. The service's urgency rule is ``severity_based``; with
  support hours in config (dev), incidents outside them are always low urgency, so dev
  never pages anyone at night;
- a Datadog integration on the service, and Datadog's PagerDuty service object carrying the
  integration key, which stays a Pulumi secret end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_datadog as datadog
import pulumi_pagerduty as pagerduty

from config.oncall import OnCallSection
from controlplane.naming import Naming
from controlplane.playbook import ALERT_SEV, SEV_LEVELS, Role, Severity, SevLevel

DATADOG_VENDOR = "Datadog"
"""The PagerDuty vendor the service integration is for."""

ROLE_SLUGS: dict[Role, str] = {
    "primary": "primary",
    "secondary": "secondary",
    "incidentCommander": "incident-commander",
}
ROLE_TITLES: dict[Role, str] = {
    "primary": "Primary on-call",
    "secondary": "Secondary on-call",
    "incidentCommander": "Incident Commander",
}

ALERT_SEVERITY: dict[Severity, str] = {"critical": "critical", "high": "warning"}
"""PagerDuty alert severity per monitor severity; ``severity_based`` urgency maps ``critical``
to high urgency and ``warning`` to low urgency. Informational alerts are suppressed."""


URGENCY_RULES: dict[Severity, str] = {
    "critical": "Critical alerts page at high urgency",
    "high": "High alerts page at low urgency",
    "informational": "Informational alerts never page",
}
"""The labels of the event orchestration's rules, in rule order."""


def severity_condition(severity: Severity) -> str:
    """The PCL condition that matches an event of a monitor of ``severity``."""
    return f"event.summary matches part '[{severity}]'"


def default_priorities() -> dict[SevLevel, str]:
    """The PagerDuty priority name of each playbook §5 level (``P1``, ``P2``, ``P3``)."""
    return {level: sev.pagerduty_priority for level, sev in SEV_LEVELS.items()}


def priority_id(parent: pulumi.Resource, name: str) -> pulumi.Output[str]:
    """The id of the account's PagerDuty incident priority called ``name``."""
    return pagerduty.get_priority_output(
        name=name, opts=pulumi.InvokeOutputOptions(parent=parent)
    ).id


def orchestration_rule(
    severity: Severity, priorities: Mapping[SevLevel, pulumi.Input[str]] | None = None
) -> pagerduty.EventOrchestrationServiceSetRuleArgs:
    """The orchestration rule of ``severity``: set the PagerDuty alert severity and the priority
    of its §5 level (ids in ``priorities``), or suppress (informational alerts, which have none in
    :data:`ALERT_SEVERITY`)."""
    level = ALERT_SEV[severity]
    actions = (
        pagerduty.EventOrchestrationServiceSetRuleActionsArgs(
            severity=ALERT_SEVERITY[severity],
            priority=priorities[level] if priorities is not None and level else None,
        )
        if severity in ALERT_SEVERITY
        else pagerduty.EventOrchestrationServiceSetRuleActionsArgs(suppress=True)
    )
    return pagerduty.EventOrchestrationServiceSetRuleArgs(
        label=URGENCY_RULES[severity],
        conditions=[
            pagerduty.EventOrchestrationServiceSetRuleConditionArgs(
                expression=severity_condition(severity)
            )
        ],
        actions=actions,
    )


def pagerduty_service_name(naming: Naming) -> str:
    """Name of the environment's PagerDuty service (also its name in Datadog's handles)."""
    return naming.physical("oncall", "service")


@dataclass(frozen=True)
class OnCallArgs:
    """Inputs of :class:`OnCall`."""

    naming: Naming
    """Names of the environment."""
    config: OnCallSection
    """``controlplane:oncall``: rotations, escalation, service settings."""
    priorities: Mapping[SevLevel, str] = field(default_factory=default_priorities)
    """PagerDuty priority name of each §5 level (``controlplane:security.priorities``)."""


class OnCall(pulumi.ComponentResource):
    """PagerDuty schedules, escalation policy and service of one environment."""

    schedules: dict[Role, pagerduty.Schedule]
    """The three schedules keyed by role."""
    escalation_policy: pagerduty.EscalationPolicy
    service: pagerduty.Service
    datadog_service_name: str
    """The service's name in Datadog: monitors page it with ``@pagerduty-<name>``."""
    integration_key: pulumi.Output[str]
    """The Datadog integration's routing key (a secret)."""
    service_object: datadog.pagerduty.ServiceObject
    """Datadog's PagerDuty service object: monitors that page depend on it."""

    def __init__(
        self, name: str, args: OnCallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:oncall:OnCall", name, None, opts)
        cfg = args.config
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)

        self.schedules = {}
        for role, rotation in cfg.schedules.by_role().items():
            handoff = rotation.handoff.isoformat()
            self.schedules[role] = pagerduty.Schedule(
                f"{name}-{ROLE_SLUGS[role]}",
                name=naming.physical("oncall", ROLE_SLUGS[role]),
                description=f"{ROLE_TITLES[role]} of {naming.env} (playbook §4, §12).",
                time_zone=cfg.time_zone,
                layers=[
                    pagerduty.ScheduleLayerArgs(
                        name=f"{ROLE_TITLES[role]} rotation",
                        start=handoff,
                        rotation_virtual_start=handoff,
                        rotation_turn_length_seconds=rotation.turn_length_hours * 3600,
                        users=list(rotation.users),
                    )
                ],
                opts=child,
            )

        self.escalation_policy = pagerduty.EscalationPolicy(
            f"{name}-escalation",
            name=naming.physical("oncall", "escalation"),
            description=(
                f"{naming.env}: Primary on-call → Secondary on-call → Incident Commander "
                "(playbook §4)."
            ),
            num_loops=cfg.num_loops,
            rules=[
                pagerduty.EscalationPolicyRuleArgs(
                    escalation_delay_in_minutes=level.delay_minutes,
                    targets=[
                        pagerduty.EscalationPolicyRuleTargetArgs(
                            type="schedule_reference", id=self.schedules[level.schedule].id
                        )
                    ],
                )
                for level in cfg.escalation
            ],
            opts=child,
        )

        self.datadog_service_name = pagerduty_service_name(naming)
        urgency_rule, support_hours, scheduled_actions = _urgency(cfg)
        self.service = pagerduty.Service(
            f"{name}-service",
            name=self.datadog_service_name,
            description=f"Control plane {naming.env}: Datadog alerts routed by severity.",
            escalation_policy=self.escalation_policy.id,
            auto_resolve_timeout=str(cfg.auto_resolve_seconds),
            acknowledgement_timeout=str(cfg.acknowledgement_timeout_seconds),
            incident_urgency_rule=urgency_rule,
            support_hours=support_hours,
            scheduled_actions=scheduled_actions,
            opts=child,
        )

        grouping = cfg.alert_grouping
        pagerduty.AlertGroupingSetting(
            f"{name}-alert-grouping",
            name=naming.physical("oncall", "alert-grouping"),
            description=f"Groups repeated Datadog alerts of {naming.env} into one incident.",
            type=grouping.type,
            services=[self.service.id],
            config=pagerduty.AlertGroupingSettingConfigArgs(
                timeout=grouping.time_window_seconds if grouping.type == "time" else None,
                time_window=grouping.time_window_seconds if grouping.type != "time" else None,
                aggregate="all" if grouping.type == "content_based" else None,
                fields=list(grouping.fields) if grouping.type == "content_based" else None,
            ),
            opts=child,
        )

        priority_ids = {
            level: priority_id(self, args.priorities[level])
            for level in {ALERT_SEV[s] for s in ALERT_SEVERITY}
            if level is not None
        }
        pagerduty.EventOrchestrationService(
            f"{name}-urgency",
            service=self.service.id,
            enable_event_orchestration_for_service=True,
            sets=[
                pagerduty.EventOrchestrationServiceSetArgs(
                    id="start",
                    rules=[
                        orchestration_rule(severity, priority_ids) for severity in URGENCY_RULES
                    ],
                )
            ],
            catch_all=pagerduty.EventOrchestrationServiceCatchAllArgs(
                actions=pagerduty.EventOrchestrationServiceCatchAllActionsArgs()
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
        self.integration_key = pulumi.Output.secret(integration.integration_key)
        self.service_object = datadog.pagerduty.ServiceObject(
            f"{name}-datadog-service",
            service_name=self.datadog_service_name,
            service_key=self.integration_key,
            opts=child,
        )

        self.register_outputs(
            {
                "serviceId": self.service.id,
                "escalationPolicyId": self.escalation_policy.id,
                "scheduleIds": {role: s.id for role, s in self.schedules.items()},
                "datadogServiceName": self.datadog_service_name,
            }
        )


def _urgency(
    cfg: OnCallSection,
) -> tuple[
    pagerduty.ServiceIncidentUrgencyRuleArgs,
    pagerduty.ServiceSupportHoursArgs | None,
    list[pagerduty.ServiceScheduledActionArgs] | None,
]:
    """The service's urgency settings: by severity, low outside support hours if configured."""
    if cfg.support_hours is None:
        return (
            pagerduty.ServiceIncidentUrgencyRuleArgs(type="constant", urgency="severity_based"),
            None,
            None,
        )
    hours = cfg.support_hours
    rule = pagerduty.ServiceIncidentUrgencyRuleArgs(
        type="use_support_hours",
        during_support_hours=pagerduty.ServiceIncidentUrgencyRuleDuringSupportHoursArgs(
            type="constant", urgency="severity_based"
        ),
        outside_support_hours=pagerduty.ServiceIncidentUrgencyRuleOutsideSupportHoursArgs(
            type="constant", urgency="low"
        ),
    )
    support = pagerduty.ServiceSupportHoursArgs(
        type="fixed_time_per_day",
        time_zone=hours.time_zone,
        days_of_weeks=list(hours.days),
        start_time=f"{hours.start}:00",
        end_time=f"{hours.end}:00",
    )
    # PagerDuty requires a scheduled action with support hours: open incidents become high
    # urgency when support hours start, so night-time alerts are seen in the morning.
    actions = [
        pagerduty.ServiceScheduledActionArgs(
            type="urgency_change",
            to_urgency="high",
            ats=[
                pagerduty.ServiceScheduledActionAtArgs(
                    type="named_time", name="support_hours_start"
                )
            ],
        )
    ]
    return rule, support, actions
