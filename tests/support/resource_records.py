"""One resource record as the synth contract writes it, for tests that build snapshots by hand
(the graph, plan export and scan tests)."""

from __future__ import annotations

from typing import Any


def record(
    urn: str,
    type_: str,
    name: str,
    *,
    custom: bool,
    parent: str | None,
    inputs: dict[str, Any],
    dependencies: list[str],
    property_dependencies: dict[str, list[str]],
) -> dict[str, Any]:
    """A resource with default options (no protect, no ignoreChanges...)."""
    return {
        "urn": urn,
        "type": type_,
        "name": name,
        "custom": custom,
        "parent": parent,
        "provider": None,
        "inputs": inputs,
        "protect": False,
        "retainOnDelete": False,
        "deleteBeforeReplace": False,
        "ignoreChanges": [],
        "replaceOnChanges": [],
        "additionalSecretOutputs": [],
        "dependencies": dependencies,
        "propertyDependencies": property_dependencies,
    }
