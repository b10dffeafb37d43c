"""Can each environment's deployer apply its stack? Computed from the two programs' snapshots.

The bootstrap program grants each deployer its roles on its environment's project (one
``gcp:projects/iAMMember:IAMMember`` per role) plus project IAM administration under a condition
that limits the roles it may grant. An environment stack declares GCP resources; creating,
reading, updating and deleting each type needs the permissions listed in
``type_permissions.json`` beside this module. The roles' permissions come from the vendored
public dataset (``tools/vendor/iam-dataset``). Nothing here talks to GCP: what IAM would refuse
at the first ``pulumi up`` is found from data with a named source.

The bootstrap also grants each environment project a read-only *previewer* (the identity of the
pull-request ``pulumi preview``). Who is who, per project, among the service accounts holding
roles on it: the **deployer** is the one holding project IAM administration under the
grant-limiting condition (only a deployer is given it); when none holds it (a broken bootstrap,
which the deployer check then reports), the one account of the project, or else the one whose
account ID ends in ``-deployer``. Every other account is the **previewer**; a second one, or a
second holder of the conditional grant, is a data error. A previewer must hold every ``read``
permission of its stack's resource types but ``secretmanager.versions.access`` (a preview without
``--refresh`` reads no secret payload), and nothing that is not a read: see :func:`is_read`.
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
WRITE_OPERATIONS = ("create", "update", "delete")
SECRET_PAYLOAD_PERMISSIONS = frozenset({"secretmanager.versions.access"})
"""Permissions that read secret payloads: a previewer never holds them."""
READ_VERBS = frozenset(
    {
        # one resource, a listing, a resource's IAM policy
        "get",
        "list",
        "getIamPolicy",
        # a resource's tags, revisions, group members
        "listTagBindings",
        "listEffectiveTags",
        "listRevisions",
        "listMembers",
        "listExpandedMembers",
        # a Cloud Scheduler job's whole configuration; the effective KMS Autokey configuration
        "fullView",
        "showEffectiveAutokeyConfig",
        # saved Logs Explorer queries shared in the project
        "getShared",
        "listShared",
    }
)
"""The last segment of a permission (``run.services.get``) that only reads, whatever the service.

A closed list, matched whole: ``iam.serviceAccounts.getAccessToken`` begins with ``get`` and mints
credentials, so no prefix rule would do.
"""
READ_ONLY_PERMISSIONS = frozenset(
    {
        # evaluate an input against a schema or a policy and store nothing (in pubsub.viewer and
        # cloudscheduler.viewer)
        "pubsub.schemas.validate",
        "pubsub.messageTransforms.validate",
        "serviceusage.values.test",
        "serviceusage.consumerpolicy.analyze",
        # run one's own saved Logs Explorer queries (in logging.viewer, iam.securityReviewer)
        "logging.queries.usePrivate",
    }
)
"""Permissions whose verb is no read by name but that change nothing, each named."""
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


def is_read(permission: str) -> bool:
    """Whether ``permission`` only reads: a read verb or a named read-only permission, and no
    secret payload."""
    if permission in SECRET_PAYLOAD_PERMISSIONS:
        return False
    return permission.rsplit(".", 1)[-1] in READ_VERBS or permission in READ_ONLY_PERMISSIONS


@dataclass
class Deployer:
    """Who applies (or previews) the stacks of one GCP project, and with what."""

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
    return {project: dep for project, (dep, _prev) in _identities(bootstrap).items()}


def previewers(bootstrap: Mapping[str, Any]) -> dict[str, Deployer]:
    """GCP project -> its read-only previewer (projects without one are left out)."""
    return {
        project: prev
        for project, (_dep, prev) in _identities(bootstrap).items()
        if prev is not None
    }


def _identities(bootstrap: Mapping[str, Any]) -> dict[str, tuple[Deployer, Deployer | None]]:
    """GCP project -> (deployer, previewer or None), by the rule of the module's docstring."""
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
    by_project: dict[str, list[Deployer]] = {}
    for (project, _member), ident in sorted(found.items()):
        by_project.setdefault(project, []).append(ident)
    return {project: _split(project, group) for project, group in by_project.items()}


