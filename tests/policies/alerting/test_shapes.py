"""The hand-built alerting resources of tests/support/policies_alerting.py are registered as is.

The components run under the preflight mocks with the example config of
tests/components/conftest_observability.py (the same config the shapes copy). Every resource of
shapes.observability(env) must be registered with the same type, logical name and inputs; the
schedules' ``id`` (an output, not an input) and the escalation rules' target ids (the mocks' ids)
are compared through the schedule they name.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

import pytest

from controlplane.naming import Environment
from tests.support import policies_alerting as shapes
from tests.support.policies import make_resource

ENVS: tuple[Environment, ...] = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def registered() -> dict[str, Any]:
    from tests.support.observability import run_observability

    return {env: run_observability(env) for env in ENVS}


def _rules_by_schedule(inputs: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """Escalation inputs with each target id replaced by its schedule's name."""
    result = copy.deepcopy(inputs)
    for rule in result["rules"]:
        for target in rule["targets"]:
            target["id"] = names.get(target["id"], f"unknown id {target['id']}")
    return result


@pytest.mark.parametrize("env", ENVS)
def test_shapes_are_what_the_components_register(registered, env):
    run = registered[env]
    by_name = {r.name: r for r in run.resources}
    built = shapes.observability(env, partial(make_resource, stack=env))
    component_names = {run.id_of(r): r.name for r in run.of_type(shapes.SCHEDULE)}
    built_names = {r["inputs"]["id"]: r["name"] for r in built if r["type"] == shapes.SCHEDULE}
    for resource in built:
        real = by_name.get(resource["name"])
        assert real is not None, f"{env}: the components register no {resource['name']}"
        assert real.type == resource["type"], real.urn
        expected = copy.deepcopy(resource["inputs"])
        actual = copy.deepcopy(real.inputs)
        if resource["type"] == shapes.SCHEDULE:
            assert expected.pop("id") == shapes.SCHEDULE_IDS[resource["name"].split("oncall-")[1]]
            assert run.id_of(real).startswith("P"), real.urn
        if resource["type"] == shapes.ESCALATION:
            expected = _rules_by_schedule(expected, built_names)
            actual = _rules_by_schedule(actual, component_names)
            assert sorted(real.property_dependencies["rules"]) == sorted(
                by_name[n].urn for n in component_names.values()
            ), real.urn
        assert actual == expected, real.urn


@pytest.mark.parametrize("env", ENVS)
def test_every_playbook_monitor_of_the_components_is_in_the_shapes(registered, env):
    tagged = {
        tag.removeprefix("alert:")
        for r in registered[env].of_type(shapes.MONITOR)
        for tag in r.inputs.get("tags", [])
        if tag.startswith("alert:") and not tag.startswith("alert:slo-")
    }
    assert tagged == set(shapes.SLUGS)
