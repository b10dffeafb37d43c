"""The Supabase dynamic providers against the loopback Management API (no patched HTTP client).

Each test drives the provider's check/create/read/update/diff/delete methods directly, as the
dynamic-provider host would, and asserts the exact requests the server received.
"""

from __future__ import annotations

import base64
import copy
import importlib
import traceback
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from components.supabase_provider import (
    SECTION_KEYS,
    TOKEN_CONFIG_KEY,
    SupabaseApiError,
    SupabaseKeysProvider,
    SupabasePartialApplyError,
    SupabaseSettingsProvider,
)
from tests.supabase.conftest import CANARIES, JWT_SECRET, REF, SERVICE_ROLE_KEY, TOKEN, Sleeps
from tests.supabase.server import SupabaseApiServer

P = f"/v1/projects/{REF}"


def prod_props() -> dict[str, Any]:
    """Inputs as the engine hands them over: numbers arrive as floats."""
    return {
        "projectRef": REF,
        "accessToken": TOKEN,
        "restoreOnDelete": False,
        "sslEnforcement": {"database": True},
        "network": {"restrictions": ["203.0.113.0/24", "2001:db8::/32"]},
        "api": {"db_schema": "public,graphql_public", "max_rows": 500.0},
        "auth": {"site_url": "https://app.example.com", "jwt_exp": 1800.0},
        "pitr": {"pitr_enabled": True, "addon_variant": "pitr_7"},
    }


def bodies(api: SupabaseApiServer) -> list[tuple[str, Any]]:
    return [(r.line, r.body) for r in api.requests if r.method != "GET"]


def created(provider: SupabaseSettingsProvider, api: SupabaseApiServer) -> dict[str, Any]:
    """Create the prod settings and forget the requests that took."""
    outs = provider.create(prod_props()).outs
    assert outs is not None
    api.clear()
    return outs


# -- create ---------------------------------------------------------------------------------------


