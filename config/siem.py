"""Playbook §4 logs: forward to SIEM for anomaly detection (``controlplane:siem``).

The application's structured logs and the audit logs leave each environment through one log
sink to a Pub/Sub topic; a Dataflow job running Google's "Pub/Sub to Datadog" template reads
them from a pull subscription and sends them to Datadog's log intake, with the API key read
from Secret Manager (docs/architecture.md, "SIEM forwarding", says why this and not a push
subscription). Entries that carry a field known to hold personal data are dropped by the sink
before they leave the project.

Cross-key rule (:class:`config.runtime.RuntimeSections`): ``apiKeySecret`` names a catalogue
secret of ``controlplane:secrets`` that lists the ``siem`` reader. Environment rules
(:meth:`SiemSpec.env_rules`): prod forwards the Admin Activity and Data Access audit logs and
encrypts the topics, the job and its bucket with its own KMS key.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from config.base import Model, Problem
from config.common import CmekSpec
from controlplane.playbook import PROD_SIEM_AUDIT_LOGS

DatadogSite = Literal[
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "ddog-gov.com",
]
"""The Datadog sites (https://docs.datadoghq.com/getting_started/site/)."""

AuditLog = Literal["activity", "data_access", "system_event", "policy"]
"""Cloud Audit Logs streams, as the log id ``cloudaudit.googleapis.com/<stream>`` names them."""
ALL_AUDIT_LOGS: tuple[AuditLog, ...] = ("activity", "data_access", "system_event", "policy")
"""Every Cloud Audit Logs stream (the default: all of them reach the SIEM)."""

MAX_EXCLUSIONS = 50
"""Cloud Logging accepts at most 50 exclusion filters on one sink."""

DEFAULT_APPLICATION_FILTER = (
    '(resource.type="cloud_run_revision" OR resource.type="cloud_run_job") AND jsonPayload:*'
)
DEFAULT_PII_FIELDS = [
    "email",
    "user_email",
    "phone",
    "ip_address",
    "prompt",
    "request_body",
    "authorization",
]
_FIELD_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
_TEMPLATE_VERSION = r"^(latest|\d{4}-\d{2}-\d{2}-\d{2}_RC\d{2})$"


class DataflowSpec(Model):
    """The Dataflow job that delivers the SIEM topic's messages to Datadog."""

    template_version: str = Field(
        default="latest",
        pattern=_TEMPLATE_VERSION,
        description="Version folder of Google's template "
        "(`gs://dataflow-templates-<region>/<version>/Cloud_PubSub_to_Datadog`): `latest` or a "
        "release like 2025-01-14-00_RC00 to pin it.",
    )
    machine_type: str = Field(
        default="n1-standard-1",
        pattern=r"^[a-z0-9]+-[a-z0-9-]+$",
        description="Worker machine type.",
    )
    max_workers: int = Field(default=2, ge=1, le=20, description="Most workers the job scales to.")
    batch_count: int = Field(
        default=10, ge=1, le=1000, description="Log entries sent to Datadog in one request."
    )


class SiemAlertsSpec(Model):
    """The two health monitors of SIEM forwarding: a stalled job and refused logs.

    The playbook names no number ("Forward to SIEM for anomaly detection"): these defaults are
    the program's own. Datadog's Google Cloud integration collects the Pub/Sub metrics every
    few minutes, hence windows of at least 10 minutes.
    """

    backlog_age_minutes: int = Field(
        default=30,
        ge=10,
        le=24 * 60,
        description="Age of the forwarding subscription's oldest unacknowledged message above "
        "which the job counts as stalled (own default; the playbook names none).",
    )
    backlog_window_minutes: int = Field(
        default=15,
        ge=10,
        le=60,
        description="Window over which the oldest unacknowledged message stays above "
        "`backlogAgeMinutes` before the stall alert fires.",
    )
    dead_letter_window_minutes: int = Field(
        default=10,
        ge=10,
        le=60,
        description="Window in which any undelivered message on the dead-letter subscription "
        "fires the refused-logs alert.",
    )

    @model_validator(mode="after")
    def _window_within_age(self) -> SiemAlertsSpec:
        if self.backlog_window_minutes > self.backlog_age_minutes:
            raise ValueError(
                f"backlogWindowMinutes ({self.backlog_window_minutes}) at most "
                f"backlogAgeMinutes ({self.backlog_age_minutes}): a longer window waits past "
                "the age it alerts on; shorten the window or raise the age"
            )
        return self


class SiemSpec(Model):
    """Playbook §4: the logs an environment forwards to the SIEM (Datadog) and how."""

    site: DatadogSite = Field(
        default="datadoghq.com",
        description="Datadog site whose log intake receives the logs (`http-intake.logs.<site>`).",
    )
    api_key_secret: str = Field(
        default="datadog-api-key",
        pattern=r"^[a-z][a-z0-9-]{0,39}$",
        description="Catalogue secret (controlplane:secrets) holding the Datadog API key; it must "
        "list the `siem` reader. The job reads it from Secret Manager: the key is in no "
        "resource input.",
    )
    application_filter: str = Field(
        default=DEFAULT_APPLICATION_FILTER,
        min_length=1,
        description="Logging filter of the structured application logs forwarded "
        "(default: the JSON entries of the Cloud Run services and jobs).",
    )
    audit_logs: list[AuditLog] = Field(
        default_factory=lambda: list(ALL_AUDIT_LOGS),
        description="Cloud Audit Logs streams forwarded (activity, data_access, system_event, "
        "policy); prod forwards at least activity and data_access.",
    )
    pii_fields: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PII_FIELDS),
        max_length=MAX_EXCLUSIONS,
        description="`jsonPayload` fields known to carry personal data: an entry that has "
        "one is dropped by the sink before it leaves the project (Cloud Logging cannot "
        "remove a single field).",
    )
    max_delivery_attempts: int = Field(
        default=10,
        ge=5,
        le=100,
        description="Deliveries of a message the job does not acknowledge before Pub/Sub moves "
        "it to the dead-letter topic.",
    )
    dead_letter_retention_days: int = Field(
        default=7,
        ge=1,
        le=31,
        description="Days undelivered messages are kept on the dead-letter subscription.",
    )
    dataflow: DataflowSpec = Field(
        default_factory=DataflowSpec, description="The Dataflow job that sends to Datadog."
    )
    alerts: SiemAlertsSpec = Field(
        default_factory=SiemAlertsSpec,
        description="Thresholds and windows of the SIEM forwarding health monitors.",
    )
    cmek: CmekSpec = Field(
        default_factory=lambda: CmekSpec(enabled=True),
        description="CMEK for the SIEM topics, the Dataflow job and its bucket (prod: on).",
    )

    @field_validator("audit_logs")
    @classmethod
    def _unique_streams(cls, streams: list[AuditLog]) -> list[AuditLog]:
        if len(set(streams)) != len(streams):
            raise ValueError("each audit log stream listed once: remove the duplicate")
        return streams

    @field_validator("pii_fields")
    @classmethod
    def _fields(cls, fields: list[str]) -> list[str]:
        for field in fields:
            if not _FIELD_PATTERN.match(field):
                raise ValueError(
                    f"a jsonPayload field path like user_email or actor.email (found {field!r})"
                )
        if len(set(fields)) != len(fields):
            raise ValueError("each field listed once: remove the duplicate")
        return fields

    @property
    def audit_filter(self) -> str:
        """The Logging filter of the forwarded audit streams (empty when none)."""
        return " OR ".join(f'log_id("cloudaudit.googleapis.com/{s}")' for s in self.audit_logs)

    @property
    def filter(self) -> str:
        """The sink's inclusion filter: the application logs or the audit logs."""
        parts = [f"({self.application_filter})"]
        if self.audit_logs:
            parts.append(f"({self.audit_filter})")
        return " OR ".join(parts)

    @property
    def intake_url(self) -> str:
        """Datadog's log intake for the site (the template's ``url``)."""
        return f"https://http-intake.logs.{self.site}"

    def env_rules(self, env: str) -> list[Problem]:
        """Environment rules of SIEM forwarding; paths are relative to ``siem``."""
        problems: list[Problem] = []
        if env == "prod":
            missing = [s for s in PROD_SIEM_AUDIT_LOGS if s not in self.audit_logs]
            if missing:
                problems.append(
                    Problem.found(
                        "auditLogs",
                        ", ".join(self.audit_logs) or "none",
                        f"at least {', '.join(PROD_SIEM_AUDIT_LOGS)} in prod (playbook §4: "
                        "audit logs reach the SIEM); add " + ", ".join(missing),
                    )
                )
            if not self.cmek.enabled:
                problems.append(
                    Problem.found(
                        "cmek.enabled",
                        "false",
                        "true in prod: the SIEM topics and job encrypted with our KMS key",
                    )
                )
        return problems
