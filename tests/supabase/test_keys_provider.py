"""The keys provider against the loopback Management API: reads keys, writes nothing."""

from __future__ import annotations

import pytest

from components.supabase.api import SupabaseApiError
from components.supabase_provider import SupabaseKeysProvider
from tests.support.supabase import (
    JWT_SECRET,
    REF,
    SERVICE_ROLE_KEY,
    TOKEN,
    P,
)
from tests.support.supabase_server import SupabaseApiServer

# -- keys -----------------------------------------------------------------------------------------


def test_keys_are_read_from_the_api_keys_and_postgrest_endpoints(
    keys_provider: SupabaseKeysProvider, api: SupabaseApiServer
) -> None:
    result = keys_provider.create({"projectRef": REF, "accessToken": TOKEN})

    assert result.id == REF
    assert result.outs == {
        "projectRef": REF,
        "accessToken": TOKEN,
        "serviceRoleKey": SERVICE_ROLE_KEY,
        "jwtSecret": JWT_SECRET,
    }
    assert api.lines() == [f"GET {P}/api-keys?reveal=true", f"GET {P}/postgrest"]


def test_refresh_picks_up_rotated_keys_and_names_them_without_values(
    keys_provider: SupabaseKeysProvider, api: SupabaseApiServer, logs: list[tuple[str, str]]
) -> None:
    outs = keys_provider.create({"projectRef": REF, "accessToken": TOKEN}).outs
    assert outs is not None
    api.state["postgrest"]["jwt_secret"] = "canary-rotated-jwt-secret"

    read = keys_provider.read(REF, outs)

    assert read.outs is not None
    assert read.outs["jwtSecret"] == "canary-rotated-jwt-secret"
    assert logs == [
        (
            "warn",
            f"supabase keys of project {REF} changed since the last read: jwtSecret; "
            "`pulumi up` stores the new values",
        )
    ]


def test_keys_delete_calls_nothing_and_a_new_ref_replaces(
    keys_provider: SupabaseKeysProvider, api: SupabaseApiServer
) -> None:
    props = {"projectRef": REF, "accessToken": TOKEN}
    keys_provider.delete(REF, props)
    diff = keys_provider.diff(REF, props, {**props, "projectRef": "zyxwvutsrqponmlkjihg"})

    assert api.lines() == []
    assert (diff.changes, diff.replaces) == (True, ["projectRef"])
    assert keys_provider.diff(REF, props, dict(props)).changes is False


def test_keys_error_on_a_bad_token_holds_no_secret(
    keys_provider: SupabaseKeysProvider, api: SupabaseApiServer
) -> None:
    api.token = "sbp_other"

    with pytest.raises(SupabaseApiError) as err:
        keys_provider.create({"projectRef": REF, "accessToken": TOKEN})

    assert str(err.value) == (
        f"Supabase rejected the access token (401) on GET /projects/{REF}/api-keys?reveal=true: "
        "set a valid personal access token with "
        "`pulumi config set --secret controlplane:supabaseAccessToken <token>`"
    )
