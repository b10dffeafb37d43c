"""CP-STO-003 storage-logarchive-disallow-early-deletion (stack policy)."""

from __future__ import annotations

import pytest

from policies.storage.storage_logarchive_disallow_early_deletion import META
from tests.support.policies import message_for

NAME = META.name
P = "acme-cp-prod"
SINK = "gcp:logging/projectSink:ProjectSink"
BUCKET = "gcp:storage/bucket:Bucket"
KEEP = [
    {"action": {"type": "SetStorageClass", "storageClass": "COLDLINE"}, "condition": {"age": 30}},
    {"action": {"type": "Delete"}, "condition": {"age": 180}},
    {
        "action": {"type": "Delete"},
        "condition": {"withState": "ARCHIVED", "daysSinceNoncurrentTime": 7},
    },
]

msg = message_for(META)


def archive(make, name="logs-archive", rules=None, **inputs):
    return make(
        BUCKET,
        name,
        {"project": P, "name": f"acme-prod-{name}", "lifecycleRules": rules or KEEP, **inputs},
    )


def sink(make, bucket="logs-archive", **inputs):
    return make(
        SINK,
        f"{bucket}-sink",
        {
            "project": P,
            "name": f"acme-prod-{bucket}",
            "destination": f"storage.googleapis.com/acme-prod-{bucket}",
            **inputs,
        },
    )


def test_compliant_baseline_passes(analyze, make):
    assert analyze([archive(make), sink(make)]).of(NAME) == []


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        ({"age": 7}, "lifecycleRules[3] deletes objects at age 7 days"),
        ({"age": 7, "withState": "LIVE"}, "lifecycleRules[3] deletes objects at age 7 days"),
        (
            {"age": 90, "matchesPrefix": ["cloudaudit"]},
            "lifecycleRules[3] deletes objects at age 90 days",
        ),
        (
            {"createdBefore": "2030-01-01"},
            "lifecycleRules[3] deletes objects by createdBefore, whatever their age",
        ),
        (
            {"customTimeBefore": "2030-01-01"},
            "lifecycleRules[3] deletes objects by customTimeBefore, whatever their age",
        ),
        (
            {"daysSinceCustomTime": 1},
            "lifecycleRules[3] deletes objects 1 days after their custom time",
        ),
        (
            {"matchesSuffix": [".json"]},
            "lifecycleRules[3] deletes objects without an age condition",
        ),
        ({}, "lifecycleRules[3] deletes objects without an age condition"),
    ],
)
def test_an_extra_rule_that_deletes_early(analyze, make, rule, detail):
    bucket = archive(make, rules=[*KEEP, {"action": {"type": "Delete"}, "condition": rule}])
    assert analyze([bucket, sink(make)]).of(NAME) == [
        (
            bucket["urn"],
            msg(
                f"log archive bucket acme-prod-logs-archive: {detail}, before the 180 days of "
                "playbook §4"
            ),
        )
    ]


@pytest.mark.parametrize(
    "rule",
    [
        {"withState": "ARCHIVED", "age": 1},
        {"numNewerVersions": 1},
        {"daysSinceNoncurrentTime": 1},
        {"noncurrentTimeBefore": "2030-01-01"},
        {"age": 400},
    ],
)
def test_rules_that_only_touch_old_versions_or_come_late_pass(analyze, make, rule):
    bucket = archive(make, rules=[*KEEP, {"action": {"type": "Delete"}, "condition": rule}])
    assert analyze([bucket, sink(make)]).of(NAME) == []


def test_force_destroy(analyze, make):
    bucket = archive(make, forceDestroy=True)
    assert analyze([bucket, sink(make)]).of(NAME) == [
        (
            bucket["urn"],
            msg(
                "log archive bucket acme-prod-logs-archive: forceDestroy is true: deleting the "
                "bucket deletes the archived logs with it, before the 180 days of playbook §4"
            ),
        )
    ]


def test_the_bucket_that_receives_the_logs_is_checked_not_the_decoy(analyze, make):
    decoy = archive(make)
    real = archive(
        make, "logs-cold", rules=[{"action": {"type": "Delete"}, "condition": {"age": 1}}]
    )
    found = analyze([decoy, real, sink(make, "logs-cold")]).of(NAME)
    assert [urn for urn, _ in found] == [real["urn"]]


def test_a_bucket_no_sink_writes_to_is_not_a_log_archive(analyze, make):
    # Decided: other buckets may expire objects; only where logs are archived counts.
    scratch = archive(
        make, "scratch", rules=[{"action": {"type": "Delete"}, "condition": {"age": 1}}]
    )
    assert analyze([archive(make), scratch, sink(make)]).of(NAME) == []


def test_a_bucket_without_lifecycle_rules_passes_on_purpose(analyze, make):
    assert META.on_missing == "pass"
    bucket = make(BUCKET, "logs-archive", {"project": P, "name": "acme-prod-logs-archive"})
    assert analyze([bucket, sink(make)]).of(NAME) == []
