"""The runtime config keys together: their environment rules, and the runtime of each stack.

Each key's own rules are tested beside it (test_services.py, test_secrets.py, ...). Here the
environment rules across keys, then the synthesized snapshot of each stack (not the config):
services with probes, SSE timeout and a
traffic split, dedicated accounts, 90-day rotating secrets with exact readers, the four jobs,
the 30/180-day log retention and protect on every stateful resource.
"""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from components.cmek import kms_location
from config.base import Problem
from config.runtime import RuntimeSections
from preflight.cli import ROOT
from tests.support.runtime import EXAMPLE, PROD_CHANGES, example
from tests.support.snapshots import resources_of


def test_the_example_is_valid_in_every_environment() -> None:
    assert RuntimeSections.model_validate(EXAMPLE).env_rules("dev") == []
    prod = example(**PROD_CHANGES)
    for name in ("agent", "frontend"):
        prod["services"][name]["minInstances"] = 2
    prod["secrets"][2]["readers"].append("siem")  # the forwarding job reads the Datadog key
    prod["siem"] = {}
    assert RuntimeSections.model_validate(prod).env_rules("prod") == []


def siem_missing(env: str) -> Problem:
    return Problem.found(
        "siem",
        "none",
        f"the SIEM forwarding section in {env} (playbook §4: forward to SIEM for anomaly "
        "detection; docs/config.md, controlplane:siem)",
    )


def test_prod_rules_report_path_found_and_expected() -> None:
    cfg = RuntimeSections.model_validate(example(logging={"hotRetentionDays": 7}))
    assert cfg.env_rules("prod") == [
        Problem.found(
            "services.agent.minInstances",
            "0",
            "at least 2 in prod (no cold starts, survives an instance loss)",
        ),
        Problem.found(
            "services.frontend.minInstances",
            "0",
            "at least 2 in prod (no cold starts, survives an instance loss)",
        ),
        Problem.found(
            "vault.cmek.enabled", "false", "true in prod: secrets encrypted with our KMS key"
        ),
        Problem.found(
            "logging.cmek.enabled",
            "false",
            "true in prod: the log archive bucket encrypted with our KMS key",
        ),
        Problem.found("logging.hotRetentionDays", "7", "30 in prod (playbook §4: 30 days hot)"),
        siem_missing("prod"),
    ]
    assert cfg.env_rules("staging") == [
        Problem.found("logging.hotRetentionDays", "7", "30 in staging (playbook §4: 30 days hot)"),
        siem_missing("staging"),
    ]
    assert cfg.env_rules("dev") == []


STATEFUL = (
    "gcp:secretmanager/secret:Secret",
    "gcp:kms/keyRing:KeyRing",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:storage/bucket:Bucket",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig",
)


def _runtime(snapshots: dict[str, Any], stack: str) -> dict[str, Any]:
    snap = snapshots[stack]
    if not resources_of(snap, "controlplane:runtime:AgentService"):
        pytest.skip(f"stack {stack} declares no runtime components yet (stacks/environment.py)")
    return snap


