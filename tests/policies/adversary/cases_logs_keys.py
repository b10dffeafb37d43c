"""Audit-trail and own-key breaks (playbook §6): each keeps the audit configs and the keys the
stack declares, and silences a principal or hands a store to a key the environment does not own.
"""

from __future__ import annotations

import json

from tests.support.adversary import Case, Snapshot, add, first, labels_of

AUDIT = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
SECRET = "gcp:secretmanager/secret:Secret"  # nosec B105 - a type token
TOPIC = "gcp:pubsub/topic:Topic"
BUCKET = "gcp:storage/bucket:Bucket"
EXEMPT = "audit-auditconfig-disallow-exemptions"
OWN_KEYS = "encryption-store-enforce-own-keys"
PROJECT = "acme-cp-prod"
MALLORY = "user:mallory@example.com"
SHARED_KEY = "projects/acme-shared/locations/europe-west1/keyRings/shared/cryptoKeys/logs"
WEST4_VAULT_KEY = (
    f"projects/{PROJECT}/locations/europe-west4/keyRings/acme-prod-vault/cryptoKeys/"
    "acme-prod-vault-secrets"
)


def exempt_member_on_storage_reads(snapshot: Snapshot) -> None:
    audit = first(snapshot, AUDIT, "audit-storage")
    for config in audit["inputs"]["auditLogConfigs"]:
        if config["logType"] == "DATA_READ":
            config["exemptedMembers"] = [MALLORY]


def all_services_config_with_an_exemption(snapshot: Snapshot) -> None:
    beside = first(snapshot, AUDIT, "audit-storage")
    inputs = {
        "project": PROJECT,
        "service": "allServices",
        "auditLogConfigs": [
            {"logType": "ADMIN_READ"},
            {"logType": "DATA_READ", "exemptedMembers": ["group:ops@example.com"]},
            {"logType": "DATA_WRITE"},
        ],
    }
    add(snapshot, AUDIT, "acme-prod-logs-audit-all", inputs, beside=beside)


def weaker_second_config_for_secret_manager(snapshot: Snapshot) -> None:
    beside = first(snapshot, AUDIT, "audit-secretmanager")
    inputs = {**beside["inputs"], "auditLogConfigs": [{"logType": "ADMIN_READ"}]}
    add(snapshot, AUDIT, "acme-prod-logs-audit-secretmanager-admin", inputs, beside=beside)


def folder_audit_config_exempts(snapshot: Snapshot) -> None:
    inputs = {
        "folder": "folders/123456789012",
        "service": "allServices",
        "auditLogConfigs": [{"logType": "DATA_WRITE", "exemptedMembers": [MALLORY]}],
    }
    add(snapshot, "gcp:folder/iamAuditConfig:IamAuditConfig", "acme-folder-audit", inputs)


def project_iam_policy_with_an_exempting_audit_config(snapshot: Snapshot) -> None:
    document = {
        "bindings": [
            {"role": "roles/viewer", "members": ["group:cp-engineering@example.com"]},
        ],
        "auditConfigs": [
            {
                "service": "secretmanager.googleapis.com",
                "auditLogConfigs": [
                    {"logType": "DATA_READ", "exemptedMembers": [MALLORY]},
                    {"logType": "DATA_WRITE"},
                ],
            }
        ],
    }
    inputs = {"project": PROJECT, "policyData": json.dumps(document)}
    add(snapshot, "gcp:projects/iAMPolicy:IAMPolicy", "acme-prod-project-policy", inputs)


def topic_with_another_projects_key(snapshot: Snapshot) -> None:
    first(snapshot, TOPIC, "vault-rotation")["inputs"]["kmsKeyName"] = SHARED_KEY


def hot_log_bucket_with_another_projects_key(snapshot: Snapshot) -> None:
    hot = first(snapshot, LOG_BUCKET, "logs-hot")
    hot["inputs"]["cmekSettings"] = {"kmsKeyName": SHARED_KEY}


def hot_log_bucket_with_a_key_in_another_region(snapshot: Snapshot) -> None:
    hot = first(snapshot, LOG_BUCKET, "logs-hot")
    hot["inputs"]["cmekSettings"] = {"kmsKeyName": WEST4_VAULT_KEY}


def second_log_bucket_without_a_key(snapshot: Snapshot) -> None:
    hot = first(snapshot, LOG_BUCKET, "logs-hot")
    inputs = {k: v for k, v in hot["inputs"].items() if k != "cmekSettings"}
    inputs["bucketId"] = "acme-prod-logs-debug"
    add(snapshot, LOG_BUCKET, "acme-prod-logs-debug", inputs, beside=hot)


def secret_replica_with_another_projects_key(snapshot: Snapshot) -> None:
    secret = first(snapshot, SECRET, "gemini-api-key")
    replica = secret["inputs"]["replication"]["userManaged"]["replicas"][1]
    replica["customerManagedEncryption"]["kmsKeyName"] = (
        "projects/acme-shared/locations/europe-west4/keyRings/shared/cryptoKeys/secrets"
    )


