"""Supabase project settings and keys as Pulumi dynamic resources (Management API v1).

No maintained Supabase provider exists on PyPI, so the program carries its own. The inputs are
grouped in the sections of Supabase's Terraform ``supabase_settings`` resource, with the
Management API's own key names inside each section, so that moving to that provider later is a
rename:

==================  ==========================================================================
section             endpoint (``{ref}`` is the 20-letter project ref)
==================  ==========================================================================
``sslEnforcement``  ``GET|PUT /projects/{ref}/ssl-enforcement`` (``requestedConfig.database``)
``network``         ``GET /projects/{ref}/network-restrictions``,
                    ``POST /projects/{ref}/network-restrictions/apply``; ``restrictions`` holds
                    IPv4 and IPv6 CIDRs together, as in Terraform, and is split on the wire
``database``        ``GET|PUT /projects/{ref}/config/database/postgres``
``pooler``          ``GET|PATCH /projects/{ref}/config/database/pooler`` (primary database)
``api``             ``GET|PATCH /projects/{ref}/postgrest`` (PostgREST)
``auth``            ``GET|PATCH /projects/{ref}/config/auth``
``pitr``            ``GET|PATCH /projects/{ref}/billing/addons`` with ``addon_type: pitr``,
                    ``DELETE /projects/{ref}/billing/addons/{addon_variant}``; keys
                    ``pitr_enabled`` (as in ``GET /projects/{ref}/database/backups``) and
                    ``addon_variant`` (``pitr_7``, ``pitr_14``, ``pitr_28``)
==================  ==========================================================================

``SupabaseProjectKeys`` reads the service-role key (``GET /projects/{ref}/api-keys?reveal=true``)
and the JWT secret (``GET /projects/{ref}/postgrest``) so they can be stored in Secret Manager.

Semantics (what ``pulumi up/refresh/destroy`` do):

- create reads each managed section first and writes only the keys whose live value differs
  (SSL and Postgres changes restart the database, so no-op writes are avoided); it records the
  values it found (``previousValues``).
- diff reports every changed ``section.key`` path (``SettingsDiffResult.changed_paths``); a new
  ``projectRef`` means replacement; a rotated ``accessToken`` is an update without API writes.
- update writes only the changed keys; a section dropped from the inputs is no longer managed
  and is left as it is.
- read (refresh and import; the id is the project ref) reads the managed keys, or every known key
  on import, and reports drift as ``driftedFields`` plus one warning naming the paths (never the
  values); a project that no longer exists reads as gone.
- delete never deletes the project and by default writes nothing. With ``restoreOnDelete`` it puts
  back ``previousValues`` for the keys this resource set, and only where the live value is still
  the one it set: it never touches a key it did not set, nor one changed since by someone else.

Errors: 401/403/404/409 and other 4xx become one-line ``SupabaseApiError`` messages that say what
to do; 429 (honouring ``Retry-After``), 5xx, timeouts and connection errors are retried with
bounded exponential backoff; a failure part-way through an apply raises
``SupabasePartialApplyError`` naming the sections applied and not applied.

Secrets: the bearer token comes from the ``accessToken`` input (a Pulumi secret) or, when absent
(import), from the stack's secret config ``controlplane:supabaseAccessToken`` handed to
``configure``. It is never stored on the provider object that Pulumi pickles, never logged and
never part of an error message. Keys that carry credentials (``*_secret``, ``*_pass``...) are
refused as inputs.

The module imports only the standard library, ``requests`` and ``pulumi`` so that the dynamic
provider process, which unpickles the provider by reference to this module, can load it.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import pulumi
import requests
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

DEFAULT_BASE_URL = "https://api.supabase.com/v1"
# The name of the secret config key that holds the token (not a secret itself).
TOKEN_CONFIG_KEY = "controlplane:supabaseAccessToken"  # noqa: S105  # nosec B105
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # Pulumi's unknown-value sentinel (preview)

PITR_VARIANTS = ("pitr_7", "pitr_14", "pitr_28")
SECTION_ORDER = ("sslEnforcement", "network", "database", "pooler", "api", "auth", "pitr")

# Value kinds per managed key. Names are the Management API's request-body keys.
_STR, _INT, _BOOL, _CIDRS, _VARIANT = "string", "integer", "boolean", "list of CIDRs", "variant"
SECTION_KEYS: dict[str, dict[str, str]] = {
    "sslEnforcement": {"database": _BOOL},
    "network": {"restrictions": _CIDRS},
    "database": {
        "effective_cache_size": _STR,
        "logical_decoding_work_mem": _STR,
        "maintenance_work_mem": _STR,
        "max_connections": _INT,
        "max_locks_per_transaction": _INT,
        "max_parallel_maintenance_workers": _INT,
        "max_parallel_workers": _INT,
        "max_parallel_workers_per_gather": _INT,
        "max_replication_slots": _INT,
        "max_slot_wal_keep_size": _STR,
        "max_standby_archive_delay": _STR,
        "max_standby_streaming_delay": _STR,
        "max_wal_size": _STR,
        "max_wal_senders": _INT,
        "max_worker_processes": _INT,
        "shared_buffers": _STR,
        "statement_timeout": _STR,
        "wal_keep_size": _STR,
        "wal_sender_timeout": _STR,
        "work_mem": _STR,
    },
    "pooler": {"default_pool_size": _INT},
    "api": {"db_schema": _STR, "db_extra_search_path": _STR, "max_rows": _INT, "db_pool": _INT},
    "auth": {
        "site_url": _STR,
        "uri_allow_list": _STR,
        "jwt_exp": _INT,
        "disable_signup": _BOOL,
        "external_email_enabled": _BOOL,
        "external_phone_enabled": _BOOL,
        "external_anonymous_users_enabled": _BOOL,
        "mailer_autoconfirm": _BOOL,
        "mailer_secure_email_change_enabled": _BOOL,
        "mailer_otp_exp": _INT,
        "password_min_length": _INT,
        "password_required_characters": _STR,
        "password_hibp_enabled": _BOOL,
        "mfa_max_enrolled_factors": _INT,
        "mfa_totp_enroll_enabled": _BOOL,
        "mfa_totp_verify_enabled": _BOOL,
        "mfa_phone_enroll_enabled": _BOOL,
        "mfa_phone_verify_enabled": _BOOL,
        "mfa_web_authn_enroll_enabled": _BOOL,
        "mfa_web_authn_verify_enabled": _BOOL,
        "refresh_token_rotation_enabled": _BOOL,
        "security_refresh_token_reuse_interval": _INT,
        "security_update_password_require_reauthentication": _BOOL,
        "security_manual_linking_enabled": _BOOL,
        "security_captcha_enabled": _BOOL,
        "security_captcha_provider": _STR,
        "sessions_timebox": _INT,
        "sessions_inactivity_timeout": _INT,
        "sessions_single_per_user": _BOOL,
        "rate_limit_email_sent": _INT,
        "rate_limit_token_refresh": _INT,
        "rate_limit_verify": _INT,
        "rate_limit_otp": _INT,
    },
    "pitr": {"pitr_enabled": _BOOL, "addon_variant": _VARIANT},
}
_NULLABLE = {("api", "db_pool"), ("pooler", "default_pool_size"), ("pitr", "addon_variant")}
_COMMA_LISTS = {("api", "db_schema"), ("api", "db_extra_search_path"), ("auth", "uri_allow_list")}
_CREDENTIAL_KEY = re.compile(r"(secret|secrets|pass|password|token|api_key|access_key)$")
_PROJECT_REF = re.compile(r"^[a-z]{20}$")
_RETRYABLE = {429, 500, 502, 503, 504}
_COMPUTED = ("previousValues", "driftedFields")


class SupabaseApiError(Exception):
    """One-line error from the Management API, safe to show: it never holds a credential."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SupabasePartialApplyError(SupabaseApiError):
    """An apply stopped part-way; the message names the sections applied and not applied."""


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


