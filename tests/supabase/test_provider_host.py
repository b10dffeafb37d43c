"""The Supabase providers served by the real dynamic provider host, as ``pulumi up`` runs them.

One ``python -m pulumi.dynamic`` process per module, started in the project directory the way
the engine starts it (``tests/support/provider_host.py``), receives each provider as the program
pickles it (``__provider``) and serves Check/Diff/Create/Read/Update/Delete over gRPC against the
loopback Management API. So what the tests see is what the provider sees under the engine:
numbers from the state as floats, unknown preview values as ``pulumi.output.Unknown`` objects,
secrets as plain values, logs on the host's stderr.

The API base URL travels inside the pickle (the provider's ``base_url``), the token in the
``accessToken`` input or, when that is absent, in the stack config the engine hands to
``Configure`` (``controlplane:supabaseAccessToken``).
"""

from __future__ import annotations

import base64
import json
import pickletools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.rpc import UNKNOWN

from components.supabase.api import DEFAULT_BASE_URL, TOKEN_CONFIG_KEY
from components.supabase_provider import SupabaseSettingsProvider
from tests.support.provider_host import PROVIDER_KEY, ProviderHost, with_base_url
from tests.support.supabase import CANARIES, JWT_SECRET, REF, SERVICE_ROLE_KEY, TOKEN, P, bodies
from tests.support.supabase import prod_props as direct_props
from tests.support.supabase_server import SupabaseApiServer

RECORDED = Path(__file__).parent / "data" / "provider-pickles-v0.1.0.json"
SETTINGS_URN = (
    "urn:pulumi:prod::controlplane::controlplane:supabase:SupabaseProject$"
    "pulumi-python:dynamic/supabase:SupabaseSettings::supabase-settings"
)
KEYS_URN = (
    "urn:pulumi:prod::controlplane::controlplane:supabase:SupabaseProject$"
    "pulumi-python:dynamic/supabase:SupabaseProjectKeys::supabase-keys"
)
OTHER_REF = "zyxwvutsrqponmlkjihg"


@pytest.fixture(scope="module")
def host() -> Iterator[ProviderHost]:
    """One provider host for the module, configured as the engine configures it."""
    started = ProviderHost().start()
    try:
        started.configure({TOKEN_CONFIG_KEY: TOKEN})
        yield started
    finally:
        started.stop()


@pytest.fixture
def settings(api: SupabaseApiServer) -> str:
    """The settings provider pointed at this test's API, pickled as the program pickles it."""
    return serialize_provider(SupabaseSettingsProvider(api.base_url))


def news_of(pickled: str, **changes: Any) -> dict[str, Any]:
    """The resource's inputs as the program registers them (the provider pickle included)."""
    return {**direct_props(), **changes, PROVIDER_KEY: pickled}


def deploy(host: ProviderHost, pickled: str, **changes: Any) -> dict[str, Any]:
    """Check then Create, as ``pulumi up`` does for a new resource; the state it leaves."""
    checked = host.check(SETTINGS_URN, {}, news_of(pickled, **changes))
    assert checked.failures == []
    id_, outs = host.create(SETTINGS_URN, checked.inputs)
    assert id_ == REF
    return outs


def opcodes(pickled: str) -> list[tuple[str, Any]]:
    """The (opcode, argument) pairs of a base64 pickle, frame lengths left out."""
    return [
        (op.name, arg)
        for op, arg, _ in pickletools.genops(base64.b64decode(pickled))
        if op.name != "FRAME"
    ]


def recorded() -> dict[str, str]:
    providers: dict[str, str] = json.loads(RECORDED.read_text(encoding="utf-8"))["providers"]
    return providers


# -- the host ------------------------------------------------------------------------------------


def test_the_host_loads_the_provider_by_its_stable_path_from_the_project_directory(
    host: ProviderHost, settings: str
) -> None:
    checked = host.check(SETTINGS_URN, {}, news_of(settings))

    assert checked.failures == []
    assert checked.inputs[PROVIDER_KEY] == settings
    assert host.running


# -- check ---------------------------------------------------------------------------------------


def test_check_refuses_bad_inputs_through_the_host(host: ProviderHost, settings: str) -> None:
    news = news_of(settings, projectRef="not-a-ref", auth={"smtp_pass": "x", "jwt_exp": "1h"})

    checked = host.check(SETTINGS_URN, {}, news)

    assert checked.failures == [
        (
            "projectRef",
            "projectRef 'not-a-ref' is not a Supabase project ref: use the 20 lowercase "
            "letters from the dashboard URL",
        ),
        ("auth.jwt_exp", "auth.jwt_exp must be a integer"),
        (
            "auth.smtp_pass",
            "auth.smtp_pass is a credential: this resource never manages credentials, keep it "
            "in Secret Manager",
        ),
    ]


