"""The security route (playbook §1, §12) and the severity levels (§5) as the stacks declare them.

Read from the synthesized snapshots (session fixture ``snapshots``). The playbook's words are
copied here on purpose, never imported from the program. References between resources (an
escalation rule's schedule id, a trigger's services) are resolved through the mocks the synthesis
ran under, as in test_environment_observability.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pulumi.runtime.mocks import MockCallArgs

from preflight.cli import ROOT
from preflight.mocks import GET_PRIORITY, ControlPlaneMocks
from tests.support.snapshots import resources_of
from tests.support.stack_reading import (
    ANOMALY_RE,
    MONITOR,
    PD_POLICY,
    PD_SCHEDULE,
    PD_SERVICE,
    by_urn,
    mock_outputs,
    notified,
    stack_file,
    tag_value,
)

PD_WORKFLOW = "pagerduty:index/incidentWorkflow:IncidentWorkflow"
PD_TRIGGER = "pagerduty:index/incidentWorkflowTrigger:IncidentWorkflowTrigger"
PD_ORCHESTRATION = "pagerduty:index/eventOrchestrationService:EventOrchestrationService"
DD_PAGERDUTY = "datadog:pagerduty/serviceObject:ServiceObject"

SECURITY_STACKS = ("staging", "prod")
# Playbook §4 "Metrics": `safeguard.overrides.count`; §11 "override spikes".
OVERRIDES_METRIC = "safeguard.overrides.count"
# Playbook §12: "Security Lead: `security@company.com`".
SECURITY_LEAD = "security@company.com"
# Playbook §5: SEV1 customer data at risk; SEV2 major outage; SEV3 degraded. Triage: "Incident
# Commander (IC) assigns roles (Comms, Ops, Scribe)". Priorities P1..P3, Datadog 1..3.
DATADOG_PRIORITY = {"critical": "2", "high": "3", "informational": "5"}
SECURITY_DATADOG_PRIORITY = "1"
PAGERDUTY_PRIORITY = {"critical": "P2", "high": "P3"}

pytestmark = pytest.mark.playbook("security-escalation", "severity-levels")


def named(snapshot: dict[str, Any], type_token: str, name: str) -> dict[str, Any]:
    found = [r for r in resources_of(snapshot, type_token) if r["inputs"].get("name") == name]
    assert len(found) == 1, f"{snapshot['stack']}: {len(found)} {type_token} named {name!r}"
    return found[0]


def security_monitors(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        tag_value(m, "alert"): m
        for m in resources_of(snapshot, MONITOR)
        if "route:security" in m["inputs"]["tags"]
    }


def priority_id(stack: str, name: str) -> str:
    mocks = ControlPlaneMocks(str(stack_file(stack)["gcp:project"]))
    result, _ = mocks.call(MockCallArgs(GET_PRIORITY, {"name": name}, ""))
    return str(result["id"])


# --- Security route ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", SECURITY_STACKS)
def test_security_policy_pages_the_security_lead_first_then_the_ic(snapshots, stack) -> None:
    snapshot = snapshots[stack]
    security = stack_file(stack)["controlplane:security"]
    policy = named(snapshot, PD_POLICY, f"acme-{stack}-security-escalation")
    urn = policy["urn"]
    first, second = policy["inputs"]["rules"]
    assert first["targets"] == [
        {"type": "user_reference", "id": user} for user in security["securityLead"]["users"]
    ], urn
    commander = named(snapshot, PD_SCHEDULE, f"acme-{stack}-oncall-incident-commander")
    assert second["targets"] == [
        {"type": "schedule_reference", "id": mock_outputs(stack, commander)[0]}
    ], urn
    operations = named(snapshot, PD_POLICY, f"acme-{stack}-oncall-escalation")
    assert operations["urn"] != urn
    # No operations level pages the Security Lead, and the security route is not the chain.
    lead_users = set(security["securityLead"]["users"])
    for rule in operations["inputs"]["rules"]:
        assert {t["id"] for t in rule["targets"]}.isdisjoint(lead_users), operations["urn"]


@pytest.mark.parametrize("stack", SECURITY_STACKS)
def test_security_alerts_page_only_the_security_route(snapshots, stack) -> None:
    snapshot = snapshots[stack]
    resources = by_urn(snapshot)
    service = named(snapshot, PD_SERVICE, f"acme-{stack}-security-service")
    policy = named(snapshot, PD_POLICY, f"acme-{stack}-security-escalation")
    assert service["propertyDependencies"]["escalationPolicy"] == [policy["urn"]]
    assert service["inputs"]["incidentUrgencyRule"] == {"type": "constant", "urgency": "high"}
    objects = [
        r
        for r in resources_of(snapshot, DD_PAGERDUTY)
        if r["inputs"]["serviceName"] == service["inputs"]["name"]
    ]
    assert len(objects) == 1, [r["urn"] for r in resources_of(snapshot, DD_PAGERDUTY)]
    (integration_urn,) = objects[0]["propertyDependencies"]["serviceKey"]
    assert resources[integration_urn]["propertyDependencies"]["service"] == [service["urn"]]

    monitors = security_monitors(snapshot)
    # The SIEM forwarding health monitors (docs/siem.md) page the same route, with their runbook.
    assert sorted(monitors) == [
        "safeguard-overrides",
        "siem-dead-letters",
        "siem-forwarding-stalled",
        "unauthorized-actions",
    ]
    runbook = {"siem-dead-letters": "siem-forwarding", "siem-forwarding-stalled": "siem-forwarding"}
    for alert, monitor in monitors.items():
        urn = monitor["urn"]
        assert notified(monitor) == [
            f"@pagerduty-acme-{stack}-security-service",
            f"@{SECURITY_LEAD}",
        ]
        assert objects[0]["urn"] in monitor["dependencies"], urn
        assert monitor["inputs"]["priority"] == SECURITY_DATADOG_PRIORITY, urn
        assert tag_value(monitor, "sev") == "sev1", urn
        assert tag_value(monitor, "env") == stack, urn
        assert re.search(
            rf"^Runbook: \S*docs/runbooks/{runbook.get(alert, 'security-escalation')}\.md$",
            monitor["inputs"]["message"],
            re.M,
        ), urn
    # No other monitor pages the security service.
    for monitor in resources_of(snapshot, MONITOR):
        if monitor["urn"] not in {m["urn"] for m in monitors.values()}:
            assert "security-service" not in monitor["inputs"]["message"], monitor["urn"]


@pytest.mark.parametrize("stack", SECURITY_STACKS)
def test_overrides_monitor_is_an_anomaly_above_the_rolling_range(snapshots, stack) -> None:
    monitor = security_monitors(snapshots[stack])["safeguard-overrides"]
    urn, inputs = monitor["urn"], monitor["inputs"]
    match = ANOMALY_RE.match(inputs["query"])
    assert match, f"{urn}: {inputs['query']!r}"
    assert "direction='above'" in match["options"], urn
    assert match["series"].split("{")[0] == f"avg:{OVERRIDES_METRIC}", urn
    assert f"env:{stack}" in match["series"], urn


@pytest.mark.parametrize("stack", SECURITY_STACKS)
def test_any_unauthorized_action_alerts(snapshots, stack) -> None:
    monitor = security_monitors(snapshots[stack])["unauthorized-actions"]
    query = monitor["inputs"]["query"]
    assert query.endswith(".as_count() > 0"), query
    assert monitor["inputs"]["monitorThresholds"] == {"critical": "0"}, monitor["urn"]
    window = re.match(r"^sum\(last_([0-9]+)m\):", query)
    assert window and int(window[1]) <= 15, query  # "immediate containment"


def test_dev_has_no_security_route(snapshots) -> None:
    assert security_monitors(snapshots["dev"]) == {}
    assert resources_of(snapshots["dev"], PD_WORKFLOW) == []


# --- Severity levels --------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ("dev", *SECURITY_STACKS))
def test_datadog_priority_follows_the_level(snapshots, stack) -> None:
    for monitor in resources_of(snapshots[stack], MONITOR):
        if "route:security" in monitor["inputs"]["tags"]:
            continue
        severity = tag_value(monitor, "severity")
        assert monitor["inputs"]["priority"] == DATADOG_PRIORITY[severity], monitor["urn"]


@pytest.mark.parametrize("stack", SECURITY_STACKS)
def test_orchestrations_set_the_pagerduty_priority_of_the_level(snapshots, stack) -> None:
    snapshot = snapshots[stack]
    by_service = {}
    for orchestration in resources_of(snapshot, PD_ORCHESTRATION):
        (service_urn,) = orchestration["propertyDependencies"]["service"]
        by_service[by_urn(snapshot)[service_urn]["inputs"]["name"]] = orchestration
    operations = by_service[f"acme-{stack}-oncall-service"]["inputs"]
    for rule in operations["sets"][0]["rules"]:
        marker = re.search(r"'\[(\w+)\]'", rule["conditions"][0]["expression"])
        assert marker, rule
        severity = marker[1]
        if severity in PAGERDUTY_PRIORITY:
            assert rule["actions"]["priority"] == priority_id(
                stack, PAGERDUTY_PRIORITY[severity]
            ), rule
        else:
            assert rule["actions"] == {"suppress": True}, rule
    security = by_service[f"acme-{stack}-security-service"]["inputs"]
    assert security["catchAll"]["actions"] == {
        "priority": priority_id(stack, "P1"),
        "severity": "critical",
    }


@pytest.mark.parametrize("stack", SECURITY_STACKS)
def test_a_sev1_brings_in_the_ic_and_the_response_roles(snapshots, stack) -> None:
    snapshot = snapshots[stack]
    responders = stack_file(stack)["controlplane:security"]["responders"]
    (workflow,) = resources_of(snapshot, PD_WORKFLOW)
    (trigger,) = resources_of(snapshot, PD_TRIGGER)
    assert trigger["inputs"]["type"] == "conditional", trigger["urn"]
    assert trigger["inputs"]["condition"] == "incident.priority matches 'P1'", trigger["urn"]
    assert trigger["inputs"]["workflow"] == mock_outputs(stack, workflow)[0], trigger["urn"]
    assert trigger["inputs"]["subscribedToAllServices"] is False
    services = {
        mock_outputs(stack, named(snapshot, PD_SERVICE, f"acme-{stack}-{name}-service"))[0]
        for name in ("oncall", "security")
    }
    assert set(trigger["inputs"]["services"]) == services, trigger["urn"]

    (step,) = [
        s
        for s in workflow["inputs"]["steps"]
        if s["action"].startswith("pagerduty.com:incident-workflows:add-responders:")
    ]
    inputs = {i["name"]: i["value"] for i in step["inputs"]}
    refs = json.loads(inputs["Responders"])
    commander = named(snapshot, PD_POLICY, f"acme-{stack}-sev1-incident-commander")
    assert refs[0] == {"type": "escalation_policy", "id": mock_outputs(stack, commander)[0]}
    commander_schedule = named(snapshot, PD_SCHEDULE, f"acme-{stack}-oncall-incident-commander")
    (level,) = commander["inputs"]["rules"]
    assert level["targets"] == [
        {"type": "schedule_reference", "id": mock_outputs(stack, commander_schedule)[0]}
    ]
    users = [r["id"] for r in refs[1:] if r["type"] == "user_reference"]
    for role in ("comms", "ops", "scribe"):
        assert set(responders[role]) <= set(users), role
    for role in ("Comms", "Ops", "Scribe"):
        assert role in inputs["Message"], inputs["Message"]


ALERT_LEVELS = {
    "mission-success-rate": "SEV2",
    "sse-heartbeat": "SEV2",
    "undo-failures": "SEV2",
    "telemetry-ingestion-stalled": "SEV2",
    "oauth-failure-rate": "SEV3",
    "planner-retry-spikes": "SEV3",
    "composio-rate-limit-warnings": "SEV3",
    "security-escalation": "SEV1",
}


@pytest.mark.parametrize("slug", sorted(ALERT_LEVELS))
def test_each_alert_runbook_states_its_level(slug) -> None:
    text = (ROOT / "docs" / "runbooks" / f"{slug}.md").read_text()
    (row,) = [line for line in text.splitlines() if line.startswith("| Severity level |")]
    assert re.findall(r"SEV[0-9]", row)[:1] == [ALERT_LEVELS[slug]], row
