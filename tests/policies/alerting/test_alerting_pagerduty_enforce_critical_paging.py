"""CP-ALR-008 alerting-pagerduty-enforce-critical-paging (stack policy)."""

from __future__ import annotations

from functools import partial

import pytest

from policies.alerting.alerting_pagerduty_enforce_critical_paging import META
from tests.support import policies_alerting as shapes
from tests.support.policies import make_resource, message_for

NAME = META.name
PAGE = "@pagerduty-acme-prod-oncall-service"
ORCHESTRATION = "pagerduty:index/eventOrchestrationService:EventOrchestrationService"

msg = message_for(META)


def stack() -> list[dict]:
    make = partial(make_resource, stack="prod")
    resources = shapes.observability("prod", make)
    escalation = next(r for r in resources if r["type"] == shapes.ESCALATION)
    return [*resources, shapes.paging_service("prod", make, escalation)]


def named(resources, suffix):
    return next(r for r in resources if r["name"].endswith(suffix))


def test_the_components_shapes_pass(analyze):
    assert analyze(stack()).of(NAME) == []


@pytest.mark.parametrize(
    ("opening", "closing", "shown"),
    [
        ("{{#is_warning}}", "{{/is_warning}}", "{{#is_warning}}"),
        ("{{^is_alert}}", "{{/is_alert}}", "{{^is_alert}}"),
        ('{{#is_match "env" "staging"}}', "{{/is_match}}", "{{#is_match}}"),
        ("{{#is_alert}}{{#is_recovery}}", "{{/is_recovery}}{{/is_alert}}", None),
    ],
)
def test_a_mention_only_inside_other_states_is_rejected(analyze, opening, closing, shown):
    resources = stack()
    monitor = named(resources, "mission-success-rate")
    monitor["inputs"]["message"] = monitor["inputs"]["message"].replace(
        PAGE, f"{opening}{PAGE}{closing}"
    )
    where = shown or "{{#is_alert}} {{#is_recovery}}"
    assert analyze(resources).of(NAME) == [
        (
            monitor["urn"],
            msg(
                f"severity critical pages PagerDuty only inside conditional blocks ({PAGE} in "
                f"{where}): Datadog sends it on alert only outside them or inside {{{{#is_alert}}}}"
            ),
        )
    ]


def test_a_mention_inside_is_alert_pages(analyze):
    resources = stack()
    monitor = named(resources, "mission-success-rate")
    monitor["inputs"]["message"] = monitor["inputs"]["message"].replace(
        PAGE, f"{{{{#is_alert}}}}{PAGE}{{{{/is_alert}}}}"
    )
    assert analyze(resources).of(NAME) == []


def test_a_service_without_a_declared_policy_is_rejected_on_purpose(analyze):
    assert META.on_missing == "violation"
    resources = stack()
    service = named(resources, "oncall-service")
    service["propertyDependencies"] = {}
    assert analyze(resources).of(NAME) == [
        (
            service["urn"],
            msg(
                "escalationPolicy PESCALA is no escalation policy of the stack: bind the service "
                "to the on-call chain"
            ),
        )
    ]


def test_long_escalation_delays_are_rejected(analyze):
    resources = stack()
    escalation = named(resources, "oncall-escalation")
    escalation["inputs"]["rules"][1]["escalationDelayInMinutes"] = 90
    assert analyze(resources).of(NAME) == [
        (
            named(resources, "oncall-service")["urn"],
            msg(
                "escalation policy acme-prod-oncall-escalation of acme-prod-oncall-service: "
                "rules[1] waits 90 minutes before escalating: at most 30"
            ),
        )
    ]


def test_an_orchestration_that_passes_critical_on_and_suppresses_informational_passes(
    analyze, make
):
    rules = [
        {
            "label": label,
            "conditions": [{"expression": f"event.summary matches part '[{severity}]'"}],
            "actions": actions,
        }
        for label, severity, actions in [
            ("critical", "critical", {"severity": "critical"}),
            ("high", "high", {"severity": "warning"}),
            ("informational", "informational", {"suppress": True}),
        ]
    ]
    orchestration = make(
        ORCHESTRATION,
        "urgency",
        {"service": "PSERVIC", "sets": [{"id": "start", "rules": rules}], "catchAll": {}},
    )
    assert analyze([*stack(), orchestration]).of(NAME) == []


@pytest.mark.parametrize(
    ("actions", "detail"),
    [
        ({"suppress": True}, "suppresses it (no incident)"),
        ({"suspend": 600}, "suspends it 600 s before it may page"),
        ({"severity": "info"}, "sets its severity to info (low urgency)"),
        ({"eventAction": "resolve"}, "turns it into a resolve"),
        (
            {"escalationPolicy": "POTHER1"},
            "hands it to escalation policy POTHER1, not the playbook's chain",
        ),
    ],
)
def test_an_orchestration_rule_that_may_match_critical_is_rejected(analyze, make, actions, detail):
    rule = {
        "label": "Datadog",
        "conditions": [{"expression": "event.source matches 'datadog'"}],
        "actions": actions,
    }
    orchestration = make(
        ORCHESTRATION, "urgency", {"service": "PSERVIC", "sets": [{"id": "start", "rules": [rule]}]}
    )
    found = analyze([*stack(), orchestration]).of(NAME)
    expected = f"event orchestration urgency: rule 'Datadog' {detail} for critical alerts"
    assert (orchestration["urn"], msg(expected)) in found


def test_low_urgency_is_rejected(analyze):
    resources = stack()
    service = named(resources, "oncall-service")
    service["inputs"]["incidentUrgencyRule"] = {"type": "constant", "urgency": "low"}
    assert analyze(resources).of(NAME) == [
        (
            service["urn"],
            msg(
                "incidentUrgencyRule urgency low makes critical incidents low urgency: use high "
                "or severity_based"
            ),
        )
    ]


def test_dev_monitors_are_not_followed(analyze):
    make = partial(make_resource, stack="dev")
    resources = shapes.observability("dev", make)
    assert analyze(resources, env="dev").of(NAME) == []
