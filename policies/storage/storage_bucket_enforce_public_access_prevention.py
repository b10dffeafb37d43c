"""CP-STO-002: buckets enforce public access prevention."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.checks import must_hold
from policies._lib.gcp import BUCKET
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types

META = Meta(
    id="CP-STO-002",
    name="storage-bucket-enforce-public-access-prevention",
    description="Ensure Cloud Storage buckets set public access prevention to enforced.",
    severity="critical",
    section="§6 Data Protection: customer data never public",
    remediation='Set public_access_prevention="enforced" on the bucket.',
    on_missing="violation",
    missing_rationale=(
        "the provider default is 'inherited', which lets a later IAM grant make objects public"
    ),
)


def check(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    yield from must_hold(args.props, "publicAccessPrevention", "enforced", default="inherited")


POLICY = resource_policy(META, applies_to=types(BUCKET), check=check)
