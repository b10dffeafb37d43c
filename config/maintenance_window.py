"""Playbook §9: the weekly maintenance window (``controlplane:maintenanceWindow``).

Which window each environment must declare is the playbook's
(:data:`controlplane.playbook.PLAYBOOK`); that rule lives in
:class:`config.observability.ObservabilitySections` because the key may be missing.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, ValidationInfo, field_validator

from config.base import Model
from config.common import ClockTime, TimeZone, after_start
from controlplane.playbook import WEEKDAYS, Weekday


class MaintenanceWindowSection(Model):
    """``controlplane:maintenanceWindow``: the weekly window of playbook §9 (a downtime)."""

    day: Weekday = Field(description="Day of the week of the window.")
    start: ClockTime = Field(description="Start, HH:MM.")
    end: ClockTime = Field(description="End, HH:MM, later the same day.")
    time_zone: TimeZone = Field("UTC", description="Time zone of start and end.")
    first_occurrence: date = Field(
        description="Date of the first window (must fall on `day`); Datadog may refuse an "
        "anchor in the past when the schedule is created or changed: move it on by whole weeks."
    )

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: str, info: ValidationInfo) -> str:
        return after_start(end, info)

    @field_validator("first_occurrence")
    @classmethod
    def _on_the_day(cls, first: date, info: ValidationInfo) -> date:
        day = info.data.get("day")
        actual = WEEKDAYS[first.weekday()]
        if day and actual != day:
            raise ValueError(f"a {day} (the window's day); {first.isoformat()} is a {actual}")
        return first

    def describe(self) -> str:
        return f"{self.day} {self.start}-{self.end} {self.time_zone}"

    def duration_minutes(self) -> int:
        """Length of the window in minutes."""
        start_h, start_m = (int(x) for x in self.start.split(":"))
        end_h, end_m = (int(x) for x in self.end.split(":"))
        return (end_h * 60 + end_m) - (start_h * 60 + start_m)
