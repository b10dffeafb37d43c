"""MaintenanceWindows: the §9 windows as recurring Datadog downtime schedules."""

from __future__ import annotations

import pytest

from components.maintenance_windows import duration
from tests.support.components import Registered
from tests.support.observability import DOWNTIME, run_observability

# Playbook §9, copied on purpose: "Maintenance Window: Saturdays 02:00-04:00 UTC (staging),
# Sundays 03:00-05:00 UTC (production)"
WINDOWS = {
    "staging": ("SA", "2026-12-05T02:00:00", "2h"),
    "prod": ("SU", "2026-12-06T03:00:00", "2h"),
}


@pytest.fixture(scope="module")
def stacks() -> dict[str, Registered]:
    return {env: run_observability(env) for env in ("dev", "staging", "prod")}


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_weekly_downtime_of_the_playbook_window(stacks: dict[str, Registered], env: str):
    run = stacks[env]
    component = run.one("controlplane:observability:MaintenanceWindows")
    downtime = run.one(DOWNTIME)
    day, start, length = WINDOWS[env]
    assert component.name == f"acme-{env}-maintenance"
    assert downtime.parent == component.urn, downtime.urn
    assert downtime.name == f"acme-{env}-maintenance-weekly", downtime.urn
    assert downtime.inputs["recurringSchedule"] == {
        "timezone": "UTC",
        "recurrences": [
            {"rrule": f"FREQ=WEEKLY;INTERVAL=1;BYDAY={day}", "start": start, "duration": length}
        ],
    }, downtime.urn
    assert downtime.inputs["scope"] == f"env:{env}", downtime.urn
    assert downtime.inputs["monitorIdentifier"] == {
        "monitorTags": [f"env:{env}", "managed-by:pulumi"]
    }, downtime.urn
    assert downtime.inputs["notifyEndStates"] == ["alert", "warn"], downtime.urn
    assert downtime.inputs["displayTimezone"] == "UTC", downtime.urn


def test_dev_has_no_window_unless_configured(stacks: dict[str, Registered]):
    assert stacks["dev"].of_type(DOWNTIME) == []
    run = run_observability(
        "dev",
        maintenanceWindow={
            "day": "wednesday",
            "start": "12:00",
            "end": "13:30",
            "firstOccurrence": "2026-12-09",
        },
    )
    recurrence = run.one(DOWNTIME).inputs["recurringSchedule"]["recurrences"][0]
    assert recurrence == {
        "rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=WE",
        "start": "2026-12-09T12:00:00",
        "duration": "90m",
    }


def test_duration():
    assert duration(120) == "2h"
    assert duration(45) == "45m"


pytestmark = pytest.mark.playbook("maintenance-windows")
