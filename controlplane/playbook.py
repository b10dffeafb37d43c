"""The program's copy of the operations playbook's constants (playbook v2.0).

The policy pack holds its own copy on purpose (DESIGN.md, "Thresholds live twice"): never
import this module from ``policies/``.
"""

from __future__ import annotations

from controlplane.naming import DataClass

MATRIX: dict[str, tuple[DataClass, tuple[str, ...]]] = {
    "dev": ("synthetic", ("engineering", "qa")),
    "staging": ("anonymized", ("engineering", "operations")),
    "prod": ("live", ("operations", "on-call")),
}
"""Playbook §2: the data each shared environment holds and the groups that may access it."""
