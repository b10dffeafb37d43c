"""CP-STO-001 storage-bucket-enable-uniform-access."""

from __future__ import annotations

import pytest

from policies.storage.storage_bucket_enable_uniform_access import META
from tests.support.policies_buckets import EXEMPTIONS, exempted, passed, rejected, verdict

NAME = META.name
UNSET = "uniformBucketLevelAccess is not set (the default is false): set it to true"


def test_compliant_baseline_passes(analyze):
    assert verdict(analyze, NAME, {"uniformBucketLevelAccess": True}) == passed()


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        pytest.param(False, "uniformBucketLevelAccess is False: set it to true", id="false"),
        # Numbers arrive as floats, and 1.0 == True in Python: only the boolean passes.
        pytest.param(1, "uniformBucketLevelAccess is 1.0: set it to true", id="one"),
        pytest.param("true", "uniformBucketLevelAccess is 'true': set it to true", id="string"),
    ],
)
def test_anything_but_true_is_rejected(analyze, value, detail):
    found = verdict(analyze, NAME, {"uniformBucketLevelAccess": value})
    assert found == rejected(META.description, detail)


def test_missing_is_rejected_on_purpose(analyze):
    # Decided: the provider default is false (per-object ACLs stay in force).
    assert META.on_missing == "violation"
    assert verdict(analyze, NAME) == rejected(META.description, UNSET)


def test_dev_is_advisory(analyze):
    found = verdict(analyze, NAME, env="dev")
    assert found == rejected(META.description, UNSET, level="advisory")


@pytest.mark.parametrize(("exemption", "reason"), EXEMPTIONS)
def test_exemption_patterns(analyze, exemption, reason):
    assert verdict(analyze, NAME, overrides={NAME: exemption}) == exempted(reason)
