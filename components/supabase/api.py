"""The HTTP client of the Supabase Management API: one session, bounded retries, safe errors.

Errors are one-line ``SupabaseApiError`` messages that say what to do and never hold the token;
429 (honouring ``Retry-After``), 5xx, timeouts and connection errors are retried with bounded
exponential backoff.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import requests

DEFAULT_BASE_URL = "https://api.supabase.com/v1"
# The name of the secret config key that holds the token (not a secret itself).
TOKEN_CONFIG_KEY = "controlplane:supabaseAccessToken"  # noqa: S105  # nosec B105
_RETRYABLE = {429, 500, 502, 503, 504}


class SupabaseApiError(Exception):
    """One-line error from the Management API, safe to show: it never holds a credential."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SupabasePartialApplyError(SupabaseApiError):
    """An apply stopped part-way; the message names the sections applied and not applied."""


class RetryPolicy(Protocol):
    """Where the session reads its URL, timeouts and retry policy (the provider's settings)."""

    base_url: str
    connect_timeout: float
    read_timeout: float
    max_attempts: int
    max_retry_after: float
    sleep: Callable[[float], None]

    def backoff(self, attempt: int) -> float: ...


class ApiSession:
    """One session against the Management API for one provider operation (never pickled)."""

    def __init__(self, provider: RetryPolicy, token: str) -> None:
        self._p = provider
        self._token = token
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy/netrc surprises: the token goes only to us
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": "controlplane-infra-supabase-provider",
            }
        )

    def close(self) -> None:
        self._session.close()

    def _clean(self, text: str) -> str:
        text = " ".join(str(text).split())
        if self._token:
            text = text.replace(self._token, "[redacted]")
        return text[:200]

    def _api_message(self, response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            for key in ("message", "error", "msg"):
                if isinstance(body.get(key), str):
                    return self._clean(body[key])
        return ""

    def _retry_after(self, response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if value is None:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request with bounded retries; return the decoded JSON body (or None)."""
        p = self._p
        what = f"{method} {path}"
        url = p.base_url + path
        last_problem = ""
        for attempt in range(1, p.max_attempts + 1):
            try:
                response = self._session.request(
                    method,
                    url,
                    json=body,
                    timeout=(p.connect_timeout, p.read_timeout),
                    allow_redirects=False,
                )
            except requests.Timeout:
                last_problem = f"timed out after {p.read_timeout:g} s"
                wait = p.backoff(attempt)
            except requests.ConnectionError:
                last_problem = "could not connect"
                wait = p.backoff(attempt)
            else:
                status = response.status_code
                if 200 <= status < 300:
                    if not response.content:
                        return None
                    try:
                        return response.json()
                    except ValueError:
                        raise SupabaseApiError(
                            f"Supabase {what} returned {status} with a body that is not JSON"
                        ) from None
                if status not in _RETRYABLE:
                    raise SupabaseApiError(self._explain(status, what, response), status) from None
                last_problem = f"HTTP {status}"
                message = self._api_message(response)
                if message:
                    last_problem += f" ({message})"
                wait = p.backoff(attempt)
                if status == 429:
                    asked = self._retry_after(response)
                    if asked is not None:
                        if asked > p.max_retry_after:
                            raise SupabaseApiError(
                                f"Supabase rate limit (429) on {what}: the API asks to retry "
                                f"after {asked:g} s, longer than the {p.max_retry_after:g} s "
                                "this provider waits; re-run later"
                            ) from None
                        wait = asked
            if attempt < p.max_attempts:
                p.sleep(wait)
        raise SupabaseApiError(
            f"Supabase {what} failed after {p.max_attempts} attempts, last: {last_problem}; "
            "the API is unavailable or throttling, re-run later"
        ) from None

    def _explain(self, status: int, what: str, response: requests.Response) -> str:
        detail = self._api_message(response)
        suffix = f" ({detail})" if detail else ""
        if status == 401:
            return (
                f"Supabase rejected the access token (401) on {what}: set a valid personal "
                f"access token with `pulumi config set --secret {TOKEN_CONFIG_KEY} <token>`"
            )
        if status == 403:
            return (
                f"Supabase access token lacks permission (403) for {what}: use a token of an "
                "owner or admin of the project's organization"
            )
        if status == 404:
            return (
                f"Supabase project not found (404) on {what}: check supabase.projectRef in the "
                "stack config"
            )
        if status == 409:
            return (
                f"Supabase reports a conflict (409) on {what}{suffix}: another change is in "
                "progress on the project; re-run when it has finished"
            )
        if 300 <= status < 400:
            return f"Supabase {what} answered with a redirect ({status}); check the API base URL"
        return f"Supabase rejected {what} ({status}){suffix}: fix the value in the stack config"
