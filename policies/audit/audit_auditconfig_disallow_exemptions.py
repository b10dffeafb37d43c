"""CP-AUD-006: the audit logs the stack turns on record every principal.

An ``exemptedMembers`` entry silences a log type for a principal; where a config for
``allServices`` and one for a service both exist, GCP applies their union, exemptions included
(the ``AuditConfig`` reference of the IAM API). An audit config can also come in another type: the
``auditConfigs`` of an authoritative ``IAMPolicy``'s ``policyData``, or a folder's or an
organization's audit config, which the project inherits. And an ``IAMAuditConfig`` is
authoritative for its service: two of them for the same service and project overwrite each other,
so the weaker one can win. CP-AUD-003 asks that the log types be on; this policy makes sure nothing
beside it takes them away for someone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.meta import Meta
from policies._lib.policy import stack_policy, types
from policies._lib.props import as_list, get, is_missing

META = Meta(
    id="CP-AUD-006",
    name="audit-auditconfig-disallow-exemptions",
    description=(
        "Ensure the audit logs the stack turns on record every principal: no audit config, of a "
        "project, folder or organization or inside an IAM policy, exempts a member, and no "
        "service has two audit configs in one project that overwrite each other."
    ),
    severity="high",
    section="§6 Audit Trail: every action stored with timestamp and actor",
    remediation=(
        "Remove exempted_members from every audit_log_configs entry and declare one "
        "gcp.projects.IAMAuditConfig per service and project."
    ),
    on_missing="pass",
    missing_rationale=(
        "an audit config without exemptedMembers exempts nobody; whether the log types are on "
        "is CP-AUD-003's question"
    ),
)

AUDIT_CONFIGS = (
    "gcp:projects/iAMAuditConfig:IAMAuditConfig",
    "gcp:folder/iamAuditConfig:IamAuditConfig",
    "gcp:organizations/iamAuditConfig:IamAuditConfig",
)
IAM_POLICIES = (
    "gcp:projects/iAMPolicy:IAMPolicy",
    "gcp:folder/iAMPolicy:IAMPolicy",
    "gcp:organizations/iAMPolicy:IAMPolicy",
)
PROJECT_AUDIT_CONFIG = AUDIT_CONFIGS[0]


def _exemptions(service: str, log_configs: Any) -> Iterator[str]:
    for config in as_list(log_configs):
        members = [str(m) for m in as_list(get(config, "exemptedMembers"))]
        if members:
            yield (
                f"exempts {', '.join(members)} from {get(config, 'logType')} audit logs of "
                f"{service}"
            )


def _policy_data_exemptions(resource: PolicyResource) -> Iterator[str]:
    data = get(resource.props, "policyData")
    if is_missing(data):
        return
    try:
        document = json.loads(str(data))
    except ValueError:
        return  # unreadable policies are the IAM policies' concern
    if not isinstance(document, dict):
        return
    for audit in document.get("auditConfigs") or []:
        if isinstance(audit, dict):
            yield from _exemptions(str(audit.get("service")), audit.get("auditLogConfigs"))


def check(
    resources: list[PolicyResource], _config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    seen: dict[tuple[str, str], PolicyResource] = {}
    for resource in resources:
        kind, props = resource.resource_type, resource.props
        if kind in IAM_POLICIES:
            for problem in _policy_data_exemptions(resource):
                yield f"policyData of {resource.name} {problem}", resource.urn
            continue
        service = str(get(props, "service"))
        for problem in _exemptions(service, get(props, "auditLogConfigs")):
            yield f"{resource.name} {problem}", resource.urn
        if kind != PROJECT_AUDIT_CONFIG:
            continue
        key = (str(get(props, "project")), service)
        if key in seen:
            yield (
                f"{resource.name} and {seen[key].name} both set the audit config of {service} in "
                f"{key[0]}: each replaces the other's, so the weaker one can win",
                resource.urn,
            )
        else:
            seen[key] = resource


POLICY = stack_policy(
    META, applies_to=types(*AUDIT_CONFIGS, *IAM_POLICIES), check=check, config=None
)
