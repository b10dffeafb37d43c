"""CP-CRD-003: only service accounts may read secret payloads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, string_list
from policies._lib.gcp import iam_grants, is_iam_grant
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy
from policies._lib.props import Unknown

META = Meta(
    id="CP-CRD-003",
    name="credentials-accessor-enforce-service-account-members",
    description=(
        "Ensure the Secret Manager accessor role is granted only to serviceAccount: members."
    ),
    severity="high",
    section="§6 Access Control: principle of least privilege, scoped tokens",
    remediation=(
        "Grant roles/secretmanager.secretAccessor to the workload's service account only; "
        "people read secret metadata with roles/secretmanager.viewer, never the payload."
    ),
    on_missing="pass",
    missing_rationale=(
        "an IAM resource without role or member is rejected by the provider and grants nothing"
    ),
)

CONFIG: Schema = {
    "accessorRoles": string_list(
        ["roles/secretmanager.secretAccessor"],
        "Roles that read secret payloads.",
        non_empty_items=False,
    ),
    "allowedMemberPrefixes": string_list(
        ["serviceAccount:"], "Member prefixes that may hold an accessor role."
    ),
}


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    grants, unreadable = iam_grants(args.resource_type, args.props)
    yield from unreadable
    roles = set(config["accessorRoles"])
    prefixes = tuple(str(p) for p in config["allowedMemberPrefixes"])
    for grant in grants:
        if isinstance(grant.member, Unknown):
            # Not known until apply: decided during the preview by the stack policy
            # iam-principal-enforce-stack-service-accounts from what the member is built of,
            # and here once the value is known (the update).
            continue
        if grant.member.startswith(prefixes):
            continue
        if isinstance(grant.role, Unknown):
            grant.role.undecided()
        if grant.role in roles:
            yield (
                f"{grant.where} grants {grant.role} to {grant.member}, which is not a "
                "service account"
            )


POLICY = resource_policy(META, applies_to=is_iam_grant, check=check, config=CONFIG)
