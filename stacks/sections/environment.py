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
            raise ValueError("write the group as an IAM member, e.g. group:sre@example.com")
        return value

    @field_validator("roles")
    @classmethod
    def _least_privilege(cls, roles: list[str]) -> list[str]:
        for role in roles:
            if role in PRIMITIVE_ROLES:
                raise ValueError(
                    f"{role} is a primitive role; grant predefined roles instead "
                    "(e.g. roles/run.developer, roles/logging.viewer)"
                )
            if not _ROLE_RE.match(role):
                raise ValueError(f"{role!r} is not a role name: write roles/<service>.<role>")
        if len(set(roles)) != len(roles):
            raise ValueError("a role is listed twice: list each role once")
        return roles


class GcpSettings(Model):
    """Provider settings read from the `gcp:` namespace of the stack file."""

    project: str = Field(
        pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
        description="The GCP project id of this environment (`gcp:project`).",
    )
    region: str = Field(
        pattern=r"^[a-z]+-[a-z]+[0-9]$",
        description="The GCP region every regional resource lives in (`gcp:region`).",
    )


AccessList = dict[str, GroupAccess]
"""Group name (as the playbook's matrix names it) to its member and roles."""
