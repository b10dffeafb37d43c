"""CP-ALR-008: a paging alert reaches the playbook's escalation chain, and nothing on the way
silences it.

Followed from each critical and high monitor of a paging environment (``severity`` and ``env``
tags, as CP-ALR-003 reads them) to the person it pages:

1. its message mentions ``@pagerduty-<service>`` where Datadog sends it on alert: outside every
   conditional block or inside ``{{#is_alert}}`` (``policies._lib.paging.mentions``); a message
   without any mention is CP-ALR-003's to report;
2. the ``datadog.pagerduty.ServiceObject`` of that name carries the integration key of the
   PagerDuty service of the same name (its ``serviceKey`` depends on that service's integration),
   and the stack declares that ``pagerduty.Service``;
3. the service's ``escalationPolicy`` is an escalation policy of the stack whose levels go
   primary on-call, secondary on-call, incident commander (playbook §4), each level's delay at
   most ``maxEscalationDelayMinutes``; the check does not take CP-ALR-004's exemptions, since
   the service binding is what decides who is paged;
4. the service does not make critical incidents low urgency (``incidentUrgencyRule``) and does
   not pause notifications (``autoPauseNotificationsParameters``);
5. no event orchestration (service, global, router, unrouted) and no ruleset or service event
   rule suppresses, drops, resolves, suspends, lowers the severity of, re-routes or hands to
   another escalation policy an alert of a paging severity. A rule counts when its conditions
   can match the alert: only the ``[<severity>]`` marker of another severity rules it out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema, choice_list, string_list
from policies._lib.meta import Meta
from policies._lib.observability import (
    DATADOG_MONITOR,
    DATADOG_PAGERDUTY_SERVICE,
    DATADOG_SYNTHETICS_TEST,
    PAGERDUTY_ESCALATION_POLICY,
    PAGERDUTY_SCHEDULE,
    SCHEDULE_REFERENCE,
    tag,
)
from policies._lib.paging import (
    HIGH_URGENCY_SEVERITIES,
    PAGERDUTY_EVENT_RULE,
    PAGERDUTY_ORCHESTRATION_GLOBAL,
    PAGERDUTY_ORCHESTRATION_ROUTER,
    PAGERDUTY_ORCHESTRATION_SERVICE,
    PAGERDUTY_ORCHESTRATION_UNROUTED,
    PAGERDUTY_RULESET_RULE,
    PAGERDUTY_SERVICE,
    PAGERDUTY_SERVICE_EVENT_RULE,
    PAGERDUTY_SERVICE_INTEGRATION,
    actions_harm,
    may_match,
    mentions,
    rule_sets,
    surely_matches,
)
from policies._lib.playbook import ESCALATION, SEVERITIES
from policies._lib.policy import stack_policy, types
from policies._lib.props import as_list, get, is_missing, is_unknown, number, peek

META = Meta(
    id="CP-ALR-008",
    name="alerting-pagerduty-enforce-critical-paging",
    description=(
        "Ensure every critical and high alert pages on alert through a PagerDuty service of the "
        "stack bound to the primary → secondary → incident commander escalation, and that no "
        "urgency rule, notification pause or event rule suppresses, delays or re-routes it."
    ),
    severity="critical",
    section="§4 Alerts: routing to the PagerDuty schedule; §5 Detection",
    remediation=(
        "Mention @pagerduty-<service> outside conditional blocks; keep the service on the "
        "on-call escalation policy (components.on_call.OnCall) with high or severity-based "
        "urgency; remove event rules that suppress, drop, suspend, downgrade or re-route paging "
        "alerts."
    ),
    on_missing="violation",
    missing_rationale=(
        "a PagerDuty service or escalation policy the stack does not declare cannot be shown to "
        "reach the on-call chain, so it fails; an unset urgency rule is PagerDuty's constant high "
        "urgency and passes"
    ),
)

CONFIG: Schema = {
    "pagingEnvironments": string_list(
        ["staging", "prod"], "Values of the monitors' env tag whose paging severities must page."
    ),
    "pagingSeverities": choice_list(
        list(SEVERITIES), ["critical", "high"], "Severities that page in the paging environments."
    ),
    "highUrgencySeverities": choice_list(
        list(SEVERITIES), ["critical"], "Severities whose incidents must be high urgency."
    ),
    "ownRouteTags": string_list(
        ["route:security"],
        "Monitors carrying one of these tags page a route of its own (the security route has "
        "its own policy): their mentions are checked, the service they page is not followed.",
    ),
    "chainPolicies": string_list(
        ["*-oncall-escalation"],
        "Logical-name patterns of the on-call escalation policy, whose order CP-ALR-004 checks; "
        "a paging service bound to any other policy must show the playbook's order here.",
    ),
    "maxEscalationDelayMinutes": {
        "type": "number",
        "minimum": 1,
        "default": 30,
        "description": (
            "Longest delay of one escalation level. The playbook names no number; §1 asks for "
            "immediate containment, and 30 minutes per level reaches the incident commander "
            "within the hour."
        ),
    },
    "maxSuspendSeconds": {
        "type": "number",
        "minimum": 0,
        "default": 0,
        "description": "Longest PagerDuty suspend an event rule may put on a paging alert.",
    },
    "escalation": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "role": {"type": "string", "minLength": 1},
                "schedules": {"type": "array", "items": {"type": "string", "minLength": 1}},
            },
            "required": ["role", "schedules"],
            "additionalProperties": False,
        },
        "default": [{"role": role, "schedules": [pattern]} for role, pattern in ESCALATION],
        "description": "The roles in escalation order with their schedules' logical-name patterns.",
    },
}

RULE_TYPES = (
    PAGERDUTY_ORCHESTRATION_GLOBAL,
    PAGERDUTY_ORCHESTRATION_ROUTER,
    PAGERDUTY_ORCHESTRATION_UNROUTED,
    PAGERDUTY_RULESET_RULE,
    PAGERDUTY_SERVICE_EVENT_RULE,
    PAGERDUTY_EVENT_RULE,
)
APPLIES = (
    DATADOG_MONITOR,
    DATADOG_SYNTHETICS_TEST,
    DATADOG_PAGERDUTY_SERVICE,
    PAGERDUTY_SERVICE,
    PAGERDUTY_ESCALATION_POLICY,
    PAGERDUTY_ORCHESTRATION_SERVICE,
    *RULE_TYPES,
)


class _Stack:
    """Lookups over every resource of the stack."""

    def __init__(self, stack: list[PolicyResource]) -> None:
        self.by_urn = {r.urn: r for r in stack}
        self.by_type: dict[str, list[PolicyResource]] = {}
        self.by_id: dict[str, PolicyResource] = {}
        for resource in stack:
            self.by_type.setdefault(resource.resource_type, []).append(resource)
            ident = peek(resource.props, "id")
            if not is_missing(ident) and not is_unknown(ident):
                self.by_id[str(ident)] = resource

    def of(self, type_token: str) -> list[PolicyResource]:
        return self.by_type.get(type_token, [])

    def referenced(
        self, resource: PolicyResource, key: str, type_token: str
    ) -> list[PolicyResource]:
        """The resources of ``type_token`` that property ``key`` names, by id or dependency."""
        found: dict[str, PolicyResource] = {}
        value = peek(resource.props, key)
        for item in [value, *as_list(value)]:
            if isinstance(item, str) and item in self.by_id:
                target = self.by_id[item]
                if target.resource_type == type_token:
                    found[target.urn] = target
        for dependency in resource.property_dependencies.get(key, []):
            if dependency.resource_type == type_token:
                found[dependency.urn] = dependency
        return list(found.values())


def _role(schedule: PolicyResource, config: Mapping[str, Any]) -> str:
    for level in config["escalation"]:
        if any(fnmatchcase(schedule.name, str(p)) for p in level["schedules"]):
            return str(level["role"])
    return schedule.name


def _chain(policy: PolicyResource, stack: _Stack, config: Mapping[str, Any]) -> list[str]:
    """Why escalation policy ``policy`` is not the playbook's chain (empty when it is). The order
    of a policy named like the on-call chain (``chainPolicies``) is CP-ALR-004's to check; any
    other policy a paging service is bound to must show the order here."""
    named_chain = any(fnmatchcase(policy.name, str(p)) for p in config["chainPolicies"])
    roles = [str(level["role"]) for level in config["escalation"]]
    rules = as_list(get(policy.props, "rules"))
    problems: list[str] = []
    found: list[str] = []
    for index, rule in enumerate(rules):
        delay = number(get(rule, "escalationDelayInMinutes"))
        limit = float(config["maxEscalationDelayMinutes"])
        if delay is not None and delay > limit:
            problems.append(
                f"rules[{index}] waits {delay:g} minutes before escalating: at most {limit:g}"
            )
        targets = as_list(get(rule, "targets"))
        if named_chain:
            continue
        if len(targets) != 1 or get(targets[0], "type") != SCHEDULE_REFERENCE:
            found.append(f"rules[{index}] without one schedule")
            continue
        ident = peek(targets[0], "id")
        schedule = stack.by_id.get(str(ident)) if isinstance(ident, str) else None
        if schedule is None or schedule.resource_type != PAGERDUTY_SCHEDULE:
            found.append(f"schedule {ident if isinstance(ident, str) else '(unknown)'}")
            continue
        found.append(_role(schedule, config))
    if not named_chain and found != roles:
        known = [s for s in stack.of(PAGERDUTY_SCHEDULE) if isinstance(peek(s.props, "id"), str)]
        if known or len(found) != len(roles):
            problems.append(
                f"it escalates {' → '.join(found) or 'nowhere'}: the playbook's chain is "
                f"{' → '.join(roles)}"
            )
        else:
            # No schedule id is known (the preview of a new stack): read the dependencies.
            referenced = sorted(
                _role(r, config)
                for r in policy.property_dependencies.get("rules", [])
                if r.resource_type == PAGERDUTY_SCHEDULE
            )
            if referenced != sorted(roles):
                problems.append(
                    f"its rules reference the schedules of {', '.join(referenced) or 'no role'}: "
                    f"the playbook's chain is {' → '.join(roles)}"
                )
    return problems


def _urgency(service: PolicyResource) -> Iterator[str]:
    rule = get(service.props, "incidentUrgencyRule")
    if is_missing(rule):
        return
    parts = [("", rule)]
    if get(rule, "type") == "use_support_hours":
        parts = [
            ("during support hours: ", get(rule, "duringSupportHours")),
            ("outside support hours: ", get(rule, "outsideSupportHours")),
        ]
    for where, part in parts:
        urgency = get(part, "urgency")
        if is_missing(urgency) or str(urgency) not in ("high", "severity_based"):
            yield (
                f"incidentUrgencyRule {where}urgency "
                f"{urgency if not is_missing(urgency) else 'unset'} makes critical incidents "
                "low urgency: use high or severity_based"
            )


def _paging_monitors(
    resources: list[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[PolicyResource, str]]:
    for monitor in resources:
        if monitor.resource_type not in (DATADOG_MONITOR, DATADOG_SYNTHETICS_TEST):
            continue
        severity = tag(monitor.props, "severity")
        env = tag(monitor.props, "env")
        if severity not in config["pagingSeverities"]:
            continue
        if env is not None and env not in config["pagingEnvironments"]:
            continue
        yield monitor, str(severity)


def _orchestration(
    orchestration: PolicyResource,
    severities: set[str],
    config: Mapping[str, Any],
    chains: frozenset[str],
    services: frozenset[str],
    route_to_sets: bool,
) -> Iterator[str]:
    """What a (service, global, router or unrouted) orchestration does to paging alerts, by
    walking its sets from ``start`` the way PagerDuty does: the first matching rule of a set
    applies, ``routeTo`` continues in another set (service and global orchestrations), and the
    catch-all applies when no rule matched."""
    sets = rule_sets(orchestration.props)
    for severity in sorted(severities):
        keep = HIGH_URGENCY_SEVERITIES if severity in config["highUrgencySeverities"] else None

        def harms(actions: Any, keep: tuple[str, ...] | None = keep) -> list[str]:
            return list(
                actions_harm(
                    actions,
                    keep_severities=keep,
                    chains=chains,
                    services=frozenset() if route_to_sets else services,
                    max_suspend_seconds=float(config["maxSuspendSeconds"]),
                )
            )

        current, seen, settled = "start", set(), False
        while current in sets and current not in seen and not settled:
            seen.add(current)
            following = None
            for index, rule in enumerate(sets[current]):
                if get(rule, "disabled") is True or not may_match(rule, severity):
                    continue
                label = get(rule, "label")
                name = f"rule {label!r}" if not is_missing(label) else f"{current}[{index}]"
                for harm in harms(get(rule, "actions")):
                    yield f"{name} {harm} for {severity} alerts"
                if surely_matches(rule, severity):
                    route = get(rule, "actions.routeTo")
                    following = str(route) if route_to_sets and not is_missing(route) else None
                    settled = following is None
                    break
            if following is None:
                break
            current = following
        if not settled:
            for harm in harms(get(orchestration.props, "catchAll.actions")):
                yield f"catch-all {harm} for {severity} alerts"


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], stack_list: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    stack = _Stack(stack_list)
    checked = {r.urn for r in resources}
    paged: dict[str, set[str]] = {}
    for monitor, severity in _paging_monitors(resources, config):
        message = get(monitor.props, "message")
        found = mentions("" if is_missing(message) else str(message))
        if not found:
            continue  # CP-ALR-003: the monitor must page at all
        on_alert = [m for m in found if m.on_alert and m.handle.service]
        if not on_alert:
            blocks = "; ".join(f"{m.handle.text} in {m.where()}" for m in found)
            yield (
                f"severity {severity} pages PagerDuty only inside conditional blocks ({blocks}): "
                "Datadog sends it on alert only outside them or inside {{#is_alert}}",
                monitor.urn,
            )
        own_route = any(t in config["ownRouteTags"] for t in as_list(get(monitor.props, "tags")))
        for mention in [] if own_route else on_alert:
            paged.setdefault(str(mention.handle.service), set()).add(severity)

    services: dict[str, tuple[PolicyResource, set[str]]] = {}
    for name, severities in sorted(paged.items()):
        objects = [
            o
            for o in stack.of(DATADOG_PAGERDUTY_SERVICE)
            if get(o.props, "serviceName") == name and o.urn in checked
        ]
        declared = [s for s in stack.of(PAGERDUTY_SERVICE) if get(s.props, "name") == name]
        for service_object in objects:
            for integration in service_object.property_dependencies.get("serviceKey", []):
                if integration.resource_type != PAGERDUTY_SERVICE_INTEGRATION:
                    continue
                owners = stack.referenced(integration, "service", PAGERDUTY_SERVICE)
                strangers = [o for o in owners if get(o.props, "name") != name]
                for owner in strangers:
                    yield (
                        f"@pagerduty-{name} carries the integration key of PagerDuty service "
                        f"{get(owner.props, 'name')}: alerts go to that service's escalation",
                        service_object.urn,
                    )
        if objects and not declared:
            yield (
                f"@pagerduty-{name} names no pagerduty.Service of the stack: its escalation "
                "cannot be shown to reach the on-call chain",
                objects[0].urn,
            )
        for service in declared:
            ident = peek(service.props, "id")
            key = str(ident) if isinstance(ident, str) else service.urn
            services[key] = (service, severities)

    chains: set[str] = set()
    for service, _ in services.values():
        policies = stack.referenced(service, "escalationPolicy", PAGERDUTY_ESCALATION_POLICY)
        value = peek(service.props, "escalationPolicy")
        if not policies:
            shown = value if isinstance(value, str) else "(unset)"
            yield (
                f"escalationPolicy {shown} is no escalation policy of the stack: bind the "
                "service to the on-call chain",
                service.urn,
            )
        for policy in policies:
            problems = _chain(policy, stack, config)
            for problem in problems:
                yield f"escalation policy {policy.name} of {service.name}: {problem}", service.urn
            ident = peek(policy.props, "id")
            if not problems and isinstance(ident, str):
                chains.add(ident)
        for problem in _urgency(service):
            yield problem, service.urn
        if get(service.props, "autoPauseNotificationsParameters.enabled") is True:
            yield (
                "autoPauseNotificationsParameters pauses notifications of alerts that may "
                "resolve on their own: disable it, paging alerts page at once",
                service.urn,
            )

    service_ids = frozenset(k for k in services if not k.startswith("urn:"))
    service_urns = {s.urn: k for k, (s, _) in services.items()}
    all_severities = set().union(*(sev for _, sev in services.values())) if services else set()
    for orchestration in stack.of(PAGERDUTY_ORCHESTRATION_SERVICE):
        targets = stack.referenced(orchestration, "service", PAGERDUTY_SERVICE)
        severities = set().union(
            *(services[service_urns[t.urn]][1] for t in targets if t.urn in service_urns)
        )
        if not severities or orchestration.urn not in checked:
            continue
        if get(orchestration.props, "enableEventOrchestrationForService") is False:
            continue
        for problem in _orchestration(
            orchestration, severities, config, frozenset(chains), service_ids, True
        ):
            yield f"event orchestration {orchestration.name}: {problem}", orchestration.urn
    for type_token in RULE_TYPES:
        for rule_holder in stack.of(type_token):
            if rule_holder.urn not in checked or not all_severities:
                continue
            yield from _rules(rule_holder, all_severities, config, frozenset(chains), service_ids)


def _rules(
    holder: PolicyResource,
    severities: set[str],
    config: Mapping[str, Any],
    chains: frozenset[str],
    services: frozenset[str],
) -> Iterator[tuple[str, str | None]]:
    kind = holder.resource_type.rsplit(":", 1)[-1]
    if holder.resource_type in (PAGERDUTY_RULESET_RULE, PAGERDUTY_SERVICE_EVENT_RULE):
        if get(holder.props, "disabled") is True:
            return
        for severity in sorted(severities):
            keep = HIGH_URGENCY_SEVERITIES if severity in config["highUrgencySeverities"] else None
            for harm in actions_harm(
                get(holder.props, "actions"),
                keep_severities=keep,
                chains=chains,
                services=services,
                max_suspend_seconds=float(config["maxSuspendSeconds"]),
            ):
                yield f"{kind} {holder.name} {harm} for {severity} alerts", holder.urn
        return
    if holder.resource_type == PAGERDUTY_EVENT_RULE:
        action = str(get(holder.props, "actionJson"))
        if any(word in action for word in ("suppress", "suspend", "route", "severity")):
            yield (
                f"{kind} {holder.name} acts on events ({action}): the deprecated event rules "
                "cannot be shown to leave paging alerts alone; remove it",
                holder.urn,
            )
        return
    route_to_sets = holder.resource_type != PAGERDUTY_ORCHESTRATION_ROUTER
    for problem in _orchestration(holder, severities, config, chains, services, route_to_sets):
        yield f"{kind} {holder.name}: {problem}", holder.urn


POLICY = stack_policy(META, applies_to=types(*APPLIES), check=check, config=CONFIG)
