"""The runtime config sections: their rules and messages, and the runtime of each stack.

The first part validates config input (a bad catalogue, rollout, schedule, retention...) and
asserts the exact location and message. The second part looks at the synthesized snapshot of
each stack (not the config) for what issue 3 promises: services with probes, SSE timeout and a
traffic split, dedicated accounts, 90-day rotating secrets with exact readers, the four jobs,
the 30/180-day log retention and protect on every stateful resource.
"""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError

from config.runtime import RuntimeSections, validate_for_env
from preflight.cli import ROOT
from tests.components.conftest import CANARY, EXAMPLE, PROD_CHANGES, example
from tests.conftest import resources_of

# --- config rules ----------------------------------------------------------------------------


def _errors(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as err:
        RuntimeSections.model_validate(data)
    return [(tuple(e["loc"]), e["msg"]) for e in err.value.errors(include_url=False)]


def test_the_example_is_valid_in_every_environment() -> None:
    assert validate_for_env("dev", RuntimeSections.model_validate(EXAMPLE)) == []
    prod = example(**PROD_CHANGES)
    for name in ("agent", "frontend"):
        prod["services"][name]["minInstances"] = 2
    assert validate_for_env("prod", RuntimeSections.model_validate(prod)) == []


def test_a_secret_read_by_an_unknown_service_names_the_readers_to_use() -> None:
    data = example()
    data["secrets"][1]["readers"] = ["agent", "agnet"]
    assert _errors(data) == [
        (
            ("secrets", 1, "readers", 1),
            "a reader among agent, frontend, maintenance: secret 'supabase-jwt-secret' names "
            "'agnet', which is not a service of this stack",
        )
    ]


def test_a_duplicate_env_var_for_one_reader_is_refused() -> None:
    data = example()
    data["secrets"][2]["envVar"] = "SUPABASE_JWT_SECRET"  # frontend already reads it
    assert _errors(data) == [
        (
            ("secrets", 2, "envVar"),
            "a distinct env var for reader 'frontend': SUPABASE_JWT_SECRET is already set by "
            "secrets[1] (supabase-jwt-secret); rename one of them",
        )
    ]


def test_a_secret_env_var_that_clashes_with_plain_env_is_refused() -> None:
    data = example()
    data["secrets"][0]["envVar"] = "LOG_FORMAT"
    assert _errors(data) == [
        (
            ("secrets", 0, "envVar"),
            "a distinct env var for reader 'agent': LOG_FORMAT is already set by "
            "services.agent.env; rename one of them",
        )
    ]


def test_the_same_env_var_for_different_readers_is_fine() -> None:
    data = example()
    data["secrets"][2]["readers"] = ["maintenance"]
    data["secrets"][2]["envVar"] = "SUPABASE_JWT_SECRET"
    RuntimeSections.model_validate(data)


def test_duplicate_secret_names_are_refused() -> None:
    data = example()
    data["secrets"][2]["name"] = "composio-api-key"
    assert _errors(data) == [
        (
            ("secrets", 2, "name"),
            "a unique name: secrets[0] is already 'composio-api-key'",
        )
    ]


def test_from_config_must_be_a_declared_secret_key() -> None:
    data = example()
    data["secrets"][0]["fromConfig"] = "composioKey"
    [(loc, msg)] = _errors(data)
    assert loc == ("secrets", 0, "fromConfig")
    assert msg == (
        "Value error, one of the secret config keys composioApiKey, datadogApiKey, "
        "geminiApiKey, googleOauthClientSecret, supabaseDbPassword (new keys are added to "
        "SECRET_CONFIG_KEYS in config/runtime.py)"
    )


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("europe-west1-docker.pkg.dev/p/r/agent@sha256:" + "a" * 64, True),
        ("europe-west1-docker.pkg.dev/p/r/agent:1.4.2", True),
        ("localhost:5000/agent:2025.11.26", True),
        ("europe-west1-docker.pkg.dev/p/r/agent:latest", False),
        ("europe-west1-docker.pkg.dev/p/r/agent", False),
        ("europe-west1-docker.pkg.dev/p/r/agent@sha256:abc", False),
    ],
)
def test_images_are_pinned(image: str, ok: bool) -> None:
    data = example()
    data["services"]["agent"]["image"] = image
    if ok:
        RuntimeSections.model_validate(data)
        return
    assert _errors(data) == [
        (
            ("services", "agent", "image"),
            "Value error, an image pinned by digest (<registry>/<repo>@sha256:<64 hex>) or by "
            "an immutable tag (<registry>/<repo>:1.4.2); 'latest' and untagged images are "
            "refused",
        )
    ]


