"""Shared fixtures: the three stacks and the bootstrap synthesized once per test session."""

from __future__ import annotations

import os

# Before anything starts gRPC: see preflight/__init__.py (children of this process must not
# inherit gRPC's fork handlers while the session's policy pack is being called).
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from pathlib import Path
from typing import Any

import pytest

from preflight.cli import ROOT
from preflight.synth import synthesize
from tests.support.snapshots import BOOTSTRAP


@pytest.fixture(scope="session")
def snapshots() -> dict[str, dict[str, Any]]:
    """Snapshots of dev, staging and prod as the program declares them."""
    return synthesize(["dev", "staging", "prod"])


@pytest.fixture(scope="session")
def preview_snapshots() -> dict[str, dict[str, Any]]:
    """The same stacks as the preview of brand-new stacks (provider-computed outputs unknown)."""
    return synthesize(["dev", "staging", "prod"], mode="preview")


@pytest.fixture(scope="session")
def bootstrap_snapshot() -> dict[str, Any]:
    """The ``org`` stack of the bootstrap project, as checked in."""
    return synthesize(["org"], project_dir=BOOTSTRAP)["org"]


@pytest.fixture
def project_with(tmp_path: Path):
    """A Pulumi project dir running the real program with a given stack file."""

    def make(stack: str, stack_file: str) -> Path:
        (tmp_path / "Pulumi.yaml").write_text(
            f"name: controlplane\nruntime: python\nmain: {ROOT}\n"
        )
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(stack_file)
        return tmp_path

    return make
