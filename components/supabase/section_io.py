"""Reading and writing one settings section through the Management API.

Every answer is checked for the shape read here; one that is not (a list where an object is
expected, a string where a number is) becomes a ``SupabaseApiError`` naming the endpoint, never
an ``AttributeError`` or ``TypeError`` half-way through an apply.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from components.supabase.api import ApiSession, SupabaseApiError, unexpected
from components.supabase.sections import SECTION_KEYS, plain

PATHS = {
    "sslEnforcement": ("/ssl-enforcement", "PUT", "/ssl-enforcement"),
    "network": ("/network-restrictions", "POST", "/network-restrictions/apply"),
    "database": ("/config/database/postgres", "PUT", "/config/database/postgres"),
    "pooler": ("/config/database/pooler", "PATCH", "/config/database/pooler"),
    "api": ("/postgrest", "PATCH", "/postgrest"),
    "auth": ("/config/auth", "PATCH", "/config/auth"),
    "pitr": ("/billing/addons", "PATCH", "/billing/addons"),
}
"""Per section: the path it is read from, and the method and path it is written with."""

_KIND_TYPES = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
}


def _object(api: ApiSession, path: str, body: Any, what: str = "an object") -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise unexpected(api, "GET", path, f"expected {what}, got {type(body).__name__}")
    return body


def _list(api: ApiSession, path: str, body: Any, what: str) -> list[Any]:
    if body is None:
        return []
    if not isinstance(body, list):
        raise unexpected(api, "GET", path, f"expected {what} to be a list")
    return body


def _checked_values(
    api: ApiSession, path: str, section: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The known keys of ``section`` from ``body``, each null or of its kind."""
    values: dict[str, Any] = {}
    for key, kind in SECTION_KEYS[section].items():
        value = plain(body.get(key))
        types = _KIND_TYPES.get(kind)
        wrong = value is not None and types is not None and not isinstance(value, types)
        if kind == "integer" and isinstance(value, bool):
            wrong = True
        if wrong:
            raise unexpected(api, "GET", path, f"{key} is not a {kind}")
        values[key] = value
    return values


def read_section(api: ApiSession, ref: str, section: str) -> dict[str, Any]:
    """Live values of every known key of ``section`` (credentials are never picked)."""
    path = f"/projects/{ref}{PATHS[section][0]}"
    body = api.request("GET", path)
    if section == "sslEnforcement":
        current = _object(api, path, _object(api, path, body).get("currentConfig"), "currentConfig")
        database = current.get("database")
        if database is not None and not isinstance(database, bool):
            raise unexpected(api, "GET", path, "currentConfig.database is not a boolean")
        return {"database": bool(database)}
    if section == "network":
        config = _object(api, path, _object(api, path, body).get("config"), "config")
        cidrs: list[str] = []
        for key in ("dbAllowedCidrs", "dbAllowedCidrsV6"):
            for cidr in _list(api, path, config.get(key), f"config.{key}"):
                try:
                    cidrs.append(str(ipaddress.ip_network(cidr, strict=False)))
                except (TypeError, ValueError):
                    raise unexpected(api, "GET", path, f"config.{key} holds a non-CIDR") from None
        return {"restrictions": cidrs}
    if section == "pooler":
        entries = _list(api, path, body, "the answer")
        primary = next(
            (p for p in entries if isinstance(p, dict) and p.get("database_type") == "PRIMARY"),
            None,
        )
        if primary is None:
            raise SupabaseApiError(
                f"Supabase GET {path} listed no PRIMARY database pooler",
                endpoint=api.endpoint("GET", path),
            )
        return _checked_values(api, path, section, primary)
    if section == "pitr":
        addons = _object(api, path, body)
        selected = [
            a
            for a in _list(api, path, addons.get("selected_addons"), "selected_addons")
            if isinstance(a, dict) and a.get("type") == "pitr"
        ]
        variant = None
        if selected:
            variant = _object(api, path, selected[0].get("variant"), "variant").get("id")
            if not isinstance(variant, str):
                raise unexpected(api, "GET", path, "the pitr add-on has no variant id")
        return {"pitr_enabled": variant is not None, "addon_variant": variant}
    return _checked_values(api, path, section, _object(api, path, body))


def write_section(
    api: ApiSession,
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
        path = f"{base}/ssl-enforcement"
        body = api.request("PUT", path, {"requestedConfig": {"database": bool(values["database"])}})
        if isinstance(body, dict) and body.get("appliedSuccessfully") is False:
            raise SupabaseApiError(
                f"Supabase PUT {path} stored the change but did not apply it; "
                "check the project's health and re-run",
                endpoint=api.endpoint("PUT", path),
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
                # Idempotent: a DELETE applied whose answer was lost finds nothing on retry.
                api.request("DELETE", f"{base}/billing/addons/{current}", missing_ok=True)
            return
        api.request(
            "PATCH", f"{base}/billing/addons", {"addon_type": "pitr", "addon_variant": variant}
        )
        return
    if section == "database":
        write_postgres_config(api, ref, values)
        return
    method, sub = PATHS[section][1:]
    api.request(method, base + sub, dict(values))


def write_postgres_config(api: ApiSession, ref: str, values: dict[str, Any]) -> None:
    """Read, merge, write: ``PUT .../config/database/postgres`` replaces the whole override set.

    As the Supabase CLI does (``supabase postgres-config update``,
    ``internal/postgresConfig/update/update.go``: it reads the current overrides and merges the
    new values into them unless ``--replace-existing-overrides``), the live overrides are read
    right before the write and sent back with the changed keys. A key whose value is ``None`` is
    left out, which removes its override (how a restore puts back "not set").
    """
    path = f"/projects/{ref}/config/database/postgres"
    live = _object(api, path, api.request("GET", path))
    merged = {**live, **values}
    api.request("PUT", path, {k: v for k, v in merged.items() if v is not None})
