"""Management API faults, injected per endpoint into the loopback API, never lose, leak or crash.

Every endpoint the providers call is listed once in ``ENDPOINTS`` with the operation that calls
it; the tests run each fault against each endpoint: 429 with and without ``Retry-After``, 5xx,
timeouts, answers trickled a byte at a time, bodies that are not JSON, JSON of the wrong shape,
and applies that stop half-way and are then run again. What must hold:

- a transient fault is retried and the operation ends as if nothing happened;
- a lasting fault or an unexpected answer becomes the provider's ``SupabaseApiError`` (raised, or
  carried in ``applyError`` once a write may have landed) naming the endpoint, never another
  exception and never a token;
- the values to restore are the ones found before the first write, whatever failed in between;
- only the project's own 404 means it is gone; a DELETE that finds nothing has succeeded.
"""

from __future__ import annotations

import copy
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.supabase.api import SupabaseApiError
from components.supabase_provider import SupabaseKeysProvider, SupabaseSettingsProvider
from tests.support.supabase import CANARIES, REF, TOKEN, P, Sleeps, bodies, prod_props
from tests.support.supabase_component import KEYS, SETTINGS, Mocks, project, run
from tests.support.supabase_component import PROD as COMPONENT_PROD
from tests.support.supabase_server import SupabaseApiServer


def all_props(**changes: Any) -> dict[str, Any]:
    """Every section managed, so that one create calls every settings endpoint."""
    props = {
        **prod_props(),
        "database": {"max_connections": 100.0, "statement_timeout": "30s"},
        "pooler": {"default_pool_size": 20.0},
    }
    return {**props, **changes}


def snapshot(api: SupabaseApiServer) -> dict[str, Any]:
    """The settings part of the API's state, to compare before and after."""
    s = api.state
    return copy.deepcopy(
        {
            "ssl": s["ssl"],
            "network": s["network"]["config"],
            "postgres": s["postgres"],
            "pool": s["pooler"][0]["default_pool_size"],
            "postgrest": s["postgrest"],
            "auth": s["auth"],
            "addons": s["addons"],
        }
    )


Run = Callable[[SupabaseSettingsProvider, SupabaseKeysProvider], Any]


def settings_create(settings: SupabaseSettingsProvider, _keys: SupabaseKeysProvider) -> Any:
    return settings.create(all_props()).outs


def pitr_removal(settings: SupabaseSettingsProvider, _keys: SupabaseKeysProvider) -> Any:
    """An update that turns PITR off (the only DELETE), from a created resource."""
    outs = settings.__dict__["_created"]
    return settings.update(REF, outs, all_props(pitr={"pitr_enabled": False})).outs


def keys_create(_settings: SupabaseSettingsProvider, keys: SupabaseKeysProvider) -> Any:
    return keys.create({"projectRef": REF, "accessToken": TOKEN}).outs


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    """Relative to the project, as the double's ``fault()`` takes it."""
    run: Run
    shape: Any
    """A JSON answer of the wrong shape for this endpoint."""

    @property
    def template(self) -> str:
        return f"{self.method} /projects/{{ref}}{self.path}"

    @property
    def concrete(self) -> str:
        return f"{self.method} /projects/{REF}{self.path}"

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/ssl-enforcement", settings_create, ["not", "an", "object"]),
    Endpoint("PUT", "/ssl-enforcement", settings_create, ["not", "an", "object"]),
    Endpoint("GET", "/network-restrictions", settings_create, {"config": {"dbAllowedCidrs": 7}}),
    Endpoint("POST", "/network-restrictions/apply", settings_create, "a string"),
    Endpoint("GET", "/config/database/postgres", settings_create, {"max_connections": "many"}),
    Endpoint("PUT", "/config/database/postgres", settings_create, [1, 2]),
    Endpoint("GET", "/config/database/pooler", settings_create, {"database_type": "PRIMARY"}),
    Endpoint("PATCH", "/config/database/pooler", settings_create, [None]),
    Endpoint("GET", "/postgrest", settings_create, {"max_rows": {"n": 1}}),
    Endpoint("PATCH", "/postgrest", settings_create, 42),
    Endpoint("GET", "/config/auth", settings_create, {"jwt_exp": "soon"}),
    Endpoint("PATCH", "/config/auth", settings_create, True),
    Endpoint("GET", "/billing/addons", settings_create, {"selected_addons": {"type": "pitr"}}),
    Endpoint("PATCH", "/billing/addons", settings_create, ["x"]),
    Endpoint("DELETE", "/billing/addons/pitr_7", pitr_removal, {"deleted": "maybe"}),
    Endpoint("GET", "/api-keys", keys_create, {"name": "service_role"}),
    Endpoint("GET", "/postgrest", keys_create, ["jwt_secret"]),
]
IDS = [f"{e}-{e.run.__name__}" for e in ENDPOINTS]
WRITES = [e for e in ENDPOINTS if e.writes and e.run is settings_create]


