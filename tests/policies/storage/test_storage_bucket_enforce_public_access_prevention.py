"""CP-STO-002 storage-bucket-enforce-public-access-prevention."""

from __future__ import annotations

import pytest

from policies.storage.storage_bucket_enforce_public_access_prevention import META
from tests.support.policies_buckets import EXEMPTIONS, exempted, passed, rejected, verdict

NAME = META.name


def test_compliant_baseline_passes(analyze):
    assert verdict(analyze, NAME, {"publicAccessPrevention": "enforced"}) == passed()


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        pytest.param(
            "inherited",
            "publicAccessPrevention is 'inherited': set it to 'enforced'",
            id="inherited",
        ),
        pytest.param(
            "Enforced", "publicAccessPrevention is 'Enforced': set it to 'enforced'", id="case"
        ),
    ],
)
def test_anything_but_enforced_is_rejected(analyze, value, detail):
    found = verdict(analyze, NAME, {"publicAccessPrevention": value})
    assert found == rejected(META.description, detail)


def test_missing_is_rejected_on_purpose(analyze):
    # Decided: the provider default is 'inherited'.
    assert META.on_missing == "violation"
    assert verdict(analyze, NAME) == rejected(
        META.description,
        "publicAccessPrevention is not set (the default is 'inherited'): set it to 'enforced'",
    )


@pytest.mark.parametrize(("exemption", "reason"), EXEMPTIONS)
def test_exemption_patterns(analyze, exemption, reason):
    assert verdict(analyze, NAME, overrides={NAME: exemption}) == exempted(reason)
