"""controlplane:vault: the rotation anchor is a UTC timestamp; no typed-in project number."""

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


def test_a_project_number_is_refused_with_what_to_do() -> None:
    """Service-agent members come from the provider; an old stack file's number is not used."""
    data = example()
    data["vault"]["projectNumber"] = "210000000003"
    assert errors(RuntimeSections, data) == [
        (
            ("vault",),
            "Value error, projectNumber is no longer read (service agents come from the "
            "provider, not from a typed-in number): remove it from the stack file",
        )
    ]
