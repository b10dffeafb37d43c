"""CP-ENC-002 encryption-bucket-enable-cmek (prod only)."""

from __future__ import annotations

from policies.encryption.encryption_bucket_enable_cmek import META

NAME = META.name
BUCKET = "gcp:storage/bucket:Bucket"
KEY = "projects/acme-cp-prod/locations/eu/keyRings/acme-prod-logs/cryptoKeys/acme-prod-logs-archive"
DETAIL = "encryption.defaultKmsKeyName is not set, so objects use Google-managed keys"


def bucket(make, **inputs):
    return make(
        BUCKET, "logs-archive", {"name": "acme-prod-logs-archive", "location": "EU", **inputs}
    )


def test_compliant_baseline_passes(analyze, make):
    assert analyze([bucket(make, encryption={"defaultKmsKeyName": KEY})]).of(NAME) == []


def test_unknown_key_name_counts_as_set(analyze, make):
    resource = bucket(
        make, encryption={"defaultKmsKeyName": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}
    )
    assert analyze([resource]).of(NAME) == []


def test_encryption_without_key_is_rejected(analyze, make):
    resource = bucket(make, encryption={})
    checked = analyze([resource])
    assert checked.of(NAME) == [(resource["urn"], f"{META.description}\n{DETAIL}")]
    assert checked.levels(NAME) == ["mandatory"]


def test_missing_encryption_is_rejected_on_purpose(analyze, make):
    # Decided: no default key means Google-managed encryption.
    resource = bucket(make)
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [(resource["urn"], f"{META.description}\n{DETAIL}")]


def test_prod_only(analyze, make):
    resource = bucket(make)
    assert analyze([resource], env="staging").of(NAME) == []
    assert analyze([resource], env="dev").of(NAME) == []


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
