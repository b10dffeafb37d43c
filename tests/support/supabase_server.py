"""A loopback stand-in for the Supabase Management API (v1), for the provider tests.

It implements the endpoints the provider uses with the request and response shapes of the
Management API's OpenAPI document (``SslEnforcementRequest``/``Response``,
``NetworkRestrictionsRequest``/``Response``, ``UpdatePostgresConfigBody``,
``SupavisorConfigResponse``, ``UpdatePostgrestConfigBody``,
``PostgrestConfigWithJWTSecretResponse``, ``UpdateAuthConfigBody``/``AuthConfigResponse``,
``ListProjectAddonsResponse``/``ApplyProjectAddonBody``, ``ApiKeyResponse``), keeps one project's
state in memory, records every request, and injects failures per endpoint (method and path):
any status (401, 403, 404, 409, 429 with or without ``Retry-After``, 5xx), slow answers (the
change is applied, the answer comes late), trickled answers (status line, headers and body sent a
byte at a time), bodies that are not JSON, JSON of the wrong shape, and an injected answer after
the change was applied (``apply=True``: a write that landed but whose answer was lost).

``GET /v1/projects/{ref}`` answers the project itself (404 only when the project is gone), and
``PUT .../config/database/postgres`` replaces the whole override set, as the Management API does.

Unknown body keys are refused with 400 the way the API's validation does ("property X should not
exist"), and integer fields refuse non-integers, so a client that sends ``1000.0`` fails here too.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

AUTH_UPDATE_KEYS = {
    # UpdateAuthConfigBody (subset large enough for the tests, credentials included so that a
    # client sending them would be accepted here: the provider must refuse them itself).
    "site_url", "uri_allow_list", "jwt_exp", "disable_signup", "external_email_enabled",
    "external_phone_enabled", "external_anonymous_users_enabled", "mailer_autoconfirm",
    "mailer_secure_email_change_enabled", "mailer_otp_exp", "mailer_otp_length",
    "password_min_length", "password_required_characters", "password_hibp_enabled",
    "mfa_max_enrolled_factors", "mfa_totp_enroll_enabled", "mfa_totp_verify_enabled",
    "mfa_phone_enroll_enabled", "mfa_phone_verify_enabled", "mfa_web_authn_enroll_enabled",
    "mfa_web_authn_verify_enabled", "refresh_token_rotation_enabled",
    "security_refresh_token_reuse_interval", "security_update_password_require_reauthentication",
    "security_manual_linking_enabled", "security_captcha_enabled", "security_captcha_provider",
    "security_captcha_secret", "sessions_timebox", "sessions_inactivity_timeout",
    "sessions_single_per_user", "rate_limit_email_sent", "rate_limit_token_refresh",
    "rate_limit_verify", "rate_limit_otp", "smtp_admin_email", "smtp_host", "smtp_port",
    "smtp_user", "smtp_pass", "external_google_enabled", "external_google_client_id",
    "external_google_secret",
}  # fmt: skip
POSTGRES_KEYS = {
    "effective_cache_size", "logical_decoding_work_mem", "maintenance_work_mem",
    "max_connections", "max_locks_per_transaction", "max_parallel_maintenance_workers",
    "max_parallel_workers", "max_parallel_workers_per_gather", "max_replication_slots",
    "max_slot_wal_keep_size", "max_standby_archive_delay", "max_standby_streaming_delay",
    "max_wal_size", "max_wal_senders", "max_worker_processes", "shared_buffers",
    "statement_timeout", "wal_keep_size", "wal_sender_timeout", "work_mem", "restart_database",
    "session_replication_role",
}  # fmt: skip
PITR_VARIANTS = {"pitr_7": 100, "pitr_14": 200, "pitr_28": 400}


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any

    @property
    def line(self) -> str:
        """``METHOD /path`` (query string included), for exact-sequence assertions."""
        query = "&".join(f"{k}={v}" for k, vs in sorted(self.query.items()) for v in vs)
        return f"{self.method} {self.path}" + (f"?{query}" if query else "")


@dataclass
class Fault:
    """An injected answer for the next ``times`` requests matching ``method`` and ``path``."""

    method: str
    path: str
    status: int | None = None
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    trickle: float = 0.0
    """Seconds between two bytes of the answer (status line and headers included)."""
    raw: bytes | None = None
    """The answer's body as these bytes, verbatim (malformed JSON); status 200 unless given."""
    apply: bool = False
    """Run the real handler first (the change lands), then answer as injected."""
    cut_after: int | None = None
    """Send only this many bytes of the answer, then close the connection."""


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def default_project(ref: str, service_role_key: str, jwt_secret: str) -> dict[str, Any]:
    """A fresh project as the Management API shows it right after creation."""
    auth: dict[str, Any] = dict.fromkeys(AUTH_UPDATE_KEYS)
    auth.update(
        {
            "site_url": "http://localhost:3000",
            "uri_allow_list": "",
            "jwt_exp": 3600,
            "disable_signup": False,
            "external_email_enabled": True,
            "external_phone_enabled": False,
            "external_anonymous_users_enabled": False,
            "mailer_autoconfirm": False,
            "mailer_secure_email_change_enabled": True,
            "mailer_otp_exp": 3600,
            "mailer_otp_length": 6,
            "password_min_length": 6,
            "password_required_characters": "",
            "password_hibp_enabled": False,
            "mfa_max_enrolled_factors": 10,
            "mfa_totp_enroll_enabled": True,
            "mfa_totp_verify_enabled": True,
            "mfa_phone_enroll_enabled": False,
            "mfa_phone_verify_enabled": False,
            "mfa_web_authn_enroll_enabled": False,
            "mfa_web_authn_verify_enabled": False,
            "refresh_token_rotation_enabled": True,
            "security_refresh_token_reuse_interval": 10,
            "security_update_password_require_reauthentication": False,
            "security_manual_linking_enabled": False,
            "security_captcha_enabled": False,
            "security_captcha_provider": "hcaptcha",
            "sessions_timebox": 0,
            "sessions_inactivity_timeout": 0,
            "sessions_single_per_user": False,
            "rate_limit_email_sent": 2,
            "rate_limit_token_refresh": 1800,
            "rate_limit_verify": 30,
            "rate_limit_otp": 30,
            "smtp_pass": None,
            "external_google_secret": None,
        }
    )
    return {
        "ssl": {"database": False},
        "network": {
            "entitlement": "allowed",
            "config": {"dbAllowedCidrs": ["0.0.0.0/0"], "dbAllowedCidrsV6": ["::/0"]},
            "status": "applied",
        },
        "postgres": {
            "effective_cache_size": "384MB",
            "maintenance_work_mem": "32MB",
            "max_connections": 60,
            "shared_buffers": "128MB",
            "statement_timeout": "2min",
            "work_mem": "2184kB",
        },
        "pooler": [
            {
                "identifier": ref,
                "database_type": "PRIMARY",
                "is_using_scram_auth": True,
                "db_user": f"postgres.{ref}",
                "db_host": "aws-0-eu-central-1.pooler.supabase.com",
                "db_port": 6543,
                "db_name": "postgres",
                "connectionString": (
                    f"postgresql://postgres.{ref}:[YOUR-PASSWORD]@"
                    "aws-0-eu-central-1.pooler.supabase.com:6543/postgres"
                ),
                "default_pool_size": 15,
                "max_client_conn": 200,
                "pool_mode": "transaction",
            }
        ],
        "postgrest": {
            "max_rows": 1000,
            "db_pool": None,
            "db_schema": "public, graphql_public",
            "db_extra_search_path": "public, extensions",
            "jwt_secret": jwt_secret,
        },
        "auth": auth,
        "addons": [],
        "api_keys": [
            {"name": "anon", "api_key": "anon-key-is-public", "type": "legacy", "id": None},
            {"name": "service_role", "api_key": service_role_key, "type": "legacy", "id": None},
        ],
    }


