"""CP-ENC-003: the Supabase project refuses database connections without SSL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.checks import must_hold
from policies._lib.config import Schema, string_list
from policies._lib.gcp import SUPABASE_RESOURCE_KIND, SUPABASE_SETTINGS, is_dynamic_kind
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy

META = Meta(
    id="CP-ENC-003",
    name="encryption-supabase-enforce-ssl",
    description="Ensure the Supabase project enforces SSL on every database connection.",
    severity="critical",
    section="§6 Data Protection: TLS in transit",
    remediation=(
        "Give the Supabase settings the section sslEnforcement={'database': True} (the "
        "Management API's ssl-enforcement requestedConfig)."
    ),
    on_missing="violation",
    missing_rationale=(
        "Supabase accepts non-SSL connections unless enforcement is requested explicitly, and "
        "a section left out is left unmanaged"
    ),
)

CONFIG: Schema = {
    "types": string_list([SUPABASE_SETTINGS], "Type tokens of the Supabase settings resource."),
    "resourceKinds": string_list(
        [SUPABASE_RESOURCE_KIND],
        "resourceKind inputs that mark the settings on a generic pulumi-python:dynamic:Resource.",
    ),
    "sslEnforcementPath": {
        "type": "string",
        "pattern": "^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*$",
        "default": "sslEnforcement.database",
        "description": "Dotted input path of the boolean that enforces SSL.",
    },
}


def applies(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    return is_dynamic_kind(resource_type, props, config["types"], config["resourceKinds"])


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    yield from must_hold(args.props, str(config["sslEnforcementPath"]), True)


POLICY = resource_policy(META, applies_to=applies, check=check, config=CONFIG)