def regional_secret_with_another_projects_key(snapshot: Snapshot) -> None:
    beside = first(snapshot, SECRET, "gemini-api-key")
    inputs = {
        "project": PROJECT,
        "location": "europe-west1",
        "secretId": "acme-prod-vault-gemini-api-key-regional",
        "labels": labels_of(beside),
        "customerManagedEncryption": {"kmsKeyName": SHARED_KEY},
    }
    add(
        snapshot,
        "gcp:secretmanager/regionalSecret:RegionalSecret",
        "acme-prod-vault-gemini-api-key-regional",
        inputs,
        beside=beside,
    )


def regional_secret_without_a_key(snapshot: Snapshot) -> None:
    beside = first(snapshot, SECRET, "gemini-api-key")
    inputs = {
        "project": PROJECT,
        "location": "europe-west1",
        "secretId": "acme-prod-vault-oauth-regional",
        "labels": labels_of(beside),
    }
    add(
        snapshot,
        "gcp:secretmanager/regionalSecret:RegionalSecret",
        "acme-prod-vault-oauth-regional",
        inputs,
        beside=beside,
    )


def archive_bucket_with_an_undeclared_key_of_the_project(snapshot: Snapshot) -> None:
    archive = first(snapshot, BUCKET, "logs-archive")
    archive["inputs"]["encryption"] = {
        "defaultKmsKeyName": (
            f"projects/{PROJECT}/locations/europe-west1/keyRings/legacy/cryptoKeys/archive"
        )
    }


def log_dataset_without_a_key(snapshot: Snapshot) -> None:
    beside = first(snapshot, BUCKET, "logs-archive")
    inputs = {
        "project": PROJECT,
        "datasetId": "acme_prod_logs",
        "location": "europe-west1",
        "labels": labels_of(beside),
    }
    add(snapshot, "gcp:bigquery/dataset:Dataset", "acme-prod-logs-dataset", inputs, beside=beside)


CASES = [
    Case(
        "exempt-member-on-storage-reads",
        "decoys",
        EXEMPT,
        f"exempts {MALLORY} from DATA_READ",
        exempt_member_on_storage_reads,
    ),
    Case(
        "all-services-config-with-exemption",
        "decoys",
        EXEMPT,
        "exempts group:ops@example.com from DATA_READ audit logs of allServices",
        all_services_config_with_an_exemption,
    ),
    Case(
        "weaker-second-audit-config",
        "decoys",
        EXEMPT,
        "both set the audit config of secretmanager.googleapis.com",
        weaker_second_config_for_secret_manager,
    ),
    Case(
        "folder-audit-config-exempts",
        "another-type",
        EXEMPT,
        f"acme-folder-audit exempts {MALLORY} from DATA_WRITE",
        folder_audit_config_exempts,
    ),
    Case(
        "project-iam-policy-exempts",
        "another-type",
        EXEMPT,
        "policyData of acme-prod-project-policy exempts",
        project_iam_policy_with_an_exempting_audit_config,
    ),
    Case(
        "topic-with-another-projects-key",
        "decoys",
        OWN_KEYS,
        "kmsKeyName is a key of project acme-shared",
        topic_with_another_projects_key,
    ),
    Case(
        "hot-log-bucket-with-another-projects-key",
        "decoys",
        OWN_KEYS,
        "cmekSettings.kmsKeyName is a key of project acme-shared",
        hot_log_bucket_with_another_projects_key,
    ),
    Case(
        "hot-log-bucket-key-in-another-region",
        "decoys",
        OWN_KEYS,
        "is a key in europe-west4, not where the data is (europe-west1)",
        hot_log_bucket_with_a_key_in_another_region,
    ),
    Case(
        "second-log-bucket-without-key",
        "decoys",
        OWN_KEYS,
        "acme-prod-logs-debug: cmekSettings.kmsKeyName is not set",
        second_log_bucket_without_a_key,
    ),
    Case(
        "secret-replica-with-another-projects-key",
        "decoys",
        OWN_KEYS,
        "replicas[1].customerManagedEncryption.kmsKeyName is a key of project acme-shared",
        secret_replica_with_another_projects_key,
    ),
    Case(
        "regional-secret-with-another-projects-key",
        "another-type",
        OWN_KEYS,
        "gemini-api-key-regional: customerManagedEncryption.kmsKeyName is a key of project "
        "acme-shared",
        regional_secret_with_another_projects_key,
    ),
    Case(
        "regional-secret-without-key",
        "another-type",
        OWN_KEYS,
        "acme-prod-vault-oauth-regional: customerManagedEncryption.kmsKeyName is not set",
        regional_secret_without_a_key,
    ),
    Case(
        "archive-bucket-with-undeclared-key",
        "decoys",
        OWN_KEYS,
        "is not a key the stack declares",
        archive_bucket_with_an_undeclared_key_of_the_project,
    ),
    Case(
        "log-dataset-without-key",
        "another-type",
        OWN_KEYS,
        "defaultEncryptionConfiguration.kmsKeyName is not set",
        log_dataset_without_a_key,
    ),
]
