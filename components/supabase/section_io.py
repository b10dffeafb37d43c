"""Reading and writing one settings section through the Management API."""

from __future__ import annotations

import ipaddress
from typing import Any

from components.supabase.api import ApiSession, SupabaseApiError
from components.supabase.sections import SECTION_KEYS, plain


def read_section(api: ApiSession, ref: str, section: str) -> dict[str, Any]:
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
        return {"default_pool_size": plain(primary.get("default_pool_size"))}
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
    return {key: plain(body.get(key)) for key in known}


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
