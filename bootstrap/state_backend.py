"""StateBackend: the GCS bucket behind `pulumi login gs://...`, its retention and its IAM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from bootstrap.buckets import protected_bucket
from bootstrap.layout import Condition, policy_data

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class StateBackendArgs:
    """Inputs of :class:`StateBackend`."""

    project: str
    """The bootstrap project."""
    location: str
    """Region of the bucket (its CMEK key lives in the same region)."""
    bucket: str
    """Bucket name."""
    kms_key_id: str
    """Full ID of the CMEK key every object is encrypted with."""
    labels: dict[str, str]
    """Labels of the bucket."""
    noncurrent_version_days: int
    """Days a replaced or deleted object version is kept before the lifecycle deletes it."""
    soft_delete_days: int
    """Days a deleted object (or version) can still be restored."""
    bindings: Sequence[tuple[str, Sequence[str], Condition | None]]
    """The bucket's whole IAM policy: ``(role, members, condition)`` (authoritative)."""
    encryption_ready: Sequence[pulumi.Resource]
    """Resources that must exist before the bucket (the service agent's grant on the key)."""
    members_from: Sequence[pulumi.Resource]
    """Resources that must exist before their members can be granted (service accounts)."""


class StateBackend(pulumi.ComponentResource):
    """The state bucket: versioned, CMEK-encrypted, never public, protected from deletion.

    Pulumi's DIY backend overwrites ``<stack>.json`` on every checkpoint; object versioning keeps
    each replaced copy (a noncurrent version) for ``noncurrent_version_days``, on top of the
    ``.pulumi/history`` files Pulumi writes per update (docs/runbooks/state-backup.md).
    """

    bucket: gcp.storage.Bucket
    """The bucket."""

    def __init__(
        self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:bootstrap:StateBackend", name, None, opts)
        self.bucket = protected_bucket(
            f"{name}-bucket",
            parent=self,
            name=args.bucket,
            project=args.project,
            location=args.location,
            encryption=gcp.storage.BucketEncryptionArgs(
                default_kms_key_name=args.kms_key_id,
                # Every new object must use the CMEK key: no Google-managed or customer-supplied.
                google_managed_encryption_enforcement_config=(
                    gcp.storage.BucketEncryptionGoogleManagedEncryptionEnforcementConfigArgs(
                        restriction_mode="FullyRestricted"
                    )
                ),
                customer_supplied_encryption_enforcement_config=(
                    gcp.storage.BucketEncryptionCustomerSuppliedEncryptionEnforcementConfigArgs(
                        restriction_mode="FullyRestricted"
                    )
                ),
            ),
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        days_since_noncurrent_time=args.noncurrent_version_days,
                        with_state="ARCHIVED",
                    ),
                )
            ],
            soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(
                retention_duration_seconds=args.soft_delete_days * SECONDS_PER_DAY
            ),
            labels=args.labels,
            encryption_ready=args.encryption_ready,
        )
        gcp.storage.BucketIAMPolicy(
            f"{name}-iam",
            bucket=args.bucket,
            policy_data=policy_data(args.bindings),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket, *args.members_from]),
        )
        self.register_outputs({"bucket": self.bucket.name})
