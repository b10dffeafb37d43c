"""Grow a stack config to many services, for the synth benchmark."""

from __future__ import annotations

from typing import Any


def grow(config: dict[str, Any], services: int) -> None:
    """Add access roles until the stack declares about ``services`` x 2 bindings.

    Placeholder scale knob for the foundation (only access bindings exist); replaced by
    generated Cloud Run services once the runtime components are wired.
    """
    roles = [f"roles/run.custom{i}" for i in range(services)]
    for group in config["controlplane:access"].values():
        group["roles"] = list(group["roles"]) + roles
