"""MaintenanceWindows: the weekly maintenance window of playbook §9 as a Datadog downtime.

Staging: Saturdays 02:00-04:00 UTC; production: Sundays 03:00-05:00 UTC (the config is
checked against the playbook in :func:`config.observability.environment_problems`).

pulumi-datadog 5.17 marks ``datadog.Downtime`` deprecated and recommends
``datadog.DowntimeSchedule`` (Downtime API v2), whose recurring schedule is an RFC 5545
``RRULE`` plus a start and a duration; that is what this component declares. The downtime
mutes the environment's monitors (``env:<env>`` scope, monitors tagged with the environment
and ``managed-by:pulumi``) during the window, and notifies at the end of the window for any
monitor still alerting.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_datadog as datadog

from config.maintenance_window import MaintenanceWindowSection
from controlplane.naming import Naming

BYDAY = {
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
}


def weekly_rrule(window: MaintenanceWindowSection) -> str:
    """``FREQ=WEEKLY;INTERVAL=1;BYDAY=SA`` for a Saturday window."""
    return f"FREQ=WEEKLY;INTERVAL=1;BYDAY={BYDAY[window.day]}"


def duration(minutes: int) -> str:
    """A Datadog duration: whole hours as ``2h``, otherwise minutes (``90m``)."""
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


@dataclass(frozen=True)
class MaintenanceWindowsArgs:
    """Inputs of :class:`MaintenanceWindows`."""

    naming: Naming
    """Names and tags of the environment."""
    window: MaintenanceWindowSection
    """``controlplane:maintenanceWindow``: day, start, end, time zone, first occurrence."""


class MaintenanceWindows(pulumi.ComponentResource):
    """The recurring downtime of one environment's maintenance window."""

    downtime: datadog.DowntimeSchedule
    """The weekly downtime schedule."""

    def __init__(
        self, name: str, args: MaintenanceWindowsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:observability:MaintenanceWindows", name, None, opts)
        window = args.window
        env = args.naming.env
        self.downtime = datadog.DowntimeSchedule(
            f"{name}-weekly",
            scope=f"env:{env}",
            monitor_identifier=datadog.DowntimeScheduleMonitorIdentifierArgs(
                monitor_tags=[f"env:{env}", "managed-by:pulumi"]
            ),
            recurring_schedule=datadog.DowntimeScheduleRecurringScheduleArgs(
                timezone=window.time_zone,
                recurrences=[
                    datadog.DowntimeScheduleRecurringScheduleRecurrenceArgs(
                        rrule=weekly_rrule(window),
                        start=f"{window.first_occurrence.isoformat()}T{window.start}:00",
                        duration=duration(window.duration_minutes()),
                    )
                ],
            ),
            display_timezone=window.time_zone,
            message=(
                f"Maintenance window of {env}: {window.describe()} (playbook §9). Monitors "
                "of the environment are muted; any still alerting at the end notify then."
            ),
            mute_first_recovery_notification=True,
            notify_end_states=["alert", "warn"],
            notify_end_types=["expired", "canceled"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"downtimeId": self.downtime.id})
