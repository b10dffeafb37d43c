"""CP-ENC-002: Cloud Storage buckets default to a customer-managed key (prod)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.gcp import BUCKET
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types
from policies._lib.props import get, present

META = Meta(
    id="CP-ENC-002",
    name="encryption-bucket-enable-cmek",
    description="Ensure Cloud Storage buckets use a customer-managed Cloud KMS key by default.",
    severity="medium",
    section="§6 Data Protection: encrypt at rest",
    remediation="Set encryption.default_kms_key_name to the environment's Cloud KMS key.",
    on_missing="violation",
    missing_rationale="without a default key Google-managed encryption applies, which is not CMEK",
)


def check(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    if not present(get(args.props, "encryption"), "defaultKmsKeyName"):
        yield "encryption.defaultKmsKeyName is not set, so objects use Google-managed keys"


POLICY = resource_policy(META, applies_to=types(BUCKET), check=check)
