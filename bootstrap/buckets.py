"""The one way the bootstrap program creates a bucket: the state bucket and the audit archive.

Both are regional STANDARD buckets with uniform bucket-level access, public access prevention
enforced, object versioning on and a CMEK key, protected from deletion twice over (Pulumi's
``protect`` and GCS's ``deletion_policy``) and created only once the key may be used.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp


def protected_bucket(
    resource_name: str,
    *,
    parent: pulumi.Resource,
    name: str,
    project: str,
    location: str,
    encryption: gcp.storage.BucketEncryptionArgs,
    lifecycle_rules: Sequence[gcp.storage.BucketLifecycleRuleArgs],
    labels: dict[str, str],
    encryption_ready: Sequence[pulumi.Resource],
    soft_delete_policy: gcp.storage.BucketSoftDeletePolicyArgs | None = None,
) -> gcp.storage.Bucket:
    """A locked-down bucket ``name`` in ``location`` (upper-cased, as GCS reports it)."""
    return gcp.storage.Bucket(
        resource_name,
        name=name,
        project=project,
        location=location.upper(),
        storage_class="STANDARD",
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=gcp.storage.BucketVersioningArgs(enabled=True),
        encryption=encryption,
        lifecycle_rules=list(lifecycle_rules),
        soft_delete_policy=soft_delete_policy,
        force_destroy=False,
        deletion_policy="PREVENT",
        labels=labels,
        opts=pulumi.ResourceOptions(parent=parent, protect=True, depends_on=list(encryption_ready)),
    )
