"""The two dynamic resources: ``SupabaseSettings`` and ``SupabaseProjectKeys``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource, ResourceProvider

from components.supabase.sections import SECTION_ORDER
from components.supabase_provider import SupabaseKeysProvider, SupabaseSettingsProvider


class _ProjectResource(Resource):
    """What both resources share: the project ref, the token as a secret, the secret outputs."""

    SECRET_OUTPUTS: ClassVar[list[str]]

    def __init__(
        self,
        provider: ResourceProvider,
        name: str,
        project_ref: pulumi.Input[str],
        access_token: pulumi.Input[str],
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        inputs: dict[str, Any] = {
            "projectRef": project_ref,
            "accessToken": pulumi.Output.secret(access_token),
            **props,
        }
        opts = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(additional_secret_outputs=self.SECRET_OUTPUTS), opts
        )
        super().__init__(provider, name, inputs, opts)


class SupabaseSettings(_ProjectResource, module="supabase", name="SupabaseSettings"):
    """The reviewed settings of one Supabase project (type ``dynamic/supabase:SupabaseSettings``).

    ``sections`` maps section names (``sslEnforcement``, ``network``, ``database``, ``pooler``,
    ``api``, ``auth``, ``pitr``) to Management API keys and values; leave a section out to leave
    it unmanaged.
    """

    projectRef: pulumi.Output[str]
    driftedFields: pulumi.Output[list[str]]
    pendingSections: pulumi.Output[list[str] | None]
    applyError: pulumi.Output[str | None]
    SECRET_OUTPUTS: ClassVar[list[str]] = ["accessToken"]

    def __init__(
        self,
        name: str,
        *,
        project_ref: pulumi.Input[str],
        access_token: pulumi.Input[str],
        sections: Mapping[str, pulumi.Input[Mapping[str, Any]]],
        restore_on_delete: bool = False,
        provider: SupabaseSettingsProvider | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        unknown = sorted(set(sections) - set(SECTION_ORDER))
        if unknown:
            raise ValueError(
                f"unknown Supabase settings section(s) {', '.join(unknown)}: "
                f"use {', '.join(SECTION_ORDER)}"
            )
        props = {
            "restoreOnDelete": restore_on_delete,
            **{s: sections[s] for s in SECTION_ORDER if s in sections},
            "driftedFields": None,
            "pendingSections": None,
            "applyError": None,
        }
        provider = provider or SupabaseSettingsProvider()
        super().__init__(provider, name, project_ref, access_token, props, opts)
        # An apply that stopped after writing returns its outputs (so the state keeps the values
        # to restore) with the error in ``applyError``; raising it here fails `pulumi up`.
        self.applyError.apply(_fail_the_run)


def _fail_the_run(error: str | None) -> None:
    """Fail the program with the provider's partial-apply error (not during preview)."""
    if error and not pulumi.runtime.is_dry_run():
        raise pulumi.RunError(error)


class SupabaseProjectKeys(_ProjectResource, module="supabase", name="SupabaseProjectKeys"):
    """The project's service-role key and JWT secret, read (never written) via the API.

    Both outputs are Pulumi secrets; ``pulumi refresh`` picks up rotated values.
    """

    projectRef: pulumi.Output[str]
    serviceRoleKey: pulumi.Output[str]
    jwtSecret: pulumi.Output[str]
    SECRET_OUTPUTS: ClassVar[list[str]] = ["accessToken", "serviceRoleKey", "jwtSecret"]

    def __init__(
        self,
        name: str,
        *,
        project_ref: pulumi.Input[str],
        access_token: pulumi.Input[str],
        provider: SupabaseKeysProvider | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"serviceRoleKey": None, "jwtSecret": None}
        provider = provider or SupabaseKeysProvider()
        super().__init__(provider, name, project_ref, access_token, props, opts)
