"""Type tokens, kinds and the wiring labels the diagrams draw (:mod:`preflight.graph.wiring`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"

CLOUD_RUN_SERVICE = "gcp:cloudrunv2/service:Service"
CLOUD_RUN_JOB = "gcp:cloudrunv2/job:Job"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
SECRET = "gcp:secretmanager/secret:Secret"  # noqa: S105  # nosec B105  # a type token
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"  # noqa: S105  # nosec B105
SECRET_IAM = "gcp:secretmanager/secretIamMember:SecretIamMember"  # noqa: S105  # nosec B105
SCHEDULER_JOB = "gcp:cloudscheduler/job:Job"
LOG_SINK = "gcp:logging/projectSink:ProjectSink"
LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
STORAGE_BUCKET = "gcp:storage/bucket:Bucket"
DD_MONITOR = "datadog:index/monitor:Monitor"
DD_SLO = "datadog:index/serviceLevelObjective:ServiceLevelObjective"
DD_SYNTHETICS = "datadog:index/syntheticsTest:SyntheticsTest"
DD_PAGERDUTY_SERVICE = "datadog:pagerduty/serviceObject:ServiceObject"
DD_DOWNTIME_SCHEDULE = "datadog:index/downtimeSchedule:DowntimeSchedule"
DD_DOWNTIME = "datadog:index/downtime:Downtime"
PD_SERVICE = "pagerduty:index/service:Service"
PD_ESCALATION = "pagerduty:index/escalationPolicy:EscalationPolicy"
PD_SCHEDULE = "pagerduty:index/schedule:Schedule"

WATCHERS = (DD_MONITOR, DD_SLO, DD_SYNTHETICS)
"""Datadog resources that watch a service named by a ``service:<name>`` tag or query scope."""
RUNNERS = (CLOUD_RUN_SERVICE, CLOUD_RUN_JOB)

RUNS_AS = "runs as"
READS = "reads"
WATCHES = "watches"
PAGES = "pages"
DELIVERS_TO = "delivers to"
ESCALATES_VIA = "escalates via"
NOTIFIES = "notifies"
TRIGGERS = "triggers"
ROUTES_LOGS_TO = "routes logs to"
MUTES = "mutes"
CALLS = "calls"
VALUE_FROM = "value from"
ON = "on"

LABELS: dict[str, str] = {
    RUNS_AS: "a Cloud Run service or job (or a scheduler's OAuth token) runs as that "
    "service account",
    READS: "a Cloud Run service or job reads that Secret Manager secret (env var or volume, "
    "by reference)",
    CALLS: "a Cloud Run service or job is given that Cloud Run service's URL (it calls it)",
    VALUE_FROM: "a secret version stores a value that resource outputs (e.g. Supabase keys)",
    "grants <role> to": "an IAM member grants the role to that principal (a service account, "
    "a log sink's writer identity)",
    ON: "an IAM member applies to that resource (secret, service, job, topic, bucket, key)",
    WATCHES: "a Datadog monitor, SLO or synthetic test watches that service "
    "(`service:<name>` tag or query scope matched to the service's `DD_SERVICE`)",
    PAGES: "a monitor's or synthetic test's message pages that PagerDuty service "
    "(`@pagerduty-<name>`)",
    MUTES: "a Datadog downtime mutes that monitor (its monitor tags, or its monitor id)",
    DELIVERS_TO: "Datadog's PagerDuty service object delivers to that PagerDuty service",
    ESCALATES_VIA: "a PagerDuty service follows that escalation policy",
    NOTIFIES: "an escalation policy notifies that on-call schedule",
    TRIGGERS: "a Cloud Scheduler job starts that Cloud Run job",
    ROUTES_LOGS_TO: "a log sink routes logs to that log bucket or storage bucket",
}
"""Every wiring label and what it means (docs/architecture.md prints this table)."""


def kind(type_token: str) -> str:
    """A short, unambiguous kind for a type token, as the Python SDKs spell it.

    ``gcp:cloudrunv2/service:Service`` -> ``gcp.cloudrunv2.Service``,
    ``datadog:index/monitor:Monitor`` -> ``datadog.Monitor``,
    ``controlplane:runtime:AgentService`` (a component, no ``/``) -> ``AgentService``,
    ``pulumi-python:dynamic/supabase:SupabaseProjectKeys`` -> ``dynamic.SupabaseProjectKeys``.
    """
    parts = type_token.split(":")
    if len(parts) != 3:
        return type_token
    package, path, name = parts
    module = path.split("/", 1)[0]
    if package.startswith("pulumi-"):  # dynamic providers
        return f"{module}.{name}"
    if "/" not in path:  # a component type: <project>:<area>:<Name>
        return name
    if module == "index":
        return f"{package}.{name}"
    return f"{package}.{module}.{name}"


def is_node(resource: Mapping[str, Any]) -> bool:
    """Whether a resource is drawn: custom resources, except providers."""
    return bool(resource.get("custom")) and not str(resource.get("type", "")).startswith(
        PROVIDER_PREFIX
    )
