"""The managed settings sections: their keys, value kinds, comparison and input checks.

Pure functions over input and output values; nothing here calls the API.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from components.supabase.api import SupabaseApiError

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


def is_unknown(value: Any) -> bool:
    """Whether ``value`` is, or holds, a value the engine does not know yet (preview).

    The provider host deserializes Check and Diff requests with ``keep_unknowns=True``
    (``pulumi/dynamic/__main__.py``), so the engine's unknown sentinel arrives as a
    ``pulumi.output.Unknown`` object (``pulumi/runtime/rpc.py``, ``deserialize_property``); the
    sentinel string itself is recognised too.
    """
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN):
        return True
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False


def nullable(section: str, key: str) -> bool:
    """Whether ``null`` is a value of ``section.key`` the API takes (the API's default)."""
    return (section, key) in _NULLABLE


def plain(value: Any) -> Any:
    """Pulumi hands numbers over as floats: make integral floats ints again (the API wants ints)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _comparable(section: str, key: str, value: Any) -> Any:
    value = plain(value)
    if (section, key) in _COMMA_LISTS and isinstance(value, str):
        return ",".join(part.strip() for part in value.split(",") if part.strip())
    if section == "network" and isinstance(value, list):
        return sorted(str(ipaddress.ip_network(v, strict=False)) for v in value)
    return value


def same(section: str, key: str, a: Any, b: Any) -> bool:
    return bool(_comparable(section, key, a) == _comparable(section, key, b))


def managed_sections(props: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The managed sections of ``props`` in apply order (absent or null sections are unmanaged)."""
    return {
        name: dict(plain(props[name]))
        for name in SECTION_ORDER
        if isinstance(props.get(name), dict)
    }


def _is_project_ref(ref: Any) -> bool:
    return isinstance(ref, str) and _PROJECT_REF.match(ref) is not None


def _not_a_project_ref(ref: Any) -> str:
    return (
        f"projectRef {ref!r} is not a Supabase project ref: use the 20 lowercase letters "
        "from the dashboard URL"
    )


def ref_of(props: Mapping[str, Any], id_: str | None = None) -> str:
    ref = props.get("projectRef") or id_ or ""
    if not _is_project_ref(ref):
        raise SupabaseApiError(_not_a_project_ref(ref))
    return str(ref)


def check_project_ref(ref: Any) -> list[CheckFailure]:
    """The check failure of a ``projectRef`` input that is known and not a project ref."""
    if is_unknown(ref) or _is_project_ref(ref):
        return []
    return [CheckFailure("projectRef", _not_a_project_ref(ref))]


def changed_keys(section: str, desired: Mapping[str, Any], current: Mapping[str, Any]) -> dict:
    """The keys of ``desired`` whose value differs from ``current`` (missing ones differ)."""
    return {
        key: value
        for key, value in desired.items()
        if key not in current or not same(section, key, value, current[key])
    }


def check_section(section: str, values: Mapping[str, Any]) -> list[CheckFailure]:
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
        if is_unknown(value):
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
