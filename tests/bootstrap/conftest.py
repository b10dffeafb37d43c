"""The bootstrap program run with a given stack file (its snapshot is shared: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.snapshots import BOOTSTRAP


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
