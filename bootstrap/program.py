"""The composition of the bootstrap stack, wired together from its validated config."""

from __future__ import annotations

from typing import Any

import pulumi_gcp as gcp

from bootstrap.audit_trail import AuditTrail, AuditTrailArgs
from bootstrap.ci_identity import CiIdentity, CiIdentityArgs, Deployer, Previewer
from bootstrap.config import BootstrapConfig
from bootstrap.layout import (
    COMPONENT_LABEL,
    ENVIRONMENTS,
    ROLE_KEY_DECRYPT,
    ROLE_KEY_ENCRYPT_DECRYPT,
    ROLE_OBJECT_ADMIN,
    Condition,
    crypto_key_id,
    deployer_state_grants,
    preview_github_environment,
    previewer_state_grant,
    principal_set,
    provider_resource,
    secrets_provider_url,
    service_account_email,
    shared_naming,
)
from bootstrap.stack_keys import KeySpec, StackKeys, StackKeysArgs
from bootstrap.state_backend import StateBackend, StateBackendArgs

STORAGE_KEY = "storage-cmek"
BOOTSTRAP_KEY = "bootstrap-secrets"


def stack_key_role(env: str) -> str:
    return f"{env}-stack-secrets"


def deployers(cfg: BootstrapConfig) -> list[Deployer]:
    """The three deployers: each bound to its own project and its own GitHub gate."""
    names = cfg.names
    out = []
    for env in ENVIRONMENTS:
        target = cfg.environments.target(env)
        out.append(
            Deployer(
                env=env,
                account_id=names.deployers[env],
                email=service_account_email(names.deployers[env], cfg.project_id),
                project_id=target.project_id,
                principal=principal_set(
                    cfg.project_number,
                    names.pool,
                    cfg.github_repository,
                    ref=target.github.ref,
                    environment=target.github.environment,
                ),
                roles=cfg.deployer_roles,
                grantable_roles=cfg.grantable_roles,
            )
        )
    return out


def previewers(cfg: BootstrapConfig) -> list[Previewer]:
    """The three previewers: read-only, each impersonable only from its ``preview-<env>``
    GitHub environment (the pull-request workflow, .github/workflows/preview.yml)."""
    names = cfg.names
    return [
        Previewer(
            env=env,
            account_id=names.previewers[env],
            email=service_account_email(names.previewers[env], cfg.project_id),
            project_id=cfg.environments.target(env).project_id,
            principal=principal_set(
                cfg.project_number,
                names.pool,
                cfg.github_repository,
                environment=preview_github_environment(env),
            ),
            roles=cfg.previewer_roles,
        )
        for env in ENVIRONMENTS
    ]


def outputs(cfg: BootstrapConfig) -> dict[str, Any]:
    """The stack outputs the operator copies into the environment stacks and CI (all known
    before ``pulumi up``, so the docs can name them)."""
    names = cfg.names

    def key(name: str) -> str:
        return crypto_key_id(cfg.project_id, cfg.location, names.key_ring, name)

    return {
        "backendUrl": f"gs://{names.bucket}",
        "stateBucket": names.bucket,
        "secretsProviders": {
            env: secrets_provider_url(key(names.stack_keys[env])) for env in ENVIRONMENTS
        },
        "bootstrapSecretsProvider": secrets_provider_url(key(names.bootstrap_key)),
        "workloadIdentityProvider": provider_resource(
            cfg.project_number, names.pool, names.provider
        ),
        "deployers": {d.env: d.email for d in deployers(cfg)},
        "previewers": {p.env: p.email for p in previewers(cfg)},
    }


def build(cfg: BootstrapConfig) -> dict[str, Any]:
    """Declare every resource of the bootstrap stack; return the stack outputs."""
    names = cfg.names
    shared = shared_naming(cfg.org)
    operators = cfg.operators_group
    team = deployers(cfg)
    readers = {p.env: p for p in previewers(cfg)}

    ci = CiIdentity(
        shared.physical("bootstrap", "ci"),
        CiIdentityArgs(
            project=cfg.project_id,
            pool_id=names.pool,
            provider_id=names.provider,
            repository=cfg.github_repository,
            deployers=team,
            previewers=list(readers.values()),
        ),
    )

    # Cloud Storage creates its service agent lazily; the lookup creates it if need be and
    # returns its member (the provider's advice over typing the address from the project number).
    gcs_agent = gcp.storage.get_project_service_account_output(project=cfg.project_id).member
    specs = [
        KeySpec(
            role=STORAGE_KEY,
            name=names.storage_key,
            labels=shared.labels(component=COMPONENT_LABEL),
            iam={ROLE_KEY_ENCRYPT_DECRYPT: [gcs_agent]},
        ),
        KeySpec(
            role=BOOTSTRAP_KEY,
            name=names.bootstrap_key,
            labels=shared.labels(component=COMPONENT_LABEL),
            iam={ROLE_KEY_ENCRYPT_DECRYPT: [operators]},
        ),
    ]
    for d in team:
        specs.append(
            KeySpec(
                role=stack_key_role(d.env),
                name=names.stack_keys[d.env],
                labels=shared.labels(component=COMPONENT_LABEL, serves=d.env),
                # Operators create the stack's data key (encrypt); CI only unwraps it (decrypt):
                # the deployer, and the previewer that reads the stack's config secrets.
                iam={
                    ROLE_KEY_ENCRYPT_DECRYPT: [operators],
                    ROLE_KEY_DECRYPT: [
                        f"serviceAccount:{d.email}",
                        f"serviceAccount:{readers[d.env].email}",
                    ],
                },
                members_from=[ci.accounts[d.env], ci.previewer_accounts[d.env]],
            )
        )
    keys = StackKeys(
        shared.physical("bootstrap", "kms"),
        StackKeysArgs(
            project=cfg.project_id,
            location=cfg.location,
            ring=names.key_ring,
            rotation_days=cfg.key_rotation_days,
            protection_level=cfg.key_protection_level,
            keys=specs,
        ),
    )

    bindings: list[tuple[str, list[str], Condition | None]] = [
        (ROLE_OBJECT_ADMIN, [operators], None)
    ]
    for d in team:
        for role, condition in deployer_state_grants(names.bucket, cfg.state_project, d.env):
            bindings.append((role, [f"serviceAccount:{d.email}"], condition))
        role, condition = previewer_state_grant(names.bucket, cfg.state_project, d.env)
        bindings.append((role, [f"serviceAccount:{readers[d.env].email}"], condition))
    StateBackend(
        shared.physical("bootstrap", "backend"),
        StateBackendArgs(
            project=cfg.project_id,
            location=cfg.location,
            bucket=names.bucket,
            kms_key_id=keys.ids[STORAGE_KEY],
            labels=shared.labels(component=COMPONENT_LABEL),
            noncurrent_version_days=cfg.noncurrent_version_days,
            soft_delete_days=cfg.soft_delete_days,
            bindings=bindings,
            encryption_ready=[keys.policies[STORAGE_KEY]],
            members_from=[*ci.accounts.values(), *ci.previewer_accounts.values()],
        ),
    )
    AuditTrail(
        shared.physical("bootstrap", "audit"),
        AuditTrailArgs(
            project=cfg.project_id,
            location=cfg.location,
            archive_bucket=names.audit_bucket,
            kms_key_id=keys.ids[STORAGE_KEY],
            labels=shared.labels(component=COMPONENT_LABEL),
            operators=operators,
            encryption_ready=[keys.policies[STORAGE_KEY]],
        ),
    )
    return outputs(cfg)
