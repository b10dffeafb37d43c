"""Playbook §4: where each severity is notified (``controlplane:routing``).

Environment rule (:meth:`RoutingSection.env_rules`): staging and prod page the on-call for
critical and high alerts.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from config.base import Model, Problem
from controlplane.playbook import Severity

_TARGET_RE = re.compile(
    r"^(pagerduty|slack:[a-z0-9][a-z0-9_-]{0,79}|email:[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,})$"
)
PAGERDUTY = "pagerduty"
"""The routing target that pages: the environment's PagerDuty service."""


Target = str
"""``pagerduty`` (the environment's PagerDuty service), ``slack:<channel>`` or
``email:<address>``."""


class RoutingSection(Model):
    """``controlplane:routing``: who is notified for each severity (playbook §4)."""

    critical: list[Target] = Field(
        min_length=1, description="Targets of critical alerts (staging/prod: pagerduty)."
    )
    high: list[Target] = Field(
        min_length=1, description="Targets of high alerts (staging/prod: pagerduty)."
    )
    informational: list[Target] = Field(
        min_length=1, description="Targets of informational alerts; never pagerduty."
    )

    @field_validator("critical", "high", "informational")
    @classmethod
    def _targets(cls, targets: list[str]) -> list[str]:
        for target in targets:
            if not _TARGET_RE.match(target):
                raise ValueError(
                    f"targets written pagerduty, slack:<channel> or email:<address>; "
                    f"{target!r} is none of these"
                )
        if len(set(targets)) != len(targets):
            raise ValueError("each target once")
        return targets

    @field_validator("informational")
    @classmethod
    def _never_pages(cls, targets: list[str]) -> list[str]:
        if PAGERDUTY in targets:
            raise ValueError(
                "only non-paging targets (slack:<channel> or email:<address>): informational "
                "alerts never page (playbook §4); remove 'pagerduty'"
            )
        return targets

    def targets(self, severity: Severity) -> list[str]:
        """The targets of ``severity``."""
        return {"critical": self.critical, "high": self.high, "informational": self.informational}[
            severity
        ]

    def pages(self, severity: Severity) -> bool:
        """Whether alerts of ``severity`` go to PagerDuty."""
        return PAGERDUTY in self.targets(severity)

    def env_rules(self, env: str) -> list[Problem]:
        """Environment rules of routing; paths are relative to ``routing``."""
        problems: list[Problem] = []
        if env in ("staging", "prod"):
            for severity in ("critical", "high"):
                if not self.pages(severity):
                    problems.append(
                        Problem.found(
                            severity,
                            str(self.targets(severity)),
                            f"'pagerduty' among the targets in {env}: {severity} alerts page the "
                            "on-call (playbook §4)",
                        )
                    )
        return problems
