"""The CMEK helpers the vault and the log archive share."""

from __future__ import annotations

import re

from components.cmek import kms_location
from preflight.cli import ROOT


def test_cmek_key_location_follows_the_bucket_location() -> None:
    assert kms_location("EU") == "europe"
    assert kms_location("US") == "us"
    assert kms_location("asia") == "asia"
    assert kms_location("europe-west1") == "europe-west1"
    assert kms_location("EUROPE-WEST4") == "europe-west4"


def test_no_component_builds_a_service_agent_address() -> None:
    """Service agents come from the provider (ServiceIdentity, the Cloud Storage lookup): an
    address typed from a project number names an agent that may not exist yet, or a stranger's."""
    pattern = re.compile(r"service-\{|gserviceaccount\.com")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "components").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []
