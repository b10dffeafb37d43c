"""CP-IAM-005 iam-principal-enforce-stack-service-accounts, with the principal policies that
leave unknown principals to it (CP-IAM-001, CP-IAM-002, CP-IAM-004, CP-CRD-003).

Every case is a preview of a new stack: the unknown sentinel stands where the engine sends a
value not known until apply, and ``propertyDependencies`` say what it is built from.
"""

from __future__ import annotations

from typing import Any

from policies.credentials.credentials_accessor_enforce_service_account_members import (
    META as ACCESSOR,
)
from policies.iam.iam_binding_disallow_primitive_roles import META as PRIMITIVE
from policies.iam.iam_binding_disallow_public_principals import META as PUBLIC
from policies.iam.iam_cloudrun_enforce_dedicated_service_account import META as DEDICATED
from policies.iam.iam_principal_enforce_stack_service_accounts import META
from preflight.snapshot import UNKNOWN
from tests.support.policies import message_for

NAME = META.name
PRINCIPAL_POLICIES = (PUBLIC.name, PRIMITIVE.name, ACCESSOR.name, DEDICATED.name)
ACCOUNT = "gcp:serviceaccount/account:Account"
SECRET = "gcp:secretmanager/secret:Secret"
SECRET_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
SINK = "gcp:logging/projectSink:ProjectSink"
RUN_JOB = "gcp:cloudrunv2/job:Job"
PROJECT_BINDING = "gcp:projects/iAMBinding:IAMBinding"
ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"
PREVIEW = "from policy pack 'controlplane-policies@v0.0.1' during preview: "


def account(make) -> dict[str, Any]:
    return make(ACCOUNT, "agent-sa", {"accountId": "acme-prod-agent", "project": "p"})


def built_from(resource: dict[str, Any], key: str, *sources: dict[str, Any]) -> dict[str, Any]:
    """``resource`` with its ``key`` property recorded as built from ``sources``' outputs."""
    urns = sorted(s["urn"] for s in sources)
    resource["propertyDependencies"][key] = urns
    resource["dependencies"] = sorted({*resource["dependencies"], *urns})
    return resource


def accessor(make, member: Any, role: str = ACCESSOR_ROLE) -> dict[str, Any]:
    return make(SECRET_MEMBER, "gemini-accessor", {"secretId": "s", "role": role, "member": member})


def job(make, account_email: Any) -> dict[str, Any]:
    return make(
        RUN_JOB,
        "reembed-job",
        {
            "location": "europe-west1",
            "template": {"template": {"serviceAccount": account_email, "containers": []}},
        },
    )


def undecided(checked, policy: str) -> list[str]:
    prefix = f"can't run policy '{policy}' {PREVIEW}"
    return [m.removeprefix(prefix) for _, m in checked.of(policy) if m.startswith(prefix)]


def test_member_built_from_a_stack_service_account_is_decided(analyze, make):
    sa = account(make)
    grant = built_from(accessor(make, UNKNOWN), "member", sa)
    checked = analyze([sa, grant])
    for policy in (NAME, *PRINCIPAL_POLICIES):
        assert checked.of(policy) == [], policy


def test_workload_running_as_a_stack_service_account_is_decided(analyze, make):
    sa = account(make)
    secret = make(SECRET, "gemini", {"secretId": "gemini"})
    workload = built_from(job(make, UNKNOWN), "template", sa, secret)
    checked = analyze([sa, secret, workload])
    for policy in (NAME, *PRINCIPAL_POLICIES):
        assert checked.of(policy) == [], policy


def test_log_sink_writer_identity_is_a_service_account(analyze, make):
    sink = make(SINK, "audit-sink", {"destination": "storage.googleapis.com/b"})
    grant = make(
        BUCKET_MEMBER,
        "sink-writer",
        {"bucket": "b", "role": "roles/storage.objectCreator", "member": UNKNOWN},
    )
    checked = analyze([sink, built_from(grant, "member", sink)])
    assert checked.of(NAME) == []


