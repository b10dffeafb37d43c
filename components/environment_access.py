"""EnvironmentAccess: the environment's access list (playbook §2) as project IAM bindings."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from config.base import IamBindings
from controlplane.naming import slug


@dataclass(frozen=True)
class EnvironmentAccessArgs:
    """Inputs of :class:`EnvironmentAccess`."""

    project: str
    """The GCP project the bindings are made on."""

    iam: IamBindings
    """``{role: [members]}``: each member gets each of its roles, additively (IAMMember)."""


class EnvironmentAccess(pulumi.ComponentResource):
    """Grants the environment's groups their roles on the project, one IAMMember per pair.

    Additive members (not an authoritative IAM policy) so that bindings the organisation
    manages elsewhere are never removed by this program.
    """

    members: dict[str, gcp.projects.IAMMember]
    """The bindings, keyed by ``<role>/<member>``."""

    def __init__(
        self,
        name: str,
        args: EnvironmentAccessArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("controlplane:access:EnvironmentAccess", name, None, opts)
        self.members = {}
        for role, members in sorted(args.iam.items()):
            for member in sorted(members):
                role_slug = slug(role.rsplit("/", 1)[-1])
                child = f"{name}-{role_slug}-{slug(member.split(':', 1)[-1].split('@')[0])}"
                self.members[f"{role}/{member}"] = gcp.projects.IAMMember(
                    child,
                    project=args.project,
                    role=role,
                    member=member,
                    opts=pulumi.ResourceOptions(parent=self),
                )
        self.register_outputs({"bindings": sorted(self.members)})
