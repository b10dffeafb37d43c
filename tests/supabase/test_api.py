"""The Management API client, driven through the settings provider against the loopback API.

Errors say what to do in one line, retries are bounded, and no token or key ever shows in an
error, a traceback, a log line or the pickled provider.
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

from components.supabase.api import TOKEN_CONFIG_KEY, SupabaseApiError
from components.supabase_provider import SupabaseSettingsProvider
from tests.support.supabase import (
    CANARIES,
    REF,
    TOKEN,
    P,
    Sleeps,
    created,
    prod_props,
)
from tests.support.supabase_server import SupabaseApiServer

# -- failures -------------------------------------------------------------------------------------


NOT_APPLIED_ALL = "sslEnforcement, network, api, auth, pitr"


def create_error(
    provider: SupabaseSettingsProvider, kind: type[SupabaseApiError] = SupabaseApiError
) -> str:
    """Create the prod settings, which must fail with ``kind``; return the error message."""
    with pytest.raises(kind) as err:
        provider.create(prod_props())
    return str(err.value)


def stopped_at_first_section(cause: str) -> str:
    """The message of a create that failed on its first section, having applied nothing."""
    return partial("sslEnforcement", cause, "none", NOT_APPLIED_ALL)


def partial(section: str, cause: str, applied: str, not_applied: str, verb: str = "create") -> str:
    return (
        f"supabase settings {verb} on project {REF} stopped at section {section}: {cause}. "
        f"Applied: {applied}; not applied: {not_applied}. Re-run `pulumi up` to finish "
        "(applied sections are re-read, not re-written)."
    )


@pytest.mark.parametrize(
    ("server", "cause"),
    [
        pytest.param(
            {"token": "sbp_some0other0token"},
            f"Supabase rejected the access token (401) on GET /projects/{REF}/ssl-enforcement: "
            "set a valid personal access token with "
            "`pulumi config set --secret controlplane:supabaseAccessToken <token>`",
            id="401-says-to-set-a-valid-token",
        ),
        pytest.param(
            {"token": "sbp_other", "forbidden_tokens": {TOKEN}},
            f"Supabase access token lacks permission (403) for GET /projects/{REF}/ssl-enforcement:"
            " use a token of an owner or admin of the project's organization",
            id="403-says-the-token-lacks-permission",
        ),
        pytest.param(
            {"ref": "zzzzzzzzzzzzzzzzzzzz"},
            f"Supabase project not found (404) on GET /projects/{REF}/ssl-enforcement: check "
            "supabase.projectRef in the stack config",
            id="404-names-the-project-ref-to-check",
        ),
    ],
)
def test_a_refused_first_request_says_what_to_do(
    settings_provider: SupabaseSettingsProvider,
    api: SupabaseApiServer,
    server: dict[str, Any],
    cause: str,
) -> None:
    for attribute, value in server.items():
        assert hasattr(api, attribute), attribute
        setattr(api, attribute, value)

    message = create_error(settings_provider)

    assert message == stopped_at_first_section(cause)
    assert api.lines() == [f"GET {P}/ssl-enforcement"]


def test_409_mid_apply_names_the_sections_applied_and_not_applied(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    api.fault("PATCH", "/config/auth", 409, body={"message": "Project is restarting"})

    # Sections were written before: the create keeps its outputs (and so the values to
    # restore) and carries the error, which the resource raises in the program.
    outs = settings_provider.create(prod_props()).outs
    assert outs is not None
    message = outs["applyError"]

    assert outs["pendingSections"] == ["auth", "pitr"]
    assert message == partial(
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
        f"GET {P}/network-restrictions",
    ]


def test_429_asking_for_longer_than_the_provider_waits_fails_at_once(
    settings_provider: SupabaseSettingsProvider, api: SupabaseApiServer, sleeps: Sleeps
) -> None:
    api.fault("GET", "/ssl-enforcement", 429, headers={"Retry-After": "3600"})

    message = create_error(settings_provider)

    assert message == stopped_at_first_section(
        f"Supabase rate limit (429) on GET /projects/{REF}/ssl-enforcement: the API asks to "
        "retry after 3600 s, longer than the 120 s this provider waits; re-run later",
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

    updated = settings_provider.update(REF, outs, news).outs
    assert updated is not None

    assert updated["pendingSections"] == ["auth"]
    assert updated["applyError"] == partial(
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

    outs = provider.create(prod_props()).outs
    assert outs is not None
    message = outs["applyError"]

    assert message == partial(
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
    ("GET", {"path": "/billing/addons", "status": 429, "headers": {"Retry-After": "900"}}),
]
# After a first write the create returns its outputs with the error instead of raising.
FAILURES_AFTER_A_WRITE: list[tuple[str, dict[str, Any]]] = [
    ("PATCH", {"path": "/config/auth", "status": 409, "body": {"message": f"bad {TOKEN}"}}),
    ("PATCH", {"path": "/postgrest", "status": 500, "times": 9}),
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


@pytest.mark.parametrize(("method", "fault"), FAILURES_AFTER_A_WRITE)
def test_no_token_key_or_secret_in_the_error_a_partial_apply_keeps_or_in_logs(
    settings_provider: SupabaseSettingsProvider,
    api: SupabaseApiServer,
    logs: list[tuple[str, str]],
    method: str,
    fault: dict[str, Any],
) -> None:
    fault = copy.deepcopy(fault)
    api.fault(method, fault.pop("path"), fault.pop("status"), **fault)

    outs = settings_provider.create(prod_props()).outs
    assert outs is not None

    assert outs["applyError"].startswith(f"supabase settings create on project {REF} stopped")
    text = repr({k: v for k, v in outs.items() if k != "accessToken"})
    text += "".join(msg for _, msg in logs)
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
