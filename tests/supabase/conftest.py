"""Fixtures for the Supabase provider tests: a loopback Management API and canary secrets.

The canaries are values no code should ever print: tests assert they appear in no error message,
no log call and no pickled provider.
"""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest

from components.supabase_provider import SupabaseKeysProvider, SupabaseSettingsProvider
from tests.supabase.server import SupabaseApiServer

REF = "abcdefghijklmnopqrst"
TOKEN = "sbp_canary0token0d6f1c9e8b7a"
SERVICE_ROLE_KEY = "canary-service-role-key-5b2e9c"
JWT_SECRET = "canary-jwt-secret-91d4aa7f"
CANARIES = (TOKEN, SERVICE_ROLE_KEY, JWT_SECRET)


class Sleeps:
    """Records the waits the provider asks for instead of waiting (no timed tests)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def api() -> Iterator[SupabaseApiServer]:
    """A fresh loopback Management API with one project, ``REF``."""
    server = SupabaseApiServer(
        token=TOKEN, ref=REF, service_role_key=SERVICE_ROLE_KEY, jwt_secret=JWT_SECRET
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def settings_provider(api: SupabaseApiServer, sleeps: Sleeps) -> SupabaseSettingsProvider:
    return SupabaseSettingsProvider(
        api.base_url, connect_timeout=2.0, read_timeout=2.0, max_attempts=3, sleep=sleeps
    )


@pytest.fixture
def keys_provider(api: SupabaseApiServer, sleeps: Sleeps) -> SupabaseKeysProvider:
    return SupabaseKeysProvider(api.base_url, max_attempts=3, sleep=sleeps)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every pulumi.log call the code makes, as (level, message)."""
    calls: list[tuple[str, str]] = []
    for level in ("debug", "info", "warn", "error"):

        def record(msg: str, *args: object, _level: str = level, **kwargs: object) -> None:
            calls.append((_level, msg))

        monkeypatch.setattr(pulumi.log, level, record)
    return calls
