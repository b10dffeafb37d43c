"""Playbook §3, §6, §7: one environment's Supabase project settings (``controlplane:supabase``).

Field names are the Supabase Management API's own key names (``jwt_exp``, ``max_rows``...),
written camelCase in the stack file (``jwtExp``, ``maxRows``) like every other key; the
component turns the section into the API's request bodies with :meth:`SupabaseSection.to_sections`.
The access token is not here: it is the secret config key ``controlplane:supabaseAccessToken``,
read with ``require_secret``.

Environment rules (:meth:`SupabaseSection.env_rules`, also applied when the model is validated with
``context={"environment": env}``):

- every environment: SSL enforced on Postgres and the pooler (playbook §6, TLS in transit);
- staging and prod: database access restricted to listed CIDRs, no ``0.0.0.0/0`` or ``::/0``
  (playbook §6, least privilege);
- prod: point-in-time recovery on (playbook §7, backups) and an ``https://`` site URL.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from config.base import Model, Problem

PASSWORD_CHARACTER_SETS: dict[str, str] = {
    "any": "",
    "letters-digits": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789",
    "lower-upper-digits": "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789",
    "lower-upper-digits-symbols": (
        "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789:"
        "!@#$%^&*()_+-=[]{};'\\\\:\"|<>?,./`~"
    ),
}
"""Friendly names for the API's ``password_required_characters`` values (its exact strings)."""

_REF_RE = re.compile(r"^[a-z]{20}$")
_URL_RE = re.compile(r"^https?://[^\s,]+$")
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_$]{0,62}$")
# Ranges that can never be a client's address as Supabase sees it (RFC 1918, CGNAT, loopback,
# link-local, IPv6 unique-local). Documentation ranges stay allowed for examples.
_UNREACHABLE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


class SslEnforcement(Model):
    """``GET/PUT /v1/projects/{ref}/ssl-enforcement``: refuse connections without TLS."""

    database: bool = Field(
        default=True,
        description="Refuse Postgres and pooler connections without SSL (playbook §6). "
        "Changing it restarts the database.",
    )


class Network(Model):
    """``/v1/projects/{ref}/network-restrictions``: who may open a database connection."""

    restrictions: list[str] = Field(
        min_length=1,
        description="CIDRs allowed to reach Postgres and the pooler, IPv4 and IPv6 together "
        "(0.0.0.0/0 and ::/0 allow everyone).",
    )

    @field_validator("restrictions")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        normalised = []
        for value in values:
            try:
                net = ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a CIDR; write one like 203.0.113.0/24 or 2001:db8::/32"
                ) from None
            if any(net.version == u.version and net.subnet_of(u) for u in _UNREACHABLE):  # type: ignore[arg-type]
                raise ValueError(
                    f"{value} is a private range, which never reaches Supabase; list the public "
                    "egress addresses of the clients instead"
                )
            normalised.append(str(net))
        if len(set(normalised)) != len(normalised):
            raise ValueError("list each CIDR once")
        return normalised


