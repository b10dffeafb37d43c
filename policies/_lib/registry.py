"""Collecting the pack's policies: every module of every area package defines one ``POLICY``."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from policies._lib.meta import AREAS
from policies._lib.policy import (
    ControlPlanePolicy,
    ControlPlaneResourcePolicy,
    ControlPlaneStackPolicy,
)

PACK_DIR = Path(__file__).resolve().parent.parent
PACK_NAME = "controlplane-policies"
PACK_DISPLAY_NAME = "AI Employee Control Plane security and compliance policies"


def policy_modules() -> list[str]:
    """Dotted names of the policy modules, area by area, in file-name order."""
    names: list[str] = []
    for area in AREAS:
        package = PACK_DIR / area
        names += [
            f"policies.{area}.{info.name}"
            for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda i: i.name)
            if not info.ispkg and not info.name.startswith("_")
        ]
    return names


def collect() -> list[ControlPlanePolicy]:
    """Every policy of the pack, ordered by id."""
    found: list[ControlPlanePolicy] = []
    for name in policy_modules():
        module = importlib.import_module(name)
        policy = getattr(module, "POLICY", None)
        if not isinstance(policy, ControlPlaneResourcePolicy | ControlPlaneStackPolicy):
            raise TypeError(
                f"{name} must define POLICY = resource_policy(...) or stack_policy(...)"
            )
        found.append(policy)
    return sorted(found, key=lambda p: p.meta.id)