def test_create_reads_each_section_then_writes_only_the_keys_that_differ(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    result = settings_provider.create(prod_props())

    assert result.id == REF
    assert api.lines() == [
        f"GET {P}/ssl-enforcement",
        f"PUT {P}/ssl-enforcement",
        f"GET {P}/network-restrictions",
        f"POST {P}/network-restrictions/apply",
        f"GET {P}/postgrest",
        f"PATCH {P}/postgrest",
        f"GET {P}/config/auth",
        f"PATCH {P}/config/auth",
        f"GET {P}/billing/addons",
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
    assert api.lines() == [f"GET {P}/ssl-enforcement"]


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


# -- failures -------------------------------------------------------------------------------------


NOT_APPLIED_ALL = "sslEnforcement, network, api, auth, pitr"


def partial(section: str, cause: str, applied: str, not_applied: str, verb: str = "create") -> str:
    return (
        f"supabase settings {verb} on project {REF} stopped at section {section}: {cause}. "
        f"Applied: {applied}; not applied: {not_applied}. Re-run `pulumi up` to finish "
        "(applied sections are re-read, not re-written)."
    )


def test_401_says_to_set_a_valid_token(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    api.token = "sbp_some0other0token"

    with pytest.raises(SupabaseApiError) as err:
        settings_provider.create(prod_props())

    assert str(err.value) == partial(
        "sslEnforcement",
        f"Supabase rejected the access token (401) on GET /projects/{REF}/ssl-enforcement: "
        "set a valid personal access token with "
        "`pulumi config set --secret controlplane:supabaseAccessToken <token>`",
        "none",
        NOT_APPLIED_ALL,
    )
    assert api.lines() == [f"GET {P}/ssl-enforcement"]


def test_403_says_the_token_lacks_permission(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    api.token, api.forbidden_tokens = "sbp_other", {TOKEN}

    with pytest.raises(SupabaseApiError) as err:
        settings_provider.create(prod_props())

    assert str(err.value) == partial(
        "sslEnforcement",
        f"Supabase access token lacks permission (403) for GET /projects/{REF}/ssl-enforcement:"
        " use a token of an owner or admin of the project's organization",
        "none",
        NOT_APPLIED_ALL,
    )


def test_404_names_the_project_ref_to_check(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    api.ref = "zzzzzzzzzzzzzzzzzzzz"

    with pytest.raises(SupabaseApiError) as err:
        settings_provider.create(prod_props())

    assert str(err.value) == partial(
        "sslEnforcement",
        f"Supabase project not found (404) on GET /projects/{REF}/ssl-enforcement: check "
        "supabase.projectRef in the stack config",
        "none",
        NOT_APPLIED_ALL,
    )


def test_409_mid_apply_names_the_sections_applied_and_not_applied(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    api.fault("PATCH", "/config/auth", 409, body={"message": "Project is restarting"})

    with pytest.raises(SupabasePartialApplyError) as err:
        settings_provider.create(prod_props())

    assert str(err.value) == partial(
        "auth",
        f"Supabase reports a conflict (409) on PATCH /projects/{REF}/config/auth (Project is "
        "restarting): another change is in progress on the project; re-run when it has finished",
        "sslEnforcement, network, api",
        "auth, pitr",
    )
    assert api.lines()[-1] == f"PATCH {P}/config/auth"
    assert api.state["auth"]["jwt_exp"] == 3600
    assert api.state["addons"] == []
    assert sleeps.calls == []


def test_429_waits_as_long_as_retry_after_asks_then_succeeds(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    api.fault("GET", "/ssl-enforcement", 429, headers={"Retry-After": "7"})

    settings_provider.create(prod_props())

    assert sleeps.calls == [7.0]
    assert api.lines()[:3] == [
        f"GET {P}/ssl-enforcement",
        f"GET {P}/ssl-enforcement",
        f"PUT {P}/ssl-enforcement",
    ]


def test_429_asking_for_longer_than_the_provider_waits_fails_at_once(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    api.fault("GET", "/ssl-enforcement", 429, headers={"Retry-After": "3600"})

    with pytest.raises(SupabaseApiError) as err:
        settings_provider.create(prod_props())

    assert str(err.value) == partial(
        "sslEnforcement",
        f"Supabase rate limit (429) on GET /projects/{REF}/ssl-enforcement: the API asks to "
        "retry after 3600 s, longer than the 120 s this provider waits; re-run later",
        "none",
        NOT_APPLIED_ALL,
    )
    assert sleeps.calls == []
    assert api.lines() == [f"GET {P}/ssl-enforcement"]


def test_429_with_a_retry_after_date_in_the_past_retries_at_once(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    api.fault(
        "GET", "/ssl-enforcement", 429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )

    settings_provider.create(prod_props())

    assert sleeps.calls == [0.0]


def test_retries_are_bounded_with_exponential_backoff(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    outs = created(settings_provider, api)
    news = {**prod_props(), "auth": {**prod_props()["auth"], "jwt_exp": 900.0}}
    news["api"] = {**news["api"], "max_rows": 100.0}
    api.fault("PATCH", "/config/auth", 503, times=5)

    with pytest.raises(SupabasePartialApplyError) as err:
        settings_provider.update(REF, outs, news)

    assert str(err.value) == partial(
        "auth",
        f"Supabase PATCH /projects/{REF}/config/auth failed after 3 attempts, last: HTTP 503 "
        "(injected 503); the API is unavailable or throttling, re-run later",
        "api",
        "auth",
        verb="update",
    )
    assert sleeps.calls == [1.0, 2.0]
    assert api.lines() == [f"PATCH {P}/postgrest"] + [f"PATCH {P}/config/auth"] * 3


def test_a_5xx_once_is_retried_and_the_apply_completes(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    api.fault("POST", "/network-restrictions/apply", 502)

    settings_provider.create(prod_props())

    assert sleeps.calls == [1.0]
    assert api.lines().count(f"POST {P}/network-restrictions/apply") == 2
    assert api.state["network"]["config"]["dbAllowedCidrs"] == ["203.0.113.0/24"]


def test_a_slow_answer_is_retried_after_the_read_timeout(
    api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    provider = SupabaseSettingsProvider(
        api.base_url, read_timeout=0.3, max_attempts=3, sleep=sleeps
    )
    api.fault("PATCH", "/config/auth", delay=1.0)

    provider.create(prod_props())

    assert sleeps.calls == [1.0]
    assert api.lines().count(f"PATCH {P}/config/auth") == 2
    assert api.state["auth"]["jwt_exp"] == 1800


def test_a_timeout_mid_apply_says_which_sections_were_applied(
    api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    provider = SupabaseSettingsProvider(
        api.base_url, read_timeout=0.3, max_attempts=2, sleep=sleeps
    )
    api.fault("PATCH", "/config/auth", delay=1.0, times=2)

    with pytest.raises(SupabasePartialApplyError) as err:
        provider.create(prod_props())

    assert str(err.value) == partial(
        "auth",
        f"Supabase PATCH /projects/{REF}/config/auth failed after 2 attempts, last: timed out "
        "after 0.3 s; the API is unavailable or throttling, re-run later",
        "sslEnforcement, network, api",
        "auth, pitr",
    )
    assert f"PATCH {P}/billing/addons" not in api.lines()


def test_an_api_message_echoing_the_token_is_redacted(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    api.fault("PUT", "/ssl-enforcement", 400, body={"message": f"token {TOKEN} is malformed"})

    with pytest.raises(SupabaseApiError) as err:
        settings_provider.create(prod_props())

    assert (
        f"Supabase rejected PUT /projects/{REF}/ssl-enforcement (400) (token [redacted] is "
        "malformed): fix the value in the stack config"
    ) in str(err.value)


# -- no secret ever shows -------------------------------------------------------------------------


FAILURES: list[tuple[str, dict[str, Any]]] = [
    ("PUT", {"path": "/ssl-enforcement", "status": 400, "body": {"message": f"bad {TOKEN}"}}),
    ("GET", {"path": "/config/auth", "status": 401}),
    ("PATCH", {"path": "/config/auth", "status": 409}),
    ("PATCH", {"path": "/postgrest", "status": 500, "times": 9}),
    ("GET", {"path": "/billing/addons", "status": 429, "headers": {"Retry-After": "900"}}),
]


@pytest.mark.parametrize(("method", "fault"), FAILURES)
def test_no_token_key_or_secret_in_errors_tracebacks_or_logs(
    settings_provider: SupabaseSettingsProvider,
    api: SupabaseApiServer,
    logs: list[tuple[str, str]],
    method: str,
    fault: dict[str, Any],
) -> None:
    fault = copy.deepcopy(fault)
    api.fault(method, fault.pop("path"), fault.pop("status"), **fault)

    with pytest.raises(SupabaseApiError) as err:
        settings_provider.create(prod_props())

    text = "".join(traceback.format_exception(err.value)) + repr(err.value.args)
    text += "".join(msg for _, msg in logs)
    assert err.value.__cause__ is None and err.value.__suppress_context__
    for canary in CANARIES:
        assert canary not in text


def test_the_pickled_provider_holds_no_token_even_after_it_has_used_one(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    settings_provider.create(prod_props())
    settings_provider.read(REF, prod_props())

    pickled = base64.b64decode(serialize_provider(settings_provider))

    assert TOKEN.encode() not in pickled
    dill: Any = importlib.import_module("dill")  # the pickler Pulumi uses; untyped
    restored = dill.loads(pickled)
    assert restored.base_url == api.base_url
    assert restored.check({}, {**prod_props(), "accessToken": ""}).failures[0].property == (
        "accessToken"
    )
    restored.configure(ConfigureRequest(Config({TOKEN_CONFIG_KEY: TOKEN}, "controlplane")))
    assert restored.check({}, {**prod_props(), "accessToken": ""}).failures == []


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
