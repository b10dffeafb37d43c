"""CP-ALR-004 alerting-escalation-enforce-playbook-order (stack policy)."""

from __future__ import annotations

import copy

import pytest

from policies.alerting.alerting_escalation_enforce_playbook_order import META
from tests.support import policies_alerting as shapes
from tests.support.policies import message_for

NAME = META.name
PLAYBOOK = "primary on-call → secondary on-call → incident commander"
ROLES = ["primary", "secondary", "incident-commander"]

msg = message_for(META)


def schedules(make, with_ids=True, roles=ROLES):
    found = []
    for role in roles:
        inputs = shapes.schedule_inputs("prod", role)
        if not with_ids:
            del inputs["id"]
        found.append(make(shapes.SCHEDULE, f"acme-prod-oncall-{role}", inputs))
    return found


def escalation(make, order=ROLES, depends_on=None, rules=None):
    inputs = shapes.escalation_inputs("prod", list(order))
    if rules is not None:
        inputs["rules"] = rules
    resource = make(shapes.ESCALATION, "acme-prod-oncall-escalation", inputs)
    if depends_on is not None:
        urns = sorted(s["urn"] for s in depends_on)
        resource["dependencies"] = urns
        resource["propertyDependencies"] = {"rules": urns}
    return resource


def test_compliant_baseline_passes(analyze, make):
    found = schedules(make)
    assert analyze([*found, escalation(make, depends_on=found)]).of(NAME) == []


