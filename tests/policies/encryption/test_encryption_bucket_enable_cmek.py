"""CP-ENC-002 encryption-bucket-enable-cmek (prod only)."""

from __future__ import annotations

import pytest

from policies.encryption.encryption_bucket_enable_cmek import META
from tests.support.policies_buckets import EXEMPTIONS, exempted, passed, rejected, verdict

NAME = META.name
KEY = "projects/acme-cp-prod/locations/eu/keyRings/acme-prod-logs/cryptoKeys/acme-prod-logs-archive"
DETAIL = "encryption.defaultKmsKeyName is not set, so objects use Google-managed keys"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(KEY, id="compliant-baseline"),
        pytest.param("04da6b54-80e4-46f7-96ec-b56ff0331ba9", id="unknown-key-name-counts-as-set"),
    ],
)
def test_a_default_key_passes(analyze, key):
    assert verdict(analyze, NAME, {"encryption": {"defaultKmsKeyName": key}}) == passed()


def test_encryption_without_key_is_rejected(analyze):
    assert verdict(analyze, NAME, {"encryption": {}}) == rejected(META.description, DETAIL)


def test_missing_encryption_is_rejected_on_purpose(analyze):
    # Decided: no default key means Google-managed encryption.
    assert META.on_missing == "violation"
    assert verdict(analyze, NAME) == rejected(META.description, DETAIL)


@pytest.mark.parametrize("env", ["staging", "dev"])
def test_prod_only(analyze, env):
    assert verdict(analyze, NAME, env=env) == passed()


@pytest.mark.parametrize(("exemption", "reason"), EXEMPTIONS)
def test_exemption_patterns(analyze, exemption, reason):
    assert verdict(analyze, NAME, overrides={NAME: exemption}) == exempted(reason)
