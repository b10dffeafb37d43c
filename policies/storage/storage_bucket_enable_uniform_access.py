"""CP-STO-001: buckets use uniform bucket-level access (IAM only, no object ACLs)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.checks import must_hold
from policies._lib.gcp import BUCKET
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types

META = Meta(
    id="CP-STO-001",
    name="storage-bucket-enable-uniform-access",
    description="Ensure Cloud Storage buckets enable uniform bucket-level access.",
    severity="high",
    section="§6 Access Control: principle of least privilege",
    remediation="Set uniform_bucket_level_access=True on the bucket.",
    on_missing="violation",
    missing_rationale="the provider default is false, which leaves per-object ACLs in force",
)


def check(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    yield from must_hold(args.props, "uniformBucketLevelAccess", True, default=False)


POLICY = resource_policy(META, applies_to=types(BUCKET), check=check)
