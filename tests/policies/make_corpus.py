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

from preflight.snapshot import DRY_RUN_KEY, UNKNOWN
from tests.support.policies import PROJECT, make_resource
from tests.support.policies_alerting import (
    escalation_inputs,
    monitor_inputs,
    observability,
    paging_service,
    security_escalation_inputs,
    security_monitor_inputs,
    security_route,
)
from tests.support.policies_siem import APPLICATION_FILTER, siem

HERE = Path(__file__).resolve().parent
CONFIG_DIR = HERE.parents[1] / "policies" / "config"
DATA_CLASS = {"dev": "synthetic", "staging": "anonymized", "prod": "live"}

Resource = dict[str, Any]


def _resource(
    env: str, type_token: str, name: str, inputs: dict[str, Any], protect: bool = False
) -> Resource:
    return make_resource(type_token, name, inputs, protect=protect, stack=env)


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
    vault_ring = f"projects/{project}/locations/global/keyRings/acme-{env}-vault"
    logs_rings = {
        loc: f"projects/{project}/locations/{loc}/keyRings/acme-{env}-logs"
        for loc in ("global", "europe")
    }
    hot_key = f"{logs_rings['global']}/cryptoKeys/acme-{env}-logs-hot"
    archive_key = f"{logs_rings['europe']}/cryptoKeys/acme-{env}-logs-archive"
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
            {"name": f"acme-{env}-vault-rotation", "labels": labels, "kmsKeyName": key},
        ),
        _resource(
            env,
            "gcp:kms/cryptoKey:CryptoKey",
            "vault-key",
            {
                "name": f"acme-{env}-vault",
                "keyRing": vault_ring,
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
                "cmekSettings": {"kmsKeyName": hot_key},
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
                "encryption": {"defaultKmsKeyName": archive_key},
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
        *(
            _resource(
                env,
                "gcp:kms/keyRing:KeyRing",
                f"{name}-keyring-{location}",
                {"project": project, "location": location, "name": f"acme-{env}-{name}"},
                protect=stateful,
            )
            for name, location in (("vault", "global"), ("logs", "global"), ("logs", "europe"))
        ),
        *(
            _resource(
                env,
                "gcp:kms/cryptoKey:CryptoKey",
                f"logs-{role}-key",
                {
                    "name": f"acme-{env}-logs-{role}",
                    "keyRing": logs_rings[location],
                    "rotationPeriod": "7776000s",
                    "labels": labels,
                },
                protect=stateful,
            )
            for role, location in (("hot", "global"), ("archive", "europe"))
        ),
        _resource(
            env,
            "gcp:logging/projectSink:ProjectSink",
            "logs-hot-sink",
            {
                "project": project,
                "name": f"acme-{env}-logs-hot",
                "destination": f"logging.googleapis.com/projects/{project}/locations/global"
                f"/buckets/acme-{env}-logs-hot",
                "filter": "",
                "uniqueWriterIdentity": True,
            },
        ),
        _resource(
            env,
            "gcp:logging/projectSink:ProjectSink",
            "logs-archive-sink",
            {
                "project": project,
                "name": f"acme-{env}-logs-archive",
                "destination": f"storage.googleapis.com/acme-{env}-logs-archive",
                "filter": "",
                "uniqueWriterIdentity": True,
            },
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
    ]

    def make(type_token: str, name: str, inputs: dict[str, Any]) -> Resource:
        return _resource(env, type_token, name, inputs)

    resources += observability(env, make)
    escalation = next(r for r in resources if r["name"] == f"acme-{env}-oncall-escalation")
    resources.append(paging_service(env, make, escalation))
    resources += siem(env, make)
    if env != "dev":  # controlplane:security is for staging and prod
        resources += security_route(env, make)
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


def _sets(name: str, values: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(snapshot: dict[str, Any]) -> None:
        for path, value in values.items():
            _set(name, path, value)(snapshot)

    return mutate


def _remove(name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(snapshot: dict[str, Any]) -> None:
        snapshot["resources"].remove(_named(snapshot, name))

    return mutate


def _protect_off(name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(snapshot: dict[str, Any]) -> None:
        _named(snapshot, name)["protect"] = False

    return mutate


def _add_member(
    type_token: str, name: str, inputs: dict[str, Any]
) -> Callable[[dict[str, Any]], None]:
    return lambda snapshot: _add(snapshot, type_token, name, inputs)


def _unreachable_probe(snapshot: dict[str, Any]) -> None:
    """A synthetic test from a managed location calling the (non-public) agent."""
    inputs = {"name": "sse", "type": "api", "subtype": "http", "locations": ["aws:eu-central-1"]}
    _add(snapshot, "datadog:index/syntheticsTest:SyntheticsTest", "synthetics-sse", inputs)
    agent = _named(snapshot, "agent-service")["urn"]
    test = _named(snapshot, "synthetics-sse")
    test["dependencies"] = [agent]
    test["propertyDependencies"] = {"requestDefinition": [agent]}


def _unknown_member_from_a_secret(snapshot: dict[str, Any]) -> None:
    """A preview of a new stack where an accessor's member is built from a secret's output: no
    service account of the stack explains it, so the member stays undecided."""
    snapshot[DRY_RUN_KEY] = True
    secret = _named(snapshot, "vault-gemini-api-key")
    grant = _named(snapshot, "vault-gemini-api-key-agent")
    grant["inputs"]["member"] = UNKNOWN
    grant["propertyDependencies"] = {"member": [secret["urn"]]}
    grant["dependencies"] = [secret["urn"]]


def _unknown_member_in_an_update(snapshot: dict[str, Any]) -> None:
    """An update (no ``dryRun``) whose accessor member is the unknown sentinel, dressed up as
    built from the agent's service account: in an update nothing is unknown."""
    account = _named(snapshot, "agent-sa")
    grant = _named(snapshot, "vault-gemini-api-key-agent")
    grant["inputs"]["member"] = UNKNOWN
    grant["propertyDependencies"] = {"member": [account["urn"]]}
    grant["dependencies"] = [account["urn"]]


def _early_archive_deletion(snapshot: dict[str, Any]) -> None:
    """A second Delete rule on the log archive, a week after upload, beside the 180-day one."""
    rules = _named(snapshot, "logs-archive")["inputs"]["lifecycleRules"]
    rules.append({"action": {"type": "Delete"}, "condition": {"age": 7}})


def _query(slug: str) -> str:
    query: str = monitor_inputs("prod", slug)["query"]
    return query


def _unbound_service(snapshot: dict[str, Any]) -> None:
    """The paging service bound to an escalation policy the stack does not declare."""
    service = _named(snapshot, "acme-prod-oncall-service")
    service["inputs"]["escalationPolicy"] = "PEXTERN"
    service["propertyDependencies"] = {}
    service["dependencies"] = []


CANARY = "canary-corpus-literal-0b7e"
CORPUS: dict[str, Callable[[dict[str, Any]], None]] = {
    "iam-probe-missing-invoker-grant": _unreachable_probe,
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
    "iam-principal-enforce-stack-service-accounts": _unknown_member_from_a_secret,
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
    "credentials-workload-disallow-disguised-secrets": _set(
        "agent-service",
        "template.containers.0.args",
        [f"--database-url=postgresql://app:{CANARY}@db.internal:5432/app"],
    ),
    "credentials-provider-disallow-literal-credentials": _add_member(
        "pulumi:providers:datadog", "datadog-eu", {"apiKey": CANARY, "apiUrl": "https://x"}
    ),
    "iam-role-disallow-owner-equivalent-permissions": _add_member(
        "gcp:projects/iAMCustomRole:IAMCustomRole",
        "deploy-helper-role",
        {
            "project": "acme-cp-prod",
            "roleId": "deployHelper",
            "title": "Deploy helper",
            "permissions": ["run.services.get", "resourcemanager.projects.setIamPolicy"],
        },
    ),
    "iam-binding-disallow-impersonation-by-people": _add_member(
        "gcp:projects/iAMMember:IAMMember",
        "agent-token-creator",
        {
            "project": "acme-cp-prod",
            "role": "roles/iam.serviceAccountTokenCreator",
            "member": "user:developer@example.com",
        },
    ),
    "inventory-resource-disallow-undeclared-types": _add_member(
        "gcp:storage/hmacKey:HmacKey",
        "archive-hmac",
        {"serviceAccountEmail": "acme-prod-agent-sa@acme-cp-prod.iam.gserviceaccount.com"},
    ),
    "inventory-resource-disallow-unknown-values": _unknown_member_in_an_update,
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
    # Kept forever instead of 180 days (deleting earlier is storage-logarchive-disallow-early-
    # deletion's report as well).
    "audit-archivebucket-missing-delete-lifecycle": _set(
        "logs-archive", "lifecycleRules.1.condition.age", 365
    ),
    "audit-logrouting-enforce-playbook-retention": _set(
        "logs-hot-sink",
        "exclusions",
        [{"name": "no-audit", "filter": 'logName:"cloudaudit.googleapis.com"'}],
    ),
    "audit-auditconfig-disallow-exemptions": _set(
        "logs-audit-all", "auditLogConfigs.1.exemptedMembers", ["user:mallory@example.com"]
    ),
    "storage-logarchive-disallow-early-deletion": _early_archive_deletion,
    "encryption-store-enforce-own-keys": _set(
        "vault-rotation",
        "kmsKeyName",
        "projects/acme-cp-shared/locations/global/keyRings/shared/cryptoKeys/shared",
    ),
    "audit-project-missing-data-access-logs": _set(
        "logs-audit-all", "auditLogConfigs", [{"logType": "ADMIN_READ"}]
    ),
    "labels-gcp-missing-required-labels": _set("logs-archive", "labels", {"component": "logs"}),
    "labels-datadogmonitor-missing-required-tags": _set(
        "acme-prod-monitoring-mission-success-rate",
        "tags",
        ["alert:mission-success-rate", "team:sre"],
    ),
    "alerting-monitor-missing-playbook-alerts": _remove("acme-prod-monitoring-undo-failures"),
    "alerting-monitor-configure-playbook-thresholds": _sets(
        "acme-prod-monitoring-mission-success-rate",
        {
            "query": _query("mission-success-rate").replace("< 0.97", "< 0.95"),
            "monitorThresholds.critical": "0.95",
        },
    ),
    "alerting-monitor-configure-playbook-thresholds--window": _set(
        "acme-prod-monitoring-undo-failures",
        "query",
        _query("undo-failures").replace("avg(last_1h)", "avg(last_4h)"),
    ),
    "alerting-monitor-configure-playbook-thresholds--no-data": _set(
        "acme-prod-monitoring-telemetry-ingestion-stalled", "notifyNoData", False
    ),
    "alerting-monitor-enforce-pagerduty-routing": _set(
        "acme-prod-monitoring-oauth-failure-rate",
        "message",
        monitor_inputs("prod", "oauth-failure-rate")["message"].replace(
            "@pagerduty-acme-prod-oncall-service ", ""
        ),
    ),
    "alerting-monitor-enforce-pagerduty-routing--informational-pages": _set(
        "acme-prod-monitoring-library-reuse-drop",
        "message",
        monitor_inputs("prod", "library-reuse-drop")["message"]
        + " @pagerduty-acme-prod-oncall-service",
    ),
    "alerting-escalation-enforce-playbook-order": _set(
        "acme-prod-oncall-escalation",
        "rules",
        escalation_inputs("prod", ["primary", "incident-commander", "secondary"])["rules"],
    ),
    # Shorter than the window: a Saturday rule would also mute outside it (CP-ALR-007).
    "alerting-downtime-missing-maintenance-window": _set(
        "acme-prod-maintenance-weekly", "recurringSchedule.recurrences.0.duration", "1h"
    ),
    "alerting-mute-disallow-outside-maintenance-window": _add_member(
        "datadog:index/downtimeSchedule:DowntimeSchedule",
        "acme-prod-maintenance-daily",
        {
            "scope": "env:prod",
            "monitorIdentifier": {"monitorTags": ["env:prod"]},
            "recurringSchedule": {
                "timezone": "UTC",
                "recurrences": [
                    {
                        "rrule": "FREQ=DAILY;INTERVAL=1",
                        "start": "2026-12-06T03:00:00",
                        "duration": "2h",
                    }
                ],
            },
        },
    ),
    "alerting-mute-disallow-outside-maintenance-window--pagerduty": _add_member(
        "pagerduty:index/maintenanceWindow:MaintenanceWindow",
        "acme-prod-oncall-maintenance",
        {
            "startTime": "2026-12-07T00:00:00Z",
            "endTime": "2027-12-07T00:00:00Z",
            "services": ["PSERVIC"],
        },
    ),
    "alerting-pagerduty-enforce-critical-paging": _set(
        "acme-prod-monitoring-mission-success-rate",
        "message",
        monitor_inputs("prod", "mission-success-rate")["message"].replace(
            "@pagerduty-acme-prod-oncall-service",
            "{{#is_warning}}@pagerduty-acme-prod-oncall-service{{/is_warning}}",
        ),
    ),
    "alerting-pagerduty-enforce-critical-paging--escalation": _unbound_service,
    "alerting-pagerduty-enforce-critical-paging--orchestration": _add_member(
        "pagerduty:index/eventOrchestrationService:EventOrchestrationService",
        "acme-prod-oncall-urgency",
        {
            "service": "PSERVIC",
            "enableEventOrchestrationForService": True,
            "sets": [{"id": "start", "rules": []}],
            "catchAll": {"actions": {"suppress": True}},
        },
    ),
    "alerting-monitor-enforce-playbook-query": _set(
        "acme-prod-monitoring-mission-success-rate",
        "query",
        _query("mission-success-rate").replace("} < 0.97", "} * 0 + 1 < 0.97"),
    ),
    "alerting-monitor-enforce-playbook-query--draft": _set(
        "acme-prod-monitoring-undo-failures", "draftStatus", "draft"
    ),
    "audit-sink-missing-siem-forwarding": _set(
        "acme-prod-siem-sink", "filter", f"({APPLICATION_FILTER})"
    ),
    "audit-sink-missing-siem-forwarding--exclusion": _set(
        "acme-prod-siem-sink",
        "exclusions.0",
        {"name": "noisy-audit", "filter": 'protoPayload.methodName:"List"'},
    ),
    "audit-sink-missing-siem-forwarding--no-delivery": _remove("acme-prod-siem-job"),
    "alerting-escalation-enforce-security-route": _set(
        "acme-prod-security-escalation",
        "rules",
        security_escalation_inputs("prod", [{"id": "PINCCMD", "type": "schedule_reference"}])[
            "rules"
        ],
    ),
    "alerting-escalation-enforce-security-route--monitor": _set(
        "acme-prod-security-unauthorized-actions",
        "message",
        security_monitor_inputs(
            "prod", "unauthorized-actions", ["@pagerduty-acme-prod-oncall-service"]
        )["message"],
    ),
    # The snapshot is the compliant baseline: the time is what breaks the freeze (see CONFIGS).
    "changes-stack-disallow-freeze-changes": lambda snapshot: None,
    # The compliant baseline too: a high-impact classification without an announcement breaks
    # the notice (see CONFIGS).
    "changes-stack-enforce-change-notice": lambda snapshot: None,
}

FREEZE = "changes-stack-disallow-freeze-changes"
NOTICE = "changes-stack-enforce-change-notice"
IN_FREEZE = "2026-12-20T10:00:00Z"
"""A Sunday in Q4 2026 weeks 12-13 (December 17-31), outside the prod maintenance window."""
BEFORE_FREEZE = "2026-12-13T10:00:00Z"
"""A week earlier: outside the freeze."""
NOT_HIGH_IMPACT: dict[str, Any] = {"highImpact": False, "reasons": []}
HIGH_IMPACT: dict[str, Any] = {
    "highImpact": True,
    "reasons": ["iam: IAM change: update `gcp:projects/iAMMember:IAMMember`"],
}


def _deploy_config_at(now: str, classification: dict[str, Any]) -> dict[str, Any]:
    """policies/config/prod-deploy.json with both change policies' ``now`` pinned and the
    notice policy given ``classification`` (the deploy passes it, with no announcement here)."""
    config: dict[str, Any] = json.loads((CONFIG_DIR / "prod-deploy.json").read_text())
    config[FREEZE] = {"enforcementLevel": config[FREEZE], "now": now}
    config[NOTICE] = {
        "enforcementLevel": config[NOTICE],
        "now": now,
        "classification": classification,
    }
    return config


CONFIGS: dict[str, Callable[[], dict[str, Any]]] = {
    FREEZE: lambda: _deploy_config_at(IN_FREEZE, NOT_HIGH_IMPACT),
    NOTICE: lambda: _deploy_config_at(BEFORE_FREEZE, HIGH_IMPACT),
}
"""Corpus entries checked with their own policy-pack config (``corpus/config/<name>.json``)
instead of policies/config/prod.json: the freeze and the notice are mandatory only in the deploy
config; the freeze breaks only at a time inside the freeze, the notice only for a change the
deploy classified high-impact."""


def dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> None:
    (HERE / "baseline").mkdir(exist_ok=True)
    (HERE / "corpus").mkdir(exist_ok=True)
    for env in ("dev", "staging", "prod"):
        (HERE / "baseline" / f"{env}.json").write_text(dump(baseline(env)))
    (HERE / "corpus" / "config").mkdir(exist_ok=True)
    for name, mutate in CORPUS.items():
        snapshot = copy.deepcopy(baseline("prod"))
        mutate(snapshot)
        (HERE / "corpus" / f"{name}.json").write_text(dump(snapshot))
    for name, config in CONFIGS.items():
        (HERE / "corpus" / "config" / f"{name}.json").write_text(dump(config()))
    print(
        f"wrote 3 baselines, {len(CORPUS)} corpus snapshots and {len(CONFIGS)} corpus configs "
        f"under {HERE}"
    )


if __name__ == "__main__":
    main()