@pytest.fixture
def settings(api: SupabaseApiServer, sleeps: Sleeps) -> SupabaseSettingsProvider:
    provider = SupabaseSettingsProvider(
        api.base_url, connect_timeout=2.0, read_timeout=0.3, max_attempts=3, sleep=sleeps
    )
    return provider


@pytest.fixture
def keys(api: SupabaseApiServer, sleeps: Sleeps) -> SupabaseKeysProvider:
    return SupabaseKeysProvider(api.base_url, read_timeout=0.3, max_attempts=3, sleep=sleeps)


def prepare(endpoint: Endpoint, settings: SupabaseSettingsProvider, api: SupabaseApiServer) -> None:
    """What must exist before the operation: a created resource with PITR for the DELETE."""
    if endpoint.run is pitr_removal:
        settings.__dict__["_created"] = settings.create(all_props()).outs
    api.clear()


def outcome(
    endpoint: Endpoint,
    settings: SupabaseSettingsProvider,
    keys: SupabaseKeysProvider,
) -> tuple[Any, SupabaseApiError | None, str]:
    """Run the endpoint's operation: (outputs, the raised provider error, the error text).

    The error text is the raised error's, or the one the outputs carry in ``applyError``. Any
    exception other than the provider's own fails the test here.
    """
    try:
        outs = endpoint.run(settings, keys)
    except SupabaseApiError as err:
        return None, err, str(err)
    return outs, None, (outs or {}).get("applyError") or ""


def assert_clean(text: str) -> None:
    for canary in (*CANARIES, TOKEN.strip()):
        assert canary not in text


# -- transient faults: retried, and the operation ends as without them --------------------------


TRANSIENT: dict[str, dict[str, Any]] = {
    "429-without-retry-after": {"status": 429},
    "429-with-retry-after": {"status": 429, "headers": {"Retry-After": "2"}},
    "500": {"status": 500},
    "502": {"status": 502},
    "503": {"status": 503},
    "timeout-after-applying": {"delay": 0.6},
    "trickled-answer": {"trickle": 0.05},
    "connection-closed-mid-answer": {"cut_after": 5},
}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("fault", list(TRANSIENT.values()), ids=list(TRANSIENT))
def test_a_transient_fault_is_retried_and_the_operation_completes(
    endpoint: Endpoint,
    fault: dict[str, Any],
    settings: SupabaseSettingsProvider,
    keys: SupabaseKeysProvider,
    api: SupabaseApiServer,
    sleeps: Sleeps,
) -> None:
    prepare(endpoint, settings, api)
    api.fault(endpoint.method, endpoint.path, **fault)

    outs, error, text = outcome(endpoint, settings, keys)

    assert (error, text) == (None, ""), str(endpoint)
    calls = [r for r in api.requests if (r.method, r.path) == (endpoint.method, P + endpoint.path)]
    assert len(calls) >= 2
    assert sleeps.calls[0] == (2.0 if "headers" in fault else 1.0), sleeps.calls
    assert "pendingSections" not in outs
    if endpoint.run is settings_create:
        assert api.state["auth"]["jwt_exp"] == 1800
        assert api.state["addons"] == ["pitr_7"]
        assert api.state["postgres"]["max_connections"] == 100
    if endpoint.run is pitr_removal:
        assert api.state["addons"] == []
    if endpoint.run is keys_create:
        assert outs["serviceRoleKey"] and outs["jwtSecret"]


