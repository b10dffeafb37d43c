"""Can each environment's deployer apply its stack? Computed from the two programs' snapshots.

The bootstrap program grants each deployer its roles on its environment's project (one
``gcp:projects/iAMMember:IAMMember`` per role) plus project IAM administration under a condition
that limits the roles it may grant. An environment stack declares GCP resources; creating,
reading, updating and deleting each type needs the permissions listed in
``type_permissions.json`` beside this module. The roles' permissions come from the vendored
public dataset (``tools/vendor/iam-dataset``). Nothing here talks to GCP: what IAM would refuse
at the first ``pulumi up`` is found from data with a named source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from preflight.cli import ROOT

TYPES_PATH = Path(__file__).with_name("type_permissions.json")
ROLES_PATH = ROOT / "tools" / "vendor" / "iam-dataset" / "role_permissions.json"
OPERATIONS = ("create", "read", "update", "delete")
PROJECT_IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_IAM_ADMIN = "roles/resourcemanager.projectIamAdmin"
_CONDITION_ROLE_RE = re.compile(r"'(roles/[A-Za-z0-9_.]+)'")
_CONDITION_RE = re.compile(
    r"^api\.getAttribute\('iam\.googleapis\.com/modifiedGrantsByRole', \[\]\)\.hasOnly\(\[.*\]\)$"
)


class PermissionDataError(Exception):
    """The permission data cannot be read (one line, says what to do)."""


@cache
def type_permissions(path: Path = TYPES_PATH) -> Mapping[str, Mapping[str, Any]]:
    """Resource type token -> {create, read, update, delete, possibly, source, notes}."""
    return _load(path, "types", "restore it from git")


@cache
def role_permissions(path: Path = ROLES_PATH) -> Mapping[str, frozenset[str]]:
    """Predefined role -> the permissions it includes."""
    doc = _load(path, None, "run scripts/refresh_iam_roles.py")
    return {role: frozenset(perms) for role, perms in doc.items()}


def _load(path: Path, key: str | None, fix: str) -> Mapping[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return doc[key] if key else doc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PermissionDataError(f"cannot read {path}: {exc}; {fix}") from None


@dataclass(frozen=True)
class Grant:
    role: str
    condition: str | None


@dataclass
class Deployer:
    """Who applies the stacks of one GCP project, and with what."""

    project: str
    member: str
    roles: set[str] = field(default_factory=set)
    grantable: set[str] | None = None
    """The roles the conditional project IAM grant allows changing; None: no such grant."""

    def permissions(self) -> frozenset[str]:
        known = role_permissions()
        held: set[str] = set()
        for role in self.roles | ({PROJECT_IAM_ADMIN} if self.grantable is not None else set()):
            held |= known.get(role, frozenset())
        return frozenset(held)


def deployers(bootstrap: Mapping[str, Any]) -> dict[str, Deployer]:
    """GCP project -> its deployer, from the bootstrap snapshot's project IAM grants."""
    found: dict[tuple[str, str], Deployer] = {}
    for res in bootstrap.get("resources", []):
        if res.get("type") != PROJECT_IAM_MEMBER:
            continue
        inputs = res.get("inputs", {})
        project, member, role = inputs.get("project"), inputs.get("member"), inputs.get("role")
        if not (isinstance(project, str) and isinstance(member, str) and isinstance(role, str)):
            continue
        if not member.startswith("serviceAccount:"):
            continue
        dep = found.setdefault((project, member), Deployer(project, member))
        condition = (inputs.get("condition") or {}).get("expression")
        if condition is None:
            dep.roles.add(role)
        elif role == PROJECT_IAM_ADMIN and _CONDITION_RE.match(condition):
            dep.grantable = set(_CONDITION_ROLE_RE.findall(condition))
    by_project: dict[str, Deployer] = {}
    for (project, _member), dep in sorted(found.items()):
        if project in by_project:
            raise PermissionDataError(
                f"the bootstrap grants roles on {project} to both {by_project[project].member} "
                f"and {dep.member}: one deployer per environment project"
            )
        by_project[project] = dep
    return by_project


