"""Looking into a synth snapshot."""

from __future__ import annotations

from typing import Any


def resources_of(snapshot: dict[str, Any], type_token: str) -> list[dict[str, Any]]:
    """The snapshot's resources of one type."""
    return [r for r in snapshot["resources"] if r["type"] == type_token]
