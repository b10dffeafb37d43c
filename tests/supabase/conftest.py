"""Fixtures for the Supabase provider tests: a loopback Management API and recorders.

The constants and builders they use live in ``tests/support/supabase.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest

from components.supabase_provider import SupabaseKeysProvider, SupabaseSettingsProvider
from tests.support.supabase import JWT_SECRET, REF, SERVICE_ROLE_KEY, TOKEN, Sleeps
from tests.support.supabase_server import SupabaseApiServer


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
