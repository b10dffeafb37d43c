"""LogRetention: 30-day hot log bucket, 180-day archive lifecycle, sinks, audit, CMEK, protect."""

from __future__ import annotations

import pytest

from components.log_retention import LogRetention, LogRetentionArgs
from config.runtime import RuntimeSections
from controlplane.naming import Environment
from tests.support.components import PROJECT, PROJECT_NUMBER, Registered, naming_for, run_program
from tests.support.runtime import PROD_CHANGES, sections

BUCKET = "gcp:storage/bucket:Bucket"
LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
AUDIT = "gcp:projects/iAMAuditConfig:IAMAuditConfig"


def _build(cfg: RuntimeSections, *, env: Environment = "dev", protect: bool = False) -> Registered:
    def program() -> None:
        LogRetention(
            "logs",
            LogRetentionArgs(
                naming=naming_for(env),
                project=PROJECT,
                spec=cfg.logging,
                protect=protect,
            ),
        )

    return run_program(program, stack=env)


def test_hot_logs_stay_30_days_in_a_log_bucket_fed_by_a_sink() -> None:
    reg = _build(sections())
    [component] = reg.of_type("controlplane:runtime:LogRetention")
    [hot] = reg.of_type(LOG_BUCKET)
    assert hot.parent == component.urn, hot.urn
    assert hot.inputs["retentionDays"] == 30, hot.urn
    assert hot.inputs["bucketId"] == "acme-dev-logs-hot", hot.urn
    assert hot.inputs["location"] == "global", hot.urn
    assert hot.protect is False, hot.urn
    sink = reg.named("logs-hot-sink")
    assert sink.inputs["destination"] == (
        f"logging.googleapis.com/projects/{PROJECT}/locations/global/buckets/acme-dev-logs-hot"
    ), sink.urn
    assert hot.urn in sink.dependencies, sink.urn


def test_archive_moves_to_coldline_then_deletes_at_180_days() -> None:
    reg = _build(sections())
    [bucket] = reg.of_type(BUCKET)
    inputs = bucket.inputs
    assert inputs["name"] == "acme-dev-logs-archive", bucket.urn
    assert inputs["location"] == "EU", bucket.urn
    assert inputs["uniformBucketLevelAccess"] is True, bucket.urn
    assert inputs["publicAccessPrevention"] == "enforced", bucket.urn
    assert inputs["versioning"] == {"enabled": True}, bucket.urn
    assert inputs["forceDestroy"] is False, bucket.urn
    assert "encryption" not in inputs, bucket.urn
    assert inputs["labels"]["managed-by"] == "pulumi", bucket.urn
    assert inputs["lifecycleRules"] == [
        {
            "action": {"type": "SetStorageClass", "storageClass": "COLDLINE"},
            "condition": {"age": 30, "matchesStorageClasses": ["STANDARD"]},
        },
        {"action": {"type": "Delete"}, "condition": {"age": 180}},
        {
            "action": {"type": "Delete"},
            "condition": {"withState": "ARCHIVED", "daysSinceNoncurrentTime": 7},
        },
    ], bucket.urn


def test_archive_sink_writes_with_its_own_identity() -> None:
    reg = _build(sections())
    sink = reg.named("logs-archive-sink")
    assert sink.inputs["destination"] == "storage.googleapis.com/acme-dev-logs-archive", sink.urn
    assert sink.inputs["uniqueWriterIdentity"] is True, sink.urn
    assert sink.inputs["filter"] == "", sink.urn
    writer = reg.named("logs-archive-writer")
    assert writer.inputs == {
        "bucket": "acme-dev-logs-archive",
        "member": f"serviceAccount:service-{PROJECT_NUMBER}@gcp-sa-logging.iam.gserviceaccount.com",
        "role": "roles/storage.objectCreator",
    }, writer.urn
    assert sink.urn in writer.dependencies, writer.urn


def test_data_access_audit_logs_for_every_runtime_service() -> None:
    reg = _build(sections())
    configs = {a.inputs["service"]: a for a in reg.of_type(AUDIT)}
    assert sorted(configs) == [
        "cloudkms.googleapis.com",
        "cloudscheduler.googleapis.com",
        "pubsub.googleapis.com",
        "run.googleapis.com",
        "secretmanager.googleapis.com",
        "storage.googleapis.com",
    ]
    for audit in configs.values():
        assert audit.inputs["project"] == PROJECT, audit.urn
        assert audit.inputs["auditLogConfigs"] == [
            {"logType": "ADMIN_READ"},
            {"logType": "DATA_READ"},
            {"logType": "DATA_WRITE"},
        ], audit.urn


