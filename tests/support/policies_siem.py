"""The SIEM forwarding resources of one environment, hand-built in the shapes
components/siem_forwarding.py registers: the sink with its personal-data exclusions, the topic,
the subscription the Dataflow job reads, and the job of Google's Pub/Sub to Datadog template.

The SIEM policy's tests and the compliant baselines (``tests/policies/make_corpus.py``) start
from these; ``tests/policies/audit/test_audit_sink_missing_siem_forwarding.py`` checks them
against the synthesized prod stack, so they cannot drift from the program.
"""

from __future__ import annotations

from typing import Any

from tests.support.policies_alerting import DATA_CLASS, Make, Resource

SINK = "gcp:logging/projectSink:ProjectSink"
TOPIC = "gcp:pubsub/topic:Topic"
SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
JOB = "gcp:dataflow/job:Job"
AUDIT_FILTER = (
    'log_id("cloudaudit.googleapis.com/activity") OR '
    'log_id("cloudaudit.googleapis.com/data_access") OR '
    'log_id("cloudaudit.googleapis.com/system_event") OR '
    'log_id("cloudaudit.googleapis.com/policy")'
)
APPLICATION_FILTER = (
    '(resource.type="cloud_run_revision" OR resource.type="cloud_run_job") AND jsonPayload:*'
)


def sink_inputs(env: str) -> dict[str, Any]:
    project = f"acme-cp-{env}"
    return {
        "name": f"acme-{env}-siem",
        "project": project,
        "destination": f"pubsub.googleapis.com/projects/{project}/topics/acme-{env}-siem-logs",
        "filter": f"({APPLICATION_FILTER}) OR ({AUDIT_FILTER})",
        "exclusions": [
            {
                "name": "pii-email",
                "filter": "jsonPayload.email:*",
                "description": "Entries with jsonPayload.email carry personal data",
            }
        ],
        "uniqueWriterIdentity": True,
    }


def siem(env: str, make: Make) -> list[Resource]:
    """The sink, topic, subscription and Dataflow job of ``env``."""
    project = f"acme-cp-{env}"
    labels = {
        "component": "siem",
        "data-class": DATA_CLASS[env],
        "environment": env,
        "managed-by": "pulumi",
    }
    key = (
        f"projects/{project}/locations/europe-west1/keyRings/acme-{env}-siem/cryptoKeys/"
        f"acme-{env}-siem-forwarding"
    )
    topic = f"projects/{project}/topics/acme-{env}-siem-logs"
    subscription = f"projects/{project}/subscriptions/acme-{env}-siem-datadog"
    # The forwarding's own key ring and key, protected outside dev as the component declares them.
    ring = make(
        "gcp:kms/keyRing:KeyRing",
        f"acme-{env}-siem-keyring",
        {"location": "europe-west1", "name": f"acme-{env}-siem", "project": project},
    )
    crypto_key = make(
        "gcp:kms/cryptoKey:CryptoKey",
        f"acme-{env}-siem-key",
        {
            "keyRing": key.rsplit("/cryptoKeys/", 1)[0],
            "labels": labels,
            "name": f"acme-{env}-siem-forwarding",
            "purpose": "ENCRYPT_DECRYPT",
            "rotationPeriod": "7776000s",
        },
    )
    ring["protect"] = crypto_key["protect"] = env != "dev"
    return [
        ring,
        crypto_key,
        make(SINK, f"acme-{env}-siem-sink", sink_inputs(env)),
        make(
            TOPIC,
            f"acme-{env}-siem-logs",
            {
                "name": f"acme-{env}-siem-logs",
                "project": project,
                "labels": labels,
                "kmsKeyName": key,
            },
        ),
        make(
            SUBSCRIPTION,
            f"acme-{env}-siem-datadog",
            {
                "name": f"acme-{env}-siem-datadog",
                "project": project,
                "topic": topic,
                "labels": labels,
                "deadLetterPolicy": {
                    "deadLetterTopic": f"projects/{project}/topics/acme-{env}-siem-dead-letter",
                    "maxDeliveryAttempts": 10,
                },
            },
        ),
        make(
            JOB,
            f"acme-{env}-siem-job",
            {
                "name": f"acme-{env}-siem-datadog",
                "project": project,
                "region": "europe-west1",
                "labels": labels,
                "kmsKeyName": key,
                "templateGcsPath": (
                    "gs://dataflow-templates-europe-west1/latest/Cloud_PubSub_to_Datadog"
                ),
                "parameters": {
                    "inputSubscription": subscription,
                    "url": "https://http-intake.logs.datadoghq.com",
                    "apiKeySource": "SECRET_MANAGER",
                    "apiKeySecretId": (
                        f"projects/{project}/secrets/acme-{env}-vault-datadog-api-key/"
                        "versions/latest"
                    ),
                    "outputDeadletterTopic": (
                        f"projects/{project}/topics/acme-{env}-siem-dead-letter"
                    ),
                    "batchCount": "10",
                },
            },
        ),
    ]
