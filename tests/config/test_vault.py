"""controlplane:vault: the rotation anchor is a UTC timestamp."""

from __future__ import annotations

from config.runtime import RuntimeSections
from tests.support.config import errors
from tests.support.runtime import example


def test_next_rotation_time_is_a_utc_timestamp() -> None:
    data = example()
    data["vault"]["nextRotationTime"] = "2026-01-05 09:00"
    assert errors(RuntimeSections, data) == [
        (
            ("vault", "nextRotationTime"),
            "Value error, a UTC timestamp like 2026-01-05T09:00:00Z",
        )
    ]