@pytest.mark.parametrize(
    ("order", "goes"),
    [
        (
            ["secondary", "primary", "incident-commander"],
            "secondary on-call → primary on-call → incident commander",
        ),
        (
            ["primary", "incident-commander", "secondary"],
            "primary on-call → incident commander → secondary on-call",
        ),
        (["primary", "secondary"], "primary on-call → secondary on-call"),
        (
            ["primary", "secondary", "incident-commander", "primary"],
            "primary on-call → secondary on-call → incident commander → primary on-call",
        ),
    ],
)
def test_other_orders_are_rejected(analyze, make, order, goes):
    found = schedules(make)
    policy = escalation(make, order, depends_on=found)
    checked = analyze([*found, policy])
    assert checked.of(NAME) == [
        (policy["urn"], msg(f"escalation goes {goes}: the playbook's order is {PLAYBOOK}"))
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_schedule_without_a_role_is_named(analyze, make):
    found = schedules(make)
    manager = make(
        shapes.SCHEDULE, "acme-prod-oncall-manager", {"name": "manager", "id": "PMANAGR"}
    )
    rules = copy.deepcopy(shapes.escalation_inputs("prod")["rules"])
    rules[2]["targets"][0]["id"] = "PMANAGR"
    policy = escalation(make, rules=rules)
    assert analyze([*found, manager, policy]).of(NAME) == [
        (
            policy["urn"],
            msg(
                "escalation goes primary on-call → secondary on-call → acme-prod-oncall-manager: "
                f"the playbook's order is {PLAYBOOK}"
            ),
        )
    ]


def test_user_target_is_rejected(analyze, make):
    rules = copy.deepcopy(shapes.escalation_inputs("prod")["rules"])
    rules[2]["targets"] = [{"id": "PCCCCC1", "type": "user_reference"}]
    policy = escalation(make, rules=rules)
    assert analyze([*schedules(make), policy]).of(NAME) == [
        (
            policy["urn"],
            msg("rules[2] targets a user_reference: target a schedule (schedule_reference)"),
        )
    ]


def test_two_targets_on_one_level_are_rejected(analyze, make):
    rules = copy.deepcopy(shapes.escalation_inputs("prod")["rules"])
    rules[0]["targets"].append(rules[1]["targets"][0])
    policy = escalation(make, rules=rules)
    assert analyze([*schedules(make), policy]).of(NAME) == [
        (policy["urn"], msg("rules[0] has 2 targets: give each level exactly one schedule"))
    ]


def test_target_that_is_no_schedule_of_the_stack_is_rejected(analyze, make):
    rules = copy.deepcopy(shapes.escalation_inputs("prod")["rules"])
    rules[1]["targets"][0]["id"] = "PELSEWH"
    policy = escalation(make, rules=rules)
    assert analyze([*schedules(make), policy]).of(NAME) == [
        (
            policy["urn"],
            msg("rules[1] targets schedule id PELSEWH, which is no schedule of this stack"),
        )
    ]


def test_target_without_id_is_rejected(analyze, make):
    rules = copy.deepcopy(shapes.escalation_inputs("prod")["rules"])
    del rules[0]["targets"][0]["id"]
    policy = escalation(make, rules=rules)
    assert analyze([*schedules(make), policy]).of(NAME) == [
        (
            policy["urn"],
            msg("rules[0] targets no schedule id: set the target's id to a schedule's id"),
        )
    ]


def test_policy_without_rules_is_rejected(analyze, make):
    policy = escalation(make, rules=[])
    assert analyze([*schedules(make), policy]).of(NAME) == [
        (policy["urn"], msg(f"no rules: add one per role, {PLAYBOOK}"))
    ]


def test_missing_escalation_policy_is_rejected_on_purpose(analyze, make):
    # Decided: without one, an unacknowledged page stops at the first person.
    assert META.on_missing == "violation"
    assert analyze(schedules(make)).of(NAME) == [
        ("", msg(f"no PagerDuty escalation policy: declare one whose rules go {PLAYBOOK}"))
    ]


# -- without schedule ids (an offline snapshot, a preview of a new stack) -----------------------


def test_without_ids_the_dependencies_must_name_each_role_once(analyze, make):
    found = schedules(make, with_ids=False)
    assert analyze([*found, escalation(make, depends_on=found)]).of(NAME) == []


def test_without_ids_a_missing_role_is_rejected(analyze, make):
    found = schedules(make, with_ids=False)
    policy = escalation(make, ["primary", "secondary"], depends_on=found[:2])
    assert analyze([*found, policy]).of(NAME) == [
        (
            policy["urn"],
            msg(
                "2 rules reference the schedules of primary on-call, secondary on-call: the "
                f"playbook's escalation is {PLAYBOOK}, one rule per role"
            ),
        )
    ]


def test_without_ids_the_order_is_not_readable(analyze, make):
    # What the dependencies cannot show: the same set in another order passes here, and is
    # rejected where the schedules carry their ids (test_other_orders_are_rejected).
    found = schedules(make, with_ids=False)
    swapped = escalation(make, ["secondary", "primary", "incident-commander"], depends_on=found)
    assert analyze([*found, swapped]).of(NAME) == []


def test_roles_are_configurable(analyze, make):
    found = schedules(make)
    policy = escalation(make, ["primary", "incident-commander"], depends_on=found)
    overrides = {
        NAME: {
            "escalation": [
                {"role": "first", "schedules": ["*-primary"]},
                {"role": "commander", "schedules": ["*-incident-commander"]},
            ]
        }
    }
    assert analyze([*found, policy], overrides=overrides).of(NAME) == []


def test_exclude_pattern_exempts_the_escalation_policy(analyze, make):
    found = schedules(make)
    policy = escalation(make, ["secondary", "primary", "incident-commander"], depends_on=found)
    checked = analyze([*found, policy], overrides={NAME: {"exclude": ["*-escalation"]}})
    assert checked.of(NAME) == [
        ("", msg(f"no PagerDuty escalation policy: declare one whose rules go {PLAYBOOK}"))
    ]
    assert checked.logged_excluded(
        NAME, "acme-prod-oncall-escalation", "*-escalation", policy["urn"]
    )


def test_include_pattern_limits_the_check(analyze, make):
    found = schedules(make)
    good = escalation(make, depends_on=found)
    other = make(
        shapes.ESCALATION,
        "legacy-escalation",
        shapes.escalation_inputs("prod", ["secondary", "primary", "incident-commander"]),
    )
    checked = analyze([*found, good, other], overrides={NAME: {"include": ["acme-*"]}})
    assert checked.of(NAME) == []
