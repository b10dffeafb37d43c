"""CP-IAM-007 iam-role-disallow-owner-equivalent-permissions."""

from __future__ import annotations

import pytest

from policies.iam.iam_role_disallow_owner_equivalent_permissions import META

NAME = META.name
PROJECT_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
ORG_ROLE = "gcp:organizations/iAMCustomRole:IAMCustomRole"


def role(make, type_token, permissions):
    inputs = {"roleId": "helper", "title": "Helper", "permissions": permissions}
    return make(type_token, "helper-role", inputs)


def test_a_narrow_custom_role_passes(analyze, make):
    resource = role(make, PROJECT_ROLE, ["run.services.get", "logging.logEntries.list"])
    assert analyze([resource]).of(NAME) == []


@pytest.mark.parametrize("type_token", [PROJECT_ROLE, ORG_ROLE])
@pytest.mark.parametrize(
    "permission",
    [
        "resourcemanager.projects.setIamPolicy",
        "pubsub.topics.setIamPolicy",
        "iam.serviceAccounts.actAs",
        "iam.serviceAccounts.getAccessToken",
        "iam.serviceAccounts.signBlob",
        "iam.serviceAccountKeys.create",
        "iam.roles.update",
    ],
)
def test_an_owner_equivalent_permission_is_rejected(analyze, make, type_token, permission):
    resource = role(make, type_token, ["run.services.get", permission])
    detail = (
        f"permissions[1] {permission} is owner-equivalent: its holder can grant itself any role "
        "or act as a service account"
    )
    checked = analyze([resource])
    assert checked.of(NAME) == [(resource["urn"], f"{META.description}\n{detail}")]
    assert checked.levels(NAME) == ["mandatory"]


def test_a_wildcard_permission_is_rejected(analyze, make):
    resource = role(make, PROJECT_ROLE, ["storage.*"])
    detail = "permissions[0] storage.* is a wildcard: list each permission"
    assert analyze([resource]).of(NAME) == [(resource["urn"], f"{META.description}\n{detail}")]


def test_a_role_without_permissions_passes_on_purpose(analyze, make):
    assert META.on_missing == "pass"
    assert analyze([make(PROJECT_ROLE, "empty", {"roleId": "x"})]).of(NAME) == []
