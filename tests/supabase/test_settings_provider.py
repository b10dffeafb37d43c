"""The settings provider against the loopback Management API (no patched HTTP client).

Each test drives the provider's check/create/read/update/diff/delete methods directly, as the
dynamic-provider host would, and asserts the exact requests the server received.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.supabase.api import TOKEN_CONFIG_KEY
from components.supabase.sections import SECTION_KEYS
from components.supabase_provider import SupabaseSettingsProvider
from tests.support.supabase import (
    CANARIES,
    REF,
    TOKEN,
    P,
    bodies,
    created,
    prod_props,
)
from tests.support.supabase_server import SupabaseApiServer

# -- create ---------------------------------------------------------------------------------------


def test_create_reads_each_section_then_writes_only_the_keys_that_differ(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    result = settings_provider.create(prod_props())

    assert result.id == REF
    # Every section is read before the first write: the values to restore are captured once,
    # before anything changed.
    assert api.lines() == [
        f"GET {P}/ssl-enforcement",
        f"GET {P}/network-restrictions",
        f"GET {P}/postgrest",
        f"GET {P}/config/auth",
        f"GET {P}/billing/addons",
        f"PUT {P}/ssl-enforcement",
        f"POST {P}/network-restrictions/apply",
        f"PATCH {P}/postgrest",
        f"PATCH {P}/config/auth",
        f"PATCH {P}/billing/addons",
    ]
    # db_schema is already "public, graphql_public" live: the same list, so it is not sent.
    assert bodies(api) == [
        (f"PUT {P}/ssl-enforcement", {"requestedConfig": {"database": True}}),
        (
            f"POST {P}/network-restrictions/apply",
            {"dbAllowedCidrs": ["203.0.113.0/24"], "dbAllowedCidrsV6": ["2001:db8::/32"]},
        ),
        (f"PATCH {P}/postgrest", {"max_rows": 500}),
        (f"PATCH {P}/config/auth", {"site_url": "https://app.example.com", "jwt_exp": 1800}),
        (f"PATCH {P}/billing/addons", {"addon_type": "pitr", "addon_variant": "pitr_7"}),
    ]
    assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {TOKEN}"}
    assert api.state["ssl"] == {"database": True}
    assert api.state["addons"] == ["pitr_7"]
    assert result.outs is not None
    assert result.outs["previousValues"]["auth"] == {
        "site_url": "http://localhost:3000",
        "jwt_exp": 3600,
    }
    assert result.outs["previousValues"]["pitr"] == {"pitr_enabled": False, "addon_variant": None}
    assert result.outs["driftedFields"] == []


def test_create_writes_nothing_when_the_project_already_matches(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    settings_provider.create(prod_props())
    api.clear()

    settings_provider.create(prod_props())

    assert [line.split(" ")[0] for line in api.lines()] == ["GET"] * 5


# -- diff and update ------------------------------------------------------------------------------


def test_unchanged_inputs_diff_to_no_change_without_calling_the_api(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    outs = created(settings_provider, api)
    news = prod_props()
    news["network"]["restrictions"].reverse()  # same set, other order
    news["api"]["db_schema"] = "public, graphql_public"  # same list, other spacing

    result = settings_provider.diff(REF, outs, news)

    assert (result.changes, result.replaces, result.changed_paths) == (False, [], [])
    assert api.lines() == []


def test_update_of_one_field_sends_exactly_that_field(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    outs = created(settings_provider, api)
    news = prod_props()
    news["auth"]["jwt_exp"] = 900.0

    diff = settings_provider.diff(REF, outs, news)
    assert (diff.changes, diff.replaces, diff.changed_paths) == (True, [], ["auth.jwt_exp"])
    result = settings_provider.update(REF, outs, news)

    assert bodies(api) == [(f"PATCH {P}/config/auth", {"jwt_exp": 900})]
    assert api.lines() == [f"PATCH {P}/config/auth"]
    assert api.state["auth"]["jwt_exp"] == 900
    assert result.outs is not None
    assert result.outs["auth"]["jwt_exp"] == 900
    assert result.outs["previousValues"] == outs["previousValues"]


def test_a_new_project_ref_means_replacement(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    outs = created(settings_provider, api)
    news = {**prod_props(), "projectRef": "zyxwvutsrqponmlkjihg"}

    diff = settings_provider.diff(REF, outs, news)

    assert (diff.changes, diff.replaces, diff.changed_paths) == (
        True,
        ["projectRef"],
        ["projectRef"],
    )


def test_a_rotated_token_is_an_update_that_writes_nothing(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    outs = created(settings_provider, api)
    api.token = "sbp_canary0rotated0token00"
    news = {**prod_props(), "accessToken": api.token}

    diff = settings_provider.diff(REF, outs, news)
    result = settings_provider.update(REF, outs, news)

    assert diff.changed_paths == ["accessToken"]
    assert api.lines() == []
    assert result.outs is not None
    assert result.outs["accessToken"] == api.token


def test_adding_a_section_reads_it_before_writing(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    outs = created(settings_provider, api)
    news = {**prod_props(), "pooler": {"default_pool_size": 20.0}}

    assert settings_provider.diff(REF, outs, news).changed_paths == ["pooler.default_pool_size"]
    result = settings_provider.update(REF, outs, news)

    assert bodies(api) == [(f"PATCH {P}/config/database/pooler", {"default_pool_size": 20})]
    assert api.lines() == [f"GET {P}/config/database/pooler", f"PATCH {P}/config/database/pooler"]
    assert result.outs is not None
    assert result.outs["previousValues"]["pooler"] == {"default_pool_size": 15}


def test_dropping_a_section_stops_managing_it_without_writing(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    outs = created(settings_provider, api)
    news = prod_props()
    del news["pitr"]

    diff = settings_provider.diff(REF, outs, news)
    result = settings_provider.update(REF, outs, news)

    assert diff.changed_paths == ["pitr.addon_variant", "pitr.pitr_enabled"]
    assert api.lines() == []
    assert api.state["addons"] == ["pitr_7"]
    assert result.outs is not None
    assert "pitr" not in result.outs
    assert "pitr" not in result.outs["previousValues"]


def test_turning_pitr_off_removes_the_add_on(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    outs = created(settings_provider, api)
    news = {**prod_props(), "pitr": {"pitr_enabled": False}}

    settings_provider.update(REF, outs, news)

    assert api.lines() == [f"DELETE {P}/billing/addons/pitr_7"]
    assert api.state["addons"] == []


# -- read: refresh, drift, import -----------------------------------------------------------------


def test_refresh_detects_and_reports_an_out_of_band_change_then_up_puts_it_back(
    settings_provider: SupabaseSettingsProvider,
    api: SupabaseApiServer,
    logs: list[tuple[str, str]],
) -> None:
    outs = created(settings_provider, api)
    api.state["auth"]["jwt_exp"] = 604800
    api.state["network"]["config"]["dbAllowedCidrs"].append("0.0.0.0/0")

    read = settings_provider.read(REF, outs)

    assert read.id == REF
    assert read.outs is not None
    assert read.outs["driftedFields"] == ["network.restrictions", "auth.jwt_exp"]
    assert read.outs["auth"]["jwt_exp"] == 604800
    assert sorted(read.outs["network"]["restrictions"]) == [
        "0.0.0.0/0",
        "2001:db8::/32",
        "203.0.113.0/24",
    ]
    assert read.inputs is None  # refresh keeps the program's inputs
    assert [line.split(" ")[0] for line in api.lines()] == ["GET"] * 5
    assert logs[-1] == (
        "warn",
        f"supabase settings of project {REF} drifted from the last apply: "
        "network.restrictions, auth.jwt_exp; `pulumi up` puts them back",
    )

    api.clear()
    diff = settings_provider.diff(REF, read.outs, prod_props())
    assert diff.changed_paths == ["network.restrictions", "auth.jwt_exp"]
    settings_provider.update(REF, read.outs, prod_props())
    assert bodies(api) == [
        (
            f"POST {P}/network-restrictions/apply",
            {"dbAllowedCidrs": ["203.0.113.0/24"], "dbAllowedCidrsV6": ["2001:db8::/32"]},
        ),
        (f"PATCH {P}/config/auth", {"jwt_exp": 1800}),
    ]


def test_refresh_of_a_project_that_no_longer_exists_reads_as_gone(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    outs = created(settings_provider, api)
    api.ref = "zzzzzzzzzzzzzzzzzzzz"  # the server no longer knows REF

    read = settings_provider.read(REF, outs)

    assert (read.id, read.outs) == (None, {})
    # Only the project's own 404 means it is gone: the first 404 is checked against it.
    assert api.lines() == [f"GET {P}/ssl-enforcement", f"GET {P}"]


def test_import_reads_every_known_key_with_the_configured_token_and_no_credential(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    settings_provider.configure(ConfigureRequest(Config({TOKEN_CONFIG_KEY: TOKEN}, "controlplane")))

    read = settings_provider.read(REF, {})

    assert read.id == REF
    assert read.inputs is not None
    assert read.outs is not None
    assert sorted(read.inputs) == sorted(["projectRef", *SECTION_KEYS])
    for section, keys in SECTION_KEYS.items():
        assert sorted(read.inputs[section]) == sorted(keys), section
    assert read.inputs["sslEnforcement"] == {"database": False}
    assert read.inputs["api"]["max_rows"] == 1000
    assert "accessToken" not in read.outs
    assert not any(c in repr(read.outs) + repr(read.inputs) for c in CANARIES)
    assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {TOKEN}"}


# -- delete ---------------------------------------------------------------------------------------


def test_delete_writes_nothing_and_never_deletes_the_project(
    settings_provider: SupabaseSettingsProvider,
    api: SupabaseApiServer,
    logs: list[tuple[str, str]],
) -> None:
    outs = created(settings_provider, api)

    settings_provider.delete(REF, outs)

    assert api.lines() == []
    assert api.state["ssl"] == {"database": True}
    assert logs[-1] == (
        "info",
        f"supabase settings of project {REF} left as applied (restoreOnDelete is off); "
        "the project itself is never deleted",
    )


def test_delete_with_restore_puts_back_only_what_it_set_and_still_holds(
    settings_provider: SupabaseSettingsProvider,
    api: SupabaseApiServer,
    logs: list[tuple[str, str]],
) -> None:
    props = {**prod_props(), "restoreOnDelete": True}
    del props["network"], props["api"]
    outs = settings_provider.create(props).outs
    assert outs is not None
    api.state["auth"]["jwt_exp"] = 7200  # changed by someone else since
    api.clear()

    settings_provider.delete(REF, outs)

    assert api.lines() == [
        f"GET {P}/ssl-enforcement",
        f"PUT {P}/ssl-enforcement",
        f"GET {P}/config/auth",
        f"PATCH {P}/config/auth",
        f"GET {P}/billing/addons",
        f"DELETE {P}/billing/addons/pitr_7",
    ]
    assert bodies(api)[:2] == [
        (f"PUT {P}/ssl-enforcement", {"requestedConfig": {"database": False}}),
        (f"PATCH {P}/config/auth", {"site_url": "http://localhost:3000"}),
    ]
    assert api.state["auth"]["jwt_exp"] == 7200
    assert api.state["addons"] == []
    assert logs[-1] == (
        "info",
        f"supabase settings of project {REF}: restored sslEnforcement.database, "
        "auth.site_url, pitr.pitr_enabled, pitr.addon_variant; left alone (changed since "
        "this resource set them): auth.jwt_exp",
    )


# -- check ----------------------------------------------------------------------------------------


def test_check_turns_engine_floats_back_into_integers(
    settings_provider: SupabaseSettingsProvider,
) -> None:
    result = settings_provider.check({}, prod_props())

    assert result.failures == []
    assert result.inputs["api"]["max_rows"] == 500
    assert isinstance(result.inputs["api"]["max_rows"], int)


@pytest.mark.parametrize(
    ("change", "prop", "reason"),
    [
        (
            {"projectRef": "my-project"},
            "projectRef",
            "projectRef 'my-project' is not a Supabase project ref: use the 20 lowercase "
            "letters from the dashboard URL",
        ),
        (
            {"auth": {"smtp_pass": "x"}},
            "auth.smtp_pass",
            "auth.smtp_pass is a credential: this resource never manages credentials, keep it "
            "in Secret Manager",
        ),
        (
            {"api": {"max_rowz": 5}},
            "api.max_rowz",
            "api.max_rowz is not managed here; known keys: db_extra_search_path, db_pool, "
            "db_schema, max_rows",
        ),
        (
            {"network": {"restrictions": ["10.0.0.300/8"]}},
            "network.restrictions",
            "network.restrictions: '10.0.0.300/8' is not a CIDR like 203.0.113.0/24",
        ),
        (
            {"sslEnforcement": {"database": "yes"}},
            "sslEnforcement.database",
            "sslEnforcement.database must be a boolean",
        ),
        (
            {"pitr": {"pitr_enabled": True}},
            "pitr.addon_variant",
            "pitr.addon_variant: required when pitr_enabled is true; one of pitr_7, pitr_14, "
            "pitr_28",
        ),
        (
            {"pitr": {"pitr_enabled": True, "addon_variant": "pitr_30"}},
            "pitr.addon_variant",
            "pitr.addon_variant must be one of pitr_7, pitr_14, pitr_28",
        ),
        (
            {"storage": {}},
            "storage",
            "storage is not a settings section; use one of: sslEnforcement, network, database, "
            "pooler, api, auth, pitr",
        ),
        (
            {"accessToken": ""},
            "accessToken",
            "no Supabase access token: set it with "
            "`pulumi config set --secret controlplane:supabaseAccessToken <token>`",
        ),
    ],
)
def test_check_refuses_bad_inputs_with_one_clear_line(
    settings_provider: SupabaseSettingsProvider, change: dict[str, Any], prop: str, reason: str
) -> None:
    result = settings_provider.check({}, {**prod_props(), **change})

    assert [(f.property, f.reason) for f in result.failures] == [(prop, reason)]


def test_plain_http_is_refused_except_on_loopback() -> None:
    with pytest.raises(ValueError) as err:
        SupabaseSettingsProvider("http://api.supabase.com/v1")
    assert str(err.value) == (
        "Supabase API base URL 'http://api.supabase.com/v1' must use https:// (plain http is "
        "allowed for 127.0.0.1 only, in tests)"
    )
    assert SupabaseSettingsProvider("http://127.0.0.1:8080/v1").base_url.endswith(":8080/v1")
