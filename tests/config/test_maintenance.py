"""controlplane:maintenance: the four jobs of playbook §7 at their cadence, in UTC."""

from __future__ import annotations

from config.runtime import RuntimeSections
from tests.support.config import errors
from tests.support.runtime import example


def test_maintenance_needs_the_four_jobs_at_their_cadence() -> None:
    data = example()
    jobs = data["maintenance"]["jobs"]
    del jobs["composio-sync"]
    jobs["library-reembedding"]["schedule"] = "0 3 * * *"
    jobs["telemetry-vacuum"]["schedule"] = "*/5 * * * *"
    jobs["log-rotation"] = {"schedule": "0 1 * * *"}
    assert errors(RuntimeSections, data) == [
        (
            ("maintenance", "jobs", "composio-sync"),
            "job composio-sync is missing: add it with a weekly schedule (playbook §7)",
        ),
        (
            ("maintenance", "jobs", "telemetry-vacuum", "schedule"),
            "a daily cron schedule at a fixed UTC time, e.g. '15 3 * * *'",
        ),
        (
            ("maintenance", "jobs", "library-reembedding", "schedule"),
            "a weekly cron schedule at a fixed UTC time, e.g. '15 3 * * 0'",
        ),
        (
            ("maintenance", "jobs", "log-rotation"),
            "one of the jobs telemetry-vacuum, library-reembedding, composio-sync, "
            "backup-verification (playbook §7)",
        ),
    ]


def test_schedules_are_in_utc() -> None:
    data = example()
    data["maintenance"]["timeZone"] = "Europe/Paris"
    [(loc, msg)] = errors(RuntimeSections, data)
    assert loc == ("maintenance", "timeZone")
    assert msg == "Input should be 'UTC'"
