"""CP-ENC-001 encryption-secret-enable-cmek (prod only)."""

from __future__ import annotations

import pytest

from policies.encryption.encryption_secret_enable_cmek import META
from tests.support.policies import inputs_given, message_for

NAME = META.name
SECRET = "gcp:secretmanager/secret:Secret"
KEY = "projects/acme-cp-prod/locations/global/keyRings/acme-prod-vault/cryptoKeys/acme-prod-vault"

msg = message_for(META)


def secret(make, replication):
    """The JWT secret with ``replication`` (left out when None)."""
    inputs = inputs_given(secretId="acme-prod-jwt-secret", replication=replication)
    return make(SECRET, "vault-jwt-secret", inputs)


def auto(key=KEY):
    return {"auto": {"customerManagedEncryption": {"kmsKeyName": key}}}


def user_managed(*keys):
    replicas = [
        {
            "location": f"europe-west{i + 1}",
            **({"customerManagedEncryption": {"kmsKeyName": k}} if k else {}),
        }
        for i, k in enumerate(keys)
    ]
    return {"userManaged": {"replicas": replicas}}


def test_compliant_baseline_passes(analyze, make):
    assert analyze([secret(make, auto())]).of(NAME) == []


def test_user_managed_replicas_with_keys_pass(analyze, make):
    assert analyze([secret(make, user_managed(KEY, KEY))]).of(NAME) == []


GOOGLE_MANAGED = (
    "replication.auto.customerManagedEncryption.kmsKeyName is not set, "
    "so the secret uses Google-managed keys"
)


@pytest.mark.parametrize(
    ("replication", "detail"),
    [
        pytest.param({"auto": {}}, GOOGLE_MANAGED, id="auto-replication-without-key"),
        pytest.param(
            user_managed(KEY, None),
            "replication.userManaged.replicas[1].customerManagedEncryption.kmsKeyName is not set",
            id="replica-without-key",
        ),
        # Decided: without a key name, Google-managed encryption applies.
        pytest.param(None, GOOGLE_MANAGED, id="missing-replication-on-purpose"),
    ],
)
def test_secret_without_its_key_is_rejected(analyze, make, replication, detail):
    resource = secret(make, replication)
    checked = analyze([resource])
    assert checked.of(NAME) == [(resource["urn"], msg(detail))]
    assert checked.levels(NAME) == ["mandatory"]


def test_missing_replication_is_rejected_on_purpose():
    assert META.on_missing == "violation"


def test_prod_only(analyze, make):
    resource = secret(make, {"auto": {}})
    assert analyze([resource], env="staging").of(NAME) == []
    assert analyze([resource], env="dev").of(NAME) == []


def test_exclude_pattern_exempts(analyze, make):
    resource = secret(make, {"auto": {}})
    checked = analyze([resource], overrides={NAME: {"exclude": ["vault-jwt-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'vault-jwt-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = secret(make, {"auto": {}})
    checked = analyze([resource], overrides={NAME: {"include": ["vault-oauth-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['vault-oauth-*']")]
