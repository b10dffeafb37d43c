"""CP-CRD-002 credentials-secret-configure-rotation."""

from __future__ import annotations

from policies.credentials.credentials_secret_configure_rotation import META
from tests.support.policies import message_for

NAME = META.name
SECRET = "gcp:secretmanager/secret:Secret"

msg = message_for(META)


def secret(make, **changes):
    inputs = {
        "secretId": "acme-prod-gemini-api-key",
        "replication": {"auto": {}},
        "rotation": {"rotationPeriod": "7776000s", "nextRotationTime": "2026-01-01T00:00:00Z"},
        "topics": [{"name": "projects/acme-cp-prod/topics/acme-prod-vault-rotation"}],
    }
    inputs.update(changes)
    return make(SECRET, "vault-gemini-api-key", {k: v for k, v in inputs.items() if v is not None})


def test_compliant_baseline_passes(analyze, make):
    assert analyze([secret(make)]).of(NAME) == []


def test_shorter_period_passes(analyze, make):
    resource = secret(make, rotation={"rotationPeriod": "2592000s", "nextRotationTime": "x"})
    assert analyze([resource]).of(NAME) == []


def test_longer_period_is_rejected(analyze, make):
    resource = secret(make, rotation={"rotationPeriod": "31536000s", "nextRotationTime": "x"})
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("rotation.rotationPeriod is 31536000s (365 days), longer than 7776000s (90 days)"),
        )
    ]


def test_one_second_over_the_limit_is_rejected(analyze, make):
    resource = secret(make, rotation={"rotationPeriod": "7776001s"})
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("rotation.rotationPeriod is 7776001s (90 days), longer than 7776000s (90 days)"),
        )
    ]


def test_malformed_period_is_rejected(analyze, make):
    resource = secret(make, rotation={"rotationPeriod": "90d"})
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("rotation.rotationPeriod '90d' is not a duration in seconds like '7776000s'"),
        )
    ]


def test_missing_rotation_is_rejected_on_purpose(analyze, make):
    # Decided: a secret without rotation never rotates.
    resource = secret(make, rotation=None)
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("rotation.rotationPeriod is not set: rotate at most every 7776000s (90 days)"),
        )
    ]


def test_missing_topic_is_rejected(analyze, make):
    resource = secret(make, topics=None)
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("topics is empty: add the rotation notification Pub/Sub topic"))
    ]


def test_empty_topics_is_rejected(analyze, make):
    resource = secret(make, topics=[])
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("topics is empty: add the rotation notification Pub/Sub topic"))
    ]


def test_unknown_topic_name_counts_as_a_topic(analyze, make):
    resource = secret(make, topics=[{"name": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}])
    assert analyze([resource]).of(NAME) == []


def test_both_problems_are_reported(analyze, make):
    resource = secret(make, rotation=None, topics=None)
    assert [m for _, m in analyze([resource]).of(NAME)] == [
        msg("rotation.rotationPeriod is not set: rotate at most every 7776000s (90 days)"),
        msg("topics is empty: add the rotation notification Pub/Sub topic"),
    ]


def test_configured_limit(analyze, make):
    resource = secret(make)
    overrides = {NAME: {"maxRotationPeriodSeconds": 2592000}}
    assert analyze([resource], overrides=overrides).of(NAME) == [
        (
            resource["urn"],
            msg("rotation.rotationPeriod is 7776000s (90 days), longer than 2592000s (30 days)"),
        )
    ]


def test_exclude_pattern_exempts(analyze, make):
    resource = secret(make, rotation=None)
    checked = analyze([resource], overrides={NAME: {"exclude": ["vault-gemini-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'vault-gemini-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = secret(make, rotation=None)
    checked = analyze([resource], overrides={NAME: {"include": ["vault-oauth-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['vault-oauth-*']")]