def _addon(variant: str) -> dict[str, Any]:
    days = variant.split("_")[1]
    return {
        "id": variant,
        "name": f"{days} days",
        "price": {
            "description": f"${PITR_VARIANTS[variant]}/month",
            "type": "fixed",
            "interval": "monthly",
            "amount": PITR_VARIANTS[variant],
        },
    }


def _require_int(body: dict[str, Any], key: str, low: int, high: int) -> None:
    value = body.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{key} must be an integer number")
    if not low <= value <= high:
        raise ApiError(400, f"{key} must not be greater than {high} or less than {low}")


def _only(body: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    for key in body:
        if key not in allowed:
            raise ApiError(400, f"property {key} should not exist")
    return body


class SupabaseApiServer:
    """The server: ``start()``, use ``base_url``, inspect ``requests``, inject with ``fault()``."""

    def __init__(self, *, token: str, ref: str, service_role_key: str, jwt_secret: str) -> None:
        self.token = token
        self.ref = ref
        self.forbidden_tokens: set[str] = set()
        self.state = default_project(ref, service_role_key, jwt_secret)
        self._faults: list[Fault] = []
        self.trickles: list[tuple[int, int]] = []
        """Per trickled answer: (bytes sent before the client went away or all were sent, total)."""
        self._requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> SupabaseApiServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls per answer

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output clean (and free of request lines)

            def _handle(self) -> None:
                server._dispatch(self)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _handle

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # -- test controls -------------------------------------------------------------------------

    def fault(self, method: str, path: str, status: int | None = None, **kwargs: Any) -> None:
        """Answer the next matching request(s) with ``status`` (and/or after ``delay`` s).

        ``path`` is relative to the project, e.g. ``/config/auth`` (``""`` for the project
        itself). With ``status=None`` (and no ``raw``) the real handler runs (the change is
        applied) and only the answer is delayed or trickled. See ``Fault`` for the other faults.
        """
        full = f"/v1/projects/{self.ref}{path}"
        with self._lock:
            self._faults.append(Fault(method, full, status, **kwargs))

    def wait_for_trickles(self, count: int, timeout: float = 10.0) -> list[tuple[int, int]]:
        """The trickled answers, once ``count`` of them have ended (the client gone or all sent)."""
        end = time.monotonic() + timeout
        while len(self.trickles) < count and time.monotonic() < end:
            time.sleep(0.02)
        with self._lock:
            return list(self.trickles)

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def lines(self) -> list[str]:
        return [r.line for r in self.requests]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- request handling ------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.path == path and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        method = handler.command
        with self._lock:
            self._requests.append(
                Recorded(
                    method,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in handler.headers.items()},
                    body,
                )
            )
        fault = self._take_fault(method, parts.path)
        headers: dict[str, str] = {}
        injected = fault is not None and (fault.status is not None or fault.raw is not None)
        if fault is not None and injected and fault.apply:
            with contextlib.suppress(ApiError):
                self._route(handler, method, parts.path, parts.query, body)
        if fault is not None and injected:
            status = fault.status if fault.status is not None else 200
            payload = fault.body if fault.body is not None else {"message": f"injected {status}"}
            headers = dict(fault.headers)
        else:
            try:
                status, payload = self._route(handler, method, parts.path, parts.query, body)
            except ApiError as err:
                status, payload = err.status, {"message": err.message}
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.raw is not None:
            data = fault.raw
        else:
            data = b"" if payload is None else json.dumps(payload).encode()
        if fault is not None and (fault.trickle or fault.cut_after is not None):
            self._trickle(handler, status, headers, data, fault.trickle, fault.cut_after)
            return
        try:
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            if data:
                handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (timeout test): nothing to answer

    def _trickle(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        headers: dict[str, str],
        data: bytes,
        pause: float,
        cut_after: int | None = None,
    ) -> None:
        """Send the answer one byte at a time, ``pause`` seconds apart (the first ``cut_after``)."""
        lines = [f"HTTP/1.1 {status} {handler.responses.get(status, ('',))[0]}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        answer = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
        if cut_after is not None:
            head = len(answer) - len(data)
            # Cut in the body, or half-way through the headers when the body is too short.
            answer = answer[: head + cut_after if cut_after < len(data) else head // 2]
        sent = 0
        try:
            for byte in answer:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                sent += 1
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass
        handler.close_connection = True
        with self._lock:
            self.trickles.append((sent, len(answer)))

    def _route(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: str,
        body: Any,
    ) -> tuple[int, Any]:
        authorization = handler.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or token not in {self.token}:
            if token in self.forbidden_tokens:
                raise ApiError(403, "Forbidden resource")
            raise ApiError(401, "Unauthorized")
        match = re.fullmatch(r"/v1/projects/([a-z]{20})(/.*)?", path)
        if not match:
            raise ApiError(404, "Cannot find the requested resource")
        if match.group(1) != self.ref:
            raise ApiError(404, "Project not found")
        sub = match.group(2) or ""
        s = self.state
        with self._lock:
            if sub == "" and method == "GET":
                return 200, {
                    "id": self.ref,
                    "ref": self.ref,
                    "organization_id": "canaryorg",
                    "name": "controlplane",
                    "region": "eu-central-1",
                    "created_at": "2026-01-05T09:00:00.000Z",
                    "status": "ACTIVE_HEALTHY",
                }
            if sub == "/ssl-enforcement" and method == "GET":
                return 200, {"currentConfig": dict(s["ssl"]), "appliedSuccessfully": True}
            if sub == "/ssl-enforcement" and method == "PUT":
                requested = _only(body, {"requestedConfig"}).get("requestedConfig")
                if not isinstance(requested, dict) or not isinstance(
                    requested.get("database"), bool
                ):
                    raise ApiError(400, "requestedConfig.database must be a boolean value")
                s["ssl"] = {"database": requested["database"]}
                return 200, {"currentConfig": dict(s["ssl"]), "appliedSuccessfully": True}
            if sub == "/network-restrictions" and method == "GET":
                return 200, copy.deepcopy(s["network"])
            if sub == "/network-restrictions/apply" and method == "POST":
                body = _only(body, {"dbAllowedCidrs", "dbAllowedCidrsV6"})
                for key, version in (("dbAllowedCidrs", 4), ("dbAllowedCidrsV6", 6)):
                    for cidr in body.get(key) or []:
                        try:
                            net = ipaddress.ip_network(cidr, strict=False)
                        except ValueError:
                            raise ApiError(400, f"{key} holds an invalid CIDR") from None
                        if net.version != version:
                            raise ApiError(400, f"{key} accepts IPv{version} CIDRs only")
                old = copy.deepcopy(s["network"]["config"])
                s["network"] = {
                    "entitlement": "allowed",
                    "config": {
                        "dbAllowedCidrs": list(body.get("dbAllowedCidrs") or []),
                        "dbAllowedCidrsV6": list(body.get("dbAllowedCidrsV6") or []),
                    },
                    "status": "applied",
                }
                return 201, {**copy.deepcopy(s["network"]), "old_config": old, "status": "stored"}
            if sub == "/config/database/postgres" and method == "GET":
                return 200, dict(s["postgres"])
            if sub == "/config/database/postgres" and method == "PUT":
                body = _only(body, POSTGRES_KEYS)
                _require_int(body, "max_connections", 1, 262143)
                # The body replaces the whole override set (keys left out are reset).
                s["postgres"] = {k: v for k, v in body.items() if k != "restart_database"}
                return 200, dict(s["postgres"])
            if sub == "/config/database/pooler" and method == "GET":
                return 200, copy.deepcopy(s["pooler"])
            if sub == "/config/database/pooler" and method == "PATCH":
                body = _only(body, {"default_pool_size", "pool_mode"})
                _require_int(body, "default_pool_size", 0, 1000)
                primary = s["pooler"][0]
                primary["default_pool_size"] = body.get("default_pool_size")
                return 200, {
                    "default_pool_size": primary["default_pool_size"],
                    "pool_mode": primary["pool_mode"],
                }
            if sub == "/postgrest" and method == "GET":
                return 200, dict(s["postgrest"])
            if sub == "/postgrest" and method == "PATCH":
                body = _only(body, {"max_rows", "db_pool", "db_extra_search_path", "db_schema"})
                _require_int(body, "max_rows", 0, 1000000)
                _require_int(body, "db_pool", 0, 1000)
                s["postgrest"].update(body)
                return 200, {k: v for k, v in s["postgrest"].items() if k != "jwt_secret"}
            if sub == "/config/auth" and method == "GET":
                return 200, dict(s["auth"])
            if sub == "/config/auth" and method == "PATCH":
                body = _only(body, AUTH_UPDATE_KEYS)
                _require_int(body, "jwt_exp", 0, 604800)
                _require_int(body, "password_min_length", 6, 32767)
                if "," in str(body.get("site_url") or ""):
                    raise ApiError(400, "site_url must match /^[^,]+$/ regular expression")
                s["auth"].update(body)
                return 200, dict(s["auth"])
            if sub == "/billing/addons" and method == "GET":
                return 200, {
                    "selected_addons": [
                        {"type": "pitr", "variant": _addon(v)} for v in s["addons"]
                    ],
                    "available_addons": [
                        {
                            "type": "pitr",
                            "name": "Point in time recovery",
                            "variants": [_addon(v) for v in PITR_VARIANTS],
                        }
                    ],
                }
            if sub == "/billing/addons" and method == "PATCH":
                body = _only(body, {"addon_type", "addon_variant"})
                if body.get("addon_type") != "pitr" or body.get("addon_variant") not in (
                    PITR_VARIANTS
                ):
                    raise ApiError(400, "addon_variant must be one of the pitr variants")
                s["addons"] = [body["addon_variant"]]
                return 200, None
            deleted = re.fullmatch(r"/billing/addons/([a-z0-9_]+)", sub)
            if deleted and method == "DELETE":
                if deleted.group(1) not in s["addons"]:
                    raise ApiError(404, "Addon not found")
                s["addons"] = [a for a in s["addons"] if a != deleted.group(1)]
                return 200, None
            if sub == "/api-keys" and method == "GET":
                reveal = parse_qs(query).get("reveal") == ["true"]
                keys = copy.deepcopy(s["api_keys"])
                for key in keys:
                    if key["type"] == "secret" and not reveal:
                        key["api_key"] = key["api_key"][:15] + "···"
                return 200, keys
        raise ApiError(404, f"Cannot {method} {path}")
