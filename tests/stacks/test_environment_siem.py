"""Playbook §4 "Forward to SIEM for anomaly detection", as every stack declares it.

Read from the synthesized snapshots (session fixture ``snapshots``): in each environment a log
sink routes the application and the audit logs to a CMEK-encrypted topic, a Dataflow job of
Google's Pub/Sub to Datadog template reads the topic's subscription with the API key from Secret
Manager, and undelivered messages go to a dead-letter topic the Pub/Sub agent may publish to.
"""

from __future__ import annotations

import json

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
