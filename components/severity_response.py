"""SeverityResponse: what a playbook §5 SEV1 incident brings in.

§5 "Triage: Incident Commander (IC) assigns roles (Comms, Ops, Scribe)". A SEV1 (customer data
at risk, widespread failure, trust breach) does not wait for the escalation to reach the IC: an
incident that gets the SEV1 priority (:data:`controlplane.playbook.SEV_LEVELS`, set by the
event orchestrations of :mod:`components.on_call` and :mod:`components.security_escalation`)
starts a PagerDuty incident workflow that adds as responders the incident commander (through an
escalation policy whose one level is the IC rotation: responders are users or escalation
policies, never schedules) and the users of the Comms, Ops and Scribe roles, and, when
configured, the conference bridge.

Why an incident workflow and not a response play: the installed provider (pulumi-pagerduty 4.x)
still ships ``ResponsePlay``, but PagerDuty replaced response plays with incident workflows,
which the provider supports as ``IncidentWorkflow`` (steps) and ``IncidentWorkflowTrigger``
(``conditional`` on a PCL condition over the incident, limited to listed services). See
docs/runbooks/severity-levels.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_pagerduty as pagerduty

from config.security import SecuritySection
from controlplane.naming import Naming
from controlplane.playbook import RESPONSE_ROLES, SEV_LEVELS

ADD_RESPONDERS = "pagerduty.com:incident-workflows:add-responders:2"
"""The workflow action that requests responders (inputs ``Responders``, ``Message``)."""
ADD_CONFERENCE_BRIDGE = "pagerduty.com:incident-workflows:add-conference-bridge:4"
"""The workflow action that sets the incident's conference bridge (input ``Conference URL``)."""
ROLE_TITLES = {"comms": "Comms", "ops": "Ops", "scribe": "Scribe"}


def sev1_condition(priority_name: str) -> str:
    """The PCL condition of the SEV1 trigger: the incident has the SEV1 priority."""
    return f"incident.priority matches '{priority_name}'"


def responders_json(commander_policy: str, users: Sequence[str]) -> str:
    """The ``Responders`` input: the IC escalation policy first, then each role's users."""
    refs = [{"type": "escalation_policy", "id": commander_policy}]
    refs += [{"type": "user_reference", "id": user} for user in users]
    return json.dumps(refs)


@dataclass(frozen=True)
class SeverityResponseArgs:
    """Inputs of :class:`SeverityResponse`."""

    naming: Naming
    config: SecuritySection
    """``controlplane:security``: responders, conference bridge, priority names."""
    incident_commander_schedule: pulumi.Input[str]
    """Id of the incident commander schedule of the operations chain."""
    services: Sequence[pulumi.Input[str]]
    """Ids of the PagerDuty services whose SEV1 incidents start the response."""


class SeverityResponse(pulumi.ComponentResource):
    """The SEV1 incident workflow of one environment and the trigger that starts it."""

    commander_policy: pagerduty.EscalationPolicy
    workflow: pagerduty.IncidentWorkflow
    trigger: pagerduty.IncidentWorkflowTrigger

    def __init__(
        self, name: str, args: SeverityResponseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:oncall:SeverityResponse", name, None, opts)
        cfg, naming = args.config, args.naming
        child = pulumi.ResourceOptions(parent=self)
        sev1 = SEV_LEVELS["SEV1"]

        self.commander_policy = pagerduty.EscalationPolicy(
            f"{name}-incident-commander",
            name=naming.physical("sev1", "incident-commander"),
            description=f"{naming.env}: the incident commander rotation, brought into SEV1s.",
            num_loops=2,
            rules=[
                pagerduty.EscalationPolicyRuleArgs(
                    escalation_delay_in_minutes=10,
                    targets=[
                        pagerduty.EscalationPolicyRuleTargetArgs(
                            type="schedule_reference", id=args.incident_commander_schedule
                        )
                    ],
                )
            ],
            opts=child,
        )
        users = [user for role in RESPONSE_ROLES for user in getattr(cfg.responders, role)]
        roles = ", ".join(ROLE_TITLES[role] for role in sev1.response_roles)
        steps = []
        if cfg.conference_url is not None:
            steps.append(
                pagerduty.IncidentWorkflowStepArgs(
                    name="Add the conference bridge",
                    action=ADD_CONFERENCE_BRIDGE,
                    inputs=[
                        pagerduty.IncidentWorkflowStepInputArgs(
                            name="Conference URL", value=cfg.conference_url
                        )
                    ],
                )
            )
        steps.append(
            pagerduty.IncidentWorkflowStepArgs(
                name=f"Add the incident commander and {roles}",
                action=ADD_RESPONDERS,
                inputs=[
                    pagerduty.IncidentWorkflowStepInputArgs(
                        name="Responders",
                        value=self.commander_policy.id.apply(
                            lambda policy: responders_json(policy, users)
                        ),
                    ),
                    pagerduty.IncidentWorkflowStepInputArgs(
                        name="Message",
                        value=(
                            "SEV1 (playbook §5: customer data at risk, widespread failure, "
                            f"trust breach): join {{{{incident.title}}}} as IC, {roles}."
                        ),
                    ),
                ],
            )
        )
        self.workflow = pagerduty.IncidentWorkflow(
            f"{name}-sev1",
            name=naming.physical("sev1", "response"),
            description=(
                f"{naming.env}: SEV1 response (playbook §5): incident commander and {roles}."
            ),
            steps=steps,
            opts=child,
        )
        self.trigger = pagerduty.IncidentWorkflowTrigger(
            f"{name}-sev1-trigger",
            type="conditional",
            workflow=self.workflow.id,
            condition=sev1_condition(cfg.priorities["SEV1"]),
            services=list(args.services),
            subscribed_to_all_services=False,
            opts=child,
        )
        self.register_outputs(
            {"workflowId": self.workflow.id, "commanderPolicyId": self.commander_policy.id}
        )
