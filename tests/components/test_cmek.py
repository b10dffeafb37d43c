"""The CMEK helpers the vault and the log archive share."""

from __future__ import annotations

from components.cmek import kms_location, service_agent


def test_cmek_key_location_follows_the_bucket_location() -> None:
    assert kms_location("EU") == "europe"
    assert kms_location("US") == "us"
    assert kms_location("asia") == "asia"
    assert kms_location("europe-west1") == "europe-west1"
    assert kms_location("EUROPE-WEST4") == "europe-west4"


def test_service_agent_member() -> None:
    assert service_agent("210000000009", "gs-project-accounts.iam.gserviceaccount.com") == (
        "serviceAccount:service-210000000009@gs-project-accounts.iam.gserviceaccount.com"
    )
