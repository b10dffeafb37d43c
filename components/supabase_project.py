"""SupabaseProject: one environment's Supabase settings and keys (playbook §3, §6, §7).

It applies the typed ``supabase`` section through the Management API (``SupabaseSettings``) and
reads the project's service-role key and JWT secret (``SupabaseProjectKeys``). It creates no
cloud resources of its own: ``service_role_key`` and ``jwt_secret`` are Pulumi secret outputs
for the secret vault to store as Secret Manager secret versions, so services read them by
reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.supabase.api import DEFAULT_BASE_URL
from components.supabase.resources import SupabaseProjectKeys, SupabaseSettings
from components.supabase_provider import SupabaseKeysProvider, SupabaseSettingsProvider
from config.supabase import SupabaseSection
from controlplane.naming import Environment


@dataclass(frozen=True)
class SupabaseProjectArgs:
    """Inputs of :class:`SupabaseProject`."""

    config: SupabaseSection
    """The stack's typed ``supabase`` section."""

    environment: Environment
    """The environment whose rules the section must meet (prod: SSL, network, PITR)."""

    access_token: pulumi.Input[str]
    """Management API token: ``pulumi.Config().require_secret("supabaseAccessToken")``."""

    api_base_url: str = DEFAULT_BASE_URL
    """Management API base URL; only tests point it elsewhere (a loopback server)."""


class SupabaseProject(pulumi.ComponentResource):
    """Applies one environment's Supabase settings and exposes the project's keys as secrets."""

    settings: SupabaseSettings
    """The settings resource (SSL, network, Postgres, pooler, Data API, auth, PITR)."""

    keys: SupabaseProjectKeys
    """The resource that reads the service-role key and the JWT secret."""

    project_ref: pulumi.Output[str]
    """The project's ref."""

    service_role_key: pulumi.Output[str]
    """The project's service-role API key (secret)."""

    jwt_secret: pulumi.Output[str]
    """The project's JWT secret (secret)."""

    def __init__(
        self,
        name: str,
        args: SupabaseProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        problems = [str(p.under("supabase")) for p in args.config.env_rules(args.environment)]
        if problems:
            raise ValueError(
                f"supabase settings do not meet the {args.environment} rules: "
                + "; ".join(problems)
            )
        super().__init__("controlplane:supabase:SupabaseProject", name, None, opts)
        token = pulumi.Output.secret(args.access_token)
        self.settings = SupabaseSettings(
            f"{name}-settings",
            project_ref=args.config.project_ref,
            access_token=token,
            sections=args.config.to_sections(),
            restore_on_delete=args.config.restore_on_delete,
            provider=SupabaseSettingsProvider(args.api_base_url),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.keys = SupabaseProjectKeys(
            f"{name}-keys",
            project_ref=args.config.project_ref,
            access_token=token,
            provider=SupabaseKeysProvider(args.api_base_url),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.project_ref = pulumi.Output.from_input(args.config.project_ref)
        self.service_role_key = pulumi.Output.secret(self.keys.serviceRoleKey)
        self.jwt_secret = pulumi.Output.secret(self.keys.jwtSecret)
        self.register_outputs(
            {
                "projectRef": self.project_ref,
                "serviceRoleKey": self.service_role_key,
                "jwtSecret": self.jwt_secret,
            }
        )
