"""One Cloud Storage bucket through the pack, and the verdicts its policy tests expect.

The bucket policies (uniform access, public access prevention, default CMEK) are each tested on
the same bucket, ``logs-archive``, changing one input per case: ``verdict`` runs it through the
``analyze`` fixture and gathers everything one policy said about it, so that a test compares the
whole answer (violations, their enforcement level, exemptions) with ``passed``, ``rejected`` or
``exempted`` in one assertion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.policies import Checked, make_resource, urn

BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_NAME = "logs-archive"
BUCKET_URN = urn("prod", BUCKET, BUCKET_NAME)

Analyze = Callable[..., Checked]
"""The ``analyze`` fixture of ``tests/policies/conftest.py``."""

EXEMPTIONS = [
    pytest.param({"exclude": ["logs-*"]}, "excluded by pattern 'logs-*'", id="exclude-exempts"),
    pytest.param(
        {"include": ["backup-*"]}, "not included by ['backup-*']", id="include-limits-the-check"
    ),
]
"""``(policy config, reason)``: the shared exemption shape, matching and not matching the bucket."""


@dataclass(frozen=True)
class Verdict:
    """What one policy said about the bucket."""

    violations: list[tuple[str, str]]
    """``(urn, message)`` of each violation."""
    levels: list[str]
    """The enforcement level of each violation."""
    exempt: list[tuple[str, str]]
    """``(urn, reason)`` of each exemption."""


def bucket(inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The bucket with ``inputs`` over its name and location."""
    return make_resource(
        BUCKET, BUCKET_NAME, {"name": "acme-prod-logs-archive", "location": "EU", **(inputs or {})}
    )


def verdict(
    analyze: Analyze, policy: str, inputs: dict[str, Any] | None = None, **how: Any
) -> Verdict:
    """What ``policy`` says about the bucket with ``inputs`` (``how``: ``env``, ``overrides``)."""
    checked = analyze([bucket(inputs)], **how)
    return Verdict(checked.of(policy), checked.levels(policy), checked.exempt(policy))


def passed() -> Verdict:
    return Verdict([], [], [])


def rejected(description: str, detail: str, level: str = "mandatory") -> Verdict:
    """One violation: the policy's description, then ``detail`` on the next line."""
    return Verdict([(BUCKET_URN, f"{description}\n{detail}")], [level], [])


def exempted(reason: str) -> Verdict:
    return Verdict([], [], [(BUCKET_URN, reason)])
