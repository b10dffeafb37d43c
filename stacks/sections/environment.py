"""Playbook §2, the environment matrix: which environment, its data class and who may access it."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from stacks.naming import DataClass
from stacks.sections.base import Model

# Playbook §2: the data each shared environment holds and the groups that may access it.
MATRIX: dict[str, tuple[DataClass, tuple[str, ...]]] = {
    "dev": ("synthetic", ("engineering", "qa")),
    "staging": ("anonymized", ("engineering", "operations")),
    "prod": ("live", ("operations", "on-call")),
}

# Primitive roles grant everything in a project; playbook §6 asks for least privilege.
PRIMITIVE_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
_ROLE_RE = re.compile(r"^(roles/[A-Za-z0-9_.]+|projects/[a-z0-9-]+/roles/[A-Za-z0-9_.]+)$")
_GROUP_RE = re.compile(r"^group:[^@\s]+@[^@\s]+\.[^@\s]+$")


class GroupAccess(Model):
    """One group of the environment's access list and the roles it holds on the project."""

    member: str = Field(description="The group, as an IAM member: `group:<email>`.")
    roles: list[str] = Field(
        min_length=1,
        description="Predefined or custom roles granted to the group on the project "
        "(primitive roles owner/editor/viewer are refused).",
    )

    @field_validator("member")
    @classmethod
    def _group_member(cls, value: str) -> str:
        if not _GROUP_RE.match(value):
            raise ValueError("a group as an IAM member, e.g. group:sre@example.com")
        return value

    @field_validator("roles")
    @classmethod
    def _least_privilege(cls, roles: list[str]) -> list[str]:
        for role in roles:
            if role in PRIMITIVE_ROLES:
                raise ValueError(
                    f"predefined roles instead of the primitive {role} "
                    "(e.g. roles/run.developer, roles/logging.viewer)"
                )
            if not _ROLE_RE.match(role):
                raise ValueError(f"a role name like roles/<service>.<role> instead of {role!r}")
        if len(set(roles)) != len(roles):
            raise ValueError("each role listed once")
        return roles


class GcpSettings(Model):
    """Provider settings read from the `gcp:` namespace of the stack file."""

    project: str = Field(description="The GCP project id of this environment (`gcp:project`).")
    region: str = Field(
        description="The GCP region every regional resource lives in (`gcp:region`)."
    )

    @field_validator("project")
    @classmethod
    def _project_id(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", value):
            raise ValueError(
                "a GCP project id: 6-30 lowercase letters, digits or '-', starting with a letter"
            )
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]+-[a-z]+[0-9]", value):
            raise ValueError("a GCP region such as europe-west1")
        return value


AccessList = dict[str, GroupAccess]
"""Group name (as the playbook's matrix names it) to its member and roles."""
