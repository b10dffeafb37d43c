"""Policy metadata: the stable id, the name scheme, severity and the playbook section enforced.

Names follow ``<area>-<resource>-<verb>-<what>`` (CONVENTIONS.md), with the verb from a closed
set so that a reader can tell from the name alone what kind of rule it is:

* ``missing``   something the stack must contain is absent (usually a stack policy);
* ``disallow``  a value or resource must not appear;
* ``enable``    a boolean-like feature must be on;
* ``disable``   a boolean-like feature must be off;
* ``configure`` a setting must hold a value within bounds;
* ``enforce``   a setting must hold one specific value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

VERBS = ("missing", "disallow", "enable", "disable", "configure", "enforce")

AREAS: dict[str, str] = {
    "iam": "IAM",
    "credentials": "CRD",
    "encryption": "ENC",
    "storage": "STO",
    "datasafety": "DAT",
    "audit": "AUD",
    "labels": "LBL",
    "alerting": "ALR",
    "changes": "CHG",
    "inventory": "INV",
}
"""Area (the package a policy lives in and the first word of its name) -> id prefix."""

PLAYBOOK = "AI Employee Control Plane: Operations Playbook"
PLAYBOOK_VERSION = "2.0"
PLAYBOOK_SECTIONS: dict[int, str] = {
    1: "Operational Charter",
    2: "Environment Matrix",
    3: "Deployment Workflows",
    4: "Monitoring & Alerting",
    5: "Incident Response",
    6: "Security & Compliance",
    7: "Maintenance Operations",
    8: "Support Playbook",
    9: "Change Calendar",
    10: "Documentation & Training",
    11: "Continuous Improvement",
    12: "Contacts & Escalations",
}
"""The playbook's numbered sections; the pack keeps its own copy (it never reads the program)."""

NAME_RE = re.compile(
    r"^(?P<area>[a-z][a-z0-9]*)-(?P<resource>[a-z][a-z0-9]*)-"
    rf"(?P<verb>{'|'.join(VERBS)})-(?P<what>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)$"
)
ID_RE = re.compile(r"^CP-(?P<prefix>[A-Z]{3})-(?P<number>\d{3})$")
SECTION_RE = re.compile(r"^§(?P<number>\d+) (?P<topic>\S.*)$")

Severity = Literal["low", "medium", "high", "critical"]
OnMissing = Literal["violation", "pass"]


@dataclass(frozen=True)
class Meta:
    """What a policy is, as the docs table, the reports and the meta-test see it."""

    id: str
    """Stable id, ``CP-<AREA>-<NNN>``; never reused, never renumbered."""
    name: str
    """``<area>-<resource>-<verb>-<what>``; the key in policy-pack config files."""
    description: str
    """One sentence that starts with "Ensure" and ends with a period."""
    severity: Severity
    """How bad a violation is (low, medium, high, critical)."""
    section: str
    """The playbook section enforced, ``§<n> <topic>``, e.g. ``§6 Access Control``."""
    remediation: str
    """What to change in the program when the policy fires."""
    on_missing: OnMissing
    """The result when the checked property is absent (checkov's ``missing_block_result``)."""
    missing_rationale: str
    """Why ``on_missing`` is what it is."""

    @property
    def area(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def display_name(self) -> str:
        return f"{self.id} {self.name}"

    @property
    def section_number(self) -> int:
        match = SECTION_RE.match(self.section)
        return int(match.group("number")) if match else 0

    def problems(self) -> list[str]:
        """Every way this metadata breaks the conventions (empty when it is fine)."""
        found: list[str] = []
        name = NAME_RE.match(self.name)
        if name is None:
            found.append(
                f"{self.name}: name must be <area>-<resource>-<verb>-<what> with the verb one of "
                f"{', '.join(VERBS)} (lowercase words, hyphen-separated)"
            )
        elif name.group("area") not in AREAS:
            found.append(f"{self.name}: area {name.group('area')!r} is not one of {sorted(AREAS)}")
        ident = ID_RE.match(self.id)
        if ident is None:
            found.append(f"{self.name}: id {self.id!r} must look like CP-IAM-001")
        elif name is not None and AREAS.get(name.group("area")) != ident.group("prefix"):
            found.append(
                f"{self.name}: id {self.id} must use the prefix of area "
                f"{name.group('area')!r}: CP-{AREAS.get(name.group('area'), '???')}-NNN"
            )
        if not (self.description.startswith("Ensure ") and self.description.endswith(".")):
            found.append(f"{self.name}: description must start with 'Ensure ' and end with '.'")
        if self.severity not in ("low", "medium", "high", "critical"):
            found.append(f"{self.name}: severity {self.severity!r} is not low/medium/high/critical")
        section = SECTION_RE.match(self.section)
        if section is None or int(section.group("number")) not in PLAYBOOK_SECTIONS:
            found.append(
                f"{self.name}: section {self.section!r} must be '§<n> <topic>' with n one of the "
                f"playbook's sections 1-{max(PLAYBOOK_SECTIONS)}"
            )
        if not self.remediation.strip():
            found.append(f"{self.name}: remediation must say what to change")
        if self.on_missing not in ("violation", "pass") or not self.missing_rationale.strip():
            found.append(f"{self.name}: decide on_missing (violation/pass) and say why")
        return found
