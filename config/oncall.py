"""Playbook §4, §12: PagerDuty schedules, escalation, urgency (``controlplane:oncall``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.base import Model
from config.common import ClockTime, TimeZone, after_start
from controlplane.playbook import PLAYBOOK, Role

PagerDutyUserId = Annotated[str, StringConstraints(pattern=r"^P[A-Z0-9]{5,13}$")]
"""A PagerDuty user id, as shown in the user's profile URL (``PXXXXXX``)."""


class Rotation(Model):
    """A PagerDuty rotation: who is on call, in which order, and when shifts hand off."""

    users: list[PagerDutyUserId] = Field(
        min_length=1, description="PagerDuty user ids in rotation order."
    )
    handoff: AwareDatetime = Field(
        description="Start of the first shift, ISO 8601 with offset "
        "(e.g. `2026-12-07T09:00:00+00:00`); later handoffs follow every turn."
    )
    turn_length_hours: int = Field(168, ge=1, le=8760, description="Shift length in hours.")

    @field_validator("users")
    @classmethod
    def _unique(cls, users: list[str]) -> list[str]:
        if len(set(users)) != len(users):
            raise ValueError("each user once in the rotation")
        return users


_ROLE_TEXT = {
    "primary": "primary on-call",
    "secondary": "secondary on-call",
    "incidentCommander": "incident commander",
}


class Schedules(Model):
    """The three on-call schedules of playbook §4 and §12."""

    primary: Rotation | None = Field(None, description="Primary on-call rotation.")
    secondary: Rotation | None = Field(None, description="Secondary on-call rotation.")
    incident_commander: Rotation | None = Field(
        None, description="Incident commander rotation (`ops-oncall@`, playbook §12)."
    )

    @model_validator(mode="after")
    def _all_roles(self) -> Schedules:
        missing = [role for role, rotation in self._rotations().items() if rotation is None]
        if missing:
            names = ", ".join(f"{role} (the {_ROLE_TEXT[role]})" for role in missing)
            raise ValueError(
                f"a rotation (users, handoff) for {names}: playbook §4 escalates "
                f"{PLAYBOOK.escalation_quote}"
            )
        return self

    def _rotations(self) -> dict[Role, Rotation | None]:
        return {
            "primary": self.primary,
            "secondary": self.secondary,
            "incidentCommander": self.incident_commander,
        }

    def by_role(self) -> dict[Role, Rotation]:
        """The rotations keyed by role, in escalation order."""
        return {role: r for role, r in self._rotations().items() if r is not None}


class EscalationLevel(Model):
    """One level of the escalation policy."""

    schedule: Role = Field(description="Which schedule this level notifies.")
    delay_minutes: int = Field(
        ge=1, le=1440, description="Minutes before an unacknowledged incident moves on."
    )


class SupportHours(Model):
    """Hours when incidents page at their severity's urgency; outside them, low urgency."""

    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        [1, 2, 3, 4, 5], min_length=1, description="Days, 1 (Monday) to 7 (Sunday)."
    )
    start: ClockTime = Field("09:00", description="Start of support hours.")
    end: ClockTime = Field("18:00", description="End of support hours (same day).")
    time_zone: TimeZone = Field("Etc/UTC", description="Time zone of start and end.")

    @field_validator("days")
    @classmethod
    def _unique_days(cls, days: list[int]) -> list[int]:
        if len(set(days)) != len(days):
            raise ValueError("each day once")
        return days

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: str, info: ValidationInfo) -> str:
        return after_start(end, info)


class AlertGrouping(Model):
    """How PagerDuty groups the alerts of the service into incidents."""

    type: Literal["time", "intelligent", "content_based"] = Field(
        "content_based", description="PagerDuty alert grouping type."
    )
    time_window_seconds: int = Field(
        900, ge=300, le=3600, description="Grouping window (timeout for `time`)."
    )
    fields: list[Annotated[str, StringConstraints(pattern=r"^[a-z_.]{1,80}$")]] = Field(
        ["summary"], min_length=1, description="Fields compared by `content_based` grouping."
    )


class OnCallSection(Model):
    """``controlplane:oncall``: PagerDuty schedules, escalation and service settings."""

    time_zone: TimeZone = Field("Etc/UTC", description="Time zone of the schedules.")
    schedules: Schedules = Field(description="Rotations for the three on-call roles.")
    escalation: list[EscalationLevel] = Field(
        description="Levels in order: primary, secondary, incidentCommander."
    )
    num_loops: int = Field(
        2, ge=1, le=9, description="Times the policy repeats after its last level."
    )
    auto_resolve_seconds: int = Field(
        14400, ge=60, le=604800, description="Open incidents resolve after this long."
    )
    acknowledgement_timeout_seconds: int = Field(
        1800, ge=60, le=86400, description="Acknowledged incidents re-trigger after this long."
    )
    support_hours: SupportHours | None = Field(
        None,
        description="When set, incidents outside these hours are low urgency (no night "
        "pages); required in dev when dev routes to PagerDuty.",
    )
    alert_grouping: AlertGrouping = Field(AlertGrouping(), description="Alert grouping.")

    @field_validator("escalation")
    @classmethod
    def _playbook_order(cls, levels: list[EscalationLevel]) -> list[EscalationLevel]:
        found = tuple(level.schedule for level in levels)
        if found != PLAYBOOK.escalation:
            missing = [role for role in PLAYBOOK.escalation if role not in found]
            hint = f": add the {', '.join(missing)} level" if missing else ": reorder the levels"
            raise ValueError(
                f"levels {' → '.join(PLAYBOOK.escalation)} in that order (playbook §4: "
                f"{PLAYBOOK.escalation_quote!r}); found {' → '.join(found) or 'none'}{hint}"
            )
        return levels
