"""Playbook §1, §5, §12: the security route and the severity levels (``controlplane:security``).

- ``contacts``: the §12 contacts (incident commander, Security Lead, product and UX leads) as
  e-mail addresses;
- ``securityLead``: the PagerDuty users the security escalation policy pages first (§1
  "immediate containment on anomaly" is the Security Lead's call, §12), then the incident
  commander rotation of ``controlplane:oncall``;
- ``overrides``: the anomaly monitor on ``safeguard.overrides.count`` (§4 metric, §11 "override
  spikes");
- ``unauthorizedActions``: the alert on unauthorized-action signals (§1 "Zero unauthorized
  actions": any one alerts);
- ``responders``: the PagerDuty users of the §5 response roles (Comms, Ops, Scribe) that a SEV1
  incident brings in with the incident commander;
- ``priorities``: the PagerDuty priority names of the account for each §5 level (defaults P1-P3).

The levels themselves are :data:`controlplane.playbook.SEV_LEVELS`. Staging and prod set it;
dev leaves it out.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from config.base import Model
from config.common import MetricName, Window, window_minutes
from config.monitoring import AnomalyAlert, HttpsUrl
from config.oncall import PagerDutyUserId
from controlplane.playbook import SECURITY_CONTACTS, SEV_LEVELS, SevLevel

Email = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}$", max_length=254)
]
"""An e-mail address (the same pattern as ``email:<address>`` routing targets)."""
PriorityName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$")]
"""A PagerDuty incident priority name as the account shows it (``P1``)."""


def _unique(users: list[str]) -> list[str]:
    if len(set(users)) != len(users):
        raise ValueError("each user once")
    return users


class Contacts(Model):
    """Playbook §12 "Contacts & Escalations"."""

    incident_commander: Email = Field(
        SECURITY_CONTACTS["incidentCommander"],
        description="Incident commander on-call rotation's address (§12).",
    )
    security_lead: Email = Field(
        SECURITY_CONTACTS["securityLead"], description="Security Lead's address (§12)."
    )
    product_lead: Email = Field(
        SECURITY_CONTACTS["productLead"], description="Product Lead's address (§12)."
    )
    ux_lead: Email = Field(SECURITY_CONTACTS["uxLead"], description="UX Lead's address (§12).")


class SecurityLead(Model):
    """Who the security escalation policy pages first."""

    users: list[PagerDutyUserId] = Field(
        min_length=1, description="PagerDuty user ids of the Security Lead (and deputies)."
    )
    delay_minutes: int = Field(
        10,
        ge=1,
        le=30,
        description="Minutes before an unacknowledged security incident goes on to the "
        "incident commander rotation.",
    )

    @field_validator("users")
    @classmethod
    def _unique_users(cls, users: list[str]) -> list[str]:
        return _unique(users)


class OverridesAnomaly(AnomalyAlert):
    """Anomaly monitor on safeguard overrides: fires when overrides rise above their range.

    The anomaly settings of the playbook alerts, with a faster default: overrides are a
    security signal, so the adaptive algorithm and a 15-minute alert window."""

    algorithm: Literal["basic", "agile", "robust"] = Field(
        "agile", description="Datadog anomaly algorithm."
    )
    alert_window: Window = Field(
        "15m", description="How long overrides must be anomalous before the alert fires."
    )


class UnauthorizedActions(Model):
    """Alert on unauthorized-action signals: one is one too many (§1)."""

    metric: MetricName = Field(
        "safeguard.unauthorized_actions.count",
        description="Count of actions the safeguards refused as unauthorized.",
    )
    window: Window = Field("5m", description="Evaluation window; any signal in it alerts.")

    @field_validator("window")
    @classmethod
    def _short(cls, window: str) -> str:
        if window_minutes(window) > 15:
            raise ValueError(
                f"15m or shorter (playbook §1: 'immediate containment on anomaly'); {window} "
                "would contain later"
            )
        return window


class Responders(Model):
    """PagerDuty users of the §5 response roles a SEV1 incident brings in."""

    comms: list[PagerDutyUserId] = Field(min_length=1, description="Comms role.")
    ops: list[PagerDutyUserId] = Field(min_length=1, description="Ops role.")
    scribe: list[PagerDutyUserId] = Field(min_length=1, description="Scribe role.")

    @field_validator("comms", "ops", "scribe")
    @classmethod
    def _unique_users(cls, users: list[str]) -> list[str]:
        return _unique(users)


def _default_priorities() -> dict[SevLevel, str]:
    return {level: sev.pagerduty_priority for level, sev in SEV_LEVELS.items()}


class SecuritySection(Model):
    """``controlplane:security``: the security route and the §5 severity levels."""

    contacts: Contacts = Field(Contacts(), description="The §12 contacts.")
    security_lead: SecurityLead = Field(description="Paged first on a security alert.")
    overrides: OverridesAnomaly = Field(
        OverridesAnomaly(), description="Anomaly monitor on `safeguard.overrides.count`."
    )
    unauthorized_actions: UnauthorizedActions = Field(
        UnauthorizedActions(), description="Alert on unauthorized-action signals."
    )
    responders: Responders = Field(description="Response roles a SEV1 brings in (§5).")
    conference_url: HttpsUrl | None = Field(
        None, description="Conference bridge a SEV1 incident gets (none: no bridge step)."
    )
    priorities: dict[SevLevel, PriorityName] = Field(
        default_factory=_default_priorities,
        description="PagerDuty priority name of each §5 level (the account's names).",
    )

    @field_validator("priorities")
    @classmethod
    def _every_level(cls, priorities: dict[SevLevel, str]) -> dict[SevLevel, str]:
        missing = [level for level in SEV_LEVELS if level not in priorities]
        if missing:
            raise ValueError(f"a priority name for {', '.join(missing)} (playbook §5 levels)")
        if len(set(priorities.values())) != len(priorities):
            raise ValueError("a different priority for each level")
        return priorities
