"""CP-IAM-008: only service accounts may impersonate service accounts.

Roles that let the holder act as a service account (mint its tokens, sign as it, attach it to a
workload, or be it through Workload Identity) turn every person or group that holds them into
that account, whatever the account may do. The stacks grant them only to their own service
accounts, and the bootstrap to the GitHub workload identity pool (keyless CI); a grant to
``user:``, ``group:``, ``domain:``, a workforce pool or any other principal is refused, on any IAM
type of any service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, string_list
from policies._lib.gcp import iam_grants, is_iam_grant
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy
from policies._lib.props import Unknown

META = Meta(
    id="CP-IAM-008",
    name="iam-binding-disallow-impersonation-by-people",
    description=(
        "Ensure roles that act as a service account (token creator, service account user, "
        "workload identity user) are granted only to service accounts, never to people."
    ),
    severity="critical",
    section="§6 Access Control: principle of least privilege, scoped tokens",
    remediation=(
        "Grant the role to the workload's service account; people reach a service account's "
        "permissions through a reviewed change to the program, not by impersonating it."
    ),
    on_missing="pass",
    missing_rationale=(
        "an IAM resource without role or member is rejected by the provider and grants nothing"
    ),
)

CONFIG: Schema = {
    "impersonationRoles": string_list(
        [
            "roles/iam.serviceAccountTokenCreator",
            "roles/iam.serviceAccountUser",
            "roles/iam.workloadIdentityUser",
            "roles/iam.serviceAccountOpenIdTokenCreator",
            "roles/iam.serviceAccountKeyAdmin",
            "roles/iam.serviceAccountAdmin",
        ],
        "Roles that let the holder act as a service account.",
    ),
    "allowedMembers": string_list(
        [
            "serviceAccount:*",
            "principal://iam.googleapis.com/projects/*/locations/global/workloadIdentityPools/*",
            "principalSet://iam.googleapis.com/projects/*/locations/global/workloadIdentityPools/*",
        ],
        "Members (shell patterns) that may hold an impersonation role: service accounts and "
        "workload identity pool principals (keyless CI), never people or workforce pools.",
    ),
}


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    grants, unreadable = iam_grants(args.resource_type, args.props)
    yield from unreadable
    roles = set(config["impersonationRoles"])
    allowed = [str(p) for p in config["allowedMembers"]]
    for grant in grants:
        if isinstance(grant.member, Unknown):
            # Decided by iam-principal-enforce-stack-service-accounts during a preview; an
            # update has no unknowns (inventory-resource-disallow-unknown-values).
            continue
        if any(fnmatchcase(grant.member, pattern) for pattern in allowed):
            continue
        if isinstance(grant.role, Unknown):
            grant.role.undecided()
        if grant.role in roles:
            yield (
                f"{grant.where} grants {grant.role} to {grant.member}, which is not a service "
                "account: it could act as the service account"
            )


POLICY = resource_policy(META, applies_to=is_iam_grant, check=check, config=CONFIG)
