"""The observability and on-call components of one environment, built from an example config.

``run_observability(env)`` builds every observability component of one environment from the
example config below, wired the way ``stacks/environment.py`` wires them, under the preflight
recording monitor (registrations as in the synth snapshot: camelCase inputs, secrets as
``[secret]``). The mocks answer PagerDuty's ``getVendor`` lookup and plant
:data:`INTEGRATION_KEY_CANARY` as the integration key PagerDuty returns.
"""

from __future__ import annotations

import copy
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from config.observability import ObservabilitySections
from controlplane.naming import Environment, Naming
from preflight.mocks import ControlPlaneMocks, Registration
from tests.support.components import PROJECT, Registered, naming_for, run_program

AGENT_SERVICE = "controlplane-agent"
AGENT_URL = "https://acme-agent.example.run.app"
INTEGRATION_KEY_CANARY = "canary-9c1e77d0-integration-key"  # not a real key
DATADOG_VENDOR_ID = "PDDOG42"
GET_VENDOR = "pagerduty:index/getVendor:getVendor"

MONITOR = "datadog:index/monitor:Monitor"
SLO = "datadog:index/serviceLevelObjective:ServiceLevelObjective"
SYNTHETICS = "datadog:index/syntheticsTest:SyntheticsTest"
DOWNTIME = "datadog:index/downtimeSchedule:DowntimeSchedule"
DASHBOARD = "datadog:index/dashboardJson:DashboardJson"
SERVICE_OBJECT = "datadog:pagerduty/serviceObject:ServiceObject"
PD_SCHEDULE = "pagerduty:index/schedule:Schedule"
PD_POLICY = "pagerduty:index/escalationPolicy:EscalationPolicy"
PD_SERVICE = "pagerduty:index/service:Service"
PD_INTEGRATION = "pagerduty:index/serviceIntegration:ServiceIntegration"
PD_ORCHESTRATION = "pagerduty:index/eventOrchestrationService:EventOrchestrationService"
PD_GROUPING = "pagerduty:index/alertGroupingSetting:AlertGroupingSetting"

_ROTATIONS = {
    "primary": {"users": ["PAAAAA1", "PAAAAA2", "PAAAAA3"], "handoff": "2026-12-07T09:00:00Z"},
    "secondary": {"users": ["PBBBBB1", "PBBBBB2"], "handoff": "2026-12-07T09:00:00Z"},
    "incidentCommander": {
        "users": ["PCCCCC1", "PCCCCC2"],
        "handoff": "2026-12-07T09:00:00Z",
        "turnLengthHours": 336,
    },
}
_ESCALATION = [
    {"schedule": "primary", "delayMinutes": 10},
    {"schedule": "secondary", "delayMinutes": 15},
    {"schedule": "incidentCommander", "delayMinutes": 20},
]

EXAMPLES: dict[str, dict[str, Any]] = {
    "dev": {
        "monitoring": {"team": "sre", "synthetics": {"locations": ["aws:eu-central-1"]}},
        "oncall": {
            "schedules": _ROTATIONS,
            "escalation": _ESCALATION,
            "numLoops": 1,
            "supportHours": {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"},
        },
        "routing": {
            "critical": ["pagerduty", "slack:cp-dev-alerts"],
            "high": ["slack:cp-dev-alerts"],
            "informational": ["slack:cp-dev-alerts"],
        },
    },
    "staging": {
        "monitoring": {"team": "sre"},
        "oncall": {"schedules": _ROTATIONS, "escalation": _ESCALATION, "numLoops": 2},
        "routing": {
            "critical": ["pagerduty", "slack:cp-staging-alerts"],
            "high": ["pagerduty"],
            "informational": ["slack:cp-staging-alerts"],
        },
        "maintenanceWindow": {
            "day": "saturday",
            "start": "02:00",
            "end": "04:00",
            "timeZone": "UTC",
            "firstOccurrence": "2026-12-05",
        },
    },
    "prod": {
        "monitoring": {
            "team": "sre",
            "synthetics": {
                "locations": ["aws:eu-central-1", "aws:us-east-1", "aws:ap-southeast-1"],
                "minLocationFailed": 2,
                "tickEverySeconds": 60,
            },
        },
        "oncall": {"schedules": _ROTATIONS, "escalation": _ESCALATION, "numLoops": 3},
        "routing": {
            "critical": ["pagerduty", "slack:cp-prod-incidents"],
            "high": ["pagerduty", "slack:cp-prod-alerts"],
            "informational": ["slack:cp-prod-alerts", "email:ops-oncall@company.com"],
        },
        "maintenanceWindow": {
            "day": "sunday",
            "start": "03:00",
            "end": "05:00",
            "timeZone": "UTC",
            "firstOccurrence": "2026-12-06",
        },
    },
}
"""Example observability config per environment (the YAML handed to the stack files)."""

SECURITY: dict[str, Any] = {
    "securityLead": {"users": ["PSSSSS1"]},
    "responders": {"comms": ["PMMMMM1"], "ops": ["POOOOO1"], "scribe": ["PRRRRR1"]},
}
"""A minimal ``controlplane:security`` (prod requires one; the examples above leave it out so
the observability components' tests build the operations chain alone)."""


def example(env: Environment, **changes: Any) -> dict[str, Any]:
    """A deep copy of the example of ``env`` with top-level keys replaced."""
    data = copy.deepcopy(EXAMPLES[env])
    data.update(copy.deepcopy(changes))
    return data


def sections(env: Environment, **changes: Any) -> ObservabilitySections:
    return ObservabilitySections.model_validate(example(env, **changes))


class ObservabilityMocks(ControlPlaneMocks):
    """The preflight mocks, plus PagerDuty's vendor lookup and a planted integration key."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == PD_INTEGRATION:
            state = {**state, "integrationKey": INTEGRATION_KEY_CANARY}
        return resource_id, state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == GET_VENDOR:
            return {"id": DATADOG_VENDOR_ID, "name": args.args.get("name"), "type": "vendor"}, []
        return super().call(args)


def build(naming: Naming, cfg: ObservabilitySections) -> dict[str, Any]:
    """Declare the observability components exactly as stacks/environment.py does."""
    import pulumi

    from stacks.environment import build_observability

    return build_observability(
        naming, cfg, dd_service=AGENT_SERVICE, agent_url=pulumi.Output.from_input(AGENT_URL)
    )


def run_observability(env: Environment, **changes: Any) -> Registered:
    """Build the example (with ``changes``) of ``env`` under the observability mocks."""
    cfg = sections(env, **changes)

    def program() -> None:
        build(naming_for(env), cfg)

    return run_program(program, stack=env, mocks=ObservabilityMocks(PROJECT))


def by_alert_tag(registered: Registered, type_token: str) -> dict[str, Registration]:
    """Resources of ``type_token`` keyed by their ``alert:<slug>`` tag."""
    found: dict[str, Registration] = {}
    for r in registered.of_type(type_token):
        tags = [t for t in r.inputs.get("tags", []) if t.startswith("alert:")]
        assert len(tags) == 1, f"{r.urn}: expected one alert: tag, found {tags}"
        found[tags[0].removeprefix("alert:")] = r
    return found
