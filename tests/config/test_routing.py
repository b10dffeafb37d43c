"""controlplane:routing: targets, informational never pages, staging and prod page."""

from __future__ import annotations

from config.base import Problem
from config.routing import RoutingSection
from tests.support.config import errors
from tests.support.observability import EXAMPLES, SECURITY, sections


def test_informational_never_pages():
    assert errors(
        RoutingSection,
        {"critical": ["pagerduty"], "high": ["pagerduty"], "informational": ["pagerduty"]},
    ) == [
        (
            ("informational",),
            "Value error, only non-paging targets (slack:<channel> or email:<address>): "
            "informational alerts never page (playbook §4); remove 'pagerduty'",
        )
    ]


def test_unknown_routing_target():
    assert errors(
        RoutingSection,
        {"critical": ["opsgenie"], "high": ["pagerduty"], "informational": ["slack:ops"]},
    ) == [
        (
            ("critical",),
            "Value error, targets written pagerduty, slack:<channel> or email:<address>; "
            "'opsgenie' is none of these",
        )
    ]


def test_staging_and_prod_must_page_critical_and_high():
    routing = {**EXAMPLES["prod"]["routing"], "high": ["slack:cp-prod"]}
    cfg = sections("prod", routing=routing, security=SECURITY)
    assert cfg.env_rules("prod") == [
        Problem.found(
            "routing.high",
            "['slack:cp-prod']",
            "'pagerduty' among the targets in prod: high alerts page the on-call (playbook §4)",
        )
    ]
