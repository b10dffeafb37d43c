"""CP-IAM-005: a principal unknown during preview is built from a service account of the stack.

During the preview of a new stack, the e-mail of a service account the same run creates is not
known yet, so neither is an IAM member or a Cloud Run ``serviceAccount`` built from it. The
resource policies that judge principals (CP-IAM-002 public principals, CRD-003 accessor members,
IAM-004 dedicated service account) cannot resolve such a value: the engine's ``Analyze`` request
carries the resource's own properties only (``AnalyzeRequest``: type, properties, urn, name,
options, provider). They leave it to this stack policy, and judge the value themselves once it
is known (the update, where ``Analyze`` runs again before each resource is created).

``AnalyzeStack`` carries every resource with its ``propertyDependencies``: for each top-level
property, the resources whose outputs it was built from (``AnalyzerResource`` in the engine's
analyzer.proto; the engine calls it at the end of a preview as of an update,
``stepGenerator.AnalyzeResources`` in pulumi/pulumi ``pkg/resource/deploy``). An unknown principal
is resolved when what it is built from can only name service accounts:

* an IAM ``member``/``members`` entry: the property depends on at least one resource, and every
  one of them is a service account, a service agent or a log sink's writer identity
  (``IDENTITY_OUTPUTS`` in ``policies/_lib/gcp.py``): no such output names a person, a group or
  the public;
* a Cloud Run ``template.serviceAccount``: dependencies are recorded for the whole ``template``
  (secrets and other services show there too), so it is resolved when ``template`` depends on a
  ``gcp.serviceaccount.Account`` of the stack. The default compute account is never a resource
  of the stack, and its e-mail is built from the project number, which is known during preview,
  so a workload set to it shows as a literal the resource policy rejects.

Any other unknown principal stays undecided: the policy raises the runtime's unknown-value error,
and the engine reports "can't run policy ... during preview" (advisory) naming each one. It
never reports a violation itself: a principal that is known is judged by the resource policies.
The inference is about what a value is built from; the exact value is checked by the resource
policies at update time, before the resource is created.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from policies._lib.gcp import (
    CLOUD_RUN_SERVICE_ACCOUNT_PATHS,
    IDENTITY_OUTPUTS,
    SERVICE_ACCOUNT,
    iam_grants,
    is_iam_grant,
)
from policies._lib.meta import Meta
from policies._lib.policy import stack_policy
from policies._lib.props import Unknown, peek

META = Meta(
    id="CP-IAM-005",
    name="iam-principal-enforce-stack-service-accounts",
    description=(
        "Ensure every IAM member and Cloud Run service account that is unknown during preview "
        "is built from a service account the stack declares."
    ),
    severity="critical",
    section="§6 Access Control: principle of least privilege",
    remediation=(
        "Build the member from a gcp.serviceaccount.Account of the stack (its member or email "
        "output) or write it as a literal, so the principal policies can judge it during preview."
    ),
    on_missing="pass",
    missing_rationale=(
        "a principal that is known or absent is judged by the resource policies themselves"
    ),
)


def applies_to(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    return resource_type in CLOUD_RUN_SERVICE_ACCOUNT_PATHS or is_iam_grant(
        resource_type, props, config
    )


def _unknown_principals(resource: PolicyResource) -> Iterator[tuple[str, str, Unknown]]:
    """``(where, top-level property, unknown value)`` for each principal unknown until apply."""
    path = CLOUD_RUN_SERVICE_ACCOUNT_PATHS.get(resource.resource_type)
    if path is not None:
        account = peek(resource.props, path)
        if isinstance(account, Unknown):
            yield path, path.split(".", 1)[0], account
        return
    try:
        grants, _ = iam_grants(resource.resource_type, resource.props)
    except UnknownValueError:
        # A wholly unknown members list or policyData: the resource policies cannot enumerate
        # its grants either and already report that they cannot run.
        return
    for grant in grants:
        if isinstance(grant.member, Unknown):
            yield grant.where, grant.member_key, grant.member


def _resolved(resource: PolicyResource, key: str) -> bool:
    sources = [d.resource_type for d in resource.property_dependencies.get(key, [])]
    if resource.resource_type in CLOUD_RUN_SERVICE_ACCOUNT_PATHS:
        return SERVICE_ACCOUNT in sources
    return bool(sources) and all(source in IDENTITY_OUTPUTS for source in sources)


def check(
    resources: list[PolicyResource], _config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    undecided: list[str] = []
    first: UnknownValueError | None = None
    for resource in resources:
        for where, key, unknown in _unknown_principals(resource):
            if _resolved(resource, key):
                continue
            undecided.append(f"{where} of {resource.urn}")
            first = first or unknown.error
    if first is not None:
        first.message = (
            f"{len(undecided)} principal(s) can't be known during preview and are not built "
            f"from a service account of this stack: {'; '.join(undecided)}"
        )
        raise first
    yield from ()


POLICY = stack_policy(META, applies_to=applies_to, check=check)
