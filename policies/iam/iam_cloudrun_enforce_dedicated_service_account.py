"""CP-IAM-004: every serverless workload runs as its own service account.

Cloud Run v2 services, jobs and worker pools, Cloud Run v1 services and Cloud Functions of both
generations (``WORKLOAD_SERVICE_ACCOUNT_PATHS``): the same capability under another type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, string_list
from policies._lib.gcp import WORKLOAD_SERVICE_ACCOUNT_PATHS
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types
from policies._lib.props import is_missing, is_unknown, peek

META = Meta(
    id="CP-IAM-004",
    name="iam-cloudrun-enforce-dedicated-service-account",
    description=(
        "Ensure each Cloud Run service, job and worker pool runs as a dedicated service "
        "account, not the default compute service account."
    ),
    severity="high",
    section="§6 Access Control: principle of least privilege",
    remediation=(
        "Create a service account for the workload (its own gcp.serviceaccount.Account) and set "
        "template.serviceAccount (jobs: template.template.serviceAccount) to its email."
    ),
    on_missing="violation",
    missing_rationale=(
        "without a service account Cloud Run runs the workload as the default compute service "
        "account, which holds broad project permissions"
    ),
)

CONFIG: Schema = {
    "forbiddenServiceAccounts": string_list(
        ["*-compute@developer.gserviceaccount.com", "*@appspot.gserviceaccount.com"],
        "Shared default service accounts (patterns) a workload must not run as.",
    ),
}


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    path = WORKLOAD_SERVICE_ACCOUNT_PATHS[args.resource_type]
    account = peek(args.props, path)
    if is_unknown(account):
        # The e-mail of an account created in the same run is not known until apply: decided
        # during the preview by the stack policy iam-principal-enforce-stack-service-accounts
        # from what the value is built of, and here once it is known (the update).
        return
    if is_missing(account) or not str(account):
        yield f"{path} is not set, so the workload runs as the default compute service account"
        return
    for pattern in config["forbiddenServiceAccounts"]:
        if fnmatchcase(str(account), str(pattern)):
            yield f"{path} is the shared default service account {account}"
            return


POLICY = resource_policy(
    META, applies_to=types(*WORKLOAD_SERVICE_ACCOUNT_PATHS), check=check, config=CONFIG
)
