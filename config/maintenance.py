"""Playbook §7: the scheduled maintenance jobs of the stack config (``controlplane:maintenance``).

The jobs and their cadence are the playbook's (:data:`controlplane.playbook.JOB_CADENCE`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from config.base import Model
from config.common import Located, PinnedImage, raise_at
from controlplane.playbook import JOB_CADENCE

_DOW = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}


class MaintenanceJobSpec(Model):
    """One scheduled maintenance job (a Cloud Run job started by Cloud Scheduler)."""

    schedule: str = Field(description="Cron schedule in UTC, e.g. `15 3 * * *` (daily).")
    args: list[str] = Field(
        default_factory=list, description="Container arguments, e.g. [vacuum, --older-than=30d]."
    )
    image: PinnedImage | None = Field(default=None, description="Overrides maintenance.image.")
    retries: int = Field(default=1, ge=0, le=10, description="Task retries after a failure.")
    deadline_seconds: int = Field(
        default=3600, ge=60, le=86400, description="Task timeout in seconds."
    )
    cpu: Literal["1", "2", "4", "6", "8"] = Field(default="1", description="vCPUs per task.")
    memory: str = Field(default="512Mi", pattern=r"^[0-9]+(Mi|Gi)$", description="Memory.")


def _cron_problem(schedule: str, cadence: Literal["daily", "weekly"]) -> str | None:
    """Why ``schedule`` does not run at a fixed time with ``cadence``; None when it does."""
    example = "15 3 * * *" if cadence == "daily" else "15 3 * * 0"
    fields = schedule.split()
    ok = len(fields) == 5
    if ok:
        minute, hour, dom, month, dow = fields
        ok = (
            minute.isdigit()
            and int(minute) < 60
            and hour.isdigit()
            and int(hour) < 24
            and dom == "*"
            and month == "*"
        )
        if ok and cadence == "daily":
            ok = dow == "*"
        elif ok:
            ok = (dow.isdigit() and int(dow) <= 6) or dow.upper() in _DOW
    if ok:
        return None
    return f"a {cadence} cron schedule at a fixed UTC time, e.g. '{example}'"


class MaintenanceSpec(Model):
    """Playbook §7: the scheduled maintenance jobs."""

    image: PinnedImage = Field(description="Default image of the maintenance jobs (digest or tag).")
    time_zone: Literal["UTC"] = Field(
        default="UTC", description="Time zone of the schedules (UTC, like the change calendar)."
    )
    jobs: dict[str, MaintenanceJobSpec] = Field(
        description="Exactly: telemetry-vacuum (daily), library-reembedding, composio-sync, "
        "backup-verification (weekly)."
    )

    @field_validator("jobs")
    @classmethod
    def _the_four_jobs(cls, jobs: dict[str, MaintenanceJobSpec]) -> dict[str, MaintenanceJobSpec]:
        problems: list[Located] = []
        for name in sorted(set(JOB_CADENCE) - set(jobs)):
            problems.append(
                (
                    (name,),
                    None,
                    f"job {name} is missing: add it with a {JOB_CADENCE[name]} schedule "
                    "(playbook §7)",
                )
            )
        for name, job in jobs.items():
            if name not in JOB_CADENCE:
                problems.append(
                    ((name,), name, f"one of the jobs {', '.join(JOB_CADENCE)} (playbook §7)")
                )
                continue
            problem = _cron_problem(job.schedule, JOB_CADENCE[name])
            if problem:
                problems.append(((name, "schedule"), job.schedule, problem))
        if problems:
            raise_at("jobs", problems)
        return jobs
