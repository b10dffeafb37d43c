"""OnCall: schedules, escalation primary → secondary → IC, urgency by severity, Datadog link."""

from __future__ import annotations

import pytest
from pulumi.runtime.mocks import MockCallArgs

from components.datadog_common import monitor_name
from components.on_call import severity_condition
from preflight.mocks import GET_PRIORITY, ControlPlaneMocks
from tests.support.components import Registered, naming_for
from tests.support.observability import (
    DATADOG_VENDOR_ID,
    INTEGRATION_KEY_CANARY,
    PD_GROUPING,
    PD_INTEGRATION,
    PD_ORCHESTRATION,
    PD_POLICY,
    PD_SCHEDULE,
    PD_SERVICE,
    SERVICE_OBJECT,
    run_observability,
)

# Playbook §4: "Alerts route to PagerDuty schedule: Primary on-call → Secondary on-call →
# Incident Commander." (copied on purpose, not imported from the program)
PLAYBOOK_ESCALATION = ["primary", "secondary", "incident-commander"]


@pytest.fixture(scope="module")
def stacks() -> dict[str, Registered]:
    return {env: run_observability(env) for env in ("dev", "staging", "prod")}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_three_schedules_from_config(stacks: dict[str, Registered], env: str):
    run = stacks[env]
    component = run.one("controlplane:oncall:OnCall")
    assert component.name == f"acme-{env}-oncall"
    schedules = {r.name: r for r in run.of_type(PD_SCHEDULE)}
    assert sorted(schedules) == sorted(f"acme-{env}-oncall-{role}" for role in PLAYBOOK_ESCALATION)
    primary = schedules[f"acme-{env}-oncall-primary"]
    assert primary.parent == component.urn, primary.urn
    assert primary.inputs["name"] == f"acme-{env}-oncall-primary", primary.urn
    assert primary.inputs["timeZone"] == "Etc/UTC", primary.urn
    assert primary.inputs["layers"] == [
        {
            "name": "Primary on-call rotation",
            "start": "2026-12-07T09:00:00+00:00",
            "rotationVirtualStart": "2026-12-07T09:00:00+00:00",
            "rotationTurnLengthSeconds": 7 * 24 * 3600,
            "users": ["PAAAAA1", "PAAAAA2", "PAAAAA3"],
        }
    ], primary.urn
    commander = schedules[f"acme-{env}-oncall-incident-commander"]
    assert commander.inputs["layers"][0]["rotationTurnLengthSeconds"] == 14 * 24 * 3600
    assert commander.inputs["layers"][0]["users"] == ["PCCCCC1", "PCCCCC2"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_escalation_goes_primary_secondary_incident_commander(
    stacks: dict[str, Registered], env: str
):
    run = stacks[env]
    policy = run.one(PD_POLICY)
    role_of = {
        run.id_of(r): r.name.removeprefix(f"acme-{env}-oncall-") for r in run.of_type(PD_SCHEDULE)
    }
    levels = []
    for rule in policy.inputs["rules"]:
        assert len(rule["targets"]) == 1, policy.urn
        target = rule["targets"][0]
        assert target["type"] == "schedule_reference", policy.urn
        levels.append((role_of[target["id"]], rule["escalationDelayInMinutes"]))
    assert [role for role, _ in levels] == PLAYBOOK_ESCALATION, f"{policy.urn}: {levels}"
    assert [delay for _, delay in levels] == [10, 15, 20], policy.urn
    assert policy.inputs["numLoops"] == {"dev": 1, "staging": 2, "prod": 3}[env], policy.urn
    assert policy.inputs["numLoops"] >= 1, policy.urn


def test_service_on_the_policy_with_auto_resolve(stacks: dict[str, Registered]):
    run = stacks["prod"]
    service = run.one(PD_SERVICE)
    policy = run.one(PD_POLICY)
    assert service.inputs["name"] == "acme-prod-oncall-service", service.urn
    assert service.inputs["escalationPolicy"] == run.id_of(policy), service.urn
    assert service.inputs["autoResolveTimeout"] == "14400", service.urn
    assert service.inputs["acknowledgementTimeout"] == "1800", service.urn
    assert service.inputs["incidentUrgencyRule"] == {
        "type": "constant",
        "urgency": "severity_based",
    }, service.urn
    assert "supportHours" not in service.inputs, service.urn
    grouping = run.one(PD_GROUPING)
    assert grouping.inputs["services"] == [run.id_of(service)], grouping.urn
    assert grouping.inputs["type"] == "content_based", grouping.urn
    assert grouping.inputs["config"] == {
        "aggregate": "all",
        "fields": ["summary"],
        "timeWindow": 900,
    }, grouping.urn


def test_dev_does_not_page_at_night(stacks: dict[str, Registered]):
    service = stacks["dev"].one(PD_SERVICE)
    assert service.inputs["incidentUrgencyRule"] == {
        "type": "use_support_hours",
        "duringSupportHours": {"type": "constant", "urgency": "severity_based"},
        "outsideSupportHours": {"type": "constant", "urgency": "low"},
    }, service.urn
    assert service.inputs["supportHours"] == {
        "type": "fixed_time_per_day",
        "timeZone": "Etc/UTC",
        "daysOfWeeks": [1, 2, 3, 4, 5],
        "startTime": "09:00:00",
        "endTime": "18:00:00",
    }, service.urn
    assert service.inputs["scheduledActions"] == [
        {
            "type": "urgency_change",
            "toUrgency": "high",
            "ats": [{"type": "named_time", "name": "support_hours_start"}],
        }
    ], service.urn


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_urgency_by_severity(stacks: dict[str, Registered], env: str):
    run = stacks[env]
    orchestration = run.one(PD_ORCHESTRATION)
    assert orchestration.inputs["service"] == run.id_of(run.one(PD_SERVICE))
    assert orchestration.inputs["enableEventOrchestrationForService"] is True
    (start,) = orchestration.inputs["sets"]
    assert start["id"] == "start", orchestration.urn
    rules = {rule["conditions"][0]["expression"]: rule["actions"] for rule in start["rules"]}
    # Playbook §5: critical alerts open SEV2 incidents (priority P2), high ones SEV3 (P3).
    mocks = ControlPlaneMocks("acme-cp")
    p2, p3 = (
        mocks.call(MockCallArgs(GET_PRIORITY, {"name": name}, ""))[0]["id"] for name in ("P2", "P3")
    )
    assert rules == {
        "event.summary matches part '[critical]'": {"severity": "critical", "priority": p2},
        "event.summary matches part '[high]'": {"severity": "warning", "priority": p3},
        "event.summary matches part '[informational]'": {"suppress": True},
    }, orchestration.urn


def test_severity_markers_match_monitor_names():
    naming = naming_for("prod")
    severities = ("critical", "high", "informational")
    for severity in severities:
        marker = severity_condition(severity).split("'")[1]
        for other in severities:
            name = monitor_name(other, "x", naming)
            assert (marker in name) is (other == severity), (marker, name)


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_datadog_integration_and_service_object(stacks: dict[str, Registered], env: str):
    run = stacks[env]
    integration = run.one(PD_INTEGRATION)
    assert integration.inputs == {
        "name": "Datadog",
        "service": run.id_of(run.one(PD_SERVICE)),
        "vendor": DATADOG_VENDOR_ID,
    }, integration.urn
    assert integration.additional_secret_outputs == ["integrationKey"], integration.urn
    service_object = run.one(SERVICE_OBJECT)
    assert service_object.inputs == {
        "serviceName": f"acme-{env}-oncall-service",
        "serviceKey": "[secret]",
    }, service_object.urn
    assert service_object.property_dependencies["serviceKey"] == [integration.urn]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_integration_key_never_in_clear(stacks: dict[str, Registered], env: str):
    assert INTEGRATION_KEY_CANARY not in stacks[env].dump()


pytestmark = pytest.mark.playbook("escalation-chain")