# -- lasting faults and unexpected answers: the provider's error, naming the endpoint ---------


LASTING: dict[str, dict[str, Any]] = {
    "429-without-retry-after": {"status": 429, "times": 3},
    "429-retry-after-too-long": {"status": 429, "headers": {"Retry-After": "3600"}},
    "500": {"status": 500, "times": 3},
    "503-after-applying": {"status": 503, "times": 3, "apply": True},
    "timeout": {"delay": 0.6, "times": 3},
    "trickled-answer": {"trickle": 0.05, "times": 3},
    "malformed-json": {"raw": b'{"currentConfig": {"database": tru', "times": 3},
    "html-instead-of-json": {"raw": b"<html>Bad gateway</html>", "times": 3},
}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("fault", list(LASTING.values()), ids=list(LASTING))
def test_a_lasting_fault_becomes_the_providers_error_naming_the_endpoint(
    endpoint: Endpoint,
    fault: dict[str, Any],
    settings: SupabaseSettingsProvider,
    keys: SupabaseKeysProvider,
    api: SupabaseApiServer,
    logs: list[tuple[str, str]],
) -> None:
    prepare(endpoint, settings, api)
    api.fault(endpoint.method, endpoint.path, **fault)

    outs, error, text = outcome(endpoint, settings, keys)

    assert endpoint.concrete in text, text
    if error is not None:
        assert error.endpoint == endpoint.template
        assert error.__cause__ is None
        assert_clean("".join(traceback.format_exception(error)))
    else:
        # A write may have landed: the outputs are kept, with what is still to do.
        assert endpoint.writes, text
        assert outs["pendingSections"], text
    if endpoint.run is not keys_create:
        assert "Applied: " in text and "not applied: " in text, text
    assert_clean(text + repr({k: v for k, v in (outs or {}).items() if k != "accessToken"}))
    assert_clean("".join(message for _, message in logs))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_json_of_the_wrong_shape_is_the_providers_error_or_is_not_read(
    endpoint: Endpoint,
    settings: SupabaseSettingsProvider,
    keys: SupabaseKeysProvider,
    api: SupabaseApiServer,
) -> None:
    prepare(endpoint, settings, api)
    api.fault(endpoint.method, endpoint.path, 200, body=endpoint.shape, apply=True, times=3)

    outs, error, text = outcome(endpoint, settings, keys)

    if endpoint.writes:
        # The provider does not read what a write answers (beyond SSL's applied flag): the
        # change landed, and the operation completes.
        assert (error, text) == (None, ""), text
        assert "pendingSections" not in outs
        return
    assert error is not None, f"{endpoint}: a wrong shape was read as data"
    assert endpoint.concrete in text
    assert "unexpected shape" in text
    assert error.endpoint == endpoint.template


# -- half-way failures, then a re-run, then a destroy ------------------------------------------


@pytest.mark.parametrize("applied", [False, True], ids=["refused", "applied-but-answer-lost"])
@pytest.mark.parametrize("endpoint", WRITES, ids=[str(e) for e in WRITES])
def test_a_create_stopped_half_way_then_run_again_then_destroyed_restores_what_it_found(
    endpoint: Endpoint,
    applied: bool,
    settings: SupabaseSettingsProvider,
    api: SupabaseApiServer,
) -> None:
    found = snapshot(api)
    props = all_props(restoreOnDelete=True)
    api.fault(endpoint.method, endpoint.path, 500, times=3, apply=applied)

    first = settings.create(props).outs
    assert first is not None
    assert first["applyError"], "the failure must reach the program"
    assert endpoint.concrete in first["applyError"]
    recorded = copy.deepcopy(first["previousValues"])

    diff = settings.diff(REF, first, props)
    second = settings.update(REF, first, props).outs
    assert second is not None

    assert diff.changes
    assert "applyError" not in second and "pendingSections" not in second
    assert second["previousValues"] == recorded
    assert api.state["postgres"]["max_connections"] == 100
    assert api.state["addons"] == ["pitr_7"]
    assert settings.diff(REF, second, props).changes is False

    settings.delete(REF, second)

    assert snapshot(api) == found


