"""SecretVault: rotation, topic, replication/CMEK, accessor grants per reader, secret values."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.secret_vault import SecretVault, SecretVaultArgs
from config.runtime import RuntimeSections
from controlplane.naming import Environment
from tests.support.components import PROJECT, PROJECT_NUMBER, Registered, naming_for, run_program
from tests.support.runtime import CANARY, PROD_CHANGES, sections

SECRET = "gcp:secretmanager/secret:Secret"
VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
ACCESSOR = "gcp:secretmanager/secretIamMember:SecretIamMember"
SM_AGENT = f"serviceAccount:service-{PROJECT_NUMBER}@gcp-sa-secretmanager.iam.gserviceaccount.com"


def _member(reader: str) -> str:
    return f"serviceAccount:{reader}@acme-cp-test.iam.gserviceaccount.com"


def _build(
    cfg: RuntimeSections,
    secret_config: dict[str, Any],
    *,
    env: Environment = "dev",
    protect: bool = False,
    readers: tuple[str, ...] = ("agent", "frontend", "maintenance"),
    extra: Any = None,
) -> Registered:
    def program() -> None:
        vault = SecretVault(
            "secrets",
            SecretVaultArgs(
                naming=naming_for(env),
                project=PROJECT,
                catalogue=cfg.secrets,
                vault=cfg.vault,
                protect=protect,
            ),
        )
        if extra:
            extra(vault)
        for reader in readers:
            vault.binding_for(reader).grant(_member(reader))

    return run_program(program, stack=env, **secret_config)


def test_every_catalogue_secret_rotates_quarterly_with_a_notice_topic(secret_config) -> None:
    reg = _build(sections(), secret_config)
    [component] = reg.of_type("controlplane:runtime:SecretVault")
    [topic] = reg.of_type("gcp:pubsub/topic:Topic")
    assert topic.inputs["name"] == "acme-dev-vault-rotation", topic.urn
    assert topic.inputs["labels"]["managed-by"] == "pulumi", topic.urn
    secrets = reg.of_type(SECRET)
    assert sorted(s.inputs["secretId"] for s in secrets) == [
        "acme-dev-vault-composio-api-key",
        "acme-dev-vault-datadog-api-key",
        "acme-dev-vault-supabase-jwt-secret",
    ]
    for secret in secrets:
        assert secret.parent == component.urn, secret.urn
        assert secret.inputs["rotation"] == {
            "rotationPeriod": "7776000s",
            "nextRotationTime": "2030-01-07T09:00:00Z",
        }, secret.urn
        assert secret.inputs["topics"] == [
            {"name": "projects/acme-cp-test/topics/acme-dev-vault-rotation"}
        ], secret.urn
        assert secret.inputs["replication"] == {"auto": {}}, secret.urn
        assert secret.ignore_changes == ["rotation.nextRotationTime"], secret.urn
        assert secret.inputs["labels"]["environment"] == "dev", secret.urn
        assert secret.protect is False, secret.urn
        assert secret.inputs["deletionProtection"] is False, secret.urn


def test_the_secret_manager_agent_may_publish_rotation_notices(secret_config) -> None:
    reg = _build(sections(), secret_config)
    [publisher] = reg.of_type("gcp:pubsub/topicIAMMember:TopicIAMMember")
    [identity] = reg.of_type("gcp:projects/serviceIdentity:ServiceIdentity")
    assert publisher.inputs == {
        "member": SM_AGENT,
        "project": PROJECT,
        "role": "roles/pubsub.publisher",
        "topic": "acme-dev-vault-rotation",
    }, publisher.urn
    assert identity.inputs["service"] == "secretmanager.googleapis.com", identity.urn
    assert identity.urn in publisher.dependencies, publisher.urn
    for secret in reg.of_type(SECRET):
        assert publisher.urn in secret.dependencies, secret.urn


def test_accessor_is_granted_to_exactly_the_readers_of_each_secret(secret_config) -> None:
    cfg = sections()
    reg = _build(cfg, secret_config)
    granted: dict[str, set[str]] = {}
    for grant in reg.of_type(ACCESSOR):
        assert grant.inputs["role"] == "roles/secretmanager.secretAccessor", grant.urn
        granted.setdefault(grant.inputs["secretId"], set()).add(grant.inputs["member"])
    expected = {
        f"acme-dev-vault-{spec.name}": {_member(r) for r in spec.readers} for spec in cfg.secrets
    }
    assert granted == expected
    assert granted["acme-dev-vault-datadog-api-key"] == {_member("frontend")}


def test_binding_lists_env_vars_and_grant_runs_once(secret_config) -> None:
    seen: dict[str, Any] = {}

    def extra(vault: SecretVault) -> None:
        binding = vault.binding_for("frontend")
        seen["env"] = sorted(binding.env)
        seen["nothing"] = dict(vault.binding_for("nobody").env)
        binding.grant(_member("frontend"))
        with pytest.raises(ValueError) as err:
            binding.grant(_member("frontend"))
        seen["error"] = str(err.value)

    _build(sections(), secret_config, readers=(), extra=extra)
    assert seen == {
        "env": ["DD_API_KEY", "SUPABASE_JWT_SECRET"],
        "nothing": {},
        "error": "secret access for 'frontend' was already granted: call grant once",
    }


def test_config_secret_becomes_a_version_and_stays_secret(secret_config) -> None:
    returned: list[str] = []

    def extra(vault: SecretVault) -> None:
        grant = vault.binding_for("maintenance").grant(_member("maintenance"))
        returned.extend(sorted(r._name for r in grant))

    reg = _build(sections(), secret_config, protect=True, readers=(), extra=extra)
    [version] = reg.of_type(VERSION)
    assert version.name == "secrets-composio-api-key-version", version.urn
    assert version.inputs["secretData"] == "[secret]", version.urn
    assert version.inputs["deletionPolicy"] == "DISABLE", version.urn
    assert version.protect is False, version.urn
    assert "secretData" in version.additional_secret_outputs, version.urn
    assert CANARY not in reg.dump()
    # grant() hands back the version too, so the reader's service waits for a value
    assert returned == [
        "secrets-composio-api-key-maintenance",
        "secrets-composio-api-key-version",
    ]


def test_a_missing_secret_config_value_stops_with_the_config_set_command() -> None:
    with pytest.raises(pulumi.ConfigMissingError) as err:
        _build(sections(), {"config": {}, "secret_keys": []})
    assert "controlplane:composioApiKey" in str(err.value)
    assert "pulumi config set --secret" in str(err.value)


def test_add_version_keeps_another_components_output_secret(secret_config) -> None:
    def extra(vault: SecretVault) -> None:
        vault.add_version("supabase-jwt-secret", pulumi.Output.secret(CANARY + "-jwt"))

    reg = _build(sections(), secret_config, extra=extra)
    version = reg.named("secrets-supabase-jwt-secret-version")
    assert version.inputs["secretData"] == "[secret]", version.urn
    assert version.inputs["deletionPolicy"] == "DELETE", version.urn
    assert CANARY not in reg.dump()


def test_add_version_plain_output_is_made_secret(secret_config) -> None:
    def extra(vault: SecretVault) -> None:
        vault.add_version("datadog-api-key", pulumi.Output.from_input(CANARY + "-plain"))

    reg = _build(sections(), secret_config, extra=extra)
    assert reg.named("secrets-datadog-api-key-version").inputs["secretData"] == "[secret]"
    assert CANARY not in reg.dump()


@pytest.mark.parametrize(
    ("secret_name", "message"),
    [
        (
            "supabase-service-key",
            "no secret 'supabase-service-key' in controlplane:secrets: use one of "
            "composio-api-key, datadog-api-key, supabase-jwt-secret or add it to the catalogue",
        ),
        (
            "composio-api-key",
            "secret 'composio-api-key' already gets its value from config key "
            "controlplane:composioApiKey: remove fromConfig from its catalogue entry or add "
            "the version once",
        ),
    ],
)
def test_add_version_refuses_unknown_and_doubled_secrets(
    secret_config, secret_name: str, message: str
) -> None:
    seen: list[str] = []

    def extra(vault: SecretVault) -> None:
        with pytest.raises(ValueError) as err:
            vault.add_version(secret_name, pulumi.Output.secret("x"))
        seen.append(str(err.value))

    _build(sections(), secret_config, extra=extra)
    assert seen == [message]


PUBSUB_AGENT = "serviceAccount:service-210000000009@gcp-sa-pubsub.iam.gserviceaccount.com"


def test_prod_encrypts_every_replica_with_a_rotating_protected_key(secret_config) -> None:
    cfg = sections(**PROD_CHANGES)
    reg = _build(cfg, secret_config, env="prod", protect=True)
    rings = reg.of_type("gcp:kms/keyRing:KeyRing")
    keys = reg.of_type("gcp:kms/cryptoKey:CryptoKey")
    assert sorted((r.inputs["location"], r.inputs["name"]) for r in rings) == [
        ("europe-west1", "acme-prod-vault"),
        ("europe-west4", "acme-prod-vault"),
    ]
    for resource in rings + keys:
        assert resource.protect is True, resource.urn
    for key in keys:
        assert key.inputs["rotationPeriod"] == "7776000s", key.urn
        assert key.inputs["purpose"] == "ENCRYPT_DECRYPT", key.urn
        assert key.inputs["labels"]["environment"] == "prod", key.urn
    key_ids = [
        f"projects/acme-cp-test/locations/{loc}/keyRings/acme-prod-vault/cryptoKeys/"
        "acme-prod-vault-secrets"
        for loc in ("europe-west1", "europe-west4")
    ]
    all_grants = reg.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    grants = [g for g in all_grants if g.inputs["member"] == SM_AGENT]
    assert sorted((g.inputs["cryptoKeyId"], g.inputs["member"]) for g in all_grants) == sorted(
        [(key_id, SM_AGENT) for key_id in key_ids] + [(key_ids[0], PUBSUB_AGENT)]
    )
    # The rotation topic is encrypted with the first replica's key, after Pub/Sub may use it.
    [topic] = reg.of_type("gcp:pubsub/topic:Topic")
    assert topic.inputs["kmsKeyName"] == key_ids[0], topic.urn
    [pubsub_grant] = [g for g in all_grants if g.inputs["member"] == PUBSUB_AGENT]
    assert pubsub_grant.urn in topic.dependencies, topic.urn
    for secret in reg.of_type(SECRET):
        assert secret.protect is True, secret.urn
        assert secret.inputs["deletionProtection"] is True, secret.urn
        assert secret.inputs["replication"] == {
            "userManaged": {
                "replicas": [
                    {"location": loc, "customerManagedEncryption": {"kmsKeyName": key_id}}
                    for loc, key_id in zip(("europe-west1", "europe-west4"), key_ids, strict=True)
                ]
            }
        }, secret.urn
        for grant in grants:
            assert grant.urn in secret.dependencies, secret.urn


def test_automatic_replication_with_cmek_uses_a_global_key(secret_config) -> None:
    cfg = sections(
        vault={
            "nextRotationTime": "2030-01-07T09:00:00Z",
            "cmek": {"enabled": True, "rotationDays": 30},
        }
    )
    reg = _build(cfg, secret_config)
    [ring] = reg.of_type("gcp:kms/keyRing:KeyRing")
    [key] = reg.of_type("gcp:kms/cryptoKey:CryptoKey")
    assert ring.inputs["location"] == "global", ring.urn
    assert key.inputs["rotationPeriod"] == "2592000s", key.urn
    secret = reg.of_type(SECRET)[0]
    assert secret.inputs["replication"] == {
        "auto": {
            "customerManagedEncryption": {
                "kmsKeyName": "projects/acme-cp-test/locations/global/keyRings/acme-dev-vault/"
                "cryptoKeys/acme-dev-vault-secrets"
            }
        }
    }, secret.urn


def test_first_rotation_keeps_a_future_anchor_and_rolls_a_past_one_forward() -> None:
    from datetime import UTC, datetime

    from components.secret_vault import first_rotation

    now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    assert first_rotation("2027-01-04T09:00:00Z", 90, now) == "2027-01-04T09:00:00Z"
    # 2026-01-05 + 4 x 90 days = 2026-12-31: the first notice at least a day after now.
    assert first_rotation("2026-01-05T09:00:00Z", 90, now) == "2026-12-31T09:00:00Z"
    # Never sooner than a day ahead (Secret Manager refuses less than 5 minutes).
    assert first_rotation("2026-11-26T09:00:00Z", 90, now) == "2027-02-24T09:00:00Z"
    assert first_rotation("2026-11-27T05:00:00Z", 90, now) == "2026-11-27T05:00:00Z"


pytestmark = pytest.mark.playbook("vault-backed-secrets", "credential-rotation", "encrypt-at-rest")
