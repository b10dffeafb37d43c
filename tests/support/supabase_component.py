"""Shared builders of the SupabaseProject tests: the component under ``pulumi.runtime.set_mocks``.

The mocks echo inputs, answer the keys resource with canary keys as the API would, and keep the
pickled provider (the ``__provider`` input) each dynamic resource was registered with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from components.supabase_project import SupabaseProject, SupabaseProjectArgs
from config.supabase import SupabaseSection
from preflight.mocks import Normaliser, RecordingMonitor, Registration

REF = "abcdefghijklmnopqrst"
TOKEN = "sbp_canary0component0token"
SERVICE_ROLE_KEY = "canary-component-service-role"
JWT_SECRET = "canary-component-jwt-secret"
SETTINGS = "pulumi-python:dynamic/supabase:SupabaseSettings"
KEYS = "pulumi-python:dynamic/supabase:SupabaseProjectKeys"
COMPONENT = "controlplane:supabase:SupabaseProject"

PROD = {
    "projectRef": REF,
    "network": {"restrictions": ["203.0.113.0/24"]},
    "auth": {"siteUrl": "https://app.example.com", "uriAllowList": ["https://app.example.com/*"]},
    "backups": {"pitrEnabled": True, "pitrRetentionDays": 14},
}


class Mocks(pulumi_mocks.Mocks):
    """Echo inputs; the keys resource answers with canary keys as the API would."""

    def __init__(self) -> None:
        self.providers: dict[str, str] = {}
        """The base64 provider pickle of each dynamic resource, by resource type."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        provider = args.inputs.get("__provider")
        if isinstance(provider, dict):  # a secret, as the SDK hands it over
            provider = provider.get("value")
        if isinstance(provider, str):
            self.providers[args.typ] = provider
        outs = dict(args.inputs)
        if args.typ == KEYS:
            outs.update(serviceRoleKey=SERVICE_ROLE_KEY, jwtSecret=JWT_SECRET)
        return f"{args.name}-id", outs

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def run(program: Callable[[], Any], mocks: Mocks | None = None) -> tuple[Any, list[Registration]]:
    """Run ``program`` under mocks; return what it returned (awaited) and the registrations."""
    mocks = mocks or Mocks()
    monitor = RecordingMonitor(mocks, Normaliser())
    pulumi_mocks.set_mocks(mocks, "controlplane", "prod", preview=False, monitor=monitor)
    result: dict[str, Any] = {}

    @pulumi.runtime.test
    def wrapped() -> Any:
        async def go() -> None:
            result["value"] = await program()

        return asyncio.ensure_future(go())

    wrapped()
    return result.get("value"), monitor.registrations


def project(config: dict[str, Any], env: str = "prod") -> SupabaseProject:
    return SupabaseProject(
        "supabase",
        SupabaseProjectArgs(
            config=SupabaseSection.model_validate(config),
            environment=env,  # type: ignore[arg-type]
            access_token=TOKEN,
        ),
    )


def by_type(registrations: list[Registration], type_: str) -> Registration:
    (found,) = [r for r in registrations if r.type == type_]
    return found