def _owned(snap: dict[str, Any], type_token: str, component: str) -> list[dict[str, Any]]:
    """Resources of ``type_token`` declared by the runtime component ``component``."""
    marker = f"controlplane:runtime:{component}$"
    return [r for r in resources_of(snap, type_token) if marker in r["urn"]]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_services_have_probes_sse_timeout_split_and_own_account(snapshots, stack: str) -> None:
    snap = _runtime(snapshots, stack)
    services = _owned(snap, "gcp:cloudrunv2/service:Service", "AgentService")
    accounts = {
        r["inputs"]["accountId"]: r
        for r in resources_of(snap, "gcp:serviceaccount/account:Account")
    }
    names = sorted(s["inputs"]["name"] for s in services)
    assert [n.rsplit("-", 1)[-1] for n in names] == ["agent", "frontend"], names
    for service in services:
        urn, template = service["urn"], service["inputs"]["template"]
        [container] = template["containers"]
        assert container["startupProbe"]["httpGet"]["path"].startswith("/"), urn
        assert container["livenessProbe"]["httpGet"]["path"].startswith("/"), urn
        assert container["resources"]["cpuIdle"] is False, urn
        assert template["timeout"] == "3600s", urn
        if stack == "prod":
            assert template["scaling"]["minInstanceCount"] >= 2, urn
            assert service["inputs"]["deletionProtection"] is True, urn
        traffic = service["inputs"]["traffics"]
        assert sum(t["percent"] for t in traffic) == 100, urn
        assert traffic[0]["tag"] == "stable", urn
        assert all(t["type"] == "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION" for t in traffic), urn
        account_id = template["serviceAccount"].split("@")[0]
        assert account_id in accounts, urn
        assert not template["serviceAccount"].endswith("-compute@developer.gserviceaccount.com")
        assert accounts[account_id]["parent"] == service["parent"], urn
        for env in container.get("envs", []):
            if "valueSource" in env:
                assert "value" not in env, urn


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_secrets_rotate_every_90_days_and_readers_are_exact(snapshots, stack: str) -> None:
    snap = _runtime(snapshots, stack)
    secrets = _owned(snap, "gcp:secretmanager/secret:Secret", "SecretVault")
    assert secrets, stack
    # reader account -> the secrets its Cloud Run service or jobs reference
    referenced: dict[str, set[str]] = {}
    kinds = (
        "gcp:cloudrunv2/service:Service",
        "gcp:cloudrunv2/job:Job",
        "gcp:cloudrunv2/workerPool:WorkerPool",
    )
    for kind in kinds:
        for run in resources_of(snap, kind):
            template = run["inputs"]["template"]
            template = template.get("template", template)  # jobs nest one level deeper
            account = template["serviceAccount"]
            for volume in template.get("volumes", []):  # the synthetics worker's config file
                if "secret" in volume:
                    referenced.setdefault(volume["secret"]["secret"], set()).add(account)
            for container in template["containers"]:
                for env in container.get("envs", []):
                    if "valueSource" in env:
                        secret = env["valueSource"]["secretKeyRef"]["secret"]
                        referenced.setdefault(secret, set()).add(account)
    # the SIEM forwarding job reads the Datadog API key by its Secret Manager name
    for job in resources_of(snap, "gcp:dataflow/job:Job"):
        name = job["inputs"]["parameters"]["apiKeySecretId"]
        secret = name.split("/secrets/")[1].removesuffix("/versions/latest")
        referenced.setdefault(secret, set()).add(job["inputs"]["serviceAccountEmail"])
    granted: dict[str, set[str]] = {}
    for grant in resources_of(snap, "gcp:secretmanager/secretIamMember:SecretIamMember"):
        assert grant["inputs"]["role"] == "roles/secretmanager.secretAccessor", grant["urn"]
        member = grant["inputs"]["member"].removeprefix("serviceAccount:")
        granted.setdefault(grant["inputs"]["secretId"], set()).add(member)
    for secret in secrets:
        urn, inputs = secret["urn"], secret["inputs"]
        assert inputs["rotation"]["rotationPeriod"] == "7776000s", urn
        assert inputs["topics"], urn
        assert granted.get(inputs["secretId"]), f"{urn} has no reader"
    assert granted == referenced


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_four_scheduled_jobs_and_log_retention(snapshots, stack: str) -> None:
    snap = _runtime(snapshots, stack)
    schedules = _owned(snap, "gcp:cloudscheduler/job:Job", "MaintenanceJobs")
    jobs = _owned(snap, "gcp:cloudrunv2/job:Job", "MaintenanceJobs")
    assert sorted(j["inputs"]["name"].split("-maint-", 1)[1] for j in jobs) == [
        "backup-verification",
        "composio-sync",
        "library-reembedding",
        "telemetry-vacuum",
    ]
    assert len(schedules) == 4
    for schedule in schedules:
        assert schedule["inputs"]["timeZone"] == "UTC", schedule["urn"]
        assert schedule["inputs"]["httpTarget"]["uri"].endswith(":run"), schedule["urn"]
    [hot] = _owned(snap, "gcp:logging/projectBucketConfig:ProjectBucketConfig", "LogRetention")
    assert hot["inputs"]["retentionDays"] == 30, hot["urn"]
    [archive] = _owned(snap, "gcp:storage/bucket:Bucket", "LogRetention")
    rules = archive["inputs"]["lifecycleRules"]
    assert {"action": {"type": "Delete"}, "condition": {"age": 180}} in rules, archive["urn"]
    assert rules[0]["action"]["type"] == "SetStorageClass", archive["urn"]
    assert archive["inputs"]["publicAccessPrevention"] == "enforced", archive["urn"]
    audits = _owned(snap, "gcp:projects/iAMAuditConfig:IAMAuditConfig", "LogRetention")
    for audit in audits:
        log_types = [c["logType"] for c in audit["inputs"]["auditLogConfigs"]]
        assert log_types == ["ADMIN_READ", "DATA_READ", "DATA_WRITE"], audit["urn"]
    assert {a["inputs"]["service"] for a in audits} >= {
        "run.googleapis.com",
        "secretmanager.googleapis.com",
    }


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_stateful_resource_is_protected(snapshots, stack: str) -> None:
    snap = _runtime(snapshots, stack)
    stateful = [r for r in snap["resources"] if r["type"] in STATEFUL]
    assert stateful, stack
    for resource in stateful:
        assert resource["protect"] is True, resource["urn"]
    if stack == "prod":
        for bucket in resources_of(snap, "gcp:storage/bucket:Bucket"):
            assert bucket["inputs"].get("encryption", {}).get("defaultKmsKeyName"), bucket["urn"]
        for secret in resources_of(snap, "gcp:secretmanager/secret:Secret"):
            replication = secret["inputs"]["replication"]
            replicas = replication.get("userManaged", {}).get("replicas") or [
                replication.get("auto", {})
            ]
            for replica in replicas:
                assert replica["customerManagedEncryption"]["kmsKeyName"], secret["urn"]


