"""controlplane:maintenanceWindow: the field rules of the §9 window."""

from __future__ import annotations

from config.maintenance_window import MaintenanceWindowSection
from tests.support.config import errors
from tests.support.observability import example


def test_maintenance_window_fields():
    assert errors(
        MaintenanceWindowSection,
        {"day": "saturday", "start": "02:00", "end": "04:00", "firstOccurrence": "2026-12-06"},
    ) == [
        (
            ("firstOccurrence",),
            "Value error, a saturday (the window's day); 2026-12-06 is a sunday",
        )
    ]
    window = MaintenanceWindowSection.model_validate(example("staging")["maintenanceWindow"])
    assert window.duration_minutes() == 120
    assert window.describe() == "saturday 02:00-04:00 UTC"