@dataclass(frozen=True)
class Finding:
    stack: str
    type: str
    text: str

    def line(self) -> str:
        return f"stack {self.stack}: {self.type}: {self.text}"


@dataclass
class StackReport:
    stack: str
    project: str
    member: str | None
    findings: list[Finding]
    notes: list[str]
    needed: set[str]


def needed_permissions(types: Iterable[str]) -> dict[str, set[str]]:
    """Type -> every permission its create, read, update and delete need (known types only)."""
    data = type_permissions()
    return {t: {p for op in OPERATIONS for p in data[t].get(op, [])} for t in types if t in data}


def check_stack(
    stack: str, snapshot: Mapping[str, Any], project: str | None, by_project: Mapping[str, Deployer]
) -> StackReport:
    """What the stack's deployer lacks to create, refresh, update and delete every resource."""
    resources = [
        r for r in snapshot.get("resources", []) if str(r.get("type", "")).startswith("gcp:")
    ]
    types = sorted({r["type"] for r in resources})
    data = type_permissions()
    findings: list[Finding] = []
    notes: list[str] = []
    if project is None:
        return StackReport(
            stack,
            "",
            None,
            [
                Finding(
                    stack,
                    "gcp:project",
                    "no gcp:project in the stack config: set it to the "
                    "environment's project so its deployer can be found",
                )
            ],
            notes,
            set(),
        )
    dep = by_project.get(project)
    if dep is None:
        known = ", ".join(sorted(by_project)) or "none"
        return StackReport(
            stack,
            project,
            None,
            [
                Finding(
                    stack,
                    "gcp:project",
                    f"the bootstrap grants no deployer roles on {project} "
                    f"(projects with a deployer: {known}); add the environment to "
                    "bootstrap/Pulumi.org.yaml or fix gcp:project",
                )
            ],
            notes,
            set(),
        )
    held = dep.permissions()
    needed = needed_permissions(types)
    for token in types:
        if token not in data:
            findings.append(
                Finding(
                    stack,
                    token,
                    "no entry in preflight/permissions/"
                    "type_permissions.json: add the permissions its create, "
                    "read, update and delete calls need, with Google's page as "
                    "source",
                )
            )
            continue
        for perm in sorted(needed[token] - held):
            findings.append(
                Finding(
                    stack, token, f"the deployer {dep.member} lacks {perm} ({_roles_with(perm)})"
                )
            )
        for perm in data[token].get("possibly", []):
            needed[token].add(perm)
            if perm not in held:
                notes.append(f"stack {stack}: {token}: may need {perm} in some provider settings")
    grantable = dep.grantable or set()
    for res in resources:
        if res["type"] != PROJECT_IAM_MEMBER:
            continue
        role = res.get("inputs", {}).get("role")
        if dep.grantable is None:
            findings.append(
                Finding(
                    stack,
                    PROJECT_IAM_MEMBER,
                    f"{res.get('name')} grants {role} "
                    "but the deployer holds no project IAM administration",
                )
            )
        elif role not in grantable:
            findings.append(
                Finding(
                    stack,
                    PROJECT_IAM_MEMBER,
                    f"{res.get('name')} grants {role}, "
                    "which the deployer's project IAM condition does not allow: "
                    "add it to grantableRoles in bootstrap/Pulumi.org.yaml",
                )
            )
    all_needed = set().union(*needed.values()) if needed else set()
    return StackReport(stack, project, dep.member, findings, notes, all_needed)


def _roles_with(permission: str) -> str:
    roles = sorted(r for r, perms in role_permissions().items() if permission in perms)
    if not roles:
        return "in none of the vendored roles"
    return "held by " + ", ".join(roles[:3]) + (" ..." if len(roles) > 3 else "")


def unused_roles(deployer: Deployer, needed: set[str]) -> list[str]:
    """The deployer's roles that give none of the permissions its stacks need."""
    known = role_permissions()
    return sorted(role for role in deployer.roles if not (known.get(role, frozenset()) & needed))
