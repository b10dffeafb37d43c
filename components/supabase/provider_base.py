"""What both Supabase providers share: HTTP settings, the token look-up, the diff result."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.dynamic import ConfigureRequest, DiffResult, ResourceProvider
from pulumi.runtime.rpc import UNKNOWN

from components.supabase.api import (
    DEFAULT_BASE_URL,
    DEFAULT_OPERATION_TIMEOUT,
    TOKEN_CONFIG_KEY,
    ApiSession,
    SupabaseApiError,
)

_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")


class SupabaseProviderBase(ResourceProvider):
    """What both providers share: HTTP settings, the token look-up and the retry policy.

    Only plain settings live on the instance, because Pulumi pickles it into the state. The token
    read by ``configure`` is set in the provider process after unpickling, never before.
    """

    serialize_as_secret_always = True
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT
    """Seconds one provider operation (all its calls, retries and waits) may take. A class
    attribute, not set in ``__init__``, so that the pickles in deployed state stay as recorded;
    set it on an instance to change it."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_attempts: int = 4,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        max_retry_after: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        base_url = base_url.rstrip("/")
        local = re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/|$)", base_url)
        if not base_url.startswith("https://") and not local:
            raise ValueError(
                f"Supabase API base URL {base_url!r} must use https:// (plain http is allowed "
                "for 127.0.0.1 only, in tests)"
            )
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.max_retry_after = max_retry_after
        self.sleep = sleep

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), capped."""
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1)))

    def configure(self, req: ConfigureRequest) -> None:
        token = req.config.get(TOKEN_CONFIG_KEY)
        if isinstance(token, str) and token:
            self.__dict__["_configured_token"] = token

    def _token(self, props: Mapping[str, Any]) -> str:
        token = props.get("accessToken")
        source = "the accessToken input"
        if not (isinstance(token, str) and token.strip() and token != UNKNOWN):
            token = self.__dict__.get("_configured_token")
            source = TOKEN_CONFIG_KEY
        if not (isinstance(token, str) and token.strip()):
            raise SupabaseApiError(
                "no Supabase access token: set it with "
                f"`pulumi config set --secret {TOKEN_CONFIG_KEY} <token>`"
            )
        # A token pasted with a trailing newline or spaces is the common case: strip them. Any
        # other whitespace or control character would make ``requests`` refuse the header with an
        # error that quotes it, so it is refused here, without the value.
        token = token.strip()
        if not _TOKEN_CHARS.match(token):
            raise SupabaseApiError(
                f"the Supabase access token in {source} holds spaces or control characters: "
                f"set it again with `pulumi config set --secret {TOKEN_CONFIG_KEY} <token>`"
            )
        return token

    def _api(self, props: Mapping[str, Any], ref: str = "") -> ApiSession:
        return ApiSession(self, self._token(props), ref)

    @staticmethod
    def project_gone(api: ApiSession, ref: str) -> bool:
        """Whether the project itself is gone: only ``GET /projects/{ref}`` answering 404 says so.

        A 404 from a sub-endpoint (an add-on, a config) never means the project is gone.
        """
        try:
            api.request("GET", f"/projects/{ref}")
        except SupabaseApiError as err:
            if err.status == 404:
                return True
            raise
        return False


class SettingsDiffResult(DiffResult):
    """A ``DiffResult`` that also lists the changed ``section.key`` paths (never values)."""

    def __init__(self, changed_paths: list[str], replaces: list[str]) -> None:
        super().__init__(
            changes=bool(changed_paths), replaces=replaces, delete_before_replace=False
        )
        self.changed_paths = changed_paths
