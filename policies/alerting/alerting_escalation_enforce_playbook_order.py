"""CP-ALR-004: the PagerDuty escalation goes primary, secondary, incident commander.

A schedule's role comes from its logical name (``escalation`` in the config: the roles in
order, each with the name patterns of its schedules). An escalation policy's rules point at
schedules by PagerDuty id (``rules[i].targets[j].id``); the pack resolves an id to a schedule
of the stack through the schedule's ``id`` property, which the engine passes to stack policies
with the resources' outputs (after an update, and in a preview of a stack that exists).

Where no schedule of the stack shows an ``id`` (a preview of a new stack, where ids are not known
yet; an offline snapshot, which records inputs only), the order cannot be read from the ids. The
policy then checks what the dependencies show: the ``rules`` property depends on exactly one
schedule of each role, and there is one rule, with one schedule target, per role. The order
itself is then checked by the program's config validation (``controlplane:oncall.escalation``)
and again by this policy wherever ids are known (``pulumi preview`` of a deployed stack,
``pulumi up``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema
from policies._lib.meta import Meta
from policies._lib.observability import (
    PAGERDUTY_ESCALATION_POLICY,
    PAGERDUTY_SCHEDULE,
    SCHEDULE_REFERENCE,
)
from policies._lib.playbook import ESCALATION
from policies._lib.policy import stack_policy, types
from policies._lib.props import as_list, get, is_missing

META = Meta(
    id="CP-ALR-004",
    name="alerting-escalation-enforce-playbook-order",
    description=(
        "Ensure the stack's PagerDuty escalation policies go primary on-call, then secondary "
        "on-call, then incident commander, one schedule per level."
    ),
    severity="high",
    section="§4 Alerts: Primary on-call → Secondary on-call → Incident Commander",
    remediation=(
        "Give the escalation policy one rule per role, in the playbook's order, each targeting "
        "that role's schedule (schedule_reference); controlplane:oncall.escalation lists them."
    ),
    on_missing="violation",
    missing_rationale=(
        "without an escalation policy, or with a level that targets nobody, an unacknowledged "
        "page stops at the first person"
    ),
)

CONFIG: Schema = {
    "escalation": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "role": {"type": "string", "minLength": 1},
                "schedules": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "minLength": 1},
                },
            },
            "required": ["role", "schedules"],
            "additionalProperties": False,
        },
        "default": [{"role": role, "schedules": [pattern]} for role, pattern in ESCALATION],
        "description": (
            "The roles in escalation order, each with the logical-name patterns of its "
            "PagerDuty schedules."
        ),
    },
}


def _roles(config: Mapping[str, Any]) -> list[str]:
    return [str(level["role"]) for level in config["escalation"]]


def role_of(schedule: PolicyResource, config: Mapping[str, Any]) -> str:
    """The role of ``schedule`` by its logical name, or the name itself when it has none."""
    for level in config["escalation"]:
        if any(fnmatchcase(schedule.name, str(p)) for p in level["schedules"]):
            return str(level["role"])
    return schedule.name


def _arrow(labels: list[str]) -> str:
    return " → ".join(labels) if labels else "nowhere"


def _targets(policy: PolicyResource) -> tuple[list[Any], list[str]]:
    """The rules' single targets, and the problems of rules that do not have exactly one."""
    rules = as_list(get(policy.props, "rules"))
    targets: list[Any] = []
    problems: list[str] = []
    for index, rule in enumerate(rules):
        found = as_list(get(rule, "targets"))
        if len(found) != 1:
            problems.append(
                f"rules[{index}] has {len(found)} targets: give each level exactly one schedule"
            )
            continue
        target = found[0]
        if get(target, "type") != SCHEDULE_REFERENCE:
            problems.append(
                f"rules[{index}] targets a {get(target, 'type') or 'target without type'}: "
                f"target a schedule ({SCHEDULE_REFERENCE})"
            )
            continue
        targets.append(target)
    return targets, problems


def _by_id(
    targets: list[Any], schedules: dict[str, PolicyResource], config: Mapping[str, Any]
) -> Iterator[str]:
    roles = _roles(config)
    found: list[str] = []
    for index, target in enumerate(targets):
        ident = get(target, "id")
        if is_missing(ident):
            yield f"rules[{index}] targets no schedule id: set the target's id to a schedule's id"
            return
        schedule = schedules.get(str(ident))
        if schedule is None:
            yield f"rules[{index}] targets schedule id {ident}, which is no schedule of this stack"
            return
        found.append(role_of(schedule, config))
    if found != roles:
        yield f"escalation goes {_arrow(found)}: the playbook's order is {_arrow(roles)}"


def _by_dependencies(
    policy: PolicyResource, targets: list[Any], config: Mapping[str, Any]
) -> Iterator[str]:
    roles = _roles(config)
    referenced = [
        role_of(r, config)
        for r in policy.property_dependencies.get("rules", [])
        if r.resource_type == PAGERDUTY_SCHEDULE
    ]
    if sorted(referenced) != sorted(roles) or len(targets) != len(roles):
        schedules = ", ".join(sorted(referenced)) or "no role"
        yield (
            f"{len(targets)} rules reference the schedules of {schedules}: the playbook's "
            f"escalation is {_arrow(roles)}, one rule per role"
        )


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    roles = _roles(config)
    if not resources:
        yield (
            f"no PagerDuty escalation policy: declare one whose rules go {_arrow(roles)}",
            None,
        )
        return
    schedules = {
        str(get(r.props, "id")): r
        for r in stack
        if r.resource_type == PAGERDUTY_SCHEDULE and not is_missing(get(r.props, "id"))
    }
    for policy in resources:
        targets, problems = _targets(policy)
        if not as_list(get(policy.props, "rules")):
            problems.append(f"no rules: add one per role, {_arrow(roles)}")
        for problem in problems:
            yield problem, policy.urn
        if problems:
            continue
        messages = (
            _by_id(targets, schedules, config)
            if schedules
            else _by_dependencies(policy, targets, config)
        )
        for message in messages:
            yield message, policy.urn


POLICY = stack_policy(
    META, applies_to=types(PAGERDUTY_ESCALATION_POLICY), check=check, config=CONFIG
)