OPERATOR_DOCS = [ROOT / "docs" / "rollout.md", ROOT / "docs" / "runbooks" / "containment.md"]


def _field_exists(model: type[BaseModel], path: list[str]) -> bool:
    head, *rest = path
    for name, field in model.model_fields.items():
        if head not in (name, field.alias):
            continue
        annotation = field.annotation
        if get_origin(annotation) is dict and rest:  # services.<name>...
            annotation = get_args(annotation)[1]
            rest = rest[1:]
        if not rest:
            return True
        inner = next(
            (a for a in (annotation, *get_args(annotation)) if isinstance(a, type)),
            None,
        )
        return inner is not None and issubclass(inner, BaseModel) and _field_exists(inner, rest)
    return False


@pytest.mark.parametrize("doc", OPERATOR_DOCS, ids=lambda p: p.name)
def test_operator_docs_only_set_real_config_keys(doc) -> None:
    keys = re.findall(r"^pulumi config set (?:--path )?(\S+)", doc.read_text(), re.M)
    assert keys, doc
    for key in keys:
        assert _field_exists(RuntimeSections, key.split(".")), f"{doc.name}: {key}"
    assert not _field_exists(RuntimeSections, ["services", "agent", "rollout", "percent"])


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_runtime_inventory_per_stack(snapshots, stack: str) -> None:
    from preflight.dotenv import load_sections

    snap = _runtime(snapshots, stack)
    cfg = load_sections(ROOT, stack)
    vault_keys = len(cfg.vault.replica_locations or ["global"]) if cfg.vault.cmek.enabled else 0
    # With CMEK, a ring per Cloud KMS location of the two tiers and a key per tier.
    log_locations = {cfg.logging.location, cfg.logging.archive_location}
    log_rings = len({kms_location(loc) for loc in log_locations}) if cfg.logging.cmek.enabled else 0
    log_keys = 2 if cfg.logging.cmek.enabled else 0
    siem = 1 if cfg.siem is not None else 0
    siem_keys = 1 if cfg.siem is not None and cfg.siem.cmek.enabled else 0
    expected = {
        "controlplane:runtime:AgentService": len(cfg.services),
        "controlplane:runtime:SecretVault": 1,
        "controlplane:runtime:MaintenanceJobs": 1,
        "controlplane:runtime:LogRetention": 1,
        "controlplane:runtime:SiemForwarding": siem,
        "gcp:cloudrunv2/service:Service": len(cfg.services),
        "gcp:serviceaccount/account:Account": len(cfg.services) + 1 + siem,
        "gcp:secretmanager/secret:Secret": len(cfg.secrets),
        "gcp:secretmanager/secretIamMember:SecretIamMember": sum(
            len(s.readers) for s in cfg.secrets
        ),
        "gcp:cloudrunv2/job:Job": 4,
        "gcp:cloudscheduler/job:Job": 4,
        "gcp:cloudrunv2/jobIamMember:JobIamMember": 4,
        "gcp:logging/projectBucketConfig:ProjectBucketConfig": 1,
        "gcp:logging/projectSink:ProjectSink": 2 + siem,
        "gcp:storage/bucket:Bucket": 1 + siem,
        "gcp:projects/iAMAuditConfig:IAMAuditConfig": len(cfg.logging.audit_services),
        "gcp:pubsub/topic:Topic": 1 + 2 * siem,
        # the job's subscription and the dead-letter hold; the agent's and the worker's grants
        "gcp:pubsub/subscription:Subscription": 2 * siem,
        "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": 3 * siem,
        "gcp:dataflow/job:Job": siem,
        "gcp:kms/keyRing:KeyRing": vault_keys + log_rings + siem_keys,
        "gcp:kms/cryptoKey:CryptoKey": vault_keys + log_keys + siem_keys,
    }
    runtime = [r for r in snap["resources"] if "controlplane:runtime:" in r["urn"]]
    counts = {kind: sum(1 for r in runtime if r["type"] == kind) for kind in expected}
    assert counts == expected
