"""CP-IAM-008 iam-binding-disallow-impersonation-by-people."""

from __future__ import annotations

import pytest

from policies.iam.iam_binding_disallow_impersonation_by_people import META

NAME = META.name
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
WIF = (
    "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/"
    "ci/attribute.repository/acme/infra"
)


def grant(make, type_token, role, member):
    return make(type_token, "grant", {"role": role, "member": member, "project": "p"})


@pytest.mark.parametrize(
    "member", ["serviceAccount:acme-prod-agent-sa@p.iam.gserviceaccount.com", WIF]
)
def test_service_accounts_and_ci_workloads_pass(analyze, make, member):
    resource = grant(make, "gcp:projects/iAMMember:IAMMember", TOKEN_CREATOR, member)
    assert analyze([resource]).of(NAME) == []


@pytest.mark.parametrize(
    "type_token",
    [
        "gcp:projects/iAMMember:IAMMember",
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:pubsub/topicIAMMember:TopicIAMMember",
    ],
)
@pytest.mark.parametrize(
    "role",
    [TOKEN_CREATOR, "roles/iam.serviceAccountUser", "roles/iam.workloadIdentityUser"],
)
@pytest.mark.parametrize("member", ["user:dev@example.com", "group:eng@example.com"])
def test_people_are_rejected_on_any_iam_type(analyze, make, type_token, role, member):
    resource = grant(make, type_token, role, member)
    detail = (
        f"member grants {role} to {member}, which is not a service account: it could act as the "
        "service account"
    )
    checked = analyze([resource])
    assert checked.of(NAME) == [(resource["urn"], f"{META.description}\n{detail}")]
    assert checked.levels(NAME) == ["mandatory"]


def test_other_roles_for_people_are_not_this_policy_s(analyze, make):
    resource = grant(make, "gcp:projects/iAMMember:IAMMember", "roles/logging.viewer", "user:a@b")
    assert analyze([resource]).of(NAME) == []
