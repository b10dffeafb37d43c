"""The bootstrap program synthesized once per session, by the same offline path as preflight."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from preflight.synth import synthesize
from tests.support.snapshots import BOOTSTRAP


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
