"""CP-STO-002 storage-bucket-enforce-public-access-prevention."""

from __future__ import annotations

from policies.storage.storage_bucket_enforce_public_access_prevention import META

NAME = META.name
BUCKET = "gcp:storage/bucket:Bucket"


def msg(detail: str) -> str:
    return f"{META.description}\n{detail}"


def bucket(make, **inputs):
    return make(BUCKET, "logs-archive", {"name": "acme-prod-logs-archive", **inputs})


def test_compliant_baseline_passes(analyze, make):
    assert analyze([bucket(make, publicAccessPrevention="enforced")]).of(NAME) == []


def test_inherited_is_rejected(analyze, make):
    resource = bucket(make, publicAccessPrevention="inherited")
    checked = analyze([resource])
    assert checked.of(NAME) == [
        (resource["urn"], msg("publicAccessPrevention is 'inherited': set it to 'enforced'"))
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_missing_is_rejected_on_purpose(analyze, make):
    # Decided: the provider default is 'inherited'.
    resource = bucket(make)
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg(
                "publicAccessPrevention is not set (the default is 'inherited'): "
                "set it to 'enforced'"
            ),
        )
    ]


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