def _split(project: str, group: list[Deployer]) -> tuple[Deployer, Deployer | None]:
    holders = [i for i in group if i.grantable is not None]
    if len(holders) > 1:
        raise PermissionDataError(
            f"the bootstrap grants conditional project IAM administration on {project} to "
            f"{' and '.join(i.member for i in holders)}: one deployer per environment project"
        )
    named = [i for i in group if i.member.split("@", 1)[0].endswith("-deployer")]
    if holders:
        deployer = holders[0]
    elif len(group) == 1 or len(named) == 1:
        deployer = group[0] if len(group) == 1 else named[0]
    else:
        raise PermissionDataError(
            f"the bootstrap grants roles on {project} to {', '.join(i.member for i in group)} "
            "and none of them holds the conditional project IAM administration of a deployer: "
            "one deployer per environment project"
        )
    rest = [i for i in group if i is not deployer]
    if len(rest) > 1:
        raise PermissionDataError(
            f"the bootstrap grants roles on {project} to its deployer {deployer.member} and to "
            f"{' and '.join(i.member for i in rest)}: one deployer per environment project, and "
            "at most one previewer"
        )
    return deployer, (rest[0] if rest else None)


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


def _held_through(permission: str, identity: Deployer) -> str:
    known = role_permissions()
    roles = sorted(r for r in identity.roles if permission in known.get(r, frozenset()))
    return "through " + ", ".join(roles) if roles else "through no listed role"


def check_preview(
    stack: str, snapshot: Mapping[str, Any], project: str | None, by_project: Mapping[str, Deployer]
) -> StackReport:
    """What the stack's previewer lacks to read every resource, and what it holds beyond reads.

    A type without permission data and a stack without ``gcp:project`` are the deployer
    check's findings (:func:`check_stack`), not repeated here.
    """
    types = sorted(
        {
            str(r["type"])
            for r in snapshot.get("resources", [])
            if str(r.get("type", "")).startswith("gcp:")
        }
    )
    findings: list[Finding] = []
    notes: list[str] = []
    if project is None:
        return StackReport(stack, "", None, findings, notes, set())
    prev = by_project.get(project)
    if prev is None:
        findings.append(
            Finding(
                stack,
                "gcp:project",
                f"the bootstrap gives {project} no previewer, so the pull-request preview of "
                f"this stack has no identity: add the environment to bootstrap/Pulumi.org.yaml "
                "or fix gcp:project",
            )
        )
        return StackReport(stack, project, None, findings, notes, set())
    known = role_permissions()
    held = prev.permissions()
    data = type_permissions()
    needed: set[str] = set()
    reported: set[str] = set()
    who = f"the previewer {prev.member}"
    for token in types:
        if token not in data:
            continue
        reads = set(data[token].get("read", []))
        for perm in sorted(reads & SECRET_PAYLOAD_PERMISSIONS):
            notes.append(
                f"stack {stack}: {token}: a --refresh would need {perm} (secret payloads), which "
                "a previewer never holds: previews run without --refresh"
            )
        reads -= SECRET_PAYLOAD_PERMISSIONS
        needed |= reads
        for perm in sorted(reads - held):
            findings.append(Finding(stack, token, f"{who} lacks {perm} ({_roles_with(perm)})"))
        writes = {p for op in WRITE_OPERATIONS for p in data[token].get(op, [])}
        for perm in sorted(p for p in writes & held if not is_read(p) and p not in reported):
            reported.add(perm)
            findings.append(
                Finding(
                    stack,
                    token,
                    f"{who} holds {perm} ({_held_through(perm, prev)}), which changes this "
                    "type's resources: a previewer only reads",
                )
            )
    for perm in sorted(held & SECRET_PAYLOAD_PERMISSIONS):
        reported.add(perm)
        findings.append(
            Finding(
                stack,
                PROJECT_IAM_MEMBER,
                f"{who} holds {perm} ({_held_through(perm, prev)}), which reads secret "
                "payloads: a preview without --refresh needs none",
            )
        )
    for role in sorted(prev.roles):
        if role not in known:
            findings.append(
                Finding(
                    stack,
                    PROJECT_IAM_MEMBER,
                    f"{who} holds {role}, whose permissions are not in the vendored data: add it "
                    "to ALTERNATIVES in scripts/refresh_iam_roles.py and refresh",
                )
            )
            continue
        others = sorted(p for p in known[role] if not is_read(p) and p not in reported)
        reported.update(others)
        if others:
            shown = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
            findings.append(
                Finding(
                    stack,
                    PROJECT_IAM_MEMBER,
                    f"{who} holds {role}, with {len(others)} more permission(s) that are not "
                    f"reads: {shown}",
                )
            )
    return StackReport(stack, project, prev.member, findings, notes, needed)