def test_a_credential_in_plain_env_is_moved_to_the_catalogue() -> None:
    data = example()
    data["services"]["agent"]["env"]["GEMINI_API_KEY"] = CANARY
    with pytest.raises(ValidationError) as err:
        RuntimeSections.model_validate(data)
    assert CANARY not in str(err.value) + repr(err.value.errors())
    errors = [(tuple(e["loc"]), e["msg"]) for e in err.value.errors(include_url=False)]
    assert errors == [
        (
            ("services", "agent", "env", "GEMINI_API_KEY"),
            "no credential in plain env: move GEMINI_API_KEY to controlplane:secrets with this "
            "service as a reader (bound by secret reference)",
        )
    ]


def test_public_members_go_through_the_public_flag() -> None:
    data = example()
    data["services"]["agent"]["iam"] = {"roles/run.invoker": ["allUsers"]}
    assert _errors(data) == [
        (
            ("services", "agent", "iam", "roles/run.invoker", 0),
            "no public member here: set public: true instead",
        )
    ]


@pytest.mark.parametrize(
    ("rollout", "message"),
    [
        (
            {"strategy": "canary", "promoted": True},
            "Value error, promoted is a blue_green setting: for canary promote with "
            "candidatePercent: 100",
        ),
        (
            {"strategy": "blue_green", "candidatePercent": 10},
            "Value error, candidatePercent is a canary setting: blue_green keeps the candidate "
            "at 0% until you set promoted: true",
        ),
    ],
)
def test_rollout_knobs_belong_to_their_strategy(rollout: dict[str, Any], message: str) -> None:
    data = example()
    data["services"]["agent"]["rollout"] = rollout
    assert _errors(data) == [(("services", "agent", "rollout"), message)]


@pytest.mark.parametrize("stable", [None, "v2"])
def test_a_split_needs_a_stable_revision_other_than_the_candidate(stable: str | None) -> None:
    data = example()
    rollout: dict[str, Any] = {"strategy": "canary", "candidatePercent": 10}
    if stable:
        rollout["stableRevision"] = stable
    data["services"]["agent"]["rollout"] = rollout
    why = "unset" if stable is None else "equal to revision"
    assert _errors(data) == [
        (
            ("services", "agent"),
            f"Value error, rollout: with stableRevision {why}, revision 'v2' is the only one: "
            "set candidatePercent: 0 (canary) or promoted: false (blue_green), or set "
            "stableRevision to the revision serving users now",
        )
    ]


def test_min_instances_above_max_is_refused() -> None:
    data = example()
    data["services"]["agent"]["minInstances"] = 5
    assert _errors(data) == [
        (
            ("services", "agent"),
            "Value error, minInstances (5) at most maxInstances (4): raise maxInstances or "
            "lower minInstances",
        )
    ]


def test_maintenance_needs_the_four_jobs_at_their_cadence() -> None:
    data = example()
    jobs = data["maintenance"]["jobs"]
    del jobs["composio-sync"]
    jobs["library-reembedding"]["schedule"] = "0 3 * * *"
    jobs["telemetry-vacuum"]["schedule"] = "*/5 * * * *"
    jobs["log-rotation"] = {"schedule": "0 1 * * *"}
    assert _errors(data) == [
        (
            ("maintenance", "jobs", "composio-sync"),
            "job composio-sync is missing: add it with a weekly schedule (playbook §7)",
        ),
        (
            ("maintenance", "jobs", "telemetry-vacuum", "schedule"),
            "a daily cron schedule at a fixed UTC time, e.g. '15 3 * * *'",
        ),
        (
            ("maintenance", "jobs", "library-reembedding", "schedule"),
            "a weekly cron schedule at a fixed UTC time, e.g. '15 3 * * 0'",
        ),
        (
            ("maintenance", "jobs", "log-rotation"),
            "one of the jobs telemetry-vacuum, library-reembedding, composio-sync, "
            "backup-verification (playbook §7)",
        ),
    ]