class _Api:
    """One session against the Management API for one provider operation (never pickled)."""

    def __init__(self, provider: _SupabaseProvider, token: str) -> None:
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


# --------------------------------------------------------------------------------------------
# Value helpers
# --------------------------------------------------------------------------------------------


def _is_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_is_unknown(v) for v in value)
    return False


def _plain(value: Any) -> Any:
    """Pulumi hands numbers over as floats: make integral floats ints again (the API wants ints)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _comparable(section: str, key: str, value: Any) -> Any:
    value = _plain(value)
    if (section, key) in _COMMA_LISTS and isinstance(value, str):
        return ",".join(part.strip() for part in value.split(",") if part.strip())
    if section == "network" and isinstance(value, list):
        return sorted(str(ipaddress.ip_network(v, strict=False)) for v in value)
    return value


def _same(section: str, key: str, a: Any, b: Any) -> bool:
    return bool(_comparable(section, key, a) == _comparable(section, key, b))


def _sections(props: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The managed sections of ``props`` in apply order (absent or null sections are unmanaged)."""
    return {
        name: dict(_plain(props[name]))
        for name in SECTION_ORDER
        if isinstance(props.get(name), dict)
    }


def _ref_of(props: Mapping[str, Any], id_: str | None = None) -> str:
    ref = props.get("projectRef") or id_ or ""
    if not isinstance(ref, str) or not _PROJECT_REF.match(ref):
        raise SupabaseApiError(
            f"projectRef {ref!r} is not a Supabase project ref: use the 20 lowercase letters "
            "from the dashboard URL"
        )
    return ref


