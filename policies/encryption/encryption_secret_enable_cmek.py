"""CP-ENC-001: Secret Manager secrets are encrypted with a customer-managed key (prod)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.gcp import REGIONAL_SECRET, SECRET
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types
from policies._lib.props import as_list, get, is_missing, present

META = Meta(
    id="CP-ENC-001",
    name="encryption-secret-enable-cmek",
    description=(
        "Ensure Secret Manager secrets are encrypted with a customer-managed Cloud KMS key."
    ),
    severity="medium",
    section="§6 Data Protection: encrypt at rest",
    remediation=(
        "Set replication.auto.customer_managed_encryption.kms_key_name (or the same on every "
        "replication.user_managed replica) to the environment's Cloud KMS key."
    ),
    on_missing="violation",
    missing_rationale="without a key name Google-managed encryption applies, which is not CMEK",
)

_AUTO = "replication.auto.customerManagedEncryption"
_USER = "replication.userManaged.replicas"


def check(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    if args.resource_type == REGIONAL_SECRET:
        # A regional secret names its key at the top level (it has no replication).
        if not present(get(args.props, "customerManagedEncryption"), "kmsKeyName"):
            yield (
                "customerManagedEncryption.kmsKeyName is not set, so the regional secret uses "
                "Google-managed keys"
            )
        return
    replicas = as_list(get(args.props, _USER))
    if replicas:
        for index, replica in enumerate(replicas):
            if not present(get(replica, "customerManagedEncryption"), "kmsKeyName"):
                yield f"{_USER}[{index}].customerManagedEncryption.kmsKeyName is not set"
        return
    encryption = get(args.props, _AUTO)
    if is_missing(encryption) or not present(encryption, "kmsKeyName"):
        yield f"{_AUTO}.kmsKeyName is not set, so the secret uses Google-managed keys"


POLICY = resource_policy(META, applies_to=types(SECRET, REGIONAL_SECRET), check=check)
