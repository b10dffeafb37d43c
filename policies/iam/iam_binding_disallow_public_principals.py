"""CP-IAM-002: no grants to allUsers/allAuthenticatedUsers, except the public invoker binding."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, string_list
from policies._lib.gcp import (
    CLOUD_RUN_SERVICE_IAM_BINDING,
    CLOUD_RUN_SERVICE_IAM_MEMBER,
    iam_grants,
    is_iam_grant,
)
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy
from policies._lib.props import Unknown, get, is_missing

META = Meta(
    id="CP-IAM-002",
    name="iam-binding-disallow-public-principals",
    description=(
        "Ensure no IAM grant names allUsers or allAuthenticatedUsers, except roles/run.invoker "
        "on a Cloud Run service that the policy config marks public."
    ),
    severity="critical",
    section="§6 Access Control: principle of least privilege",
    remediation=(
        "Grant the role to a group or service account; if the service really is public (the "
        "frontend), add its service name to publicCloudRunServices in policies/config/<env>.json."
    ),
    on_missing="pass",
    missing_rationale=(
        "an IAM resource without role or member is rejected by the provider and grants nothing"
    ),
)

CONFIG: Schema = {
    "publicPrincipals": string_list(
        ["allUsers", "allAuthenticatedUsers"], "Members that mean 'anyone'.", non_empty_items=False
    ),
    "publicCloudRunServices": string_list(
        [],
        "Cloud Run service names (patterns) that may grant invokerRole to the public, "
        "matched against the IAM resource's `name` input (its last path segment).",
    ),
    "invokerRole": {
        "type": "string",
        "default": "roles/run.invoker",
        "description": "The only role a public Cloud Run service may grant to the public.",
    },
}

_PUBLIC_INVOKER_TYPES = (CLOUD_RUN_SERVICE_IAM_MEMBER, CLOUD_RUN_SERVICE_IAM_BINDING)


def _public_service(args: ResourceValidationArgs, config: Mapping[str, Any]) -> str | None:
    """The Cloud Run service this IAM resource targets, if config marks that service public."""
    if args.resource_type not in _PUBLIC_INVOKER_TYPES:
        return None
    service = get(args.props, "name")
    if is_missing(service):
        return None
    short = str(service).rsplit("/", 1)[-1]
    patterns = [str(p) for p in config["publicCloudRunServices"]]
    return short if any(fnmatchcase(short, p) for p in patterns) else None


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    grants, unreadable = iam_grants(args.resource_type, args.props)
    yield from unreadable
    public = set(config["publicPrincipals"])
    allowed_service = _public_service(args, config)
    for grant in grants:
        if isinstance(grant.member, Unknown):
            # Not known until apply: decided during the preview by the stack policy
            # iam-principal-enforce-stack-service-accounts from what the member is built of,
            # and here once the value is known (the update).
            continue
        if grant.member not in public:
            continue
        if isinstance(grant.role, Unknown):
            grant.role.undecided()
        if allowed_service is not None and grant.role == config["invokerRole"]:
            continue
        if allowed_service is not None:
            yield (
                f"{grant.where} grants {grant.role} to {grant.member}: public service "
                f"{allowed_service} may grant only {config['invokerRole']} to the public"
            )
        else:
            yield f"{grant.where} grants {grant.role} to {grant.member}"


POLICY = resource_policy(META, applies_to=is_iam_grant, check=check, config=CONFIG)
