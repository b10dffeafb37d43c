"""CP-ALR-006: security alerts page the Security Lead first, through the security route.

Playbook §1 "Security: Zero unauthorized actions; immediate containment on anomaly", §4 metric
``safeguard.overrides.count``, §11 "override spikes" and §12 "Security Lead". The stack must
have:

- a PagerDuty escalation policy of the security route (``escalationPolicies``: logical-name
  patterns) whose first level targets users (``user_reference``), not the operations chain's
  schedules, and, when ``securityLeadUsers`` lists PagerDuty user ids, only those users;
- a PagerDuty service of the security route (``services``: logical-name patterns);
- for each security alert (``alerts``: the monitors' ``alert:`` tag), at least one Datadog
  monitor, and every such monitor's message notifies that service (``@pagerduty-<name>``), so
  the alert does not reach only the operations chain.

Missing-property semantics: a missing escalation policy, service or monitor, an escalation
policy without rules, a first level without targets and a monitor without a message are
violations; an unknown target id or message (a preview of a new stack that computes it) leaves
the policy undecided until apply.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema, string_list
from policies._lib.meta import Meta
from policies._lib.observability import (
    DATADOG_MONITOR,
    PAGERDUTY_ESCALATION_POLICY,
    pagerduty_handles,
    tags,
)
from policies._lib.policy import stack_policy, types
from policies._lib.props import as_list, is_missing, is_unknown, peek

PAGERDUTY_SERVICE = "pagerduty:index/service:Service"
USER_REFERENCE = "user_reference"

META = Meta(
    id="CP-ALR-006",
    name="alerting-escalation-enforce-security-route",
    description=(
        "Ensure the security escalation policy pages the Security Lead first and the "
        "safeguard-overrides and unauthorized-action monitors notify the security route."
    ),
    severity="critical",
    section="§12 Contacts & Escalations: Security Lead; §1 immediate containment on anomaly",
    remediation=(
        "Declare the security route (components.security_escalation.SecurityEscalation, from "
        "controlplane:security): its escalation policy's first rule targets the Security "
        "Lead's users, and its monitors mention @pagerduty-<security service>."
    ),
    on_missing="violation",
    missing_rationale=(
        "without the route, a security alert waits in the operations chain while the Security "
        "Lead, whose call containment is, is never paged; unknown ids are undecided until apply"
    ),
)

CONFIG: Schema = {
    "escalationPolicies": string_list(
        ["*-security-escalation"],
        "Logical-name patterns of the security route's PagerDuty escalation policy.",
    ),
    "services": string_list(
        ["*-security-service"],
        "Logical-name patterns of the security route's PagerDuty service.",
    ),
    "securityLeadUsers": string_list(
        [],
        "PagerDuty user ids of the Security Lead (and deputies); empty: any users.",
    ),
    "alerts": string_list(
        ["safeguard-overrides", "unauthorized-actions"],
        "The alert: tags of the monitors that must notify the security route.",
    ),
}


def _known(obj: Any, path: str) -> Any:
    value = peek(obj, path)
    if is_unknown(value):
        value.undecided()
    return value


def _named(stack: list[PolicyResource], kind: str, patterns: list[Any]) -> list[PolicyResource]:
    return [
        r
        for r in stack
        if r.resource_type == kind and any(fnmatchcase(r.name, str(p)) for p in patterns)
    ]


def _first_level(policy: PolicyResource, config: Mapping[str, Any]) -> Iterator[str]:
    rules = as_list(_known(policy.props, "rules"))
    if not rules:
        yield (
            f"escalation policy {policy.name} has no rules: its first level pages the Security Lead"
        )
        return
    targets = as_list(_known(rules[0], "targets"))
    if not targets:
        yield f"escalation policy {policy.name} rules[0] targets nobody: target the Security Lead"
        return
    leads = [str(u) for u in config["securityLeadUsers"]]
    for index, target in enumerate(targets):
        kind, ident = _known(target, "type"), _known(target, "id")
        if kind != USER_REFERENCE:
            yield (
                f"escalation policy {policy.name} rules[0].targets[{index}] is a "
                f"{'target without type' if is_missing(kind) else kind}: the first level pages "
                f"the Security Lead's users ({USER_REFERENCE}), not an operations schedule"
            )
        elif leads and str(ident) not in leads:
            yield (
                f"escalation policy {policy.name} rules[0].targets[{index}] is user {ident}, "
                f"not the Security Lead ({', '.join(leads)})"
            )


def _monitors(
    stack: list[PolicyResource], service: str | None, config: Mapping[str, Any]
) -> Iterator[str]:
    for alert in [str(a) for a in config["alerts"]]:
        monitors = [
            m
            for m in stack
            if m.resource_type == DATADOG_MONITOR and alert in tags(m.props).get("alert", [])
        ]
        if not monitors:
            yield f"no Datadog monitor has tag alert:{alert}: declare the security route's monitor"
            continue
        if service is None:
            continue
        for monitor in monitors:
            message = _known(monitor.props, "message")
            handles = pagerduty_handles("" if is_missing(message) else str(message))
            if not any(h.service == service for h in handles):
                found = ", ".join(h.text for h in handles) or "no PagerDuty service"
                yield (
                    f"monitor {monitor.name} (alert:{alert}) notifies {found}, not the security "
                    f"route: mention @pagerduty-{service}"
                )


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    policies = _named(resources, PAGERDUTY_ESCALATION_POLICY, config["escalationPolicies"])
    if not policies:
        yield (
            "no security escalation policy (logical name "
            f"{' or '.join(map(str, config['escalationPolicies']))}): security alerts would "
            "reach only the operations chain",
            None,
        )
    for policy in policies:
        for problem in _first_level(policy, config):
            yield problem, policy.urn
    services = _named(stack, PAGERDUTY_SERVICE, config["services"])
    service_name: str | None = None
    if not services:
        yield (
            f"no security PagerDuty service (logical name "
            f"{' or '.join(map(str, config['services']))}) for the security monitors to notify",
            None,
        )
    else:
        name = _known(services[0].props, "name")
        service_name = None if is_missing(name) else str(name)
    for problem in _monitors(stack, service_name, config):
        yield problem, None


POLICY = stack_policy(
    META, applies_to=types(PAGERDUTY_ESCALATION_POLICY), check=check, config=CONFIG
)
