"""CP-AUD-006 audit-auditconfig-disallow-exemptions (stack policy)."""

from __future__ import annotations

import json

import pytest

from policies.audit.audit_auditconfig_disallow_exemptions import META
from tests.support.policies import message_for

NAME = META.name
P = "acme-cp-prod"
AUDIT = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
TYPES = ["ADMIN_READ", "DATA_READ", "DATA_WRITE"]

msg = message_for(META)


def audit(make, name="logs-audit-storage", service="storage.googleapis.com", kind=AUDIT, **extra):
    configs = [{"logType": t, **extra.get(t, {})} for t in TYPES]
    scope = (
        {"project": P}
        if kind == AUDIT
        else {"folder": "folders/1"}
        if "folder" in kind
        else {"orgId": "1"}
    )
    return make(kind, name, {**scope, "service": service, "auditLogConfigs": configs})


def test_compliant_baseline_passes(analyze, make):
    resources = [audit(make), audit(make, "logs-audit-run", "run.googleapis.com")]
    assert analyze(resources).of(NAME) == []


@pytest.mark.parametrize(
    "kind",
    [
        AUDIT,
        "gcp:folder/iamAuditConfig:IamAuditConfig",
        "gcp:organizations/iamAuditConfig:IamAuditConfig",
    ],
)
def test_an_exempted_member_silences_the_data_access_logs(analyze, make, kind):
    resource = audit(make, kind=kind, DATA_READ={"exemptedMembers": ["user:mallory@example.com"]})
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg(
                "logs-audit-storage exempts user:mallory@example.com from DATA_READ audit logs "
                "of storage.googleapis.com"
            ),
        )
    ]


def test_an_all_services_config_exempts_for_every_service(analyze, make):
    # GCP applies the union of allServices and a service's config, exemptions included.
    everything = audit(
        make,
        "logs-audit-all",
        "allServices",
        DATA_WRITE={"exemptedMembers": ["group:ops@example.com"]},
    )
    assert analyze([audit(make), everything]).of(NAME) == [
        (
            everything["urn"],
            msg(
                "logs-audit-all exempts group:ops@example.com from DATA_WRITE audit logs of "
                "allServices"
            ),
        )
    ]


def test_an_iam_policy_carrying_an_exempting_audit_config(analyze, make):
    document = {
        "bindings": [],
        "auditConfigs": [
            {
                "service": "allServices",
                "auditLogConfigs": [
                    {"logType": "DATA_READ", "exemptedMembers": ["user:mallory@example.com"]}
                ],
            }
        ],
    }
    policy = make(
        "gcp:projects/iAMPolicy:IAMPolicy",
        "project-policy",
        {"project": P, "policyData": json.dumps(document)},
    )
    assert analyze([audit(make), policy]).of(NAME) == [
        (
            policy["urn"],
            msg(
                "policyData of project-policy exempts user:mallory@example.com from DATA_READ "
                "audit logs of allServices"
            ),
        )
    ]


def test_a_second_config_for_the_same_service_overwrites_the_first(analyze, make):
    weaker = make(
        AUDIT,
        "logs-audit-storage-admin",
        {
            "project": P,
            "service": "storage.googleapis.com",
            "auditLogConfigs": [{"logType": "ADMIN_READ"}],
        },
    )
    assert analyze([audit(make), weaker]).of(NAME) == [
        (
            weaker["urn"],
            msg(
                "logs-audit-storage-admin and logs-audit-storage both set the audit config of "
                f"storage.googleapis.com in {P}: each replaces the other's, so the weaker one can "
                "win"
            ),
        )
    ]


def test_no_exempted_members_exempts_nobody_on_purpose(analyze, make):
    assert META.on_missing == "pass"
    resource = audit(make, DATA_READ={"exemptedMembers": []})
    assert analyze([resource]).of(NAME) == []
