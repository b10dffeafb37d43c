"""CP-ENC-004 encryption-store-enforce-own-keys (stack policy)."""

from __future__ import annotations

from typing import Any

import pytest

from policies.encryption.encryption_store_enforce_own_keys import META
from preflight.snapshot import UNKNOWN
from tests.support.policies import message_for

NAME = META.name
P = "acme-cp-prod"
RING = "gcp:kms/keyRing:KeyRing"
KEY = "gcp:kms/cryptoKey:CryptoKey"
RING_ID = f"projects/{P}/locations/europe-west1/keyRings/acme-prod-logs"
OWN = f"{RING_ID}/cryptoKeys/acme-prod-logs-hot"
FOREIGN = "projects/acme-shared/locations/europe-west1/keyRings/shared/cryptoKeys/shared"
PREVIEW = (
    f"can't run policy '{NAME}' from policy pack 'controlplane-policies@v0.0.1' during preview: "
)

msg = message_for(META)


def keys(make) -> list[dict[str, Any]]:
    ring = make(
        RING, "logs-keyring", {"project": P, "location": "europe-west1", "name": "acme-prod-logs"}
    )
    key = make(KEY, "logs-hot-key", {"keyRing": RING_ID, "name": "acme-prod-logs-hot"})
    return [ring, key]


def log_bucket(make, key: Any = OWN, location: str = "europe-west1", bucket_id: str = "hot"):
    inputs: dict[str, Any] = {"project": P, "location": location, "bucketId": bucket_id}
    if key is not None:
        inputs["cmekSettings"] = {"kmsKeyName": key}
    return make("gcp:logging/projectBucketConfig:ProjectBucketConfig", f"logs-{bucket_id}", inputs)


def test_compliant_baseline_passes(analyze, make):
    assert analyze([*keys(make), log_bucket(make)]).of(NAME) == []


STORES = [
    ("gcp:pubsub/topic:Topic", {"kmsKeyName": FOREIGN}, "kmsKeyName"),
    (
        "gcp:secretmanager/regionalSecret:RegionalSecret",
        {"location": "europe-west1", "customerManagedEncryption": {"kmsKeyName": FOREIGN}},
        "customerManagedEncryption.kmsKeyName",
    ),
    (
        "gcp:secretmanager/secret:Secret",
        {"replication": {"auto": {"customerManagedEncryption": {"kmsKeyName": FOREIGN}}}},
        "replication.auto.customerManagedEncryption.kmsKeyName",
    ),
    (
        "gcp:secretmanager/secret:Secret",
        {
            "replication": {
                "userManaged": {
                    "replicas": [
                        {
                            "location": "europe-west1",
                            "customerManagedEncryption": {"kmsKeyName": OWN},
                        },
                        {
                            "location": "europe-west4",
                            "customerManagedEncryption": {"kmsKeyName": FOREIGN},
                        },
                    ]
                }
            }
        },
        "replication.userManaged.replicas[1].customerManagedEncryption.kmsKeyName",
    ),
    (
        "gcp:storage/bucket:Bucket",
        {"location": "EUROPE-WEST1", "encryption": {"defaultKmsKeyName": FOREIGN}},
        "encryption.defaultKmsKeyName",
    ),
    (
        "gcp:bigquery/dataset:Dataset",
        {"location": "europe-west1", "defaultEncryptionConfiguration": {"kmsKeyName": FOREIGN}},
        "defaultEncryptionConfiguration.kmsKeyName",
    ),
]


@pytest.mark.parametrize(("kind", "inputs", "where"), STORES, ids=lambda v: str(v)[:40])
def test_every_store_family_with_another_projects_key(analyze, make, kind, inputs, where):
    store = make(kind, "store", {"project": P, **inputs})
    assert analyze([*keys(make), store]).of(NAME) == [
        (store["urn"], msg(f"store: {where} is a key of project acme-shared, not of {P}"))
    ]


def test_a_key_of_the_right_project_that_the_stack_does_not_declare(analyze, make):
    stray = f"projects/{P}/locations/europe-west1/keyRings/legacy/cryptoKeys/old"
    bucket = log_bucket(make, stray)
    assert analyze([*keys(make), bucket]).of(NAME) == [
        (
            bucket["urn"],
            msg(f"logs-hot: cmekSettings.kmsKeyName {stray} is not a key the stack declares"),
        )
    ]


def test_a_key_outside_the_data_location(analyze, make):
    bucket = log_bucket(make, location="europe-west4")
    assert analyze([*keys(make), bucket]).of(NAME) == [
        (
            bucket["urn"],
            msg(
                "logs-hot: cmekSettings.kmsKeyName is a key in europe-west1, not where the data "
                "is (europe-west4)"
            ),
        )
    ]


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("gcp:pubsub/topic:Topic", "kmsKeyName"),
        ("gcp:logging/projectBucketConfig:ProjectBucketConfig", "cmekSettings.kmsKeyName"),
        ("gcp:secretmanager/regionalSecret:RegionalSecret", "customerManagedEncryption.kmsKeyName"),
    ],
)
def test_no_key_is_google_encryption(analyze, make, kind, where):
    store = make(kind, "store", {"project": P, "location": "europe-west1"})
    assert META.on_missing == "violation"
    assert analyze([*keys(make), store]).of(NAME) == [
        (store["urn"], msg(f"store: {where} is not set, so Google's default encryption applies"))
    ]


def test_an_unset_key_on_a_secret_or_bucket_is_left_to_their_own_policies(analyze, make):
    bucket = make("gcp:storage/bucket:Bucket", "store", {"project": P, "location": "EU"})
    assert analyze([*keys(make), bucket]).of(NAME) == []


def test_googles_default_log_bucket_cannot_take_a_project_key(analyze, make):
    assert analyze([*keys(make), log_bucket(make, None, "global", "_Default")]).of(NAME) == []


def test_a_key_built_from_the_stacks_own_ring_during_preview_is_decided(analyze, make):
    ring, key = keys(make)
    key["inputs"]["keyRing"] = UNKNOWN
    key["propertyDependencies"] = {"keyRing": [ring["urn"]]}
    bucket = log_bucket(make, UNKNOWN)
    bucket["propertyDependencies"] = {"cmekSettings": [key["urn"]]}
    assert analyze([ring, key, bucket]).of(NAME) == []


def test_a_key_built_from_a_ring_in_another_location_during_preview(analyze, make):
    ring, key = keys(make)
    key["inputs"]["keyRing"] = UNKNOWN
    key["propertyDependencies"] = {"keyRing": [ring["urn"]]}
    bucket = log_bucket(make, UNKNOWN, location="europe-west4")
    bucket["propertyDependencies"] = {"cmekSettings": [key["urn"]]}
    assert analyze([ring, key, bucket]).of(NAME) == [
        (
            bucket["urn"],
            msg(
                "logs-hot: cmekSettings.kmsKeyName is built from a key outside europe-west4, "
                "where the data is"
            ),
        )
    ]


def test_an_unknown_key_not_built_from_an_own_key_stays_undecided(analyze, make):
    bucket = log_bucket(make, UNKNOWN)
    checked = analyze([*keys(make), bucket])
    [(_urn, message)] = checked.of(NAME)
    assert message.startswith(PREVIEW), message
    assert checked.levels(NAME) == ["advisory"]
