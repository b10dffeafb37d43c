"""CP-AUD-004: the audit logs reach the SIEM (Datadog) through a log sink and a Pub/Sub topic.

Playbook §4 "Forward to SIEM for anomaly detection". One ``gcp.logging.ProjectSink`` of the
stack must:

- route to a Pub/Sub topic (``pubsub.googleapis.com/projects/<p>/topics/<t>``) that the stack
  declares, and not be disabled;
- include the audit logs: an empty filter (every entry), or a filter naming each required
  stream's log id ``cloudaudit.googleapis.com/<stream>`` (``auditLogs`` in the config);
- drop none of them: no enabled exclusion whose filter mentions ``cloudaudit``,
  ``protoPayload`` (the audit entries' payload) or ``logName``, or is empty;
- have a delivery to Datadog on that topic: a Dataflow job (``gcp.dataflow.Job`` or
  ``FlexTemplateJob``) whose ``inputSubscription`` is a subscription of the topic and whose
  ``url`` is a Datadog intake, or a push subscription of the topic to a Datadog intake
  (``intakeHosts``: host name patterns).

Missing-property semantics: a missing ``disabled`` is enabled (the provider's default); a missing
filter is every entry; a destination, filter or parameter whose value is unknown (a preview of a
new stack that computes it) leaves the policy undecided (the runtime's "can't run policy during
preview"): it decides at ``pulumi up``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import PolicyResource

from policies._lib.config import Schema, choice_list, string_list
from policies._lib.meta import Meta
from policies._lib.policy import stack_policy, types
from policies._lib.props import as_list, as_mapping, get, is_missing, is_unknown, peek

PROJECT_SINK = "gcp:logging/projectSink:ProjectSink"
PUBSUB_TOPIC = "gcp:pubsub/topic:Topic"
PUBSUB_SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
DATAFLOW_JOB = "gcp:dataflow/job:Job"
DATAFLOW_FLEX_JOB = "gcp:dataflow/flexTemplateJob:FlexTemplateJob"
PUBSUB_PREFIX = "pubsub.googleapis.com/"
AUDIT_LOG_ID = "cloudaudit.googleapis.com"
AUDIT_MARKERS = ("cloudaudit", "protopayload", "logname")
"""Words of an exclusion filter that may drop audit entries (compared in lower case)."""

META = Meta(
    id="CP-AUD-004",
    name="audit-sink-missing-siem-forwarding",
    description=(
        "Ensure a log sink routes the audit logs, with no exclusion dropping them, to a Pub/Sub "
        "topic of the stack that a Dataflow job or push subscription delivers to Datadog."
    ),
    severity="high",
    section="§4 Logs: Forward to SIEM for anomaly detection",
    remediation=(
        "Declare the SIEM forwarding (components.siem_forwarding.SiemForwarding, from "
        "controlplane:siem): a ProjectSink whose filter includes the audit log streams, to the "
        "SIEM topic, read by the Pub/Sub to Datadog Dataflow job."
    ),
    on_missing="violation",
    missing_rationale=(
        "without the sink, the topic or the delivery, the SIEM never sees who changed or read "
        "what; a missing filter is every entry and a missing 'disabled' is enabled (the "
        "provider's defaults); unknown values are undecided until apply"
    ),
)

CONFIG: Schema = {
    "auditLogs": choice_list(
        ["activity", "data_access", "system_event", "policy"],
        ["activity", "data_access"],
        "Cloud Audit Logs streams the sink must include (cloudaudit.googleapis.com/<stream>).",
    ),
    "intakeHosts": string_list(
        ["*.datadoghq.com", "*.datadoghq.eu", "*.ddog-gov.com"],
        "Host name patterns of the Datadog log intakes a delivery may send to.",
    ),
}


def _known(obj: Any, path: str) -> Any:
    """The value at ``path``; an unknown value gives up on the check (undecided until apply)."""
    value = peek(obj, path)
    if is_unknown(value):
        value.undecided()
    return value


def _topic_of(destination: str) -> tuple[str, str] | None:
    """``(project, topic)`` of a Pub/Sub sink destination, or None for another destination."""
    if not destination.startswith(PUBSUB_PREFIX):
        return None
    parts = destination.removeprefix(PUBSUB_PREFIX).split("/")
    if len(parts) != 4 or parts[0] != "projects" or parts[2] != "topics":
        return None
    return parts[1], parts[3]


def _matches(name: Any, project: str, kind: str, short: str) -> bool:
    """Whether ``name`` (a short name or a full ``projects/<p>/<kind>/<n>``) is ``short``."""
    text = str(name)
    return text == short or text == f"projects/{project}/{kind}/{short}"


def _intake(url: Any, config: Mapping[str, Any]) -> bool:
    host = urlsplit(str(url)).hostname or ""
    return any(fnmatchcase(host, str(p)) for p in config["intakeHosts"])


def _delivered(
    project: str, topic: str, stack: list[PolicyResource], config: Mapping[str, Any]
) -> bool:
    """Whether a push subscription or a Dataflow job delivers the topic to Datadog."""
    for sub in stack:
        if sub.resource_type != PUBSUB_SUBSCRIPTION:
            continue
        sub_topic = _known(sub.props, "topic")
        if is_missing(sub_topic) or not _matches(sub_topic, project, "topics", topic):
            continue
        endpoint = _known(sub.props, "pushConfig.pushEndpoint")
        if not is_missing(endpoint) and _intake(endpoint, config):
            return True
        name = _known(sub.props, "name")
        if is_missing(name):
            continue
        for job in stack:
            if job.resource_type not in (DATAFLOW_JOB, DATAFLOW_FLEX_JOB):
                continue
            parameters = as_mapping(_known(job.props, "parameters"))
            source = _known(parameters, "inputSubscription")
            url = _known(parameters, "url")
            if (
                not is_missing(source)
                and _matches(source, project, "subscriptions", str(name))
                and _intake(url, config)
            ):
                return True
    return False


def _problems(
    sink: PolicyResource, stack: list[PolicyResource], config: Mapping[str, Any]
) -> list[str]:
    """Why ``sink`` does not forward the audit logs to the SIEM (empty when it does)."""
    destination = _known(sink.props, "destination")
    filter_ = _known(sink.props, "filter")
    disabled = _known(sink.props, "disabled")
    target = _topic_of("" if is_missing(destination) else str(destination))
    if target is None:
        return [f"routes to {destination or 'no destination'}, not a Pub/Sub topic"]
    project, topic = target
    problems: list[str] = []
    if disabled is True:
        problems.append("is disabled")
    text = "" if is_missing(filter_) else str(filter_)
    lacking = [
        s
        for s in config["auditLogs"]
        if text.strip()
        and f"{AUDIT_LOG_ID}/{s}" not in text
        and f"{AUDIT_LOG_ID}%2F{s}" not in text
    ]
    if lacking:
        problems.append(
            f'filter lacks the audit logs {", ".join(lacking)} (log_id("{AUDIT_LOG_ID}/<stream>"))'
        )
    for exclusion in as_list(_known(sink.props, "exclusions")):
        if _known(exclusion, "disabled") is True:
            continue
        ex_filter = _known(exclusion, "filter")
        shown = "" if is_missing(ex_filter) else str(ex_filter)
        if not shown.strip() or any(m in shown.lower() for m in AUDIT_MARKERS):
            name = get(exclusion, "name")
            problems.append(
                f"exclusion {'(unnamed)' if is_missing(name) else name} "
                f"({shown or 'no filter'}) drops audit logs"
            )
    declared = [
        t
        for t in stack
        if t.resource_type == PUBSUB_TOPIC
        and not is_missing(get(t.props, "name"))
        and str(get(t.props, "name")) == topic
        and (is_missing(get(t.props, "project")) or get(t.props, "project") == project)
    ]
    if not declared:
        problems.append(f"topic projects/{project}/topics/{topic} is not declared in the stack")
    if not _delivered(project, topic, stack, config):
        problems.append(
            f"nothing delivers topic {topic} to Datadog (a Dataflow job reading one of its "
            "subscriptions, or a push subscription, to a Datadog intake)"
        )
    return problems


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    reasons: list[str] = []
    for sink in resources:
        problems = _problems(sink, stack, config)
        if not problems:
            return
        if not problems[0].startswith("routes to"):
            reasons.append(f"sink {sink.name} {'; '.join(problems)}")
    found = "; ".join(reasons) if reasons else "no log sink routes to a Pub/Sub topic"
    yield (
        f"no log sink forwards the audit logs ({', '.join(config['auditLogs'])}) to the SIEM: "
        f"{found}",
        None,
    )


POLICY = stack_policy(META, applies_to=types(PROJECT_SINK), check=check, config=CONFIG)
