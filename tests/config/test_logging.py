"""controlplane:logging: a cold storage class that fits the retention."""

from __future__ import annotations

from config.runtime import RuntimeSections
from tests.support.config import errors
from tests.support.runtime import example


def test_archive_class_must_fit_the_retention() -> None:
    data = example(logging={"coldStorageClass": "ARCHIVE"})
    assert errors(RuntimeSections, data) == [
        (
            ("logging",),
            "Value error, ARCHIVE bills at least 365 days but objects stay 150 days in it: use "
            "coldStorageClass NEARLINE or COLDLINE",
        )
    ]
