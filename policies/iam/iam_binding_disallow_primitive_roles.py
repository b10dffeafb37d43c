"""CP-IAM-001: no primitive roles on any IAM member, binding or policy resource."""

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
    id="CP-IAM-001",
    name="iam-binding-disallow-primitive-roles",
    description=(
        "Ensure no IAM member, binding or policy grants a primitive role "
        "(roles/owner, roles/editor, roles/viewer)."
    ),
    severity="high",
    section="§6 Access Control: principle of least privilege",
    remediation=(
        "Grant the predefined role that covers the task (e.g. roles/run.developer, "
        "roles/logging.viewer) instead of a primitive role."
    ),
    on_missing="pass",
    missing_rationale=(
        "an IAM resource without role or member is rejected by the provider and grants nothing"
    ),
)

CONFIG: Schema = {
    "roles": string_list(
        ["roles/owner", "roles/editor", "roles/viewer"],
        "Roles that count as primitive.",
        non_empty_items=False,
    ),
}


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    grants, unreadable = iam_grants(args.resource_type, args.props)
    yield from unreadable
    primitive = set(config["roles"])
    for grant in grants:
        # Only the role decides; a member unknown until apply does not matter here.
        if isinstance(grant.role, Unknown):
            grant.role.undecided()
        if grant.role in primitive:
            member = grant.member if isinstance(grant.member, str) else "(known after apply)"
            yield f"{grant.where} {member} is granted primitive role {grant.role}"


POLICY = resource_policy(META, applies_to=is_iam_grant, check=check, config=CONFIG)
