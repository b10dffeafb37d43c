"""Playbook §4 logs and §6 audit: log retention and audit logs (``controlplane:logging``).

Environment rules (:meth:`LoggingSpec.env_rules`): prod encrypts the archive with its own KMS
key; staging and prod keep the playbook's 30 days hot and 180 days cold.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from config.base import Model, Problem
from config.common import CmekSpec
from controlplane.playbook import LOG_ARCHIVE_DAYS, LOG_HOT_DAYS

# Minimum storage duration per class: deleting earlier is billed as if kept that long.
MIN_STORAGE_DAYS = {"NEARLINE": 30, "COLDLINE": 90, "ARCHIVE": 365}

DEFAULT_AUDIT_SERVICES = [
    "cloudkms.googleapis.com",
    "cloudscheduler.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
]


class LoggingSpec(Model):
    """Playbook §4 logs and §6 audit: 30 days hot, 180 days cold, data-access audit logs."""

    location: str = Field(default="global", description="Location of the hot log bucket.")
    hot_retention_days: int = Field(
        default=LOG_HOT_DAYS, ge=1, le=3650, description="Hot log bucket retention (30)."
    )
    archive_location: str = Field(
        default="EU", description="Location of the archive storage bucket (EU, US or a region)."
    )
    cold_after_days: int = Field(
        default=LOG_HOT_DAYS,
        ge=0,
        description="Age at which archived objects move to the cold storage class.",
    )
    cold_storage_class: Literal["NEARLINE", "COLDLINE", "ARCHIVE"] = Field(
        default="COLDLINE", description="Storage class of the cold tier."
    )
    archive_days: int = Field(
        default=LOG_ARCHIVE_DAYS, ge=1, description="Age at which archived logs are deleted."
    )
    noncurrent_delete_days: int = Field(
        default=7,
        ge=1,
        le=30,
        description="Days a deleted or overwritten archive object is kept (versioning).",
    )
    filter: str = Field(
        default="", description="Logging filter of what is routed (empty: every log entry)."
    )
    audit_services: list[str] = Field(
        default_factory=lambda: list(DEFAULT_AUDIT_SERVICES),
        min_length=1,
        description="Services whose data-access audit logs are on (or `allServices`).",
    )
    cmek: CmekSpec = Field(
        default_factory=CmekSpec,
        description="CMEK for the hot log bucket and the archive bucket (prod: on).",
    )

    @field_validator("audit_services")
    @classmethod
    def _services(cls, services: list[str]) -> list[str]:
        for service in services:
            if service != "allServices" and not re.match(r"^[a-z0-9-]+\.googleapis\.com$", service):
                raise ValueError(
                    f"service names like run.googleapis.com, or allServices (found {service!r})"
                )
        return services

    @model_validator(mode="after")
    def _lifecycle(self) -> LoggingSpec:
        if self.cold_after_days >= self.archive_days:
            raise ValueError(
                f"coldAfterDays ({self.cold_after_days}) below archiveDays "
                f"({self.archive_days}): objects move to cold storage before they are deleted"
            )
        cold_days = self.archive_days - self.cold_after_days
        minimum = MIN_STORAGE_DAYS[self.cold_storage_class]
        if cold_days < minimum:
            fits = [c for c, d in MIN_STORAGE_DAYS.items() if d <= cold_days]
            raise ValueError(
                f"{self.cold_storage_class} bills at least {minimum} days but objects stay "
                f"{cold_days} days in it: use coldStorageClass "
                f"{' or '.join(fits) if fits else 'NEARLINE with a longer archiveDays'}"
            )
        return self

    def env_rules(self, env: str) -> list[Problem]:
        """Environment rules of log retention; paths are relative to ``logging``."""
        problems: list[Problem] = []
        if env == "prod" and not self.cmek.enabled:
            problems.append(
                Problem.found(
                    "cmek.enabled",
                    "false",
                    "true in prod: the log archive bucket encrypted with our KMS key",
                )
            )
        if env in ("staging", "prod"):
            if self.hot_retention_days != LOG_HOT_DAYS:
                problems.append(
                    Problem.found(
                        "hotRetentionDays",
                        str(self.hot_retention_days),
                        f"{LOG_HOT_DAYS} in {env} (playbook §4: 30 days hot)",
                    )
                )
            if self.archive_days != LOG_ARCHIVE_DAYS:
                problems.append(
                    Problem.found(
                        "archiveDays",
                        str(self.archive_days),
                        f"{LOG_ARCHIVE_DAYS} in {env} (playbook §4: 180 days cold storage)",
                    )
                )
        return problems
