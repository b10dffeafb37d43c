"""CP-DAT-001 datasafety-stateful-enforce-protect (staging and prod)."""

from __future__ import annotations

import pytest

from policies.datasafety.datasafety_stateful_enforce_protect import META

NAME = META.name
DETAIL = "protect is false: pass opts=ResourceOptions(protect=True)"
STATEFUL = [
    "gcp:secretmanager/secret:Secret",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:storage/bucket:Bucket",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig",
    "pulumi-python:dynamic/supabase:SupabaseSettings",
]


@pytest.mark.parametrize("type_token", STATEFUL)
def test_protected_baseline_passes(analyze, make, type_token):
    assert analyze([make(type_token, "stateful", {}, protect=True)]).of(NAME) == []


@pytest.mark.parametrize("type_token", STATEFUL)
def test_unprotected_stateful_resource_is_rejected(analyze, make, type_token):
    resource = make(type_token, "stateful", {}, protect=False)
    checked = analyze([resource])
    assert checked.of(NAME) == [(resource["urn"], f"{META.description}\n{DETAIL}")]
    assert checked.levels(NAME) == ["mandatory"]


def test_generic_dynamic_supabase_resource_is_stateful(analyze, make):
    resource = make(
        "pulumi-python:dynamic:Resource", "settings", {"resourceKind": "supabase-settings"}
    )
    assert analyze([resource]).of(NAME) == [(resource["urn"], f"{META.description}\n{DETAIL}")]


def test_stateless_resources_are_ignored(analyze, make):
    topic = make("gcp:pubsub/topic:Topic", "rotation", {})
    account = make("gcp:serviceaccount/account:Account", "agent-sa", {})
    assert analyze([topic, account]).of(NAME) == []


def test_protect_unset_is_false_and_rejected_on_purpose(analyze, make):
    # Decided: protect defaults to false; an unprotected resource is deleted by a stray up.
    resource = make("gcp:storage/bucket:Bucket", "archive", {})
    del resource["protect"]
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [(resource["urn"], f"{META.description}\n{DETAIL}")]


def test_staging_is_mandatory_and_dev_is_off(analyze, make):
    resource = make("gcp:storage/bucket:Bucket", "archive", {})
    assert analyze([resource], env="staging").levels(NAME) == ["mandatory"]
    assert analyze([resource], env="dev").of(NAME) == []


def test_configured_types(analyze, make):
    resource = make("gcp:pubsub/topic:Topic", "rotation", {})
    overrides = {NAME: {"statefulTypes": ["gcp:pubsub/topic:Topic"]}}
    assert analyze([resource], overrides=overrides).of(NAME) == [
        (resource["urn"], f"{META.description}\n{DETAIL}")
    ]


def test_exclude_pattern_exempts(analyze, make):
    resource = make("gcp:storage/bucket:Bucket", "scratch-bucket", {})
    checked = analyze([resource], overrides={NAME: {"exclude": ["scratch-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'scratch-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = make("gcp:storage/bucket:Bucket", "scratch-bucket", {})
    checked = analyze([resource], overrides={NAME: {"include": ["logs-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['logs-*']")]
