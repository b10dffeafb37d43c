"""CP-IAM-003: no user-managed service account keys."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.gcp import SERVICE_ACCOUNT_KEY
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types

META = Meta(
    id="CP-IAM-003",
    name="iam-serviceaccount-disallow-keys",
    description="Ensure no user-managed service account key is created.",
    severity="high",
    section="§6 Access Control: scoped tokens, rotating credentials",
    remediation=(
        "Remove the gcp.serviceaccount.Key; workloads use their attached service account and "
        "CI uses Workload Identity Federation, so no long-lived key exists to leak."
    ),
    on_missing="violation",
    missing_rationale="the resource itself is the violation, whatever its properties",
)


def check(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    yield (
        "a service account key is a long-lived credential: use the workload's attached "
        "service account or Workload Identity Federation instead"
    )


POLICY = resource_policy(META, applies_to=types(SERVICE_ACCOUNT_KEY), check=check)
