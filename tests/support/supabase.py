"""Shared builders of the Supabase provider tests: canary secrets, inputs, request views.

The canaries are values no code should ever print: tests assert they appear in no error message,
no log call and no pickled provider.
"""

from __future__ import annotations

from typing import Any

from components.supabase_provider import SupabaseSettingsProvider
from tests.support.supabase_server import SupabaseApiServer

REF = "abcdefghijklmnopqrst"
TOKEN = "sbp_canary0token0d6f1c9e8b7a"
SERVICE_ROLE_KEY = "canary-service-role-key-5b2e9c"
JWT_SECRET = "canary-jwt-secret-91d4aa7f"
CANARIES = (TOKEN, SERVICE_ROLE_KEY, JWT_SECRET)
P = f"/v1/projects/{REF}"

HARDENED_AUTH: dict[str, Any] = {
    "disable_signup": False,
    "mfa_totp_enroll_enabled": True,
    "mfa_totp_verify_enabled": True,
    "mfa_max_enrolled_factors": 10,
    "password_min_length": 12,
    "password_hibp_enabled": False,
    "refresh_token_rotation_enabled": True,
}
"""The auth settings every example stack sends as the program's hardened defaults (§6): MFA
enrolment and verification on, long passwords, rotating refresh tokens."""


class Sleeps:
    """Records the waits the provider asks for instead of waiting (no timed tests)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


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
