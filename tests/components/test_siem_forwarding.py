"""SiemForwarding: the log sink, the CMEK topics, the dead letters and the Dataflow job that
sends the application and audit logs to Datadog with its API key read from Secret Manager."""

from __future__ import annotations

from typing import Any

import pytest

from components.siem_forwarding import SiemForwarding, SiemForwardingArgs
from config.runtime import RuntimeSections
from config.siem import SiemSpec
from controlplane.naming import Environment
from tests.support.components import (
    PROJECT,
    PROJECT_NUMBER,
    REGION,
    Registered,
    naming_for,
    run_program,
)
from tests.support.runtime import CANARY, example, vault_of

SINK = "gcp:logging/projectSink:ProjectSink"
TOPIC = "gcp:pubsub/topic:Topic"
SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
TOPIC_MEMBER = "gcp:pubsub/topicIAMMember:TopicIAMMember"
SUBSCRIPTION_MEMBER = "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember"
JOB = "gcp:dataflow/job:Job"
KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
PUBSUB_AGENT = f"serviceAccount:service-{PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"
WORKER = f"acme-dev-siem-worker@{PROJECT}.iam.gserviceaccount.com"
TOPIC_NAME = f"projects/{PROJECT}/topics/acme-dev-siem-logs"
DEAD_LETTER = f"projects/{PROJECT}/topics/acme-dev-siem-dead-letter"
SUBSCRIPTION_NAME = f"projects/{PROJECT}/subscriptions/acme-dev-siem-datadog"


def cfg_with_siem(**siem: Any) -> RuntimeSections:
    data = example()
    data["secrets"][2]["readers"].append("siem")
    data["siem"] = siem
    return RuntimeSections.model_validate(data)


def _build(cfg: RuntimeSections, *, env: Environment = "dev", protect: bool = False) -> Registered:
    naming = naming_for(env)
    spec = cfg.siem
    assert spec is not None

    def program() -> None:
        vault = vault_of(naming, cfg, cfg.secrets)
        SiemForwarding(
            "siem",
            SiemForwardingArgs(
                naming=naming,
                project=PROJECT,
                region=REGION,
                spec=spec,
                api_key_secret_id=vault.secret_ids[spec.api_key_secret],
                secrets=vault.binding_for("siem"),
                protect=protect,
            ),
        )

    # The canary is the only secret value the program holds (the Composio key of the vault).
    config = {"controlplane:composioApiKey": CANARY}
    return run_program(program, stack=env, config=config, secret_keys=list(config))


@pytest.fixture(scope="module")
def reg() -> Registered:
    return _build(cfg_with_siem())


def test_sink_routes_application_and_audit_logs_to_the_topic(reg) -> None:
    sink = reg.named("siem-sink")
    assert sink.inputs["destination"] == f"pubsub.googleapis.com/{TOPIC_NAME}", sink.urn
    for stream in ("activity", "data_access", "system_event", "policy"):
        assert f'log_id("cloudaudit.googleapis.com/{stream}")' in sink.inputs["filter"], stream
    assert 'resource.type="cloud_run_revision"' in sink.inputs["filter"], sink.urn
    assert sink.inputs["uniqueWriterIdentity"] is True, sink.urn
    assert "disabled" not in sink.inputs, sink.urn
    [publisher] = [m for m in reg.of_type(TOPIC_MEMBER) if m.name == "siem-sink-publisher"]
    assert publisher.inputs["topic"] == "acme-dev-siem-logs", publisher.urn
    assert publisher.inputs["role"] == "roles/pubsub.publisher", publisher.urn
    assert publisher.inputs["member"].endswith("@gcp-sa-logging.iam.gserviceaccount.com")


