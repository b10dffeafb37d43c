"""The bootstrap program synthesized once per session, by the same offline path as preflight."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preflight.cli import ROOT
from preflight.synth import synthesize

BOOTSTRAP = ROOT / "bootstrap"


@pytest.fixture(scope="session")
def bootstrap_snapshot() -> dict[str, Any]:
    """The ``org`` stack of the bootstrap project, as checked in."""
    return synthesize(["org"], project_dir=BOOTSTRAP)["org"]


@pytest.fixture
def bootstrap_with(tmp_path: Path):
    """A project dir that runs the real bootstrap program with a given ``org`` stack file."""

    def make(stack_file: str) -> Path:
        (tmp_path / "Pulumi.yaml").write_text(
            f"name: controlplane-bootstrap\nruntime: python\nmain: {BOOTSTRAP}\n"
        )
        (tmp_path / "Pulumi.org.yaml").write_text(stack_file)
        return tmp_path

    return make


def of_type(snapshot: dict[str, Any], type_token: str) -> list[dict[str, Any]]:
    return [r for r in snapshot["resources"] if r["type"] == type_token]


def one(snapshot: dict[str, Any], type_token: str, name: str) -> dict[str, Any]:
    [found] = [r for r in of_type(snapshot, type_token) if r["name"] == name]
    return found


def policy(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The bindings of an IAM policy resource's ``policyData``."""
    bindings: list[dict[str, Any]] = json.loads(resource["inputs"]["policyData"])["bindings"]
    return bindings