def test_unknown_member_not_built_from_a_service_account_stays_undecided(analyze, make):
    # Planted fault: a member built from a secret's output could be anything; nothing passes it.
    secret = make(SECRET, "gemini", {"secretId": "gemini"})
    grant = built_from(accessor(make, UNKNOWN), "member", secret)
    checked = analyze([secret, grant])
    assert undecided(checked, NAME) == [
        "1 principal(s) can't be known during preview and are not built from a service account "
        f"of this stack: member of {grant['urn']}"
    ]
    assert checked.levels(NAME) == ["advisory"]
    for policy in PRINCIPAL_POLICIES:
        assert checked.of(policy) == [], policy


def test_unknown_member_with_mixed_sources_stays_undecided(analyze, make):
    sa, secret = account(make), make(SECRET, "gemini", {"secretId": "gemini"})
    grant = built_from(accessor(make, UNKNOWN), "member", sa, secret)
    assert len(undecided(analyze([sa, secret, grant]), NAME)) == 1


def test_unknown_member_without_dependencies_stays_undecided(analyze, make):
    grant = accessor(make, UNKNOWN)
    assert len(undecided(analyze([grant]), NAME)) == 1


def test_workload_account_not_built_from_a_service_account_stays_undecided(analyze, make):
    secret = make(SECRET, "gemini", {"secretId": "gemini"})
    workload = built_from(job(make, UNKNOWN), "template", secret)
    checked = analyze([secret, workload])
    assert undecided(checked, NAME) == [
        "1 principal(s) can't be known during preview and are not built from a service account "
        f"of this stack: template.template.serviceAccount of {workload['urn']}"
    ]
    assert checked.of(DEDICATED.name) == []


def test_public_member_is_still_a_violation_next_to_an_unknown_one(analyze, make):
    # Planted fault: a literal allUsers stays a violation in a preview, whatever else is unknown.
    sa = account(make)
    binding = make(
        PROJECT_BINDING,
        "viewers",
        {"project": "p", "role": "roles/logging.viewer", "members": [UNKNOWN, "allUsers"]},
    )
    checked = analyze([sa, built_from(binding, "members", sa)])
    assert checked.of(PUBLIC.name) == [
        (binding["urn"], message_for(PUBLIC)("members[1] grants roles/logging.viewer to allUsers"))
    ]
    assert checked.levels(PUBLIC.name) == ["mandatory"]
    assert checked.of(NAME) == []


def test_primitive_role_is_decided_without_the_member(analyze, make):
    sa = account(make)
    grant = built_from(accessor(make, UNKNOWN, role="roles/editor"), "member", sa)
    assert analyze([sa, grant]).of(PRIMITIVE.name) == [
        (
            grant["urn"],
            message_for(PRIMITIVE)(
                "member (known after apply) is granted primitive role roles/editor"
            ),
        )
    ]


def test_unknown_role_stays_undecided_for_the_role_policies(analyze, make):
    grant = make(SECRET_MEMBER, "odd", {"secretId": "s", "role": UNKNOWN, "member": "user:a@b"})
    checked = analyze([grant])
    assert undecided(checked, PRIMITIVE.name) == [
        "string value at .role can't be known during preview"
    ]
    assert undecided(checked, ACCESSOR.name) == [
        "string value at .role can't be known during preview"
    ]
    assert checked.of(PUBLIC.name) == []


def test_person_holding_the_accessor_role_is_still_a_violation(analyze, make):
    grant = accessor(make, "user:someone@example.com")
    assert analyze([grant]).of(ACCESSOR.name) == [
        (
            grant["urn"],
            message_for(ACCESSOR)(
                f"member grants {ACCESSOR_ROLE} to user:someone@example.com, which is not a "
                "service account"
            ),
        )
    ]
