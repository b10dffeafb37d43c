"""CP-CRD-003 credentials-accessor-enforce-service-account-members."""

from __future__ import annotations

import pytest

from policies.credentials.credentials_accessor_enforce_service_account_members import META
from tests.support.policies import message_for

NAME = META.name
SECRET_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
PROJECT_BINDING = "gcp:projects/iAMBinding:IAMBinding"
ACCESSOR = "roles/secretmanager.secretAccessor"
SA = "serviceAccount:acme-prod-agent-sa@acme-cp-prod.iam.gserviceaccount.com"

msg = message_for(META)


def grant(make, member=SA, role=ACCESSOR):
    return make(
        SECRET_MEMBER,
        "vault-gemini-api-key-agent",
        {"secretId": "acme-prod-gemini-api-key", "role": role, "member": member},
    )


def test_compliant_baseline_passes(analyze, make):
    assert analyze([grant(make)]).of(NAME) == []


@pytest.mark.parametrize(
    "member", ["user:dev@example.com", "group:ops@example.com", "domain:example.com", "allUsers"]
)
def test_non_service_account_accessor_is_rejected(analyze, make, member):
    resource = grant(make, member=member)
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg(f"member grants {ACCESSOR} to {member}, which is not a service account"),
        )
    ]


def test_project_level_binding_is_checked(analyze, make):
    resource = make(
        PROJECT_BINDING,
        "project-accessors",
        {"project": "p", "role": ACCESSOR, "members": [SA, "user:dev@example.com"]},
    )
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg(
                f"members[1] grants {ACCESSOR} to user:dev@example.com, "
                "which is not a service account"
            ),
        )
    ]


def test_other_roles_are_not_this_policys_concern(analyze, make):
    assert (
        analyze(
            [grant(make, member="group:ops@example.com", role="roles/secretmanager.viewer")]
        ).of(NAME)
        == []
    )


def test_missing_member_passes_on_purpose(analyze, make):
    resource = grant(make)
    del resource["inputs"]["member"]
    assert META.on_missing == "pass"
    assert analyze([resource]).of(NAME) == []


def test_configured_roles_and_prefixes(analyze, make):
    resource = grant(
        make,
        member="principal://iam.googleapis.com/x",
        role="roles/secretmanager.secretVersionManager",
    )
    overrides = {
        NAME: {
            "accessorRoles": ["roles/secretmanager.secretVersionManager"],
            "allowedMemberPrefixes": ["serviceAccount:"],
        }
    }
    assert analyze([resource], overrides=overrides).of(NAME) == [
        (
            resource["urn"],
            msg(
                "member grants roles/secretmanager.secretVersionManager to "
                "principal://iam.googleapis.com/x, which is not a service account"
            ),
        )
    ]


def test_exclude_pattern_exempts(analyze, make):
    resource = grant(make, member="user:dev@example.com")
    checked = analyze([resource], overrides={NAME: {"exclude": ["vault-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'vault-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = grant(make, member="user:dev@example.com")
    checked = analyze([resource], overrides={NAME: {"include": ["project-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['project-*']")]
