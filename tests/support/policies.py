"""Snapshots and answers for the policy tests: what the pack is given and what it said.

``make_resource`` builds one resource in the snapshot contract's shape (urn from the name, parented
to the root stack), ``snapshot`` wraps resources with the root stack, ``load_config`` and
``merge`` give the policy-pack config of an environment with per-policy overrides,
``iam_binding`` and ``iam_policy`` build the IAM resources that grant a role to a list of members,
and ``Checked`` reads the pack's answer for one snapshot.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policies._lib.meta import Meta
from preflight.analyzer.results import StackResult
from tests.support.resource_records import record

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"
CONFIG_DIR = PACK_DIR / "config"
PROJECT = "controlplane"


def urn(stack: str, type_token: str, name: str, parent_types: str = "") -> str:
    chain = f"{parent_types}${type_token}" if parent_types else type_token
    return f"urn:pulumi:{stack}::{PROJECT}::{chain}::{name}"


def stack_urn(stack: str) -> str:
    return urn(stack, "pulumi:pulumi:Stack", f"{PROJECT}-{stack}")


def make_resource(
    type_token: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    protect: bool = False,
    stack: str = "prod",
    custom: bool = True,
) -> dict[str, Any]:
    """A resource in the snapshot contract's shape, parented to the root stack."""
    resource = record(
        urn(stack, type_token, name),
        type_token,
        name,
        custom=custom,
        parent=stack_urn(stack),
        inputs=copy.deepcopy(inputs or {}),
        dependencies=[],
        property_dependencies={},
    )
    resource["protect"] = protect
    return resource


def snapshot(resources: list[dict[str, Any]], stack: str = "prod") -> dict[str, Any]:
    root = make_resource("pulumi:pulumi:Stack", f"{PROJECT}-{stack}", stack=stack, custom=False)
    root["urn"], root["parent"] = stack_urn(stack), None
    return {"project": PROJECT, "stack": stack, "resources": [root, *resources]}


def iam_binding(
    type_token: str, name: str, scope: dict[str, Any], role: str, members: list[str]
) -> dict[str, Any]:
    """An IAM binding resource granting ``role`` to ``members`` on the target named by ``scope``."""
    return make_resource(type_token, name, {**scope, "role": role, "members": members})


def iam_policy(
    type_token: str, name: str, scope: dict[str, Any], bindings: dict[str, list[str]]
) -> dict[str, Any]:
    """An IAM policy resource whose ``policyData`` JSON grants each role to its members."""
    document = {
        "bindings": [{"role": role, "members": members} for role, members in bindings.items()]
    }
    return make_resource(type_token, name, {**scope, "policyData": json.dumps(document)})


def inputs_given(**inputs: Any) -> dict[str, Any]:
    """Resource inputs with each property given as None left out, as a missing property is."""
    return {key: value for key, value in inputs.items() if value is not None}


def message_for(meta: Meta) -> Callable[[str], str]:
    """``msg(detail)``: the message ``meta``'s policy reports, its description then ``detail``."""

    def msg(detail: str) -> str:
        return f"{meta.description}\n{detail}"

    return msg


@dataclass
class Checked:
    """What the pack answered for one snapshot."""

    result: StackResult

    def of(self, policy: str) -> list[tuple[str, str]]:
        """``(urn, message)`` of each violation of ``policy``, in the order reported."""
        return [(v.urn, v.message) for v in self.result.violations if v.policy_name == policy]

    def levels(self, policy: str) -> list[str]:
        return [v.enforcement_level for v in self.result.violations if v.policy_name == policy]

    def exempt(self, policy: str) -> list[tuple[str, str]]:
        return [(n.urn, n.reason) for n in self.result.not_applicable if n.policy_name == policy]

    def logs(self) -> list[tuple[str, str, str]]:
        return [(log.level, log.message, log.urn) for log in self.result.logs]

    def logged_excluded(self, policy: str, name: str, pattern: str, urn: str) -> bool:
        """Whether the pack logged, as the pack's users read it, that ``name`` (``urn``) is
        exempt from ``policy`` because the config's ``exclude`` pattern ``pattern`` matches."""
        line = f"{policy}: {name} is exempt: excluded by pattern '{pattern}'"
        return ("info", line, urn) in self.logs()

    def policies(self, level: str | None = None) -> set[str]:
        return {
            v.policy_name
            for v in self.result.violations
            if level is None or v.enforcement_level == level
        }


def load_config(env: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CONFIG_DIR / f"{env}.json").read_text())
    return document


def merge(config: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """``overrides`` over ``config``, per policy: objects merge, a level string replaces."""
    merged = copy.deepcopy(config)
    for name, value in (overrides or {}).items():
        current = merged.get(name)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[name] = {**current, **value}
        elif isinstance(value, dict) and isinstance(current, str):
            merged[name] = {"enforcementLevel": current, **value}
        else:
            merged[name] = value
    return merged
