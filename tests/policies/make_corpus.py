"""Writes the compliant baselines and the insecure corpus under tests/policies/.

    .venv/bin/python -m tests.policies.make_corpus

``baseline/<env>.json`` is a small stack that every policy accepts under
``policies/config/<env>.json``. Each ``corpus/<policy-name>[--<variant>].json`` is the prod
baseline with one deliberately insecure change, which that policy must reject with mandatory
enforcement (and no other policy may reject). The files are plain snapshots: check one by hand
with ``python -m preflight check --snapshot tests/policies/corpus/<file>.json``, edit them by
hand, or regenerate them all with this script.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = "controlplane"
DATA_CLASS = {"dev": "synthetic", "staging": "anonymized", "prod": "live"}

Resource = dict[str, Any]


def _urn(env: str, type_token: str, name: str) -> str:
    return f"urn:pulumi:{env}::{PROJECT}::{type_token}::{name}"


def _resource(
    env: str, type_token: str, name: str, inputs: dict[str, Any], protect: bool = False
) -> Resource:
    return {
        "additionalSecretOutputs": [],
        "custom": True,
        "deleteBeforeReplace": False,
        "dependencies": [],
        "ignoreChanges": [],
        "inputs": inputs,
        "name": name,
        "parent": _urn(env, "pulumi:pulumi:Stack", f"{PROJECT}-{env}"),
        "propertyDependencies": {},
        "protect": protect,
        "provider": None,
        "replaceOnChanges": [],
        "retainOnDelete": False,
        "type": type_token,
        "urn": _urn(env, type_token, name),
    }


def baseline(env: str) -> dict[str, Any]:
    """A stack with one of everything the pack looks at, all compliant for ``env``."""
    project = f"acme-cp-{env}"
    labels = {
        "component": "x",
        "data-class": DATA_CLASS[env],
        "environment": env,
        "managed-by": "pulumi",
    }
    stateful = env != "dev"
    key = (
        f"projects/{project}/locations/global/keyRings/acme-{env}-vault/cryptoKeys/acme-{env}-vault"
    )
    sa = f"acme-{env}-agent-sa@{project}.iam.gserviceaccount.com"
    root = _resource(env, "pulumi:pulumi:Stack", f"{PROJECT}-{env}", {})
    root.update(custom=False, parent=None)

    def service(name: str, image: str, envs: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "name": f"acme-{env}-{name}",
            "location": "europe-west1",
            "labels": labels,
            "template": {
                "serviceAccount": f"acme-{env}-{name}-sa@{project}.iam.gserviceaccount.com",
                "containers": [{"image": image, "envs": envs}],
            },
        }

    secret_ref = {"secretKeyRef": {"secret": f"acme-{env}-gemini-api-key", "version": "latest"}}
    resources = [
        root,
        _resource(
            env,
            "gcp:projects/iAMMember:IAMMember",
            "access-run-developer-engineering",
            {
                "project": project,
                "role": "roles/run.developer",
                "member": "group:engineering@example.com",
            },
        ),
        _resource(
            env,
            "gcp:serviceaccount/account:Account",
            "agent-sa",
            {"accountId": f"acme-{env}-agent-sa", "project": project},
        ),
        _resource(
            env,
            "gcp:cloudrunv2/service:Service",
            "agent-service",
            service(
                "agent",
                "europe-docker.pkg.dev/acme/agent:1.0.0",
                [
                    {"name": "LOG_LEVEL", "value": "info"},
                    {"name": "GEMINI_API_KEY", "valueSource": secret_ref},
                ],
            ),
        ),
        _resource(
            env,
            "gcp:cloudrunv2/service:Service",
            "frontend-service",
            service(
                "frontend",
                "europe-docker.pkg.dev/acme/frontend:1.0.0",
                [{"name": "NEXT_PUBLIC_API_URL", "value": "https://api"}],
            ),
        ),
        _resource(
            env,
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            "frontend-invoker-allusers",
            {
                "project": project,
                "location": "europe-west1",
                "name": f"acme-{env}-frontend",
                "role": "roles/run.invoker",
                "member": "allUsers",
            },
        ),
        _resource(
            env,
            "gcp:cloudrunv2/job:Job",
            "vacuum-job",
            {
                "name": f"acme-{env}-vacuum",
                "location": "europe-west1",
                "labels": labels,
                "template": {
                    "template": {
                        "serviceAccount": f"acme-{env}-jobs-sa@{project}.iam.gserviceaccount.com",
                        "containers": [{"image": "europe-docker.pkg.dev/acme/jobs:1.0.0"}],
                    }
                },
            },
        ),
        _resource(
            env,
            "gcp:pubsub/topic:Topic",
            "vault-rotation",
            {"name": f"acme-{env}-vault-rotation", "labels": labels},
        ),
        _resource(
            env,
            "gcp:kms/cryptoKey:CryptoKey",
            "vault-key",
            {
                "name": f"acme-{env}-vault",
                "keyRing": "ring",
                "rotationPeriod": "7776000s",
                "labels": labels,
            },
            protect=stateful,
        ),
        _resource(
            env,
            "gcp:secretmanager/secret:Secret",
            "vault-gemini-api-key",
            {
                "secretId": f"acme-{env}-gemini-api-key",
                "labels": labels,
                "replication": {"auto": {"customerManagedEncryption": {"kmsKeyName": key}}},
                "rotation": {
                    "rotationPeriod": "7776000s",
                    "nextRotationTime": "2026-01-01T00:00:00Z",
                },
                "topics": [{"name": f"projects/{project}/topics/acme-{env}-vault-rotation"}],
            },
            protect=stateful,
        ),
        _resource(
            env,
            "gcp:secretmanager/secretIamMember:SecretIamMember",
            "vault-gemini-api-key-agent",
            {
                "secretId": f"acme-{env}-gemini-api-key",
                "role": "roles/secretmanager.secretAccessor",
                "member": f"serviceAccount:{sa}",
            },
        ),
        _resource(
            env,
            "gcp:logging/projectBucketConfig:ProjectBucketConfig",
            "logs-hot",
            {
                "project": project,
                "location": "global",
                "bucketId": f"acme-{env}-logs-hot",
                "retentionDays": 30,
            },
            protect=stateful,
        ),
        _resource(
            env,
            "gcp:storage/bucket:Bucket",
            "logs-archive",
            {
                "name": f"acme-{env}-logs-archive",
                "location": "EU",
                "labels": labels,
                "uniformBucketLevelAccess": True,
                "publicAccessPrevention": "enforced",
                "encryption": {"defaultKmsKeyName": key},
                "lifecycleRules": [
                    {
                        "action": {"type": "SetStorageClass", "storageClass": "ARCHIVE"},
                        "condition": {"age": 30},
                    },
                    {"action": {"type": "Delete"}, "condition": {"age": 180}},
                ],
            },
            protect=stateful,
        ),
        _resource(
            env,
            "gcp:projects/iAMAuditConfig:IAMAuditConfig",
            "logs-audit-all",
            {
                "project": project,
                "service": "allServices",
                "auditLogConfigs": [
                    {"logType": "ADMIN_READ"},
                    {"logType": "DATA_READ"},
                    {"logType": "DATA_WRITE"},
                ],
            },
        ),
        _resource(
            env,
            "pulumi-python:dynamic/supabase:SupabaseSettings",
            "supabase-settings",
            {
                "__provider": "[secret]",
                "accessToken": "[secret]",
                "projectRef": "abcdefghijklmnopqrst",
                "sslEnforcement": {"database": True},
                "network": {"dbAllowedCidrs": ["10.0.0.0/8"]},
            },
            protect=stateful,
        ),
        _resource(
            env,
            "datadog:index/monitor:Monitor",
            "alert-mission-success",
            {
                "name": "Mission success < 97%",
                "type": "query alert",
                "query": "q",
                "tags": [f"env:{env}", "severity:critical"],
            },
        ),
    ]
    return {"project": PROJECT, "stack": env, "resources": resources}


def _named(snapshot: dict[str, Any], name: str) -> Resource:
    return next(r for r in snapshot["resources"] if r["name"] == name)


def _add(snapshot: dict[str, Any], type_token: str, name: str, inputs: dict[str, Any]) -> None:
    snapshot["resources"].append(_resource(snapshot["stack"], type_token, name, inputs))


def _set(name: str, path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(snapshot: dict[str, Any]) -> None:
        target: Any = _named(snapshot, name)["inputs"]
        *parents, last = path.split(".")
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        index: Any = int(last) if isinstance(target, list) else last
        if value is None:
            del target[index]
        else:
            target[index] = value

    return mutate


def _protect_off(name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(snapshot: dict[str, Any]) -> None:
        _named(snapshot, name)["protect"] = False

    return mutate


def _add_member(
    type_token: str, name: str, inputs: dict[str, Any]
) -> Callable[[dict[str, Any]], None]:
    return lambda snapshot: _add(snapshot, type_token, name, inputs)


CANARY = "canary-corpus-literal-0b7e"
CORPUS: dict[str, Callable[[dict[str, Any]], None]] = {
    "iam-binding-disallow-primitive-roles": _set(
        "access-run-developer-engineering", "role", "roles/editor"
    ),
    "iam-binding-disallow-primitive-roles--policy-data": _add_member(
        "gcp:projects/iAMPolicy:IAMPolicy",
        "project-policy",
        {
            "project": "acme-cp-prod",
            "policyData": json.dumps(
                {"bindings": [{"role": "roles/owner", "members": ["user:root@example.com"]}]}
            ),
        },
    ),
    "iam-binding-disallow-public-principals": _set(
        "frontend-invoker-allusers", "name", "acme-prod-agent"
    ),
    "iam-binding-disallow-public-principals--bucket": _add_member(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "logs-archive-public",
        {
            "bucket": "acme-prod-logs-archive",
            "role": "roles/storage.objectViewer",
            "member": "allAuthenticatedUsers",
        },
    ),
    "iam-serviceaccount-disallow-keys": _add_member(
        "gcp:serviceaccount/key:Key", "agent-sa-key", {"serviceAccountId": "acme-prod-agent-sa"}
    ),
    "iam-cloudrun-enforce-dedicated-service-account": _set(
        "agent-service", "template.serviceAccount", None
    ),
    "iam-cloudrun-enforce-dedicated-service-account--default-compute": _set(
        "vacuum-job",
        "template.template.serviceAccount",
        "210000000009-compute@developer.gserviceaccount.com",
    ),
    "credentials-cloudrun-disallow-literal-secrets": _set(
        "agent-service", "template.containers.0.envs.1", {"name": "GEMINI_API_KEY", "value": CANARY}
    ),
    "credentials-secret-configure-rotation": _set(
        "vault-gemini-api-key", "rotation.rotationPeriod", "31536000s"
    ),
    "credentials-secret-configure-rotation--no-topic": _set("vault-gemini-api-key", "topics", []),
    "credentials-accessor-enforce-service-account-members": _set(
        "vault-gemini-api-key-agent", "member", "user:developer@example.com"
    ),
    "encryption-secret-enable-cmek": _set("vault-gemini-api-key", "replication", {"auto": {}}),
    "encryption-bucket-enable-cmek": _set("logs-archive", "encryption", None),
    "encryption-supabase-enforce-ssl": _set("supabase-settings", "sslEnforcement.database", False),
    "storage-bucket-enable-uniform-access": _set("logs-archive", "uniformBucketLevelAccess", False),
    "storage-bucket-enforce-public-access-prevention": _set(
        "logs-archive", "publicAccessPrevention", "inherited"
    ),
    "datasafety-stateful-enforce-protect": _protect_off("vault-gemini-api-key"),
    "datasafety-stateful-enforce-protect--supabase": _protect_off("supabase-settings"),
    "audit-logbucket-configure-hot-retention": _set("logs-hot", "retentionDays", 400),
    "audit-archivebucket-missing-delete-lifecycle": _set(
        "logs-archive", "lifecycleRules.1.condition.age", 30
    ),
    "audit-project-missing-data-access-logs": _set(
        "logs-audit-all", "auditLogConfigs", [{"logType": "ADMIN_READ"}]
    ),
    "labels-gcp-missing-required-labels": _set("logs-archive", "labels", {"component": "logs"}),
    "labels-datadogmonitor-missing-required-tags": _set(
        "alert-mission-success", "tags", ["team:sre"]
    ),
}


def dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> None:
    (HERE / "baseline").mkdir(exist_ok=True)
    (HERE / "corpus").mkdir(exist_ok=True)
    for env in ("dev", "staging", "prod"):
        (HERE / "baseline" / f"{env}.json").write_text(dump(baseline(env)))
    for name, mutate in CORPUS.items():
        snapshot = copy.deepcopy(baseline("prod"))
        mutate(snapshot)
        (HERE / "corpus" / f"{name}.json").write_text(dump(snapshot))
    print(f"wrote 3 baselines and {len(CORPUS)} corpus snapshots under {HERE}")


if __name__ == "__main__":
    main()
