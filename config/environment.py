"""Playbook §2, the environment matrix: which environment, its data class and who may access it."""

from __future__ import annotations

from pydantic import Field, field_validator

from config.base import Model
from controlplane.fields import PRIMITIVE_ROLES, GroupMember, ProjectId, Region, is_role


class GroupAccess(Model):
    """One group of the environment's access list and the roles it holds on the project."""

    member: GroupMember = Field(description="The group, as an IAM member: `group:<email>`.")
    roles: list[str] = Field(
        min_length=1,
        description="Predefined or custom roles granted to the group on the project "
        "(primitive roles owner/editor/viewer are refused).",
    )

    @field_validator("roles")
    @classmethod
    def _least_privilege(cls, roles: list[str]) -> list[str]:
        for role in roles:
            if role in PRIMITIVE_ROLES:
                raise ValueError(
                    f"predefined roles instead of the primitive {role} "
                    "(e.g. roles/run.developer, roles/logging.viewer)"
                )
            if not is_role(role):
                raise ValueError(f"a role name like roles/<service>.<role> instead of {role!r}")
        if len(set(roles)) != len(roles):
            raise ValueError("each role listed once")
        return roles


class GcpSettings(Model):
    """Provider settings read from the `gcp:` namespace of the stack file."""

    project: ProjectId = Field(
        description="The GCP project id of this environment (`gcp:project`)."
    )
    region: Region = Field(
        description="The GCP region every regional resource lives in (`gcp:region`)."
    )


AccessList = dict[str, GroupAccess]
"""Group name (as the playbook's matrix names it) to its member and roles."""