def _prod(hot_location: str = "europe-west1") -> RuntimeSections:
    """Prod's logging section with the hot tier in ``hot_location`` (Pulumi.prod.yaml's)."""
    cfg = sections(**PROD_CHANGES)
    spec = cfg.logging.model_copy(update={"location": hot_location})
    return cfg.model_copy(update={"logging": spec})


def test_prod_protects_every_stateful_resource_and_encrypts_both_tiers() -> None:
    reg = _build(_prod(), env="prod", protect=True)
    stateful = reg.of_type(LOG_BUCKET) + reg.of_type(BUCKET)
    stateful += reg.of_type("gcp:kms/keyRing:KeyRing") + reg.of_type("gcp:kms/cryptoKey:CryptoKey")
    assert len(stateful) == 5
    for resource in stateful:
        assert resource.protect is True, resource.urn
    # Both tiers are in europe-west1: one ring there, one key per tier on it.
    [ring] = reg.of_type("gcp:kms/keyRing:KeyRing")
    assert ring.inputs["location"] == "europe-west1", ring.urn
    key = reg.named("logs-key")
    assert key.inputs["rotationPeriod"] == "7776000s", key.urn
    ring_id = "projects/acme-cp-test/locations/europe-west1/keyRings/acme-prod-logs"
    key_id = f"{ring_id}/cryptoKeys/acme-prod-logs-archive"
    [bucket] = reg.of_type(BUCKET)
    assert bucket.inputs["encryption"] == {"defaultKmsKeyName": key_id}, bucket.urn
    grant = reg.named("logs-key-storage")
    assert grant.inputs == {
        "cryptoKeyId": key_id,
        "member": f"serviceAccount:service-{PROJECT_NUMBER}"
        "@gs-project-accounts.iam.gserviceaccount.com",
        "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    }, grant.urn
    assert grant.urn in bucket.dependencies, bucket.urn


def test_prod_hot_log_bucket_uses_its_own_key_granted_to_the_logging_agent() -> None:
    reg = _build(_prod(), env="prod", protect=True)
    hot_key = reg.named("logs-hot-key")
    assert hot_key.inputs["name"] == "acme-prod-logs-hot", hot_key.urn
    assert hot_key.inputs["rotationPeriod"] == "7776000s", hot_key.urn
    key_id = (
        "projects/acme-cp-test/locations/europe-west1/keyRings/acme-prod-logs/cryptoKeys/"
        "acme-prod-logs-hot"
    )
    [hot] = reg.of_type(LOG_BUCKET)
    assert hot.inputs["location"] == "europe-west1", hot.urn
    assert hot.inputs["cmekSettings"] == {"kmsKeyName": key_id}, hot.urn
    grant = reg.named("logs-hot-key-logging")
    assert grant.inputs == {
        "cryptoKeyId": key_id,
        "member": f"serviceAccount:service-{PROJECT_NUMBER}@gcp-sa-logging.iam.gserviceaccount.com",
        "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    }, grant.urn
    assert grant.urn in hot.dependencies, hot.urn


def test_a_hot_tier_elsewhere_gets_a_key_ring_in_its_own_location() -> None:
    reg = _build(_prod("europe-west4"), env="prod", protect=True)
    rings = {r.name: r.inputs["location"] for r in reg.of_type("gcp:kms/keyRing:KeyRing")}
    assert rings == {"logs-keyring": "europe-west1", "logs-keyring-europe-west4": "europe-west4"}
    [hot] = reg.of_type(LOG_BUCKET)
    assert hot.inputs["cmekSettings"]["kmsKeyName"].startswith(
        "projects/acme-cp-test/locations/europe-west4/keyRings/acme-prod-logs/"
    ), hot.urn


def test_without_cmek_the_hot_bucket_names_no_key() -> None:
    reg = _build(sections())
    [hot] = reg.of_type(LOG_BUCKET)
    assert "cmekSettings" not in hot.inputs, hot.urn
    assert reg.of_type("gcp:kms/cryptoKey:CryptoKey") == [], "dev declares no key"


pytestmark = pytest.mark.playbook("log-retention", "audit-trail", "encrypt-at-rest")