def test_personal_data_is_excluded_and_audit_logs_are_not(reg) -> None:
    exclusions = reg.named("siem-sink").inputs["exclusions"]
    assert [e["filter"] for e in exclusions] == [
        f"jsonPayload.{f}:*" for f in SiemSpec().pii_fields
    ]
    for exclusion in exclusions:
        assert "protoPayload" not in exclusion["filter"], exclusion
        assert "cloudaudit" not in exclusion["filter"], exclusion


def test_topics_are_encrypted_with_the_components_key_in_the_region(reg) -> None:
    topics = {t.name: t for t in reg.of_type(TOPIC) if t.name.startswith("siem-")}
    assert sorted(topics) == ["siem-dead-letter", "siem-logs"]
    ring = f"projects/{PROJECT}/locations/{REGION}/keyRings/acme-dev-siem"
    key = f"{ring}/cryptoKeys/acme-dev-siem-forwarding"
    grants = {g.name: g for g in reg.of_type(KEY_MEMBER) if g.name.startswith("siem-")}
    assert sorted(grants) == [
        "siem-key-compute",
        "siem-key-dataflow",
        "siem-key-pubsub",
        "siem-key-storage",
    ]
    for topic in topics.values():
        assert topic.inputs["kmsKeyName"] == key, topic.urn
        assert topic.inputs["messageStoragePolicy"] == {"allowedPersistenceRegions": [REGION]}
        assert grants["siem-key-pubsub"].urn in topic.dependencies, topic.urn
    assert grants["siem-key-pubsub"].inputs["member"] == PUBSUB_AGENT


def test_dead_lettering_has_both_grants_of_the_pubsub_agent(reg) -> None:
    # https://cloud.google.com/pubsub/docs/handling-failures: the agent publishes to the
    # dead-letter topic and subscribes to the source subscription.
    source = reg.named("siem-datadog")
    assert source.inputs["topic"] == TOPIC_NAME, source.urn
    assert source.inputs["deadLetterPolicy"] == {
        "deadLetterTopic": DEAD_LETTER,
        "maxDeliveryAttempts": 10,
    }, source.urn
    assert "pushConfig" not in source.inputs, source.urn
    publisher = reg.named("siem-dead-letter-pubsub-agent")
    assert publisher.inputs == {
        "member": PUBSUB_AGENT,
        "project": PROJECT,
        "role": "roles/pubsub.publisher",
        "topic": "acme-dev-siem-dead-letter",
    }, publisher.urn
    subscriber = reg.named("siem-datadog-pubsub-agent")
    assert subscriber.inputs == {
        "member": PUBSUB_AGENT,
        "project": PROJECT,
        "role": "roles/pubsub.subscriber",
        "subscription": "acme-dev-siem-datadog",
    }, subscriber.urn
    hold = reg.named("siem-dead-letter-hold")
    assert hold.inputs["topic"] == DEAD_LETTER, hold.urn
    assert hold.inputs["messageRetentionDuration"] == f"{7 * 86400}s", hold.urn


def test_job_runs_googles_template_with_the_key_from_secret_manager(reg) -> None:
    job = reg.one(JOB)
    inputs = job.inputs
    assert inputs["templateGcsPath"] == (
        f"gs://dataflow-templates-{REGION}/latest/Cloud_PubSub_to_Datadog"
    ), job.urn
    assert inputs["parameters"] == {
        "inputSubscription": SUBSCRIPTION_NAME,
        "url": "https://http-intake.logs.datadoghq.com",
        "apiKeySource": "SECRET_MANAGER",
        "apiKeySecretId": (
            f"projects/{PROJECT}/secrets/acme-dev-vault-datadog-api-key/versions/latest"
        ),
        "outputDeadletterTopic": DEAD_LETTER,
        "batchCount": "10",
    }, job.urn
    assert inputs["serviceAccountEmail"] == WORKER, job.urn
    assert inputs["kmsKeyName"].endswith("/cryptoKeys/acme-dev-siem-forwarding"), job.urn
    assert inputs["tempGcsLocation"] == "gs://acme-dev-siem-dataflow/temp", job.urn
    assert inputs["onDelete"] == "drain", job.urn
    assert inputs["region"] == REGION, job.urn