@pytest.mark.parametrize("endpoint", WRITES, ids=[str(e) for e in WRITES])
def test_a_create_stopped_half_way_then_destroyed_restores_what_it_found(
    endpoint: Endpoint, settings: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    """No re-run: the write that failed may have landed, and is restored too."""
    found = snapshot(api)
    api.fault(endpoint.method, endpoint.path, 503, times=3, apply=True)
    outs = settings.create(all_props(restoreOnDelete=True)).outs
    assert outs is not None and outs["pendingSections"]

    settings.delete(REF, outs)

    assert snapshot(api) == found


def test_a_failed_rerun_keeps_the_values_captured_before_the_first_run(
    settings: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    found = snapshot(api)
    props = all_props(restoreOnDelete=True)
    api.fault("PATCH", "/config/auth", 500, times=3)
    first = settings.create(props).outs
    assert first is not None
    api.fault("PATCH", "/billing/addons", 500, times=3)

    second = settings.update(REF, first, props).outs
    assert second is not None
    third = settings.update(REF, second, props).outs
    assert third is not None

    assert second["pendingSections"] == ["pitr"]
    assert second["previousValues"] == first["previousValues"] == third["previousValues"]
    assert third["previousValues"]["auth"] == {"site_url": "http://localhost:3000", "jwt_exp": 3600}
    settings.delete(REF, third)
    assert snapshot(api) == found


def test_an_update_stopped_half_way_keeps_the_values_of_the_sections_it_added(
    settings: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    found = snapshot(api)
    base = {**prod_props(), "restoreOnDelete": True}
    outs = settings.create(base).outs
    assert outs is not None
    grown = all_props(restoreOnDelete=True)
    api.fault("PATCH", "/config/database/pooler", 500, times=3)

    partial = settings.update(REF, outs, grown).outs
    assert partial is not None
    assert partial["pendingSections"] == ["pooler"]
    assert partial["previousValues"]["database"] == {
        "max_connections": 60,
        "statement_timeout": "2min",
    }
    done = settings.update(REF, partial, grown).outs
    assert done is not None

    settings.delete(REF, done)

    assert snapshot(api) == found


def test_the_resource_fails_the_program_with_the_error_a_partial_apply_returns() -> None:
    message = "supabase settings create on project x stopped at section auth: boom"

    class PartialMocks(Mocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            id_, outs = super().new_resource(args)
            if args.typ == SETTINGS:
                outs.update(pendingSections=["auth"], applyError=message)
            return id_, outs

    async def program() -> None:
        project(COMPONENT_PROD)

    with pytest.raises(Exception, match="stopped at section auth: boom"):
        run(program, PartialMocks())


def test_a_complete_apply_does_not_fail_the_program() -> None:
    mocks = Mocks()

    async def program() -> None:
        project(COMPONENT_PROD)

    run(program, mocks)

    assert sorted(mocks.providers) == [KEYS, SETTINGS]


# -- 404s: only the project's own means it is gone; a DELETE that finds nothing succeeded ------


READS = [e for e in ENDPOINTS if not e.writes]


@pytest.mark.parametrize("endpoint", READS, ids=[f"{e}-{e.run.__name__}" for e in READS])
def test_a_refresh_after_a_sub_endpoint_404_keeps_the_resource(
    endpoint: Endpoint,
    settings: SupabaseSettingsProvider,
    keys: SupabaseKeysProvider,
    api: SupabaseApiServer,
) -> None:
    if endpoint.run is keys_create:
        provider: SupabaseSettingsProvider | SupabaseKeysProvider = keys
        outs = keys.create({"projectRef": REF, "accessToken": TOKEN}).outs
    else:
        provider = settings
        outs = settings.create(all_props()).outs
    assert outs is not None
    api.clear()
    api.fault(endpoint.method, endpoint.path, 404, body={"message": "Addon not found"})

    with pytest.raises(SupabaseApiError) as err:
        provider.read(REF, outs)

    assert "itself exists" in str(err.value)
    assert err.value.endpoint == endpoint.template
    assert f"GET {P}" in api.lines()


def test_a_refresh_of_a_deleted_project_reads_as_gone_for_both_resources(
    settings: SupabaseSettingsProvider, keys: SupabaseKeysProvider, api: SupabaseApiServer
) -> None:
    outs = settings.create(all_props()).outs
    key_outs = keys.create({"projectRef": REF, "accessToken": TOKEN}).outs
    assert outs is not None and key_outs is not None
    api.ref = "zzzzzzzzzzzzzzzzzzzz"

    assert settings.read(REF, outs).id is None
    assert keys.read(REF, key_outs).id is None


@pytest.mark.parametrize(
    "fault",
    [{"delay": 0.6}, {"status": 503, "apply": True}],
    ids=["timed-out-after-applying", "5xx-after-applying"],
)
def test_a_replayed_delete_that_finds_nothing_has_succeeded(
    fault: dict[str, Any], settings: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    outs = settings.create(all_props()).outs
    assert outs is not None
    api.clear()
    api.fault("DELETE", "/billing/addons/pitr_7", **fault)

    updated = settings.update(REF, outs, all_props(pitr={"pitr_enabled": False})).outs

    assert updated is not None and "applyError" not in updated
    assert api.lines() == [f"DELETE {P}/billing/addons/pitr_7"] * 2
    assert api.state["addons"] == []


def test_a_restoring_destroy_replays_its_delete_and_succeeds(
    settings: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    found = snapshot(api)
    outs = settings.create(all_props(restoreOnDelete=True)).outs
    assert outs is not None
    api.fault("DELETE", "/billing/addons/pitr_7", delay=0.6)

    settings.delete(REF, outs)

    assert snapshot(api) == found


def test_destroy_after_the_project_was_deleted_succeeds_with_nothing_to_restore(
    settings: SupabaseSettingsProvider,
    api: SupabaseApiServer,
    logs: list[tuple[str, str]],
) -> None:
    outs = settings.create(all_props(restoreOnDelete=True)).outs
    assert outs is not None
    api.ref = "zzzzzzzzzzzzzzzzzzzz"
    api.clear()

    settings.delete(REF, outs)

    assert api.lines() == [f"GET {P}/ssl-enforcement", f"GET {P}"]
    assert logs[-1] == ("info", f"supabase project {REF} no longer exists: nothing to restore")


# -- deadlines: per call (the whole answer) and per operation ----------------------------------


def test_a_trickled_answer_is_cut_at_the_calls_deadline(
    api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    provider = SupabaseSettingsProvider(
        api.base_url, read_timeout=0.3, max_attempts=2, sleep=sleeps
    )
    api.fault("GET", "/ssl-enforcement", trickle=0.05, times=2)

    with pytest.raises(SupabaseApiError) as err:
        provider.create(prod_props())

    assert f"GET /projects/{REF}/ssl-enforcement failed after 2 attempts, last: timed out " in (
        str(err.value)
    )
    for sent, total in api.wait_for_trickles(2):
        assert sent < total / 2, "the answer was read past the deadline"


def test_retries_stop_at_the_operations_deadline(api: SupabaseApiServer, sleeps: Sleeps) -> None:
    provider = SupabaseSettingsProvider(
        api.base_url, read_timeout=0.3, max_attempts=50, backoff_seconds=0.01, sleep=sleeps
    )
    provider.operation_timeout = 1.0
    api.fault("GET", "/ssl-enforcement", trickle=0.05, times=50)

    with pytest.raises(SupabaseApiError) as err:
        provider.create(prod_props())

    attempts = api.lines().count(f"GET {P}/ssl-enforcement")
    assert 1 < attempts < 50
    assert f"gave up after {attempts} attempt(s) at the 1 s deadline of the operation" in str(
        err.value
    )


# -- the Postgres config: read, merge, write --------------------------------------------------


def test_the_postgres_config_put_carries_the_live_overrides(
    settings: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    api.state["postgres"]["session_replication_role"] = "replica"
    live = dict(api.state["postgres"])
    props = {
        "projectRef": REF,
        "accessToken": TOKEN,
        "restoreOnDelete": True,
        "database": {"max_connections": 100.0},
    }

    outs = settings.create(props).outs
    assert outs is not None

    assert bodies(api) == [
        (f"PUT {P}/config/database/postgres", {**live, "max_connections": 100}),
    ]
    assert api.state["postgres"] == {**live, "max_connections": 100}
    api.clear()
    api.state["postgres"]["work_mem"] = "8MB"  # set by someone else since

    settings.delete(REF, outs)

    assert bodies(api) == [
        (f"PUT {P}/config/database/postgres", {**live, "work_mem": "8MB"}),
    ]
    assert api.state["postgres"] == {**live, "work_mem": "8MB"}


def test_restoring_an_override_that_was_not_set_removes_it(
    settings: SupabaseSettingsProvider, api: SupabaseApiServer
) -> None:
    live = dict(api.state["postgres"])
    props = {
        "projectRef": REF,
        "accessToken": TOKEN,
        "restoreOnDelete": True,
        "database": {"max_wal_size": "2GB"},
    }
    outs = settings.create(props).outs
    assert outs is not None
    assert api.state["postgres"] == {**live, "max_wal_size": "2GB"}

    settings.delete(REF, outs)

    assert api.state["postgres"] == live


# -- canary tokens: never in an error, a log, stdout/stderr or the outputs --------------------


GOOD_AFTER_STRIPPING = [TOKEN + "\n", TOKEN + "\r\n", f"  {TOKEN}  ", f"\t{TOKEN}\n"]
NEVER_VALID = ["sbp_canary0with space0d6f1c", "sbp_canary0tab\there0d6f1c", "sbp_canary\n0split"]


def everything_printed(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    logs: list[tuple[str, str]],
) -> str:
    captured = capsys.readouterr()
    return (
        captured.out
        + captured.err
        + caplog.text
        + "".join(m for _, m in logs)
        + "".join(r.getMessage() for r in caplog.records)
    )


def pieces(token: str) -> list[str]:
    """The token and every whitespace-separated part of it long enough to identify it."""
    return [token, token.strip(), *[p for p in token.split() if len(p) >= 8]]


@pytest.mark.parametrize("token", GOOD_AFTER_STRIPPING, ids=repr)
def test_a_token_with_surrounding_whitespace_is_used_stripped_and_never_shown(
    token: str,
    settings: SupabaseSettingsProvider,
    api: SupabaseApiServer,
    logs: list[tuple[str, str]],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    api.fault("PATCH", "/config/auth", 400, body={"message": f"bad token {token} here"})
    props = all_props(accessToken=token)

    with pytest.raises(SupabaseApiError) as err:  # the first write is refused: raised
        settings.create({"projectRef": REF, "accessToken": token, "auth": {"jwt_exp": 1800.0}})
    outs = settings.create(props).outs
    assert outs is not None

    assert "(bad token [redacted] here)" in str(err.value)
    assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {TOKEN}"}
    shown = "".join(traceback.format_exception(err.value))
    shown += repr({k: v for k, v in outs.items() if k != "accessToken"})
    shown += everything_printed(capsys, caplog, logs)
    for piece in pieces(token):
        assert piece not in shown


@pytest.mark.parametrize("token", NEVER_VALID, ids=repr)
def test_a_token_with_inner_whitespace_is_refused_without_being_shown(
    token: str,
    settings: SupabaseSettingsProvider,
    keys: SupabaseKeysProvider,
    api: SupabaseApiServer,
    logs: list[tuple[str, str]],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    shown = ""
    for call in (
        lambda: settings.create(all_props(accessToken=token)),
        lambda: settings.read(REF, all_props(accessToken=token)),
        lambda: settings.delete(REF, all_props(accessToken=token, restoreOnDelete=True)),
        lambda: keys.create({"projectRef": REF, "accessToken": token}),
    ):
        with pytest.raises(SupabaseApiError) as err:
            call()
        assert "holds spaces or control characters" in str(err.value)
        shown += "".join(traceback.format_exception(err.value))

    assert api.requests == []
    shown += everything_printed(capsys, caplog, logs)
    for piece in pieces(token):
        assert piece not in shown


def test_the_fault_documentation_lists_every_endpoint_the_tests_fault() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "supabase-provider.md").read_text()

    for endpoint in [*ENDPOINTS, Endpoint("GET", "", keys_create, None)]:
        assert f"`{endpoint.template.replace('pitr_7', '{variant}')}`" in doc, str(endpoint)
