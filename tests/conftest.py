"""Shared fixtures: the three stacks synthesized once per test session, in this process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from preflight.cli import ROOT
from preflight.synth import synthesize


@pytest.fixture(scope="session")
def snapshots() -> dict[str, dict[str, Any]]:
    """Snapshots of dev, staging and prod as the program declares them."""
    return synthesize(["dev", "staging", "prod"])


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