def test_no_secret_value_in_any_input_a_viewer_reads(reg) -> None:
    # The key is read by the workers from Secret Manager; no input holds a key or a secret.
    dump = reg.dump()
    assert CANARY not in dump
    assert "dd-api-key" not in dump
    for registration in reg.resources:
        if registration.type.startswith("gcp:pubsub/") or registration.type == JOB:
            assert "[secret]" not in str(registration.inputs), registration.urn


def test_worker_account_holds_only_what_the_job_needs(reg) -> None:
    member = f"serviceAccount:{WORKER}"
    held = sorted(
        (r.type, r.inputs["role"]) for r in reg.resources if r.inputs.get("member") == member
    )
    assert held == [
        ("gcp:projects/iAMMember:IAMMember", "roles/dataflow.worker"),
        (SUBSCRIPTION_MEMBER, "roles/pubsub.subscriber"),
        (SUBSCRIPTION_MEMBER, "roles/pubsub.viewer"),
        (TOPIC_MEMBER, "roles/pubsub.publisher"),
        ("gcp:secretmanager/secretIamMember:SecretIamMember", "roles/secretmanager.secretAccessor"),
        ("gcp:storage/bucketIAMMember:BucketIAMMember", "roles/storage.objectAdmin"),
    ]
    [accessor] = [
        r
        for r in reg.of_type("gcp:secretmanager/secretIamMember:SecretIamMember")
        if r.inputs["member"] == member
    ]
    assert accessor.inputs["secretId"] == "acme-dev-vault-datadog-api-key", accessor.urn
    job = reg.one(JOB)
    for grant in reg.resources:
        if grant.inputs.get("member") == member:
            assert grant.urn in job.dependencies, grant.urn


def test_temporary_bucket_is_private_encrypted_and_short_lived(reg) -> None:
    bucket = reg.named("siem-dataflow")
    assert bucket.inputs["location"] == REGION, bucket.urn
    assert bucket.inputs["uniformBucketLevelAccess"] is True, bucket.urn
    assert bucket.inputs["publicAccessPrevention"] == "enforced", bucket.urn
    assert bucket.inputs["encryption"]["defaultKmsKeyName"].endswith("acme-dev-siem-forwarding")
    assert bucket.inputs["lifecycleRules"] == [
        {"action": {"type": "Delete"}, "condition": {"age": 7}}
    ], bucket.urn


def test_without_cmek_nothing_names_a_key() -> None:
    reg = _build(cfg_with_siem(cmek={"enabled": False}))
    for registration in [r for r in reg.resources if r.name.startswith("siem-")]:
        assert registration.type != KEY_MEMBER, registration.urn
        assert "kmsKeyName" not in registration.inputs, registration.urn
        assert "encryption" not in registration.inputs, registration.urn


def test_prod_protects_the_key_and_the_bucket() -> None:
    reg = _build(cfg_with_siem(), env="prod", protect=True)
    for kind in ("gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey"):
        for resource in [r for r in reg.of_type(kind) if r.name.startswith("siem-")]:
            assert resource.protect is True, resource.urn
    assert reg.named("siem-dataflow").protect is True


def test_audit_streams_and_template_version_come_from_the_config() -> None:
    reg = _build(
        cfg_with_siem(auditLogs=["activity"], dataflow={"templateVersion": "2025-01-14-00_RC00"})
    )
    sink = reg.named("siem-sink")
    assert 'log_id("cloudaudit.googleapis.com/activity")' in sink.inputs["filter"]
    assert "data_access" not in sink.inputs["filter"], sink.urn
    assert (
        reg.one(JOB)
        .inputs["templateGcsPath"]
        .endswith("/2025-01-14-00_RC00/Cloud_PubSub_to_Datadog")
    )
