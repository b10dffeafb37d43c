"""Grow a stack config to many services, for the synth benchmark."""

from __future__ import annotations

import copy
from typing import Any


def grow(config: dict[str, Any], services: int) -> None:
    """Add ``services`` copies of the agent service (each a Cloud Run service with its own
    service account, IAM and secret grants), so resources grow with the service count."""
    declared = config["controlplane:services"]
    template = copy.deepcopy(declared["agent"])
    template.get("rollout", {}).pop("stableRevision", None)
    template.get("rollout", {}).pop("candidatePercent", None)
    for i in range(services):
        declared[f"svc{i:03d}"] = copy.deepcopy(template)
