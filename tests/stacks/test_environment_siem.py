"""Playbook §4 "Forward to SIEM for anomaly detection", as every stack declares it.

Read from the synthesized snapshots (session fixture ``snapshots``): in each environment a log
sink routes the application and the audit logs to a CMEK-encrypted topic, a Dataflow job of
Google's Pub/Sub to Datadog template reads the topic's subscription with the API key from Secret
Manager, and undelivered messages go to a dead-letter topic the Pub/Sub agent may publish to.
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from preflight.cli import ROOT
from tests.support.snapshots import resources_of
from tests.support.stack_reading import stack_file

SINK = "gcp:logging/projectSink:ProjectSink"
TOPIC = "gcp:pubsub/topic:Topic"
SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
SUBSCRIPTION_MEMBER = "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember"
TOPIC_MEMBER = "gcp:pubsub/topicIAMMember:TopicIAMMember"
JOB = "gcp:dataflow/job:Job"
SECRET = "gcp:secretmanager/secret:Secret"
# Playbook §4 "Logs": the audit streams the SIEM needs at least (who changed, who read).
AUDIT_STREAMS = ("activity", "data_access")
STACKS = ("dev", "staging", "prod")

pytestmark = pytest.mark.playbook("siem-forwarding")


def _siem_sink(snapshot) -> dict:
    sinks = [
        s for s in resources_of(snapshot, SINK) if s["inputs"]["destination"].startswith("pubsub.")
    ]
    assert len(sinks) == 1, [s["urn"] for s in sinks]
    return sinks[0]


def _topic_name(sink: dict) -> str:
    return str(sink["inputs"]["destination"]).removeprefix("pubsub.googleapis.com/")


@pytest.mark.parametrize("stack", STACKS)
def test_a_sink_routes_the_audit_logs_to_the_siem_topic(snapshots, stack) -> None:
    snapshot = snapshots[stack]
    sink = _siem_sink(snapshot)
    for stream in AUDIT_STREAMS:
        assert f'log_id("cloudaudit.googleapis.com/{stream}")' in sink["inputs"]["filter"], stream
    assert sink["inputs"].get("disabled") is not True, sink["urn"]
    for exclusion in sink["inputs"].get("exclusions", []):
        assert exclusion["filter"].startswith("jsonPayload."), exclusion
    project, _, topic = _topic_name(sink).removeprefix("projects/").partition("/topics/")
    assert project == stack_file(stack)["gcp:project"], sink["urn"]
    [declared] = [t for t in resources_of(snapshot, TOPIC) if t["inputs"]["name"] == topic]
    assert declared["inputs"]["kmsKeyName"].endswith("-siem-forwarding"), declared["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_dataflow_job_delivers_the_topic_to_datadog(snapshots, stack) -> None:
    snapshot = snapshots[stack]
    topic = _topic_name(_siem_sink(snapshot))
    [job] = resources_of(snapshot, JOB)
    parameters = job["inputs"]["parameters"]
    [source] = [
        s
        for s in resources_of(snapshot, SUBSCRIPTION)
        if s["inputs"]["topic"] == topic
        and parameters["inputSubscription"].endswith(f"/subscriptions/{s['inputs']['name']}")
    ]
    assert "pushConfig" not in source["inputs"], source["urn"]
    assert parameters["url"].startswith("https://http-intake.logs."), job["urn"]
    assert job["inputs"]["templateGcsPath"].endswith("/Cloud_PubSub_to_Datadog"), job["urn"]
    assert job["inputs"]["kmsKeyName"].endswith("-siem-forwarding"), job["urn"]
    dead_letter = source["inputs"]["deadLetterPolicy"]["deadLetterTopic"]
    assert parameters["outputDeadletterTopic"] == dead_letter, job["urn"]
    # Dead-lettering: the Pub/Sub agent publishes to the dead-letter topic and subscribes to
    # the source subscription (https://cloud.google.com/pubsub/docs/handling-failures).
    agent = [
        m["inputs"]
        for m in resources_of(snapshot, TOPIC_MEMBER) + resources_of(snapshot, SUBSCRIPTION_MEMBER)
        if "@gcp-sa-pubsub." in m["inputs"]["member"]
    ]
    assert {
        "topic": dead_letter.rpartition("/")[2],
        "role": "roles/pubsub.publisher",
    }.items() <= next(a for a in agent if "topic" in a).items()
    assert {
        "subscription": source["inputs"]["name"],
        "role": "roles/pubsub.subscriber",
    }.items() <= next(a for a in agent if "subscription" in a).items()


@pytest.mark.parametrize("stack", STACKS)
def test_the_api_key_comes_from_the_rotated_vault_secret_never_an_input(snapshots, stack) -> None:
    snapshot = snapshots[stack]
    [job] = resources_of(snapshot, JOB)
    parameters = job["inputs"]["parameters"]
    assert parameters["apiKeySource"] == "SECRET_MANAGER", job["urn"]
    assert "apiKey" not in parameters, job["urn"]
    secret_id = parameters["apiKeySecretId"].split("/secrets/")[1].removesuffix("/versions/latest")
    [secret] = [s for s in resources_of(snapshot, SECRET) if s["inputs"]["secretId"] == secret_id]
    assert secret["inputs"]["rotation"]["rotationPeriod"] == "7776000s", secret["urn"]  # §6
    for resource in [*resources_of(snapshot, SUBSCRIPTION), job]:
        text = json.dumps(resource["inputs"])
        assert "dd-api-key" not in text and "[secret]" not in text, resource["urn"]


@pytest.mark.parametrize("stack", ("staging", "prod"))
def test_the_policy_config_names_the_stacks_security_lead(stack) -> None:
    # CP-ALR-006 checks the first level against the users of controlplane:security.
    config = json.loads((ROOT / "policies" / "config" / f"{stack}.json").read_text())
    users = config["alerting-escalation-enforce-security-route"]["securityLeadUsers"]
    assert users == stack_file(stack)["controlplane:security"]["securityLead"]["users"]


# Health monitors: Datadog's Google Cloud Pub/Sub integration metrics (written out on purpose).
MONITOR = "datadog:index/monitor:Monitor"
PAGERDUTY_SERVICE = "pagerduty:index/service:Service"
AGE_METRIC = "gcp.pubsub.subscription.oldest_unacked_message_age"
UNDELIVERED_METRIC = "gcp.pubsub.subscription.num_undelivered_messages"
HEALTH_QUERY = re.compile(r"^(min|max)\(last_(\d+)m\):max:([\w.]+)\{([^}]*)\} > (\d+)$")


def _health_expected(stack: str) -> dict[str, tuple[str, str, int, int]]:
    """Per alert tag: time aggregation, metric, window, threshold, from the stack's config
    (the defaults where it sets none)."""
    alerts = stack_file(stack)["controlplane:siem"].get("alerts", {})
    age = int(alerts.get("backlogAgeMinutes", 30))
    return {
        "siem-forwarding-stalled": (
            "min",
            AGE_METRIC,
            int(alerts.get("backlogWindowMinutes", 15)),
            age * 60,
        ),
        "siem-dead-letters": (
            "max",
            UNDELIVERED_METRIC,
            int(alerts.get("deadLetterWindowMinutes", 10)),
            0,
        ),
    }


def siem_health_problems(snapshot: dict, stack: str) -> list[str]:
    """What keeps the stack's SIEM forwarding from being watched: each health monitor must
    exist once, read its metric on the right subscription (found from the job and the
    dead-letter policy, not from names), carry the configured threshold and window in the
    query and in monitorThresholds, and page the security route where the stack has one."""
    [job] = resources_of(snapshot, JOB)
    source_name = job["inputs"]["parameters"]["inputSubscription"].rsplit("/", 1)[1]
    [source] = [
        s for s in resources_of(snapshot, SUBSCRIPTION) if s["inputs"]["name"] == source_name
    ]
    dead_letter_topic = source["inputs"]["deadLetterPolicy"]["deadLetterTopic"]
    [hold] = [
        s for s in resources_of(snapshot, SUBSCRIPTION) if s["inputs"]["topic"] == dead_letter_topic
    ]
    subscription_of = {
        "siem-forwarding-stalled": source_name,
        "siem-dead-letters": hold["inputs"]["name"],
    }
    project = stack_file(stack)["gcp:project"]
    security = [
        s["inputs"]["name"]
        for s in resources_of(snapshot, PAGERDUTY_SERVICE)
        if s["name"].endswith("-security-service")
    ]
    problems: list[str] = []
    for alert, (time_agg, metric, window, threshold) in _health_expected(stack).items():
        monitors = [
            m for m in resources_of(snapshot, MONITOR) if f"alert:{alert}" in m["inputs"]["tags"]
        ]
        if len(monitors) != 1:
            problems.append(f"{alert}: {len(monitors)} monitors")
            continue
        inputs = monitors[0]["inputs"]
        match = HEALTH_QUERY.match(inputs["query"])
        if match is None:
            problems.append(f"{alert}: query {inputs['query']!r} has another shape")
            continue
        scope = dict(term.split(":", 1) for term in match.group(4).split(","))
        expected_scope = {"project_id": project, "subscription_id": subscription_of[alert]}
        if scope != expected_scope:
            problems.append(f"{alert}: scoped to {scope}, not {expected_scope}")
        found = (match.group(1), match.group(3), int(match.group(2)), int(match.group(5)))
        if found != (time_agg, metric, window, threshold):
            problems.append(
                f"{alert}: query {found}, expected {(time_agg, metric, window, threshold)}"
            )
        if inputs["monitorThresholds"]["critical"] != str(threshold):
            problems.append(f"{alert}: monitorThresholds.critical is not {threshold}")
        if "severity:critical" not in inputs["tags"]:
            problems.append(f"{alert}: not critical")
        if security and (
            f"@pagerduty-{security[0]}" not in inputs["message"]
            or "route:security" not in inputs["tags"]
        ):
            problems.append(f"{alert}: does not page the security route {security[0]}")
    return problems


@pytest.mark.parametrize("stack", STACKS)
def test_siem_forwarding_health_is_watched(snapshots, stack) -> None:
    assert "controlplane:siem" in stack_file(stack)
    assert siem_health_problems(snapshots[stack], stack) == []


@pytest.mark.parametrize("stack", ("staging", "prod"))
def test_the_health_monitors_page_the_security_lead(snapshots, stack) -> None:
    lead = stack_file(stack)["controlplane:security"]["contacts"]["securityLead"]
    for monitor in resources_of(snapshots[stack], MONITOR):
        if {"alert:siem-forwarding-stalled", "alert:siem-dead-letters"} & set(
            monitor["inputs"]["tags"]
        ):
            assert f"@{lead}" in monitor["inputs"]["message"], monitor["urn"]
            assert "docs/runbooks/siem-forwarding.md" in monitor["inputs"]["message"], monitor[
                "urn"
            ]


def _planted(snapshot: dict, change) -> dict:
    planted = copy.deepcopy(snapshot)
    planted["resources"] = [r for r in (change(r) for r in planted["resources"]) if r is not None]
    return planted


def _drop_health(resource: dict):
    tags = resource.get("inputs", {}).get("tags") or []
    return (
        None
        if resource["type"] == MONITOR and "alert:siem-forwarding-stalled" in tags
        else resource
    )


def _rescope(resource: dict):
    tags = resource.get("inputs", {}).get("tags") or []
    if resource["type"] == MONITOR and "alert:siem-dead-letters" in tags:
        query = resource["inputs"]["query"]
        resource["inputs"]["query"] = query.replace("-siem-dead-letter}", "-siem-datadog}")
    return resource


def _loosen(resource: dict):
    tags = resource.get("inputs", {}).get("tags") or []
    if resource["type"] == MONITOR and "alert:siem-forwarding-stalled" in tags:
        resource["inputs"]["query"] = resource["inputs"]["query"].replace("> 1800", "> 7200")
    return resource


def _ops_route(resource: dict):
    tags = resource.get("inputs", {}).get("tags") or []
    if resource["type"] == MONITOR and "alert:siem-dead-letters" in tags:
        message = resource["inputs"]["message"]
        resource["inputs"]["message"] = message.replace("-security-service", "-oncall-service")
    return resource


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_drop_health, "siem-forwarding-stalled: 0 monitors"),
        (_rescope, "siem-dead-letters: scoped to"),
        (_loosen, "siem-forwarding-stalled: query"),
        (_ops_route, "siem-dead-letters: does not page the security route"),
    ],
)
def test_a_planted_fault_in_prod_is_reported(snapshots, change, expected) -> None:
    problems = siem_health_problems(_planted(snapshots["prod"], change), "prod")
    assert any(expected in p for p in problems), problems
