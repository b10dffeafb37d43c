"""The HTTP client of the Supabase Management API: one session, bounded retries, safe errors.

Errors are one-line ``SupabaseApiError`` messages that say what to do, name the endpoint
(method and path, never the query string) and never hold the token; 429 (honouring
``Retry-After``), 5xx, timeouts and connection errors are retried with bounded exponential
backoff.

Deadlines: ``requests``' ``timeout`` bounds each socket read, not the answer, so an answer sent a
byte at a time never times out. Here every attempt, from connecting to the last byte of the
answer, must finish within ``read_timeout`` (connecting alone within ``connect_timeout``), and a
whole provider operation (one ``ApiSession``: every call, retry and wait of one create, read,
update or delete) within ``operation_timeout``. Both are enforced below the HTTP parser: the
socket of each connection checks the deadline before every read and write and never waits past
it.
"""

from __future__ import annotations

import contextvars
import email.utils
import io
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection

DEFAULT_BASE_URL = "https://api.supabase.com/v1"
# The name of the secret config key that holds the token (not a secret itself).
TOKEN_CONFIG_KEY = "controlplane:supabaseAccessToken"  # noqa: S105  # nosec B105
DEFAULT_OPERATION_TIMEOUT = 900.0
_RETRYABLE = {429, 500, 502, 503, 504}


class SupabaseApiError(Exception):
    """One-line error from the Management API, safe to show: it never holds a credential.

    ``endpoint`` is the method and path template of the call that failed, e.g.
    ``PATCH /projects/{ref}/config/auth`` (``None`` when no call was involved).
    """

    def __init__(self, message: str, status: int | None = None, endpoint: str | None = None):
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint


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


def template(path: str, ref: str) -> str:
    """``path`` with the project ref as ``{ref}`` and the query string left out."""
    return path.split("?", 1)[0].replace(f"/projects/{ref}", "/projects/{ref}")


# -- deadlines below the HTTP parser ----------------------------------------------------------

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "supabase_call_deadline", default=None
)


class _DeadlineSocket:
    """A connected socket that never waits past the current call's deadline.

    ``http.client`` reads status line, headers and body through ``makefile("rb")``; every read
    and write here first sets the socket timeout to what is left of the deadline (and never
    more than the timeout urllib3 asked for), and fails at once when nothing is left.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout = sock.gettimeout()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _arm(self) -> None:
        deadline = _DEADLINE.get()
        if deadline is None:
            self._sock.settimeout(self._timeout)
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self._sock.settimeout(left if self._timeout is None else min(self._timeout, left))

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self._arm()
        return self._sock.recv(bufsize, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._arm()
        self._sock.sendall(data, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        self._arm()
        return self._sock.send(data, flags)

    def makefile(self, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if mode in ("rb", "br"):
            return io.BufferedReader(_DeadlineReader(self))
        sock: Any = self._sock
        return sock.makefile(mode, *args, **kwargs)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: _DeadlineSocket) -> None:
        super().__init__()
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._sock.recv_into(buffer)


class _HTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _HTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


# -- the session --------------------------------------------------------------------------------


class ApiSession:
    """One session against the Management API for one provider operation (never pickled)."""

    def __init__(self, provider: RetryPolicy, token: str, ref: str = "") -> None:
        self._p = provider
        self._token = token
        self._ref = ref
        self._operation_timeout = float(
            getattr(provider, "operation_timeout", DEFAULT_OPERATION_TIMEOUT)
        )
        self._operation_deadline = time.monotonic() + self._operation_timeout
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy/netrc surprises: the token goes only to us
        adapter = _DeadlineAdapter(max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
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
        text = str(text)
        if self._token:
            text = text.replace(self._token, "[redacted]")
        text = " ".join(text.split())
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

    def endpoint(self, method: str, path: str) -> str:
        """``METHOD /path/template`` of a call: what errors name."""
        return f"{method} {template(path, self._ref)}"

    def request(self, method: str, path: str, body: Any = None, *, missing_ok: bool = False) -> Any:
        """Send one request with bounded retries; return the decoded JSON body (or None).

        ``missing_ok``: a 404 is success (a DELETE retried after it was applied finds nothing).
        """
        p = self._p
        what = f"{method} {path}"
        endpoint = self.endpoint(method, path)
        url = p.base_url + path
        last_problem = ""
        attempts = 0
        for attempt in range(1, p.max_attempts + 1):
            start = time.monotonic()
            left = self._operation_deadline - start
            if left <= 0:
                break
            attempts = attempt
            call_deadline = start + min(p.read_timeout, left)
            token = _DEADLINE.set(call_deadline)
            try:
                response = self._session.request(
                    method,
                    url,
                    json=body,
                    timeout=(min(p.connect_timeout, left), min(p.read_timeout, left)),
                    allow_redirects=False,
                )
            except requests.RequestException as err:
                if time.monotonic() >= call_deadline or isinstance(err, requests.Timeout):
                    last_problem = f"timed out after {min(p.read_timeout, left):g} s"
                elif isinstance(
                    err, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
                ):
                    last_problem = "could not connect or the connection broke"
                else:  # never show str(err): it can quote a header
                    raise SupabaseApiError(
                        f"Supabase {what} could not be sent ({type(err).__name__})",
                        endpoint=endpoint,
                    ) from None
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
                            f"Supabase {what} returned {status} with a body that is not JSON",
                            status,
                            endpoint,
                        ) from None
                if status == 404 and missing_ok:
                    return None
                if status not in _RETRYABLE:
                    raise SupabaseApiError(
                        self._explain(status, what, response), status, endpoint
                    ) from None
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
                                "this provider waits; re-run later",
                                429,
                                endpoint,
                            ) from None
                        wait = asked
            finally:
                _DEADLINE.reset(token)
            if attempt < p.max_attempts:
                if time.monotonic() + wait >= self._operation_deadline:
                    break
                p.sleep(wait)
        if attempts < p.max_attempts:
            raise SupabaseApiError(
                f"Supabase {what} gave up after {attempts} attempt(s) at the "
                f"{self._operation_timeout:g} s deadline of the operation, last: "
                f"{last_problem or 'no attempt left'}; the API is slow or unavailable, re-run "
                "later",
                endpoint=endpoint,
            )
        raise SupabaseApiError(
            f"Supabase {what} failed after {p.max_attempts} attempts, last: {last_problem}; "
            "the API is unavailable or throttling, re-run later",
            endpoint=endpoint,
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


def unexpected(api: ApiSession, method: str, path: str, expected: str) -> SupabaseApiError:
    """The error for a 2xx answer whose JSON is not of the shape the provider reads."""
    return SupabaseApiError(
        f"Supabase {method} {path.split('?', 1)[0]} answered with JSON of an unexpected shape "
        f"({expected}); the Management API may have changed, re-run later or report it",
        endpoint=api.endpoint(method, path),
    )
