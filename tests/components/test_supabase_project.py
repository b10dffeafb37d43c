"""SupabaseProject under ``pulumi.runtime.set_mocks``: what it registers; keys stay secret."""

from __future__ import annotations

import json
from typing import Any

import pytest

from preflight.mocks import Registration
from tests.support.supabase import HARDENED_AUTH
from tests.support.supabase_component import (
    COMPONENT,
    JWT_SECRET,
    KEYS,
    PROD,
    REF,
    SERVICE_ROLE_KEY,
    SETTINGS,
    TOKEN,
    by_type,
    project,
    run,
)


def test_prod_registers_settings_and_keys_as_children_of_the_component() -> None:
    async def program() -> None:
        project(PROD)

    _, regs = run(program)

    component = by_type(regs, COMPONENT)
    settings, keys = by_type(regs, SETTINGS), by_type(regs, KEYS)
    assert sorted((r.type, r.name) for r in regs if r.type != "pulumi:pulumi:Stack") == [
        (COMPONENT, "supabase"),
        (KEYS, "supabase-keys"),
        (SETTINGS, "supabase-settings"),
    ]
    for child in (settings, keys):
        assert child.parent == component.urn, child.urn
        assert child.custom, child.urn
    assert settings.inputs == {
        "__provider": "[secret]",
        "accessToken": "[secret]",
        "projectRef": REF,
        "restoreOnDelete": False,
        "sslEnforcement": {"database": True},
        "network": {"restrictions": ["203.0.113.0/24"]},
        "api": {
            "db_schema": "public,graphql_public",
            "db_extra_search_path": "public,extensions",
            "max_rows": 1000,
        },
        "auth": {
            "site_url": "https://app.example.com",
            "uri_allow_list": "https://app.example.com/*",
            "jwt_exp": 3600,
            **HARDENED_AUTH,
            "password_required_characters": (
                "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789"
            ),
        },
        "pitr": {"pitr_enabled": True, "addon_variant": "pitr_14"},
    }, settings.urn
    assert settings.additional_secret_outputs == ["accessToken"], settings.urn
    assert keys.inputs == {
        "__provider": "[secret]",
        "accessToken": "[secret]",
        "projectRef": REF,
    }, keys.urn
    assert keys.additional_secret_outputs == ["accessToken", "jwtSecret", "serviceRoleKey"]


def test_keys_are_exposed_as_secret_outputs() -> None:
    async def program() -> dict[str, Any]:
        p = project(PROD)
        return {
            "service_role_key": (
                await p.service_role_key.future(),
                await p.service_role_key.is_secret(),
            ),
            "jwt_secret": (await p.jwt_secret.future(), await p.jwt_secret.is_secret()),
            "project_ref": await p.project_ref.future(),
            "token": await p.settings.accessToken.is_secret(),  # type: ignore[attr-defined]
        }

    value, _ = run(program)

    assert value == {
        "service_role_key": (SERVICE_ROLE_KEY, True),
        "jwt_secret": (JWT_SECRET, True),
        "project_ref": REF,
        "token": True,
    }


def test_no_token_key_or_secret_is_in_what_the_engine_receives() -> None:
    async def program() -> None:
        project(PROD)

    _, regs = run(program)

    text = json.dumps([r.to_json() for r in regs])
    for canary in (TOKEN, SERVICE_ROLE_KEY, JWT_SECRET):
        assert canary not in text


def test_dev_may_leave_the_network_open_but_ssl_stays_enforced() -> None:
    async def program() -> None:
        project({"projectRef": REF, "auth": {"siteUrl": "http://localhost:3000"}}, env="dev")

    _, regs = run(program)

    settings = by_type(regs, SETTINGS)
    assert settings.inputs["sslEnforcement"] == {"database": True}, settings.urn
    assert "network" not in settings.inputs, settings.urn
    assert "pitr" not in settings.inputs, settings.urn


def test_settings_that_break_the_environment_rules_stop_before_any_registration() -> None:
    registrations: list[Registration] = []

    async def program() -> None:
        project({**PROD, "backups": {}})

    with pytest.raises(ValueError) as err:
        _, registrations = run(program)

    assert str(err.value) == (
        "supabase settings do not meet the prod rules: supabase.backups.pitrEnabled: found "
        "unset, expected true in prod (playbook §7, backups); write `pitrEnabled: true`"
    )
    assert registrations == []


pytestmark = pytest.mark.playbook("tls-in-transit", "backup-verification")