# --------------------------------------------------------------------------------------------
# Section I/O against the API
# --------------------------------------------------------------------------------------------


def _read_section(api: _Api, ref: str, section: str) -> dict[str, Any]:
    """Live values of every known key of ``section`` (credentials are never picked)."""
    known = SECTION_KEYS[section]
    base = f"/projects/{ref}"
    if section == "sslEnforcement":
        body = api.request("GET", f"{base}/ssl-enforcement") or {}
        return {"database": bool((body.get("currentConfig") or {}).get("database"))}
    if section == "network":
        body = api.request("GET", f"{base}/network-restrictions") or {}
        config = body.get("config") or {}
        cidrs = list(config.get("dbAllowedCidrs") or []) + list(
            config.get("dbAllowedCidrsV6") or []
        )
        return {"restrictions": cidrs}
    if section == "pooler":
        body = api.request("GET", f"{base}/config/database/pooler") or []
        primary = next((p for p in body if p.get("database_type") == "PRIMARY"), None)
        if primary is None:
            raise SupabaseApiError(
                f"Supabase GET {base}/config/database/pooler listed no PRIMARY database pooler"
            )
        return {"default_pool_size": _plain(primary.get("default_pool_size"))}
    if section == "pitr":
        body = api.request("GET", f"{base}/billing/addons") or {}
        selected = [a for a in body.get("selected_addons") or [] if a.get("type") == "pitr"]
        variant = (selected[0].get("variant") or {}).get("id") if selected else None
        return {"pitr_enabled": variant is not None, "addon_variant": variant}
    path = {
        "database": f"{base}/config/database/postgres",
        "api": f"{base}/postgrest",
        "auth": f"{base}/config/auth",
    }[section]
    body = api.request("GET", path) or {}
    return {key: _plain(body.get(key)) for key in known}


def _write_section(
    api: _Api,
    ref: str,
    section: str,
    values: dict[str, Any],
    live: dict[str, Any],
    desired: dict[str, Any],
) -> None:
    """Write ``values`` (the keys to change) of ``section``.

    ``live`` is the last known state and ``desired`` the whole wanted section (PITR needs both
    of its keys to choose between adding and removing the add-on).
    """
    base = f"/projects/{ref}"
    if section == "sslEnforcement":
        body = api.request(
            "PUT",
            f"{base}/ssl-enforcement",
            {"requestedConfig": {"database": bool(values["database"])}},
        )
        if isinstance(body, dict) and body.get("appliedSuccessfully") is False:
            raise SupabaseApiError(
                f"Supabase PUT {base}/ssl-enforcement stored the change but did not apply it; "
                "check the project's health and re-run"
            )
        return
    if section == "network":
        v4: list[str] = []
        v6: list[str] = []
        for cidr in values["restrictions"]:
            net = ipaddress.ip_network(cidr, strict=False)
            (v4 if net.version == 4 else v6).append(str(net))
        api.request(
            "POST",
            f"{base}/network-restrictions/apply",
            {"dbAllowedCidrs": v4, "dbAllowedCidrsV6": v6},
        )
        return
    if section == "pitr":
        variant = desired.get("addon_variant")
        if not desired.get("pitr_enabled", variant is not None) or variant is None:
            current = live.get("addon_variant")
            if current:
                api.request("DELETE", f"{base}/billing/addons/{current}")
            return
        api.request(
            "PATCH", f"{base}/billing/addons", {"addon_type": "pitr", "addon_variant": variant}
        )
        return
    method, path = {
        "database": ("PUT", f"{base}/config/database/postgres"),
        "pooler": ("PATCH", f"{base}/config/database/pooler"),
        "api": ("PATCH", f"{base}/postgrest"),
        "auth": ("PATCH", f"{base}/config/auth"),
    }[section]
    api.request(method, path, dict(values))


