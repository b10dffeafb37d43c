"""CP-AUD-001 audit-logbucket-configure-hot-retention (stack policy)."""

from __future__ import annotations

from policies.audit.audit_logbucket_configure_hot_retention import META
from tests.support.policies import message_for

NAME = META.name
LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"

msg = message_for(META)


def log_bucket(make, name="logs-hot", days=30):
    inputs = {"project": "acme-cp-prod", "location": "global", "bucketId": f"acme-prod-{name}"}
    if days is not None:
        inputs["retentionDays"] = days
    return make(LOG_BUCKET, name, inputs, protect=True)


def test_compliant_baseline_passes(analyze, make):
    assert analyze([log_bucket(make)]).of(NAME) == []


def test_one_matching_bucket_is_enough(analyze, make):
    assert analyze([log_bucket(make, "logs-debug", 7), log_bucket(make)]).of(NAME) == []


def test_no_log_bucket_is_a_stack_violation(analyze, make):
    checked = analyze([make("gcp:pubsub/topic:Topic", "t", {})])
    assert checked.of(NAME) == [
        ("", msg(f"no {LOG_BUCKET} is declared: add one with retentionDays 30"))
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_wrong_retention_is_reported_on_the_bucket(analyze, make):
    resource = log_bucket(make, days=400)
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("retentionDays is 400.0: the hot log bucket keeps logs for 30 days"))
    ]


def test_missing_retention_is_rejected_on_purpose(analyze, make):
    # Decided: an unset retention is whatever the project has, which the playbook does not allow.
    resource = log_bucket(make, days=None)
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("retentionDays is not set: the hot log bucket keeps logs for 30 days"),
        )
    ]


def test_configured_retention(analyze, make):
    resource = log_bucket(make, days=30)
    assert analyze([resource], overrides={NAME: {"retentionDays": 45}}).of(NAME) == [
        (resource["urn"], msg("retentionDays is 30.0: the hot log bucket keeps logs for 45 days"))
    ]


def test_exclude_pattern_removes_a_bucket_from_the_stack_check(analyze, make):
    resource = log_bucket(make)
    checked = analyze([resource], overrides={NAME: {"exclude": ["logs-*"]}})
    assert checked.of(NAME) == [
        ("", msg(f"no {LOG_BUCKET} is declared: add one with retentionDays 30"))
    ]
    assert checked.logged_excluded(NAME, "logs-hot", "logs-*", resource["urn"])


def test_include_pattern_limits_the_stack_check(analyze, make):
    good, bad = log_bucket(make, "logs-hot"), log_bucket(make, "audit-hot", 10)
    checked = analyze([good, bad], overrides={NAME: {"include": ["audit-*"]}})
    assert checked.of(NAME) == [
        (bad["urn"], msg("retentionDays is 10.0: the hot log bucket keeps logs for 30 days"))
    ]
