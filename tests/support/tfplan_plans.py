"""Snapshot slices for the plan export and the checkov scan: a platform of buckets, IAM
grants, a key ring and a log sink, built secure (every checked property set) or insecure (each
check's failing value), with or without dependency information."""

from __future__ import annotations

from typing import Any

from preflight.snapshot import UNKNOWN
from tests.support.resource_records import record

PROJECT = "acme-cp-dev"
SA = f"serviceAccount:agent@{PROJECT}.iam.gserviceaccount.com"
COMPONENT = "controlplane:security:Platform"


def urn(stack: str, token: str, name: str) -> str:
    return f"urn:pulumi:{stack}::controlplane::{COMPONENT}${token}::{name}"


def resource(
    stack: str,
    token: str,
    name: str,
    inputs: dict[str, Any],
    deps: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """One custom resource as the synth contract writes it."""
    deps = deps or {}
    return record(
        urn(stack, token, name),
        token,
        name,
        custom=True,
        parent=f"urn:pulumi:{stack}::controlplane::{COMPONENT}::platform",
        inputs=inputs,
        dependencies=sorted({u for v in deps.values() for u in v}),
        property_dependencies=deps,
    )


def snapshot(stack: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    root = {
        "urn": f"urn:pulumi:{stack}::controlplane::pulumi:pulumi:Stack::controlplane-{stack}",
        "type": "pulumi:pulumi:Stack",
        "name": f"controlplane-{stack}",
        "custom": False,
        "parent": None,
        "provider": None,
        "inputs": {},
        "protect": False,
        "dependencies": [],
        "propertyDependencies": {},
    }
    component = {
        **root,
        "urn": f"urn:pulumi:{stack}::controlplane::{COMPONENT}::platform",
        "type": COMPONENT,
        "name": "platform",
        "parent": root["urn"],
    }
    return {"project": "controlplane", "stack": stack, "resources": [root, component, *resources]}


LABELS = {"data-class": "synthetic", "environment": "dev", "managed-by": "pulumi"}
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_BINDING = "gcp:projects/iAMBinding:IAMBinding"
KEY_RING = "gcp:kms/keyRing:KeyRing"
KEY_RING_MEMBER = "gcp:kms/keyRingIAMMember:KeyRingIAMMember"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
CRYPTO_KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
SINK = "gcp:logging/projectSink:ProjectSink"
TOPIC = "gcp:pubsub/topic:Topic"


def platform(stack: str, *, secure: bool, references: bool = True) -> dict[str, Any]:
    """A storage/IAM/KMS slice of the program, secure or deliberately insecure.

    ``references=False`` drops the dependency information, as a naive export would.
    """
    ring = resource(stack, KEY_RING, "keys", {"location": "europe-west1", "name": "acme-keys"})
    key_ring_id = f"projects/{PROJECT}/locations/europe-west1/keyRings/acme-keys"
    key = resource(
        stack,
        CRYPTO_KEY,
        "data-key",
        {
            "keyRing": key_ring_id,
            "name": "data-key",
            "rotationPeriod": "7776000s" if secure else "31536000s",
            "labels": LABELS,
        },
        {"keyRing": [ring["urn"]]},
    )
    key_id = f"{key_ring_id}/cryptoKeys/data-key"
    sa = resource(stack, SERVICE_ACCOUNT, "agent", {"accountId": "agent", "displayName": "agent"})
    bucket = resource(
        stack,
        BUCKET,
        "archive",
        {
            "name": "acme-dev-archive",
            "location": "EU",
            "labels": LABELS,
            "uniformBucketLevelAccess": secure,
            "publicAccessPrevention": "enforced" if secure else "inherited",
            **({"versioning": {"enabled": True}} if secure else {}),
            # An unknown log bucket must not count as logging configured (CKV_GCP_62).
            "logging": {"logBucket": "acme-dev-access-logs" if secure else UNKNOWN},
            "retentionPolicy": {"isLocked": secure, "retentionPeriod": 15552000},
            "lifecycleRules": [
                {
                    "action": {"type": "SetStorageClass", "storageClass": "ARCHIVE"},
                    "condition": {"age": 30},
                },
                {"action": {"type": "Delete"}, "condition": {"age": 180}},
            ],
        },
    )
    on_bucket = {"bucket": [bucket["urn"]]}
    public = "allUsers"
    resources = [
        ring,
        key,
        sa,
        bucket,
        resource(
            stack,
            BUCKET_MEMBER,
            "archive-reader",
            {
                "bucket": "acme-dev-archive",
                "role": "roles/storage.objectViewer",
                "member": "group:cp-engineering@example.com" if secure else public,
            },
            on_bucket,
        ),
        resource(
            stack,
            BUCKET_BINDING,
            "archive-admins",
            {
                "bucket": "acme-dev-archive",
                "role": "roles/storage.objectAdmin",
                "members": ["group:cp-operations@example.com"]
                if secure
                else ["group:cp-operations@example.com", "allAuthenticatedUsers"],
            },
            on_bucket,
        ),
        resource(
            stack,
            PROJECT_MEMBER,
            "eng-logs",
            {
                "project": PROJECT,
                "role": "roles/logging.viewer" if secure else "roles/owner",
                "member": "group:cp-engineering@example.com",
            },
        ),
        resource(
            stack,
            PROJECT_MEMBER,
            "agent-storage",
            {
                "project": PROJECT,
                "role": "roles/storage.objectViewer" if secure else "roles/storage.admin",
                "member": SA,
            },
            {"member": [sa["urn"]]},
        ),
        resource(
            stack,
            PROJECT_BINDING,
            "ops-run",
            {
                "project": PROJECT,
                "role": "roles/run.developer" if secure else "roles/editor",
                "members": ["group:cp-operations@example.com"],
            },
        ),
        resource(
            stack,
            CRYPTO_KEY_MEMBER,
            "data-key-user",
            {
                "cryptoKeyId": key_id,
                "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                "member": SA if secure else public,
            },
            {"cryptoKeyId": [key["urn"]], **({"member": [sa["urn"]]} if secure else {})},
        ),
        resource(
            stack,
            SINK,
            "archive-sink",
            {
                "name": "acme-dev-archive-sink",
                "destination": "storage.googleapis.com/acme-dev-archive",
                "filter": "severity>=DEFAULT",
                "uniqueWriterIdentity": True,
            },
            {"destination": [bucket["urn"]]},
        ),
        resource(
            stack,
            TOPIC,
            "rotation",
            {"name": "acme-dev-rotation", "kmsKeyName": key_id if secure else UNKNOWN},
            {"kmsKeyName": [key["urn"]]} if secure else {},
        ),
    ]
    if not secure:
        resources.append(
            resource(
                stack,
                KEY_RING_MEMBER,
                "keys-viewer",
                {
                    "keyRingId": key_ring_id,
                    "role": "roles/cloudkms.viewer",
                    "member": "allAuthenticatedUsers",
                },
                {"keyRingId": [ring["urn"]]},
            )
        )
    if not references:
        for res in resources:
            res["propertyDependencies"], res["dependencies"] = {}, []
    return snapshot(stack, resources)


def secure_snapshot() -> dict[str, Any]:
    return platform("secure", secure=True)


def insecure_snapshot() -> dict[str, Any]:
    return platform("insecure", secure=False)