def _changes(section: str, desired: Mapping[str, Any], current: Mapping[str, Any]) -> dict:
    """The keys of ``desired`` whose value differs from ``current`` (missing ones differ)."""
    return {
        key: value
        for key, value in desired.items()
        if key not in current or not _same(section, key, value, current[key])
    }


# --------------------------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------------------------


class _SupabaseProvider(ResourceProvider):
    """What both providers share: HTTP settings, the token look-up and the retry policy.

    Only plain settings live on the instance, because Pulumi pickles it into the state. The token
    read by ``configure`` is set in the provider process after unpickling, never before.
    """

    serialize_as_secret_always = True

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
        if isinstance(token, str) and token and token != UNKNOWN:
            return token
        configured = self.__dict__.get("_configured_token")
        if isinstance(configured, str) and configured:
            return configured
        raise SupabaseApiError(
            "no Supabase access token: set it with "
            f"`pulumi config set --secret {TOKEN_CONFIG_KEY} <token>`"
        )

    def _api(self, props: Mapping[str, Any]) -> _Api:
        return _Api(self, self._token(props))


class SettingsDiffResult(DiffResult):
    """A ``DiffResult`` that also lists the changed ``section.key`` paths (never values)."""

    def __init__(self, changed_paths: list[str], replaces: list[str]) -> None:
        super().__init__(
            changes=bool(changed_paths), replaces=replaces, delete_before_replace=False
        )
        self.changed_paths = changed_paths


