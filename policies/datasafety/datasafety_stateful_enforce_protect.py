"""CP-DAT-001: stateful resources carry `protect` (staging and prod)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, string_list
from policies._lib.gcp import (
    BUCKET,
    KMS_CRYPTO_KEY,
    PROJECT_LOG_BUCKET,
    REGIONAL_SECRET,
    SECRET,
    SUPABASE_RESOURCE_KIND,
    SUPABASE_SETTINGS,
    is_dynamic_kind,
)
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy

META = Meta(
    id="CP-DAT-001",
    name="datasafety-stateful-enforce-protect",
    description=(
        "Ensure stateful resources (secrets, KMS keys, buckets, log buckets, Supabase settings) "
        "are protected from deletion."
    ),
    severity="high",
    section="§6 Data Protection: encrypt at rest, keep audit evidence",
    remediation=(
        "Pass opts=ResourceOptions(protect=True) for this resource in staging and prod "
        "(deleting it loses data or keys that cannot be recreated)."
    ),
    on_missing="violation",
    missing_rationale="protect defaults to false; an unprotected resource is deleted by a stray up",
)

CONFIG: Schema = {
    "statefulTypes": string_list(
        [SECRET, REGIONAL_SECRET, KMS_CRYPTO_KEY, BUCKET, PROJECT_LOG_BUCKET, SUPABASE_SETTINGS],
        "Resource types that hold state which a delete would lose.",
    ),
    "statefulResourceKinds": string_list(
        [SUPABASE_RESOURCE_KIND],
        "resourceKind inputs of generic pulumi-python:dynamic:Resource resources that hold state.",
    ),
}


def applies(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    return is_dynamic_kind(
        resource_type, props, config["statefulTypes"], config["statefulResourceKinds"]
    )


def check(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    if not args.opts.protect:
        yield "protect is false: pass opts=ResourceOptions(protect=True)"


POLICY = resource_policy(META, applies_to=applies, check=check, config=CONFIG)
