"""What one analysis of a stack reports: violations, exemptions and the pack's log lines."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


def _camel_case_fields(record: Any) -> dict[str, str]:
    """A result record as the engine's JSON names it: every field in declaration order, its name
    in camelCase (``policy_pack_version`` -> ``policyPackVersion``)."""
    return {_camel_case(f.name): getattr(record, f.name) for f in fields(record)}


def _camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True)
class LogEntry:
    """One ``Engine.Log`` call from the pack."""

    level: str
    message: str
    urn: str

    def to_json(self) -> dict[str, str]:
        return _camel_case_fields(self)


@dataclass(frozen=True)
class Violation:
    """One diagnostic, as the engine reports it (``OnPolicyViolation``)."""

    policy_name: str
    policy_pack: str
    policy_pack_version: str
    enforcement_level: str
    severity: str
    urn: str
    description: str
    message: str

    def to_json(self) -> dict[str, str]:
        return _camel_case_fields(self)


@dataclass(frozen=True)
class NotApplicable:
    """A policy that declared itself not applicable to a resource (e.g. an exemption)."""

    policy_name: str
    urn: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return _camel_case_fields(self)


@dataclass
class StackResult:
    """Everything one stack's analysis produced."""

    stack: str
    project: str
    resources: int
    violations: list[Violation] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement_level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement_level == "advisory"]
