"""Playbook §6: Secret Manager settings of the stack config (``controlplane:vault``).

Environment rule (:meth:`VaultSpec.env_rules`): prod encrypts secrets with its own KMS key.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from config.base import Model, Problem
from config.common import CmekSpec
from controlplane.fields import is_region

_RFC3339_UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class VaultSpec(Model):
    """Secret Manager settings shared by every catalogue secret."""

    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: Any) -> Any:
        if isinstance(data, dict) and "projectNumber" in data:
            raise ValueError(
                "projectNumber is no longer read (service agents come from the provider, not "
                "from a typed-in number): remove it from the stack file"
            )
        return data

    replica_locations: list[str] = Field(
        default_factory=list,
        description="Regions to replicate secrets to; empty means automatic replication.",
    )
    cmek: CmekSpec = Field(default_factory=CmekSpec, description="CMEK for every secret.")
    rotation_days: int = Field(
        default=90, ge=1, le=90, description="Rotation reminder period (playbook §6: quarterly)."
    )
    next_rotation_time: str = Field(
        description="Anchor of the rotation calendar, RFC 3339 UTC like 2027-01-04T09:00:00Z: "
        "a new secret's first notice is the first `anchor + k x rotationDays` at least a day "
        "after the deploy; Secret Manager moves it forward by the period after each notice."
    )

    @field_validator("replica_locations")
    @classmethod
    def _locations(cls, locations: list[str]) -> list[str]:
        for location in locations:
            if not is_region(location):
                raise ValueError(f"regions like europe-west1 (found {location!r})")
        if len(set(locations)) != len(locations):
            raise ValueError("each region once: remove the duplicate")
        return locations

    @field_validator("next_rotation_time")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        message = "a UTC timestamp like 2026-01-05T09:00:00Z"
        if not _RFC3339_UTC_RE.match(value):
            raise ValueError(message)
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise ValueError(message) from None
        return value

    def env_rules(self, env: str) -> list[Problem]:
        """Environment rules of the vault; paths are relative to ``vault``."""
        if env == "prod" and not self.cmek.enabled:
            return [
                Problem.found(
                    "cmek.enabled", "false", "true in prod: secrets encrypted with our KMS key"
                )
            ]
        return []
