"""CP-IAM-002 iam-binding-disallow-public-principals."""

from __future__ import annotations

import pytest

from policies.iam.iam_binding_disallow_public_principals import META
from tests.support.policies import iam_binding, iam_policy, message_for

NAME = META.name
RUN_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
RUN_BINDING = "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"

msg = message_for(META)


def invoker(make, service="acme-prod-frontend", role="roles/run.invoker", member="allUsers"):
    return make(
        RUN_MEMBER,
        "frontend-invoker-allusers",
        {
            "project": "p",
            "location": "europe-west1",
            "name": service,
            "role": role,
            "member": member,
        },
    )


def test_compliant_baseline_passes(analyze, make):
    # prod.json marks *-frontend public: its invoker binding may name allUsers.
    assert analyze([invoker(make)]).of(NAME) == []


def test_full_service_name_path_is_matched_by_last_segment(analyze, make):
    resource = invoker(
        make, service="projects/p/locations/europe-west1/services/acme-prod-frontend"
    )
    assert analyze([resource]).of(NAME) == []


def test_invoker_on_a_service_not_marked_public_is_rejected(analyze, make):
    resource = invoker(make, service="acme-prod-agent")
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("member grants roles/run.invoker to allUsers"))
    ]


def test_other_role_on_a_public_service_is_rejected(analyze, make):
    resource = invoker(make, role="roles/run.developer")
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg(
                "member grants roles/run.developer to allUsers: public service "
                "acme-prod-frontend may grant only roles/run.invoker to the public"
            ),
        )
    ]


@pytest.mark.parametrize("principal", ["allUsers", "allAuthenticatedUsers"])
def test_public_principal_on_a_bucket_is_rejected(analyze, make, principal):
    resource = make(
        BUCKET_MEMBER,
        "archive-public-read",
        {"bucket": "b", "role": "roles/storage.objectViewer", "member": principal},
    )
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg(f"member grants roles/storage.objectViewer to {principal}"))
    ]


def test_binding_with_a_public_member_is_rejected(analyze):
    resource = iam_binding(
        RUN_BINDING,
        "agent-invokers",
        {"name": "acme-prod-agent"},
        "roles/run.invoker",
        ["group:a@example.com", "allAuthenticatedUsers"],
    )
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("members[1] grants roles/run.invoker to allAuthenticatedUsers"))
    ]


def test_public_binding_in_policy_data_is_rejected(analyze):
    resource = iam_policy(
        "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy",
        "frontend-policy",
        {"name": "acme-prod-frontend"},
        {"roles/run.invoker": ["allUsers"]},
    )
    # Only member/binding resources can use the public-service allowance; a policy is authoritative.
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("policyData.bindings[0].members[0] grants roles/run.invoker to allUsers"),
        )
    ]


def test_missing_member_passes_on_purpose(analyze, make):
    resource = invoker(make, service="acme-prod-agent")
    del resource["inputs"]["member"]
    assert META.on_missing == "pass"
    assert analyze([resource]).of(NAME) == []


def test_no_public_services_configured_rejects_the_frontend(analyze, make):
    resource = invoker(make)
    overrides = {NAME: {"publicCloudRunServices": []}}
    assert analyze([resource], overrides=overrides).of(NAME) == [
        (resource["urn"], msg("member grants roles/run.invoker to allUsers"))
    ]


def test_exclude_pattern_exempts(analyze, make):
    resource = invoker(make, service="acme-prod-agent")
    checked = analyze([resource], overrides={NAME: {"exclude": ["*-invoker-allusers"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern '*-invoker-allusers'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = invoker(make, service="acme-prod-agent")
    checked = analyze([resource], overrides={NAME: {"include": ["agent-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['agent-*']")]
