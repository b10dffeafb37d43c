"""CP-IAM-001 iam-binding-disallow-primitive-roles."""

from __future__ import annotations

import pytest

from policies.iam.iam_binding_disallow_primitive_roles import META
from tests.support.policies import iam_binding, iam_policy, message_for

NAME = META.name
MEMBER = "gcp:projects/iAMMember:IAMMember"
BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
POLICY = "gcp:secretmanager/secretIamPolicy:SecretIamPolicy"

msg = message_for(META)


def baseline(make):
    return make(
        MEMBER,
        "ops-run-developer",
        {
            "project": "acme-cp-prod",
            "role": "roles/run.developer",
            "member": "group:ops@example.com",
        },
    )


def test_compliant_baseline_passes(analyze, make):
    checked = analyze([baseline(make)])
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == []


@pytest.mark.parametrize("role", ["roles/owner", "roles/editor", "roles/viewer"])
def test_member_with_primitive_role_is_rejected(analyze, make, role):
    resource = baseline(make)
    resource["inputs"]["role"] = role
    checked = analyze([resource])
    assert checked.of(NAME) == [
        (resource["urn"], msg(f"member group:ops@example.com is granted primitive role {role}"))
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_binding_reports_each_member(analyze):
    resource = iam_binding(
        BINDING,
        "archive-editors",
        {"bucket": "b"},
        "roles/editor",
        ["group:a@example.com", "user:b@example.com"],
    )
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("members[0] group:a@example.com is granted primitive role roles/editor"),
        ),
        (
            resource["urn"],
            msg("members[1] user:b@example.com is granted primitive role roles/editor"),
        ),
    ]


def test_policy_data_bindings_are_read(analyze):
    bindings = {
        "roles/secretmanager.viewer": ["group:ops@example.com"],
        "roles/owner": ["user:root@example.com"],
    }
    resource = iam_policy(POLICY, "vault-policy", {"secretId": "s"}, bindings)
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg(
                "policyData.bindings[1].members[0] user:root@example.com is granted "
                "primitive role roles/owner"
            ),
        )
    ]


def test_unreadable_policy_data_is_rejected(analyze, make):
    resource = make(POLICY, "vault-policy", {"secretId": "s", "policyData": "{not json"})
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("policyData is not valid JSON, so its grants cannot be checked"))
    ]


def test_missing_role_passes_on_purpose(analyze, make):
    # Decided: an IAM member without a role is rejected by the provider and grants nothing.
    resource = baseline(make)
    del resource["inputs"]["role"]
    assert META.on_missing == "pass"
    assert analyze([resource]).of(NAME) == []


def test_non_iam_resource_is_ignored(analyze, make):
    resource = make("gcp:pubsub/topic:Topic", "owner-topic", {"name": "roles/owner"})
    assert analyze([resource]).of(NAME) == []


def test_config_roles_extend_the_list(analyze, make):
    resource = baseline(make)
    resource["inputs"]["role"] = "roles/iam.securityAdmin"
    overrides = {NAME: {"roles": ["roles/owner", "roles/iam.securityAdmin"]}}
    assert analyze([resource], overrides=overrides).of(NAME) == [
        (
            resource["urn"],
            msg("member group:ops@example.com is granted primitive role roles/iam.securityAdmin"),
        )
    ]


def test_exclude_pattern_exempts_and_logs(analyze, make):
    resource = baseline(make)
    resource["inputs"]["role"] = "roles/owner"
    checked = analyze([resource], overrides={NAME: {"exclude": ["ops-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'ops-*'")]
    assert checked.logged_excluded(NAME, "ops-run-developer", "ops-*", resource["urn"])


def test_include_pattern_limits_the_check(analyze, make):
    checked_one = baseline(make)
    checked_one["inputs"]["role"] = "roles/owner"
    other = make(
        MEMBER, "ci-owner", {"project": "p", "role": "roles/owner", "member": "user:ci@example.com"}
    )
    checked = analyze([checked_one, other], overrides={NAME: {"include": ["ci-*"]}})
    assert checked.of(NAME) == [
        (other["urn"], msg("member user:ci@example.com is granted primitive role roles/owner"))
    ]
    assert checked.exempt(NAME) == [(checked_one["urn"], "not included by ['ci-*']")]
