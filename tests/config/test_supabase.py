"""The ``controlplane:supabase`` section: its fields, its environment rules, its API mapping."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from components.supabase_provider import SECTION_KEYS
from config.supabase import SupabaseSection
from tests.support.supabase import HARDENED_AUTH

ROOT = Path(__file__).resolve().parents[2]


def rules(section: SupabaseSection, env: str) -> list[str]:
    """The section's environment rules as the stack's error lines show them."""
    return [str(problem.under("supabase")) for problem in section.env_rules(env)]


REF = "abcdefghijklmnopqrst"

PROD: dict[str, Any] = {
    "projectRef": REF,
    "sslEnforcement": {"database": True},
    "network": {"restrictions": ["198.51.100.0/24", "2001:db8:2::/48"]},
    "api": {"dbSchema": ["public", "graphql_public"], "maxRows": 500},
    "auth": {
        "siteUrl": "https://app.example.com",
        "uriAllowList": ["https://app.example.com/auth/callback"],
        "jwtExp": 1800,
        "passwordRequiredCharacters": "lower-upper-digits-symbols",
    },
    "pooler": {"defaultPoolSize": 30},
    "backups": {"pitrEnabled": True, "pitrRetentionDays": 14},
}


def prod(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(PROD)
    data.update(changes)
    return data


def errors(data: dict[str, Any], env: str | None = None) -> list[str]:
    """The one-line messages pydantic gives for ``data`` (``loc: message``)."""
    context = {"environment": env} if env else None
    try:
        SupabaseSection.model_validate(data, context=context)
    except ValidationError as err:
        lines = []
        for e in err.errors(include_url=False):
            where = ".".join(str(part) for part in e["loc"])
            message = str(e["msg"]).removeprefix("Value error, ")
            lines.append(f"{where}: {message}" if where else message)
        return lines
    return []


def test_the_prod_baseline_meets_every_environment_rule() -> None:
    section = SupabaseSection.model_validate(PROD)
    for env in ("dev", "staging", "prod"):
        assert rules(section, env) == [], env
    assert errors(PROD, "prod") == []


def test_prod_baseline_becomes_these_api_sections() -> None:
    assert SupabaseSection.model_validate(PROD).to_sections() == {
        "sslEnforcement": {"database": True},
        "network": {"restrictions": ["198.51.100.0/24", "2001:db8:2::/48"]},
        "pooler": {"default_pool_size": 30},
        "api": {
            "db_schema": "public,graphql_public",
            "db_extra_search_path": "public,extensions",
            "max_rows": 500,
        },
        "auth": {
            "site_url": "https://app.example.com",
            "uri_allow_list": "https://app.example.com/auth/callback",
            "jwt_exp": 1800,
            **HARDENED_AUTH,
            "password_required_characters": (
                "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789:"
                "!@#$%^&*()_+-=[]{};'\\\\:\"|<>?,./`~"
            ),
        },
        "pitr": {"pitr_enabled": True, "addon_variant": "pitr_14"},
    }


def test_every_key_the_section_sends_is_one_the_provider_manages() -> None:
    sections = SupabaseSection.model_validate(PROD).to_sections()
    for name, values in sections.items():
        assert set(values) <= set(SECTION_KEYS[name]), name


def test_pitr_false_removes_the_add_on_and_unset_leaves_it_alone() -> None:
    off = SupabaseSection.model_validate(prod(backups={"pitrEnabled": False}))
    unset = SupabaseSection.model_validate(prod(backups={}))
    assert off.to_sections()["pitr"] == {"pitr_enabled": False}
    assert "pitr" not in unset.to_sections()


@pytest.mark.parametrize(
    ("env", "changes", "expected"),
    [
        (
            "dev",
            {"sslEnforcement": {"database": False}},
            "supabase.sslEnforcement.database: found false, expected true in every environment "
            "(playbook §6, TLS in transit); write `database: true` or leave the key out",
        ),
        (
            "staging",
            {"network": None},
            "supabase.network: missing, staging must restrict database access; add "
            "`network: {restrictions: [<egress CIDR>, ...]}`",
        ),
        (
            "prod",
            {"network": {"restrictions": ["198.51.100.0/24", "0.0.0.0/0", "::/0"]}},
            "supabase.network.restrictions: found 0.0.0.0/0, ::/0, which lets every address "
            "connect; prod must list only the CIDRs that need the database",
        ),
        (
            "prod",
            {"backups": {"pitrEnabled": False}},
            "supabase.backups.pitrEnabled: found false, expected true in prod (playbook §7, "
            "backups); write `pitrEnabled: true`",
        ),
        (
            "prod",
            {"auth": {"siteUrl": "http://app.example.com"}},
            "supabase.auth.siteUrl: found 'http://app.example.com', expected an https:// URL "
            "in prod",
        ),
    ],
)
def test_each_environment_rule_names_the_key_and_the_fix(
    env: str, changes: dict[str, Any], expected: str
) -> None:
    section = SupabaseSection.model_validate(prod(**changes))

    assert rules(section, env) == [expected]
    assert errors(prod(**changes), env) == [expected]


def test_dev_may_leave_network_and_pitr_alone() -> None:
    section = SupabaseSection.model_validate(
        {"projectRef": REF, "auth": {"siteUrl": "http://localhost:3000"}}
    )
    assert rules(section, "dev") == []
    assert rules(section, "prod") == [
        "supabase.network: missing, prod must restrict database access; add "
        "`network: {restrictions: [<egress CIDR>, ...]}`",
        "supabase.backups.pitrEnabled: found unset, expected true in prod (playbook §7, "
        "backups); write `pitrEnabled: true`",
        "supabase.auth.siteUrl: found 'http://localhost:3000', expected an https:// URL in prod",
    ]


def test_an_unknown_environment_is_refused() -> None:
    section = SupabaseSection.model_validate(PROD)
    assert rules(section, "qa") == [
        "supabase: unknown environment 'qa'; expected dev, staging or prod"
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"projectRef": "my-project"},
            "projectRef: 'my-project' is not a project ref; copy the 20 lowercase letters "
            "after /project/ in the dashboard URL",
        ),
        (
            {"network": {"restrictions": ["10.1.0.0/16"]}},
            "network.restrictions: 10.1.0.0/16 is a private range, which never reaches "
            "Supabase; list the public egress addresses of the clients instead",
        ),
        (
            {"network": {"restrictions": ["198.51.100.0/33"]}},
            "network.restrictions: '198.51.100.0/33' is not a CIDR; write one like "
            "203.0.113.0/24 or 2001:db8::/32",
        ),
        (
            {"network": {"restrictions": ["198.51.100.0/24", "198.51.100.7/24"]}},
            "network.restrictions: list each CIDR once",
        ),
        (
            {"auth": {"siteUrl": "https://a.example.com,https://b.example.com"}},
            "auth.siteUrl: 'https://a.example.com,https://b.example.com' is not a URL; write one "
            "like https://app.example.com (no commas)",
        ),
        (
            {"auth": {"siteUrl": "https://app.example.com", "jwtExp": 604801}},
            "auth.jwtExp: Input should be less than or equal to 604800",
        ),
        (
            {"auth": {"siteUrl": "https://app.example.com", "smtpPass": "x"}},
            "auth.smtpPass: Extra inputs are not permitted",
        ),
        (
            {"api": {"dbSchema": ["public", "Drop Table"]}},
            "api.dbSchema: 'Drop Table' is not a schema name; write names like public",
        ),
        (
            {"backups": {"pitrEnabled": True, "pitrRetentionDays": 30}},
            "backups.pitrRetentionDays: Input should be 7, 14 or 28",
        ),
    ],
)
def test_bad_values_get_one_message_that_says_what_to_write(
    changes: dict[str, Any], expected: str
) -> None:
    assert errors(prod(**changes)) == [expected]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_stack_files_supabase_key_meets_its_environment(env: str) -> None:
    stack = yaml.safe_load((ROOT / f"Pulumi.{env}.yaml").read_text())
    value = (stack.get("config") or {}).get("controlplane:supabase")
    if value is None:
        pytest.skip(f"Pulumi.{env}.yaml has no controlplane:supabase key yet")
    section = SupabaseSection.model_validate(value)
    assert rules(section, env) == []
