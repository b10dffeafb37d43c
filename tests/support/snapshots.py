"""Reading synthesized snapshots in tests: resources by type, one by name, IAM policy bindings."""

from __future__ import annotations

import json
from typing import Any

from preflight.cli import ROOT

BOOTSTRAP = ROOT / "bootstrap"
"""The bootstrap program's project directory."""


def resources_of(snapshot: dict[str, Any], type_token: str) -> list[dict[str, Any]]:
    """The snapshot's resources of one type."""
    return [r for r in snapshot["resources"] if r["type"] == type_token]


def one(snapshot: dict[str, Any], type_token: str, name: str) -> dict[str, Any]:
    """The one resource of ``type_token`` named ``name`` (fails when there is not exactly one)."""
    [found] = [r for r in resources_of(snapshot, type_token) if r["name"] == name]
    return found


def policy_bindings(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The bindings of an IAM policy resource's ``policyData``."""
    bindings: list[dict[str, Any]] = json.loads(resource["inputs"]["policyData"])["bindings"]
    return bindings
