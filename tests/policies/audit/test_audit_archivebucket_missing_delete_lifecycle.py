"""CP-AUD-002 audit-archivebucket-missing-delete-lifecycle (stack policy)."""

from __future__ import annotations

from policies.audit.audit_archivebucket_missing_delete_lifecycle import META

NAME = META.name
BUCKET = "gcp:storage/bucket:Bucket"
DETAIL = (
    "no storage bucket has a lifecycle rule that deletes objects at age 180 days: add it to "
    "the log archive bucket"
)


def archive(make, rules, name="logs-archive"):
    inputs = {"name": f"acme-prod-{name}"}
    if rules is not None:
        inputs["lifecycleRules"] = rules
    return make(BUCKET, name, inputs, protect=True)


def rule(kind="Delete", age=180):
    return {"action": {"type": kind}, "condition": {"age": age}}


def test_compliant_baseline_passes(analyze, make):
    rules = [
        rule("SetStorageClass", 30)
        | {"action": {"type": "SetStorageClass", "storageClass": "ARCHIVE"}},
        rule(),
    ]
    assert analyze([archive(make, rules)]).of(NAME) == []


def test_shorter_delete_age_is_rejected(analyze, make):
    checked = analyze([archive(make, [rule(age=90)])])
    assert checked.of(NAME) == [("", f"{META.description}\n{DETAIL}")]
    assert checked.levels(NAME) == ["mandatory"]


def test_longer_delete_age_is_rejected(analyze, make):
    assert analyze([archive(make, [rule(age=365)])]).of(NAME) == [
        ("", f"{META.description}\n{DETAIL}")
    ]


def test_storage_class_change_at_180_is_not_a_delete(analyze, make):
    assert analyze([archive(make, [rule("SetStorageClass", 180)])]).of(NAME) == [
        ("", f"{META.description}\n{DETAIL}")
    ]


def test_missing_lifecycle_is_rejected_on_purpose(analyze, make):
    # Decided: a bucket without the rule keeps logs forever.
    assert META.on_missing == "violation"
    assert analyze([archive(make, None)]).of(NAME) == [("", f"{META.description}\n{DETAIL}")]


def test_no_bucket_at_all_is_rejected(analyze, make):
    assert analyze([]).of(NAME) == [("", f"{META.description}\n{DETAIL}")]


def test_configured_age(analyze, make):
    detail = DETAIL.replace("180", "365")
    assert analyze([archive(make, [rule()])], overrides={NAME: {"ageDays": 365}}).of(NAME) == [
        ("", f"{META.description}\n{detail}")
    ]


def test_exclude_pattern_removes_a_bucket_from_the_stack_check(analyze, make):
    resource = archive(make, [rule()])
    checked = analyze([resource], overrides={NAME: {"exclude": ["logs-*"]}})
    assert checked.of(NAME) == [("", f"{META.description}\n{DETAIL}")]
    assert checked.logged_excluded(NAME, "logs-archive", "logs-*", resource["urn"])


def test_include_pattern_limits_the_stack_check(analyze, make):
    resource = archive(make, [rule()])
    checked = analyze([resource], overrides={NAME: {"include": ["backups-*"]}})
    assert checked.of(NAME) == [("", f"{META.description}\n{DETAIL}")]