def test_schedules_are_in_utc() -> None:
    data = example()
    data["maintenance"]["timeZone"] = "Europe/Paris"
    [(loc, msg)] = _errors(data)
    assert loc == ("maintenance", "timeZone")
    assert msg == "Input should be 'UTC'"


def test_archive_class_must_fit_the_retention() -> None:
    data = example(logging={"coldStorageClass": "ARCHIVE"})
    assert _errors(data) == [
        (
            ("logging",),
            "Value error, ARCHIVE bills at least 365 days but objects stay 150 days in it: use "
            "coldStorageClass NEARLINE or COLDLINE",
        )
    ]


def test_next_rotation_time_is_a_utc_timestamp() -> None:
    data = example()
    data["vault"]["nextRotationTime"] = "2026-01-05 09:00"
    assert _errors(data) == [
        (
            ("vault", "nextRotationTime"),
            "Value error, a UTC timestamp like 2026-01-05T09:00:00Z",
        )
    ]


def test_prod_rules_report_path_found_and_expected() -> None:
    cfg = RuntimeSections.model_validate(example(logging={"hotRetentionDays": 7}))
    assert validate_for_env("prod", cfg) == [
        (
            "services.agent.minInstances",
            "0",
            "at least 2 in prod (no cold starts, survives an instance loss)",
        ),
        (
            "services.frontend.minInstances",
            "0",
            "at least 2 in prod (no cold starts, survives an instance loss)",
        ),
        ("vault.cmek.enabled", "false", "true in prod: secrets encrypted with our KMS key"),
        (
            "logging.cmek.enabled",
            "false",
            "true in prod: the log archive bucket encrypted with our KMS key",
        ),
        ("logging.hotRetentionDays", "7", "30 in prod (playbook §4: 30 days hot)"),
    ]
    assert validate_for_env("staging", cfg) == [
        ("logging.hotRetentionDays", "7", "30 in staging (playbook §4: 30 days hot)")
    ]
    assert validate_for_env("dev", cfg) == []


def test_secret_config_keys_are_the_from_config_keys() -> None:
    cfg = RuntimeSections.model_validate(EXAMPLE)
    assert cfg.secret_config_keys() == ["controlplane:composioApiKey"]


# --- the synthesized stacks -----------------------------------------------------------------

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
    for kind in ("gcp:cloudrunv2/service:Service", "gcp:cloudrunv2/job:Job"):
        for run in resources_of(snap, kind):
            template = run["inputs"]["template"]
            template = template.get("template", template)  # jobs nest one level deeper
            account = template["serviceAccount"]
            for container in template["containers"]:
                for env in container.get("envs", []):
                    if "valueSource" in env:
                        secret = env["valueSource"]["secretKeyRef"]["secret"]
                        referenced.setdefault(secret, set()).add(account)
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


# --- the config keys the operator docs tell people to set exist ------------------------------

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
    log_keys = 1 if cfg.logging.cmek.enabled else 0
    expected = {
        "controlplane:runtime:AgentService": len(cfg.services),
        "controlplane:runtime:SecretVault": 1,
        "controlplane:runtime:MaintenanceJobs": 1,
        "controlplane:runtime:LogRetention": 1,
        "gcp:cloudrunv2/service:Service": len(cfg.services),
        "gcp:serviceaccount/account:Account": len(cfg.services) + 1,
        "gcp:secretmanager/secret:Secret": len(cfg.secrets),
        "gcp:secretmanager/secretIamMember:SecretIamMember": sum(
            len(s.readers) for s in cfg.secrets
        ),
        "gcp:cloudrunv2/job:Job": 4,
        "gcp:cloudscheduler/job:Job": 4,
        "gcp:cloudrunv2/jobIamMember:JobIamMember": 4,
        "gcp:logging/projectBucketConfig:ProjectBucketConfig": 1,
        "gcp:logging/projectSink:ProjectSink": 2,
        "gcp:storage/bucket:Bucket": 1,
        "gcp:projects/iAMAuditConfig:IAMAuditConfig": len(cfg.logging.audit_services),
        "gcp:pubsub/topic:Topic": 1,
        "gcp:kms/keyRing:KeyRing": vault_keys + log_keys,
        "gcp:kms/cryptoKey:CryptoKey": vault_keys + log_keys,
    }
    runtime = [r for r in snap["resources"] if "controlplane:runtime:" in r["urn"]]
    counts = {kind: sum(1 for r in runtime if r["type"] == kind) for kind in expected}
    assert counts == expected