def changed_paths(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Every input path that differs between ``olds`` and ``news``, in apply order; no values."""
    paths: list[str] = []
    for key in ("projectRef", "accessToken"):
        if _is_unknown(news.get(key)) or olds.get(key) != news.get(key):
            paths.append(key)
    if bool(olds.get("restoreOnDelete")) != bool(news.get("restoreOnDelete")):
        paths.append("restoreOnDelete")
    old_sections, new_sections = _sections(olds), _sections(news)
    for section in SECTION_ORDER:
        old = old_sections.get(section, {})
        new = new_sections.get(section, {})
        for key in sorted(set(old) | set(new)):
            missing = key not in old or key not in new
            if missing or _is_unknown(new[key]) or not _same(section, key, old[key], new[key]):
                paths.append(f"{section}.{key}")
    return paths


class SupabaseSettingsProvider(_SupabaseProvider):
    """CRUD for the settings sections of one Supabase project (id = project ref)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        inputs = {k: _plain(v) for k, v in news.items()}
        ref = inputs.get("projectRef")
        if not _is_unknown(ref) and (not isinstance(ref, str) or not _PROJECT_REF.match(ref)):
            failures.append(
                CheckFailure(
                    "projectRef",
                    f"projectRef {ref!r} is not a Supabase project ref: use the 20 lowercase "
                    "letters from the dashboard URL",
                )
            )
        if not inputs.get("accessToken") and not self.__dict__.get("_configured_token"):
            failures.append(
                CheckFailure(
                    "accessToken",
                    "no Supabase access token: set it with "
                    f"`pulumi config set --secret {TOKEN_CONFIG_KEY} <token>`",
                )
            )
        allowed_top = {"projectRef", "accessToken", "restoreOnDelete", "__provider"}
        allowed_top |= set(SECTION_ORDER) | set(_COMPUTED)
        for key in sorted(set(inputs) - allowed_top):
            failures.append(
                CheckFailure(
                    key,
                    f"{key} is not a settings section; use one of: {', '.join(SECTION_ORDER)}",
                )
            )
        for section in SECTION_ORDER:
            value = inputs.get(section)
            if value is None or _is_unknown(value):
                continue
            if not isinstance(value, dict):
                failures.append(CheckFailure(section, f"{section} must be a mapping of API keys"))
                continue
            failures.extend(_check_section(section, value))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> SettingsDiffResult:
        paths = changed_paths(olds, news)
        replaces = ["projectRef"] if "projectRef" in paths else []
        return SettingsDiffResult(paths, replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        ref = _ref_of(props)
        desired = _sections(props)
        api = self._api(props)
        applied: list[str] = []
        previous: dict[str, dict[str, Any]] = {}
        try:
            for section, values in desired.items():
                try:
                    live = _read_section(api, ref, section)
                    previous[section] = {k: live.get(k) for k in values}
                    changes = _changes(section, values, live)
                    if changes:
                        _write_section(api, ref, section, changes, live, values)
                except SupabaseApiError as err:
                    raise _partial("create", ref, applied, list(desired), section, err) from None
                applied.append(section)
        finally:
            api.close()
        pulumi.log.info(f"supabase settings applied to project {ref}: {', '.join(applied)}")
        return CreateResult(ref, self._outs(ref, props, desired, previous, []))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        ref = _ref_of(news, id_)
        desired = _sections(news)
        current = _sections(olds)
        old_previous = olds.get("previousValues") or {}
        previous: dict[str, dict[str, Any]] = {}
        api = self._api(news)
        applied: list[str] = []
        pending = [s for s in desired if _changes(s, desired[s], current.get(s, {}))]
        try:
            for section, values in desired.items():
                kept = dict(old_previous.get(section) or {})
                known = current.get(section, {})
                changes = _changes(section, values, known)
                new_keys = [k for k in values if k not in known]
                try:
                    live = dict(known)
                    if new_keys:
                        live = _read_section(api, ref, section)
                        kept.update({k: live.get(k) for k in new_keys})
                        changes = _changes(section, values, {**live, **known})
                    if changes:
                        _write_section(api, ref, section, changes, live, values)
                except SupabaseApiError as err:
                    raise _partial("update", ref, applied, pending, section, err) from None
                previous[section] = {k: v for k, v in kept.items() if k in values}
                if section in pending:
                    applied.append(section)
        finally:
            api.close()
        if applied:
            pulumi.log.info(f"supabase settings updated on project {ref}: {', '.join(applied)}")
        return UpdateResult(self._outs(ref, news, desired, previous, []))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ref = _ref_of(props, id_)
        managed = _sections(props)
        importing = not managed
        if importing:
            managed = {s: dict.fromkeys(SECTION_KEYS[s]) for s in SECTION_ORDER}
        api = self._api(props)
        live_sections: dict[str, dict[str, Any]] = {}
        drifted: list[str] = []
        try:
            for section, values in managed.items():
                try:
                    live = _read_section(api, ref, section)
                except SupabaseApiError as err:
                    if err.status == 404:
                        return ReadResult(None, {})
                    raise
                live_sections[section] = {k: live.get(k) for k in values}
                if not importing:
                    drifted += [
                        f"{section}.{k}"
                        for k in values
                        if not _same(section, k, values[k], live.get(k))
                    ]
        finally:
            api.close()
        if drifted:
            pulumi.log.warn(
                f"supabase settings of project {ref} drifted from the last apply: "
                f"{', '.join(drifted)}; `pulumi up` puts them back"
            )
        previous = props.get("previousValues") or {}
        outs = self._outs(ref, props, live_sections, previous, drifted)
        if importing:
            outs.pop("accessToken", None)
            inputs = {"projectRef": ref, **live_sections}
            return ReadResult(ref, outs, inputs)
        return ReadResult(ref, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        ref = _ref_of(props, id_)
        if not props.get("restoreOnDelete"):
            pulumi.log.info(
                f"supabase settings of project {ref} left as applied (restoreOnDelete is off); "
                "the project itself is never deleted"
            )
            return
        previous = props.get("previousValues") or {}
        ours = _sections(props)
        api = self._api(props)
        restored: list[str] = []
        skipped: list[str] = []
        try:
            for section, values in ours.items():
                before = {k: v for k, v in (previous.get(section) or {}).items() if k in values}
                if not before:
                    continue
                live = _read_section(api, ref, section)
                back = {}
                for key, old_value in before.items():
                    if not _same(section, key, values[key], live.get(key)):
                        skipped.append(f"{section}.{key}")
                    elif not _same(section, key, old_value, live.get(key)):
                        back[key] = old_value
                if back:
                    _write_section(api, ref, section, back, live, {**values, **before})
                    restored += [f"{section}.{k}" for k in back]
        finally:
            api.close()
        message = f"supabase settings of project {ref}: restored {', '.join(restored) or 'none'}"
        if skipped:
            message += f"; left alone (changed since this resource set them): {', '.join(skipped)}"
        pulumi.log.info(message)

    @staticmethod
    def _outs(
        ref: str,
        props: Mapping[str, Any],
        sections: Mapping[str, dict[str, Any]],
        previous: Mapping[str, Any],
        drifted: list[str],
    ) -> dict[str, Any]:
        outs: dict[str, Any] = {"projectRef": ref}
        if props.get("accessToken"):
            outs["accessToken"] = props["accessToken"]
        outs["restoreOnDelete"] = bool(props.get("restoreOnDelete"))
        outs.update({name: dict(values) for name, values in sections.items()})
        outs["previousValues"] = {k: dict(v) for k, v in previous.items() if k in sections}
        outs["driftedFields"] = list(drifted)
        return outs


def _check_section(section: str, values: Mapping[str, Any]) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    known = SECTION_KEYS[section]
    if section == "pitr" and values.get("pitr_enabled") is True and not values.get("addon_variant"):
        failures.append(
            CheckFailure(
                "pitr.addon_variant",
                f"pitr.addon_variant: required when pitr_enabled is true; one of "
                f"{', '.join(PITR_VARIANTS)}",
            )
        )
    for key, value in values.items():
        path = f"{section}.{key}"
        if key not in known:
            if _CREDENTIAL_KEY.search(key):
                reason = (
                    f"{path} is a credential: this resource never manages credentials, keep it "
                    "in Secret Manager"
                )
            else:
                reason = f"{path} is not managed here; known keys: {', '.join(sorted(known))}"
            failures.append(CheckFailure(path, reason))
            continue
        if _is_unknown(value):
            continue
        kind = known[key]
        if value is None:
            if (section, key) not in _NULLABLE:
                failures.append(CheckFailure(path, f"{path} must be a {kind}, or be left out"))
            continue
        ok = {
            _STR: isinstance(value, str),
            _INT: isinstance(value, int) and not isinstance(value, bool),
            _BOOL: isinstance(value, bool),
            _VARIANT: value in PITR_VARIANTS,
            _CIDRS: isinstance(value, list) and all(isinstance(v, str) for v in value),
        }[kind]
        if kind == _CIDRS and ok:
            for cidr in value:
                try:
                    ipaddress.ip_network(cidr, strict=False)
                except ValueError:
                    ok = False
                    failures.append(
                        CheckFailure(path, f"{path}: {cidr!r} is not a CIDR like 203.0.113.0/24")
                    )
            continue
        if not ok:
            expected = f"one of {', '.join(PITR_VARIANTS)}" if kind == _VARIANT else f"a {kind}"
            failures.append(CheckFailure(path, f"{path} must be {expected}"))
    return failures


def _partial(
    verb: str, ref: str, applied: list[str], wanted: list[str], failed: str, err: Exception
) -> SupabasePartialApplyError:
    not_applied = [s for s in wanted if s not in applied]
    return SupabasePartialApplyError(
        f"supabase settings {verb} on project {ref} stopped at section {failed}: {err}. "
        f"Applied: {', '.join(applied) or 'none'}; not applied: {', '.join(not_applied)}. "
        "Re-run `pulumi up` to finish (applied sections are re-read, not re-written)."
    )


class SupabaseKeysProvider(_SupabaseProvider):
    """Reads the service-role key and the JWT secret of a project; writes and deletes nothing."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        ref = news.get("projectRef")
        if not _is_unknown(ref) and (not isinstance(ref, str) or not _PROJECT_REF.match(ref)):
            failures.append(
                CheckFailure(
                    "projectRef",
                    f"projectRef {ref!r} is not a Supabase project ref: use the 20 lowercase "
                    "letters from the dashboard URL",
                )
            )
        return CheckResult(dict(news), failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> SettingsDiffResult:
        paths = [
            key
            for key in ("projectRef", "accessToken")
            if _is_unknown(news.get(key)) or olds.get(key) != news.get(key)
        ]
        return SettingsDiffResult(paths, ["projectRef"] if "projectRef" in paths else [])

    def _fetch(self, props: Mapping[str, Any], ref: str) -> dict[str, Any]:
        api = self._api(props)
        try:
            keys = api.request("GET", f"/projects/{ref}/api-keys?reveal=true") or []
            postgrest = api.request("GET", f"/projects/{ref}/postgrest") or {}
        finally:
            api.close()
        service = next((k for k in keys if k.get("name") == "service_role"), None)
        if service is None:
            service = next((k for k in keys if k.get("type") == "secret"), None)
        if service is None or not service.get("api_key"):
            raise SupabaseApiError(
                f"Supabase project {ref} lists no service_role or secret API key: create one in "
                "the dashboard (Settings > API Keys)"
            )
        jwt_secret = postgrest.get("jwt_secret")
        if not jwt_secret:
            raise SupabaseApiError(
                f"Supabase GET /projects/{ref}/postgrest returned no jwt_secret: the project "
                "uses signing keys only; store the key that the agent verifies instead"
            )
        outs: dict[str, Any] = {"projectRef": ref}
        if props.get("accessToken"):
            outs["accessToken"] = props["accessToken"]
        outs["serviceRoleKey"] = service["api_key"]
        outs["jwtSecret"] = jwt_secret
        return outs

    def create(self, props: dict[str, Any]) -> CreateResult:
        ref = _ref_of(props)
        return CreateResult(ref, self._fetch(props, ref))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ref = _ref_of(props, id_)
        try:
            outs = self._fetch(props, ref)
        except SupabaseApiError as err:
            if err.status == 404:
                return ReadResult(None, {})
            raise
        rotated = [k for k in ("serviceRoleKey", "jwtSecret") if k in props and props[k] != outs[k]]
        if rotated:
            pulumi.log.warn(
                f"supabase keys of project {ref} changed since the last read: "
                f"{', '.join(rotated)}; `pulumi up` stores the new values"
            )
        return ReadResult(ref, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._fetch(news, _ref_of(news, id_)))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing to delete: the keys belong to the project, which is never deleted."""


class SupabaseSettings(Resource, module="supabase", name="SupabaseSettings"):
    """The reviewed settings of one Supabase project (type ``dynamic/supabase:SupabaseSettings``).

    ``sections`` maps section names (``sslEnforcement``, ``network``, ``database``, ``pooler``,
    ``api``, ``auth``, ``pitr``) to Management API keys and values; leave a section out to leave
    it unmanaged.
    """

    projectRef: pulumi.Output[str]
    driftedFields: pulumi.Output[list[str]]
    SECRET_OUTPUTS: ClassVar[list[str]] = ["accessToken"]

    def __init__(
        self,
        name: str,
        *,
        project_ref: pulumi.Input[str],
        access_token: pulumi.Input[str],
        sections: Mapping[str, pulumi.Input[Mapping[str, Any]]],
        restore_on_delete: bool = False,
        provider: SupabaseSettingsProvider | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        unknown = sorted(set(sections) - set(SECTION_ORDER))
        if unknown:
            raise ValueError(
                f"unknown Supabase settings section(s) {', '.join(unknown)}: "
                f"use {', '.join(SECTION_ORDER)}"
            )
        props: dict[str, Any] = {
            "projectRef": project_ref,
            "accessToken": pulumi.Output.secret(access_token),
            "restoreOnDelete": restore_on_delete,
            **{s: sections[s] for s in SECTION_ORDER if s in sections},
            "driftedFields": None,
        }
        opts = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(additional_secret_outputs=self.SECRET_OUTPUTS), opts
        )
        super().__init__(provider or SupabaseSettingsProvider(), name, props, opts)


class SupabaseProjectKeys(Resource, module="supabase", name="SupabaseProjectKeys"):
    """The project's service-role key and JWT secret, read (never written) via the API.

    Both outputs are Pulumi secrets; ``pulumi refresh`` picks up rotated values.
    """

    projectRef: pulumi.Output[str]
    serviceRoleKey: pulumi.Output[str]
    jwtSecret: pulumi.Output[str]
    SECRET_OUTPUTS: ClassVar[list[str]] = ["accessToken", "serviceRoleKey", "jwtSecret"]

    def __init__(
        self,
        name: str,
        *,
        project_ref: pulumi.Input[str],
        access_token: pulumi.Input[str],
        provider: SupabaseKeysProvider | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "projectRef": project_ref,
            "accessToken": pulumi.Output.secret(access_token),
            "serviceRoleKey": None,
            "jwtSecret": None,
        }
        opts = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(additional_secret_outputs=self.SECRET_OUTPUTS), opts
        )
        super().__init__(provider or SupabaseKeysProvider(), name, props, opts)