def test_check_during_preview_accepts_unknown_values_and_passes_them_on(
    host: ProviderHost, settings: str
) -> None:
    """The host turns the engine's unknown sentinel into ``pulumi.output.Unknown`` objects."""
    news = news_of(
        settings,
        projectRef=UNKNOWN,
        network={"restrictions": ["203.0.113.0/24", UNKNOWN]},
        api=UNKNOWN,
        auth={"site_url": UNKNOWN, "jwt_exp": UNKNOWN, "disable_signup": UNKNOWN},
    )

    checked = host.check(SETTINGS_URN, {}, news)

    assert checked.failures == []
    assert checked.inputs["projectRef"] == UNKNOWN
    assert checked.inputs["network"] == {"restrictions": ["203.0.113.0/24", UNKNOWN]}
    assert checked.inputs["api"] == UNKNOWN
    assert checked.inputs["auth"] == {
        "site_url": UNKNOWN,
        "jwt_exp": UNKNOWN,
        "disable_signup": UNKNOWN,
    }


# -- diff ----------------------------------------------------------------------------------------


def test_diff_of_unchanged_inputs_against_the_state_is_no_change(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    state = deploy(host, settings)
    checked = host.check(SETTINGS_URN, state, news_of(settings))
    api.clear()

    diffed = host.diff(SETTINGS_URN, REF, state, checked.inputs)

    assert (diffed.changes, diffed.replaces) == ("DIFF_NONE", [])
    assert api.lines() == []


def test_diff_reports_a_changed_value_as_an_update_and_a_new_ref_as_a_replacement(
    host: ProviderHost, settings: str
) -> None:
    state = deploy(host, settings)
    changed = host.check(
        SETTINGS_URN, state, news_of(settings, auth={"site_url": "https://x.example.com"})
    )
    moved = host.check(SETTINGS_URN, state, news_of(settings, projectRef=OTHER_REF))

    updated = host.diff(SETTINGS_URN, REF, state, changed.inputs)
    replaced = host.diff(SETTINGS_URN, REF, state, moved.inputs)

    assert (updated.changes, updated.replaces) == ("DIFF_SOME", [])
    assert (replaced.changes, replaced.replaces) == ("DIFF_SOME", ["projectRef"])
    assert replaced.delete_before_replace is False


def test_diff_during_preview_treats_unknown_values_as_changes(
    host: ProviderHost, settings: str
) -> None:
    state = deploy(host, settings)
    cases = {
        "a value": news_of(settings, auth={**direct_props()["auth"], "site_url": UNKNOWN}),
        "a CIDR": news_of(settings, network={"restrictions": ["203.0.113.0/24", UNKNOWN]}),
        "a managed section": news_of(settings, api=UNKNOWN),
        "a section not managed so far": news_of(settings, database=UNKNOWN),
    }

    for case, news in cases.items():
        diffed = host.diff(SETTINGS_URN, REF, state, news)
        assert (diffed.changes, diffed.replaces) == ("DIFF_SOME", []), case

    unknown_ref = host.diff(SETTINGS_URN, REF, state, news_of(settings, projectRef=UNKNOWN))
    assert (unknown_ref.changes, unknown_ref.replaces) == ("DIFF_SOME", ["projectRef"])


# -- create, read, update ------------------------------------------------------------------------


def test_create_sends_integers_and_records_what_it_found(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    state = deploy(host, settings)

    assert (f"PATCH {P}/postgrest", {"max_rows": 500}) in bodies(api)
    assert (
        f"PATCH {P}/config/auth",
        {"site_url": "https://app.example.com", "jwt_exp": 1800},
    ) in bodies(api)
    assert api.state["postgrest"]["max_rows"] == 500
    assert state[PROVIDER_KEY] == settings
    assert state["accessToken"] == TOKEN
    assert state["previousValues"]["api"] == {
        "db_schema": "public, graphql_public",
        "max_rows": 1000,
    }
    assert state["driftedFields"] == []


def test_read_reports_drift_made_in_the_api_without_printing_a_secret(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    state = deploy(host, settings)
    clean = host.read(SETTINGS_URN, REF, state)
    api.state["auth"]["jwt_exp"] = 7200
    mark = host.mark()

    drifted = host.read(SETTINGS_URN, REF, state)

    assert clean.outs["driftedFields"] == []
    assert drifted.id == REF
    assert drifted.outs["auth"] == {"site_url": "https://app.example.com", "jwt_exp": 7200}
    assert drifted.outs["driftedFields"] == ["auth.jwt_exp"]
    assert drifted.outs[PROVIDER_KEY] == settings
    assert drifted.inputs is None
    assert host.logs_since(mark) == [
        f"warning: supabase settings of project {REF} drifted from the last apply: "
        "auth.jwt_exp; `pulumi up` puts them back"
    ]
    for canary in CANARIES:
        assert canary not in host.output()


def test_read_of_a_project_that_no_longer_exists_reads_as_gone(
    host: ProviderHost, settings: str
) -> None:
    state = deploy(host, settings)

    gone = host.read(SETTINGS_URN, OTHER_REF, {**state, "projectRef": OTHER_REF})

    assert gone.id == ""


def test_update_writes_only_the_changed_key_as_an_integer(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    state = deploy(host, settings)
    auth = {**direct_props()["auth"], "jwt_exp": 900.0}
    checked = host.check(SETTINGS_URN, state, news_of(settings, auth=auth))
    api.clear()

    outs = host.update(SETTINGS_URN, REF, state, checked.inputs)

    assert bodies(api) == [(f"PATCH {P}/config/auth", {"jwt_exp": 900})]
    assert api.state["auth"]["jwt_exp"] == 900
    assert outs["auth"] == {"site_url": "https://app.example.com", "jwt_exp": 900}
    assert outs["previousValues"]["auth"] == {"site_url": "http://localhost:3000", "jwt_exp": 3600}


# -- delete --------------------------------------------------------------------------------------


def test_delete_with_restore_puts_back_the_values_from_the_state_as_integers(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    """The state holds ``previousValues`` as floats (``15.0``); the API takes integers only."""
    state = deploy(
        host, settings, restoreOnDelete=True, pooler={"default_pool_size": 30}, pitr=None
    )
    assert state["previousValues"]["pooler"] == {"default_pool_size": 15.0}
    assert state["previousValues"]["api"]["max_rows"] == 1000.0
    api.clear()

    host.delete(SETTINGS_URN, REF, state)

    assert bodies(api) == [
        (f"PUT {P}/ssl-enforcement", {"requestedConfig": {"database": False}}),
        (
            f"POST {P}/network-restrictions/apply",
            {"dbAllowedCidrs": ["0.0.0.0/0"], "dbAllowedCidrsV6": ["::/0"]},
        ),
        (f"PATCH {P}/config/database/pooler", {"default_pool_size": 15}),
        (f"PATCH {P}/postgrest", {"max_rows": 1000}),
        (f"PATCH {P}/config/auth", {"site_url": "http://localhost:3000", "jwt_exp": 3600}),
    ]
    assert api.state["pooler"][0]["default_pool_size"] == 15
    assert api.state["postgrest"]["max_rows"] == 1000
    assert api.state["auth"]["jwt_exp"] == 3600


def test_delete_with_restore_puts_back_a_null_the_state_left_out(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    """The host drops null values from the state: ``db_pool`` was null before it was set."""
    state = deploy(host, settings, restoreOnDelete=True, api={"db_pool": 10})
    assert state["previousValues"]["api"] == {"db_pool": None}
    api.clear()

    host.delete(SETTINGS_URN, REF, state)

    assert (f"PATCH {P}/postgrest", {"db_pool": None}) in bodies(api)
    assert api.state["postgrest"]["db_pool"] is None


def test_delete_without_restore_writes_nothing(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    state = deploy(host, settings)
    api.clear()

    host.delete(SETTINGS_URN, REF, state)

    assert api.lines() == []


def test_a_provider_error_reaches_the_engine_as_one_line_without_the_token(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    api.fault("GET", "/config/auth", 403)
    checked = host.check(SETTINGS_URN, {}, news_of(settings))

    with pytest.raises(grpc.RpcError) as failed:
        host.create(SETTINGS_URN, checked.inputs)

    details = str(failed.value.details())
    assert "stopped at section auth: Supabase access token lacks permission (403)" in details
    for canary in CANARIES:
        assert canary not in details


# -- pickles recorded from release 0.1.0 ---------------------------------------------------------


def test_the_recorded_settings_pickle_as_recorded_checks_and_deletes_without_the_api(
    host: ProviderHost, api: SupabaseApiServer
) -> None:
    """Byte for byte as in deployed state: the host unpickles it and serves it."""
    pickled = recorded()["components.supabase_provider.SupabaseSettingsProvider"]

    checked = host.check(SETTINGS_URN, {}, news_of(pickled))
    host.delete(SETTINGS_URN, REF, {**direct_props(), PROVIDER_KEY: pickled})

    assert checked.failures == []
    assert checked.inputs[PROVIDER_KEY] == pickled


def test_the_recorded_settings_pickle_serves_read_and_restoring_delete(
    host: ProviderHost, api: SupabaseApiServer
) -> None:
    """The recorded pickle with only its base URL pointed at the loopback API."""
    pickled = with_base_url(
        recorded()["components.supabase_provider.SupabaseSettingsProvider"],
        DEFAULT_BASE_URL,
        api.base_url,
    )
    state = deploy(host, pickled, restoreOnDelete=True)
    api.state["ssl"]["database"] = False
    api.clear()

    read = host.read(SETTINGS_URN, REF, state)
    api.state["ssl"]["database"] = True
    host.delete(SETTINGS_URN, REF, state)

    assert read.outs["driftedFields"] == ["sslEnforcement.database"]
    assert read.outs[PROVIDER_KEY] == pickled
    assert (f"PATCH {P}/postgrest", {"max_rows": 1000}) in bodies(api)
    assert api.state["ssl"] == {"database": False}
    assert api.state["addons"] == []


def test_the_recorded_keys_pickle_serves_read_and_delete(
    host: ProviderHost, api: SupabaseApiServer
) -> None:
    pickled = with_base_url(
        recorded()["components.supabase_provider.SupabaseKeysProvider"],
        DEFAULT_BASE_URL,
        api.base_url,
    )
    state = {
        "projectRef": REF,
        "accessToken": TOKEN,
        "serviceRoleKey": SERVICE_ROLE_KEY,
        "jwtSecret": JWT_SECRET,
        PROVIDER_KEY: pickled,
    }

    read = host.read(KEYS_URN, REF, state)
    api.clear()
    host.delete(KEYS_URN, REF, state)

    assert read.id == REF
    assert read.outs == state
    assert api.lines() == []


def test_pointing_a_recorded_pickle_elsewhere_changes_only_the_url(
    api: SupabaseApiServer,
) -> None:
    """The rewrite the tests above rely on: the URL changes, every other opcode stays."""
    for path, pickled in recorded().items():
        moved = with_base_url(pickled, DEFAULT_BASE_URL, api.base_url)

        before, after = opcodes(pickled), opcodes(moved)
        assert [op for op in after if op not in before] == [("SHORT_BINUNICODE", api.base_url)]
        assert [op for op in before if op not in after] == [("SHORT_BINUNICODE", DEFAULT_BASE_URL)]
        assert with_base_url(moved, api.base_url, DEFAULT_BASE_URL) == pickled, path


# -- faults: what the engine receives ------------------------------------------------------------


def test_a_create_stopped_half_way_hands_the_engine_its_state_and_the_next_up_finishes_it(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    """The host cannot return partial state with an error, so the create returns it."""
    found = {"ssl": dict(api.state["ssl"]), "auth": dict(api.state["auth"])}
    api.fault("PATCH", "/config/auth", 409, body={"message": "Project is restarting"})
    checked = host.check(SETTINGS_URN, {}, news_of(settings, restoreOnDelete=True))

    id_, first = host.create(SETTINGS_URN, checked.inputs)
    diff = host.diff(SETTINGS_URN, id_, first, checked.inputs)
    second = host.update(SETTINGS_URN, id_, first, checked.inputs)
    host.delete(SETTINGS_URN, id_, second)

    assert first["pendingSections"] == ["auth", "pitr"]
    assert "stopped at section auth: Supabase reports a conflict (409)" in first["applyError"]
    assert diff.changes == "DIFF_SOME"
    assert "applyError" not in second and "pendingSections" not in second
    assert second["previousValues"] == first["previousValues"]
    assert {"ssl": api.state["ssl"], "auth": api.state["auth"]} == found
    assert api.state["addons"] == []


@pytest.mark.parametrize("token", [TOKEN + "\n", f" {TOKEN}\r\n"], ids=repr)
def test_a_token_with_a_trailing_newline_works_and_is_never_printed(
    host: ProviderHost, settings: str, api: SupabaseApiServer, token: str
) -> None:
    mark = host.mark()

    state = deploy(host, settings, accessToken=token)
    host.read(SETTINGS_URN, REF, state)

    assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {TOKEN}"}
    shown = host.output() + "".join(host.logs_since(mark))
    shown += repr({k: v for k, v in state.items() if k != "accessToken"})
    assert TOKEN not in shown


def test_a_token_with_inner_whitespace_is_refused_without_being_printed(
    host: ProviderHost, settings: str, api: SupabaseApiServer
) -> None:
    token = "sbp_canary0host\n0split0token"
    checked = host.check(SETTINGS_URN, {}, news_of(settings, accessToken=token))

    with pytest.raises(grpc.RpcError) as failed:
        host.create(SETTINGS_URN, checked.inputs)

    details = str(failed.value.details())
    assert "holds spaces or control characters" in details
    for piece in ("sbp_canary0host", "0split0token"):
        assert piece not in details + host.output()
    assert api.requests == []
