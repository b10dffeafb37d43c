"""The composition of one shared environment: every component, wired together from the config."""

from __future__ import annotations

from typing import Any

import pulumi

from components.environment_access import EnvironmentAccess, EnvironmentAccessArgs
from components.supabase_project import SupabaseProject, SupabaseProjectArgs
from stacks.config import StackConfig


def access_iam(cfg: StackConfig) -> dict[str, list[str]]:
    """The access list of the config in the ``{role: [members]}`` shape."""
    iam: dict[str, list[str]] = {}
    for group in cfg.access.values():
        for role in group.roles:
            iam.setdefault(role, []).append(group.member)
    return iam


def build_environment(cfg: StackConfig) -> dict[str, Any]:
    """Declare every resource of the environment; return the stack outputs."""
    naming = cfg.naming
    # Stateful resources are protected where losing them loses data (playbook §6, §7).
    stateful = pulumi.ResourceOptions(protect=cfg.environment in ("staging", "prod"))
    access = EnvironmentAccess(
        naming.physical("access"),
        EnvironmentAccessArgs(project=cfg.gcp.project, iam=access_iam(cfg)),
    )
    supabase = SupabaseProject(
        naming.physical("supabase"),
        SupabaseProjectArgs(
            config=cfg.supabase,
            environment=cfg.environment,
            access_token=pulumi.Config().require_secret("supabaseAccessToken"),
        ),
        opts=stateful,
    )
    return {
        "supabaseProjectRef": supabase.project_ref,
        "environment": cfg.environment,
        "dataClass": cfg.data_class,
        "accessBindings": sorted(access.members),
    }