class Api(Model):
    """``PATCH /v1/projects/{ref}/postgrest``: what the Data API (PostgREST) exposes."""

    db_schema: list[str] = Field(
        default=["public", "graphql_public"],
        min_length=1,
        description="Schemas the Data API exposes (sent comma-separated as `db_schema`).",
    )
    db_extra_search_path: list[str] = Field(
        default=["public", "extensions"],
        description="Extra schemas on the search path (sent as `db_extra_search_path`).",
    )
    max_rows: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Most rows one Data API request returns.",
    )

    @field_validator("db_schema", "db_extra_search_path")
    @classmethod
    def _schemas(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _SCHEMA_RE.match(value):
                raise ValueError(f"{value!r} is not a schema name; write names like public")
        return values


class Auth(Model):
    """``PATCH /v1/projects/{ref}/config/auth``: sign-in, redirects, sessions and MFA."""

    site_url: str = Field(description="The app's URL: the default redirect after sign-in.")
    uri_allow_list: list[str] = Field(
        default_factory=list,
        description="Other URLs sign-in may redirect to (sent comma-separated).",
    )
    jwt_exp: int = Field(
        default=3600,
        ge=300,
        le=604_800,
        description="Lifetime of access tokens, in seconds (at most one week).",
    )
    disable_signup: bool = Field(default=False, description="Refuse new sign-ups.")
    mfa_totp_enroll_enabled: bool = Field(
        default=True, description="Users may enrol an authenticator app (TOTP) factor."
    )
    mfa_totp_verify_enabled: bool = Field(
        default=True, description="TOTP factors are verified at sign-in."
    )
    mfa_max_enrolled_factors: int = Field(
        default=10, ge=1, le=100, description="Most MFA factors one user may enrol."
    )
    password_min_length: int = Field(
        default=12, ge=6, le=128, description="Shortest password accepted."
    )
    password_required_characters: Literal[
        "any", "letters-digits", "lower-upper-digits", "lower-upper-digits-symbols"
    ] = Field(
        default="lower-upper-digits",
        description="Character classes every password must contain.",
    )
    password_hibp_enabled: bool = Field(
        default=False,
        description="Refuse passwords known from breaches (HaveIBeenPwned; paid plans).",
    )
    refresh_token_rotation_enabled: bool = Field(
        default=True, description="Each refresh token can be used once."
    )

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str) -> str:
        if not _URL_RE.match(value):
            raise ValueError(
                f"{value!r} is not a URL; write one like https://app.example.com (no commas)"
            )
        return value

    @field_validator("uri_allow_list")
    @classmethod
    def _uris(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _URL_RE.match(value.replace("*", "x")):
                raise ValueError(
                    f"{value!r} is not a redirect URL; write one like "
                    "https://app.example.com/auth/callback (wildcards * allowed, no commas)"
                )
        return values


class Pooler(Model):
    """``PATCH /v1/projects/{ref}/config/database/pooler``: the Supavisor pool of the primary."""

    default_pool_size: int = Field(
        ge=1, le=1000, description="Server connections per user and database pair."
    )


class Backups(Model):
    """Point-in-time recovery, a billing add-on (``/v1/projects/{ref}/billing/addons``).

    Daily backups are automatic on paid plans and need no setting here.
    """

    pitr_enabled: bool | None = Field(
        default=None,
        description="true: PITR on with pitrRetentionDays; false: PITR add-on removed; "
        "unset: left as it is.",
    )
    pitr_retention_days: Literal[7, 14, 28] = Field(
        default=7, description="How far back PITR can restore, in days."
    )


class SupabaseSection(Model):
    """The ``controlplane:supabase`` key: one Supabase project's reviewed settings."""

    project_ref: str = Field(
        description="The project's 20-letter ref, from its dashboard URL "
        "(supabase.com/dashboard/project/<ref>)."
    )
    ssl_enforcement: SslEnforcement = Field(
        default_factory=SslEnforcement, description="SSL enforcement (`sslEnforcement`)."
    )
    network: Network | None = Field(
        default=None,
        description="Network restrictions; unset leaves them as they are (dev only).",
    )
    api: Api = Field(default_factory=Api, description="Data API (PostgREST) settings.")
    auth: Auth = Field(description="Auth settings.")
    pooler: Pooler | None = Field(
        default=None, description="Connection pooler settings; unset leaves them as they are."
    )
    backups: Backups = Field(default_factory=Backups, description="Point-in-time recovery.")
    restore_on_delete: bool = Field(
        default=False,
        description="On `pulumi destroy`, put back the values found before this program set "
        "them (only those still as it set them). Off: settings stay as applied.",
    )

    @field_validator("project_ref")
    @classmethod
    def _ref(cls, value: str) -> str:
        if not _REF_RE.match(value):
            raise ValueError(
                f"{value!r} is not a project ref; copy the 20 lowercase letters after "
                "/project/ in the dashboard URL"
            )
        return value

    @model_validator(mode="after")
    def _environment_rules(self, info: ValidationInfo) -> SupabaseSection:
        context = info.context if isinstance(info.context, dict) else {}
        env = context.get("environment")
        if env is not None:
            problems = self.env_rules(env)
            if problems:
                raise ValueError("; ".join(str(p.under("supabase")) for p in problems))
        return self

    def env_rules(self, env: str) -> list[Problem]:
        """The environment rules this section breaks, each with its key path and the fix.

        Paths are relative to ``supabase`` (e.g. ``sslEnforcement.database``); an empty list
        means the section fits ``env``.
        """
        problems: list[Problem] = []
        if env not in ("dev", "staging", "prod"):
            return [Problem("", f"unknown environment {env!r}; expected dev, staging or prod")]
        if not self.ssl_enforcement.database:
            problems.append(
                Problem.found(
                    "sslEnforcement.database",
                    "false",
                    "true in every environment (playbook §6, TLS in transit); write "
                    "`database: true` or leave the key out",
                )
            )
        if env in ("staging", "prod"):
            if self.network is None:
                problems.append(
                    Problem(
                        "network",
                        f"missing, {env} must restrict database access; add "
                        "`network: {restrictions: [<egress CIDR>, ...]}`",
                    )
                )
            else:
                open_all = [c for c in self.network.restrictions if _open_to_all(c)]
                if open_all:
                    problems.append(
                        Problem(
                            "network.restrictions",
                            f"found {', '.join(open_all)}, which lets every address connect; "
                            f"{env} must list only the CIDRs that need the database",
                        )
                    )
        if env == "prod":
            if self.backups.pitr_enabled is not True:
                problems.append(
                    Problem.found(
                        "backups.pitrEnabled",
                        "unset" if self.backups.pitr_enabled is None else "false",
                        "true in prod (playbook §7, backups); write `pitrEnabled: true`",
                    )
                )
            if not self.auth.site_url.startswith("https://"):
                problems.append(
                    Problem.found(
                        "auth.siteUrl", repr(self.auth.site_url), "an https:// URL in prod"
                    )
                )
        return problems

    def to_sections(self) -> dict[str, dict[str, Any]]:
        """The settings as Management API sections and keys, as ``SupabaseSettings`` takes them."""
        auth = self.auth.model_dump()
        auth["uri_allow_list"] = ",".join(self.auth.uri_allow_list)
        auth["password_required_characters"] = PASSWORD_CHARACTER_SETS[
            self.auth.password_required_characters
        ]
        sections: dict[str, dict[str, Any]] = {
            "sslEnforcement": {"database": self.ssl_enforcement.database},
        }
        if self.network is not None:
            sections["network"] = {"restrictions": list(self.network.restrictions)}
        if self.pooler is not None:
            sections["pooler"] = {"default_pool_size": self.pooler.default_pool_size}
        sections["api"] = {
            "db_schema": ",".join(self.api.db_schema),
            "db_extra_search_path": ",".join(self.api.db_extra_search_path),
            "max_rows": self.api.max_rows,
        }
        sections["auth"] = auth
        if self.backups.pitr_enabled is True:
            variant = f"pitr_{self.backups.pitr_retention_days}"
            sections["pitr"] = {"pitr_enabled": True, "addon_variant": variant}
        elif self.backups.pitr_enabled is False:
            sections["pitr"] = {"pitr_enabled": False}
        return sections


def _open_to_all(cidr: str) -> bool:
    return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
