"""CP-STO-001 storage-bucket-enable-uniform-access."""

from __future__ import annotations

from policies.storage.storage_bucket_enable_uniform_access import META

NAME = META.name
BUCKET = "gcp:storage/bucket:Bucket"


def msg(detail: str) -> str:
    return f"{META.description}\n{detail}"


def bucket(make, **inputs):
    return make(
        BUCKET, "logs-archive", {"name": "acme-prod-logs-archive", "location": "EU", **inputs}
    )


def test_compliant_baseline_passes(analyze, make):
    assert analyze([bucket(make, uniformBucketLevelAccess=True)]).of(NAME) == []


def test_false_is_rejected(analyze, make):
    resource = bucket(make, uniformBucketLevelAccess=False)
    checked = analyze([resource])
    assert checked.of(NAME) == [
        (resource["urn"], msg("uniformBucketLevelAccess is False: set it to true"))
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_missing_is_rejected_on_purpose(analyze, make):
    # Decided: the provider default is false (per-object ACLs stay in force).
    resource = bucket(make)
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("uniformBucketLevelAccess is not set (the default is false): set it to true"),
        )
    ]


def test_dev_is_advisory(analyze, make):
    assert analyze([bucket(make)], env="dev").levels(NAME) == ["advisory"]


def test_exclude_pattern_exempts(analyze, make):
    resource = bucket(make)
    checked = analyze([resource], overrides={NAME: {"exclude": ["logs-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'logs-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = bucket(make)
    checked = analyze([resource], overrides={NAME: {"include": ["backup-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['backup-*']")]
