"""CP-AUD-003: data-access audit logs (DATA_READ, DATA_WRITE) are on for the data services."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema, choice_list, string_list
from policies._lib.gcp import PROJECT_AUDIT_CONFIG
from policies._lib.meta import Meta
from policies._lib.policy import stack_policy, types
from policies._lib.props import as_list, get, present

META = Meta(
    id="CP-AUD-003",
    name="audit-project-missing-data-access-logs",
    description=(
        "Ensure the project turns on data-access audit logs (DATA_READ and DATA_WRITE) for "
        "every service that holds the control plane's data."
    ),
    severity="high",
    section="§6 Audit Trail: every action stored with timestamp and actor",
    remediation=(
        "Declare gcp.projects.IAMAuditConfig for each service (or one for 'allServices') with "
        "audit_log_configs for DATA_READ and DATA_WRITE."
    ),
    on_missing="violation",
    missing_rationale="data-access audit logs are off by default for most services",
)

ALL_SERVICES = "allServices"

CONFIG: Schema = {
    "services": string_list(
        [
            "cloudkms.googleapis.com",
            "run.googleapis.com",
            "secretmanager.googleapis.com",
            "storage.googleapis.com",
        ],
        "Services whose data-access logs must be on; an IAMAuditConfig for 'allServices' "
        "covers every one of them.",
    ),
    "logTypes": choice_list(
        ["ADMIN_READ", "DATA_READ", "DATA_WRITE"],
        ["DATA_READ", "DATA_WRITE"],
        "Log types that must be on.",
    ),
}


def _log_types(resource: PolicyResource) -> set[str]:
    return {
        str(get(c, "logType"))
        for c in as_list(get(resource.props, "auditLogConfigs"))
        if present(c, "logType")
    }


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    required = [str(t) for t in config["logTypes"]]
    reported: set[str] = set()
    for service in [str(s) for s in config["services"]]:
        candidates = [r for r in resources if get(r.props, "service") in (service, ALL_SERVICES)]
        if any(not [t for t in required if t not in _log_types(r)] for r in candidates):
            continue
        if not candidates:
            yield (
                f"no {PROJECT_AUDIT_CONFIG} turns on {', '.join(required)} for {service}: "
                f"declare one for {service} (or {ALL_SERVICES})",
                None,
            )
            continue
        for resource in candidates:
            if resource.urn in reported:
                continue
            reported.add(resource.urn)
            lacking = [t for t in required if t not in _log_types(resource)]
            yield (
                f"auditLogConfigs of {get(resource.props, 'service')} lacks {', '.join(lacking)}",
                resource.urn,
            )


POLICY = stack_policy(META, applies_to=types(PROJECT_AUDIT_CONFIG), check=check, config=CONFIG)
