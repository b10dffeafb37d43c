"""CP-IAM-007: no custom role carries a permission that amounts to owner.

A custom role (``gcp:projects/iAMCustomRole``, ``gcp:organizations/iAMCustomRole``, or any other
token whose class ends in ``CustomRole``) granted to anyone is as strong as its strongest
permission. The permissions below let the holder grant itself any role or act as any service
account, which is owner in all but name:

* ``*.setIamPolicy``: rewrite who holds what on the resource (the project: everything);
* ``iam.serviceAccounts.actAs``, ``getAccessToken``, ``getOpenIdToken``, ``signBlob``,
  ``signJwt``, ``implicitDelegation``: impersonate a service account
  (https://cloud.google.com/iam/docs/service-account-permissions);
* ``iam.serviceAccountKeys.create``: mint a long-lived key for a service account;
* ``iam.roles.create``, ``iam.roles.update``: write a role with any permission;
* ``*`` or any permission pattern with a wildcard (not valid in a role, and never reviewed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, string_list
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy
from policies._lib.props import as_list, get

META = Meta(
    id="CP-IAM-007",
    name="iam-role-disallow-owner-equivalent-permissions",
    description=(
        "Ensure no custom role holds a permission that lets its holder rewrite IAM policy or "
        "act as a service account, so that no grant is owner under another name."
    ),
    severity="critical",
    section="§6 Access Control: principle of least privilege",
    remediation=(
        "Remove the permission from the role; grant the predefined role that covers the task "
        "(e.g. roles/run.developer) to a service account of the stack instead."
    ),
    on_missing="pass",
    missing_rationale="a custom role without permissions grants nothing",
)

CONFIG: Schema = {
    "ownerEquivalentPermissions": string_list(
        [
            "*.setIamPolicy",
            "iam.serviceAccounts.actAs",
            "iam.serviceAccounts.getAccessToken",
            "iam.serviceAccounts.getOpenIdToken",
            "iam.serviceAccounts.signBlob",
            "iam.serviceAccounts.signJwt",
            "iam.serviceAccounts.implicitDelegation",
            "iam.serviceAccountKeys.create",
            "iam.roles.create",
            "iam.roles.update",
        ],
        "Permissions (shell patterns) that amount to owner.",
    ),
}

_CUSTOM_ROLE = re.compile(r"(?i)customrole$")


def applies(resource_type: str, _props: Mapping[str, Any], _config: Mapping[str, Any]) -> bool:
    return resource_type.startswith("gcp:") and bool(
        _CUSTOM_ROLE.search(resource_type.rsplit(":", 1)[-1])
    )


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    patterns = [str(p) for p in config["ownerEquivalentPermissions"]]
    for index, permission in enumerate(as_list(get(args.props, "permissions"))):
        text = str(permission)
        if any(ch in text for ch in "*?["):
            yield f"permissions[{index}] {text} is a wildcard: list each permission"
        elif any(fnmatchcase(text, p) for p in patterns):
            yield (
                f"permissions[{index}] {text} is owner-equivalent: its holder can grant itself "
                "any role or act as a service account"
            )


POLICY = resource_policy(META, applies_to=applies, check=check, config=CONFIG)
