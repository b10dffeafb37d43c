"""CP-ALR-006 alerting-escalation-enforce-security-route (stack policy)."""

from __future__ import annotations

from policies.alerting.alerting_escalation_enforce_security_route import META
from preflight.snapshot import UNKNOWN
from tests.support.policies import message_for
from tests.support.policies_alerting import (
    SECURITY_LEAD,
    security_escalation_inputs,
    security_monitor_inputs,
    security_route,
)

NAME = META.name
msg = message_for(META)
ESCALATION = "acme-prod-security-escalation"
PREVIEW = "can't run policy 'alerting-escalation-enforce-security-route' from policy pack "


def route(make) -> list[dict]:
    return security_route("prod", make)


def named(resources: list[dict], name: str) -> dict:
    return next(r for r in resources if r["name"] == name)


def urn_of(resources: list[dict], name: str) -> str:
    return str(named(resources, name)["urn"])


def test_compliant_baseline_passes(analyze, make):
    assert analyze(route(make)).of(NAME) == []


def test_prod_config_names_the_security_lead(analyze, make):
    # policies/config/prod.json pins the Security Lead's PagerDuty user.
    resources = route(make)
    rules = security_escalation_inputs("prod", [{"id": "PSOMEONE", "type": "user_reference"}])
    named(resources, ESCALATION)["inputs"]["rules"] = rules["rules"]
    assert analyze(resources).of(NAME) == [
        (
            urn_of(resources, ESCALATION),
            msg(
                f"escalation policy {ESCALATION} rules[0].targets[0] is user PSOMEONE, not the "
                f"Security Lead ({SECURITY_LEAD})"
            ),
        )
    ]


def test_any_users_when_no_security_lead_is_configured(analyze, make):
    resources = route(make)
    rules = security_escalation_inputs("prod", [{"id": "PSOMEONE", "type": "user_reference"}])
    named(resources, ESCALATION)["inputs"]["rules"] = rules["rules"]
    checked = analyze(resources, overrides={NAME: {"securityLeadUsers": []}})
    assert checked.of(NAME) == []


def test_first_level_on_an_operations_schedule_is_a_violation(analyze, make):
    # Planted fault: the security route starts with the incident commander rotation.
    resources = route(make)
    rules = security_escalation_inputs("prod", [{"id": "PINCCMD", "type": "schedule_reference"}])
    named(resources, ESCALATION)["inputs"]["rules"] = rules["rules"]
    checked = analyze(resources)
    assert checked.of(NAME) == [
        (
            urn_of(resources, ESCALATION),
            msg(
                f"escalation policy {ESCALATION} rules[0].targets[0] is a schedule_reference: "
                "the first level pages the Security Lead's users (user_reference), not an "
                "operations schedule"
            ),
        )
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_no_rules_is_a_violation(analyze, make):
    resources = route(make)
    del named(resources, ESCALATION)["inputs"]["rules"]
    assert analyze(resources).of(NAME) == [
        (
            urn_of(resources, ESCALATION),
            msg(
                f"escalation policy {ESCALATION} has no rules: its first level pages the "
                "Security Lead"
            ),
        )
    ]


def test_first_level_without_targets_is_a_violation(analyze, make):
    resources = route(make)
    named(resources, ESCALATION)["inputs"]["rules"][0]["targets"] = []
    assert analyze(resources).of(NAME) == [
        (
            urn_of(resources, ESCALATION),
            msg(
                f"escalation policy {ESCALATION} rules[0] targets nobody: target the Security Lead"
            ),
        )
    ]


def test_missing_escalation_policy_is_a_violation(analyze, make):
    resources = [r for r in route(make) if r["name"] != ESCALATION]
    assert analyze(resources).of(NAME) == [
        (
            "",
            msg(
                "no security escalation policy (logical name *-security-escalation): security "
                "alerts would reach only the operations chain"
            ),
        )
    ]


def test_missing_security_service_is_a_violation(analyze, make):
    resources = [r for r in route(make) if r["name"] != "acme-prod-security-service"]
    assert analyze(resources).of(NAME) == [
        (
            "",
            msg(
                "no security PagerDuty service (logical name *-security-service) for the "
                "security monitors to notify"
            ),
        )
    ]


def test_monitor_notifying_only_the_operations_chain_is_a_violation(analyze, make):
    # Planted fault: the unauthorized-action alert pages the operations on-call only.
    resources = route(make)
    monitor = named(resources, "acme-prod-security-unauthorized-actions")
    monitor["inputs"] = security_monitor_inputs(
        "prod", "unauthorized-actions", ["@pagerduty-acme-prod-oncall-service"]
    )
    assert analyze(resources).of(NAME) == [
        (
            "",
            msg(
                "monitor acme-prod-security-unauthorized-actions (alert:unauthorized-actions) "
                "notifies @pagerduty-acme-prod-oncall-service, not the security route: mention "
                "@pagerduty-acme-prod-security-service"
            ),
        )
    ]


def test_security_route_beside_the_operations_chain_passes(analyze, make):
    resources = route(make)
    monitor = named(resources, "acme-prod-security-safeguard-overrides")
    monitor["inputs"] = security_monitor_inputs(
        "prod",
        "safeguard-overrides",
        ["@pagerduty-acme-prod-oncall-service", "@pagerduty-acme-prod-security-service"],
    )
    assert analyze(resources).of(NAME) == []


def test_missing_security_monitor_is_a_violation(analyze, make):
    resources = [r for r in route(make) if r["name"] != "acme-prod-security-safeguard-overrides"]
    assert analyze(resources).of(NAME) == [
        (
            "",
            msg(
                "no Datadog monitor has tag alert:safeguard-overrides: declare the security "
                "route's monitor"
            ),
        )
    ]


def test_unknown_target_is_undecided_until_apply(analyze, make):
    resources = route(make)
    named(resources, ESCALATION)["inputs"]["rules"][0]["targets"][0]["id"] = UNKNOWN
    found = analyze(resources).of(NAME)
    assert len(found) == 1
    assert found[0][1].startswith(PREVIEW), found


def test_dev_does_not_run_it(analyze):
    assert analyze([], env="dev").of(NAME) == []
