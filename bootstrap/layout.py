"""Every name, identifier and IAM expression of the bootstrap program, as plain functions.

Nothing here registers a resource: the components and the docs test use the same functions, so
a reviewer reads one place to learn what a deployer may touch. Identifiers are computed from
the config rather than taken from resource outputs, so `pulumi preview` (and the offline
snapshot) shows the exact values before anything exists; the components add explicit
``depends_on`` where an output would have carried the ordering.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from controlplane.naming import Environment, Naming
from controlplane.playbook import MATRIX

ENVIRONMENTS: tuple[Environment, ...] = ("dev", "staging", "prod")

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
"""The OIDC issuer of GitHub Actions' ID tokens."""

COMPONENT_LABEL = "bootstrap"

# Service-account IDs are 6-30 characters; workload identity pool and provider IDs 4-32.
SERVICE_ACCOUNT_ID_MAX = 30
WORKLOAD_IDENTITY_ID_MAX = 32

# The layout of a Pulumi DIY backend ("project" layout, meta.yaml version 1) inside the bucket.
BOOKKEEPING = ".pulumi"
META_OBJECT = f"{BOOKKEEPING}/meta.yaml"
DIY_ORGANIZATION = "organization"
"""A DIY backend always names its organisation ``organization`` (lock paths carry it)."""

ROLE_OBJECT_ADMIN = "roles/storage.objectAdmin"
ROLE_OBJECT_CREATOR = "roles/storage.objectCreator"
ROLE_OBJECT_VIEWER = "roles/storage.objectViewer"
ROLE_KEY_ENCRYPT_DECRYPT = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
ROLE_KEY_DECRYPT = "roles/cloudkms.cryptoKeyDecrypter"
ROLE_WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
ROLE_PROJECT_IAM_ADMIN = "roles/resourcemanager.projectIamAdmin"

ATTRIBUTE_MAPPING: dict[str, str] = {
    "google.subject": "assertion.sub",
    "attribute.repository": "assertion.repository",
    "attribute.ref": "assertion.ref",
    # `environment` is only in the token of a job that names a GitHub environment; an unguarded
    # read would fail the token exchange of every other job.
    "attribute.environment": "has(assertion.environment) ? assertion.environment : ''",
    "attribute.actor": "assertion.actor",
    "attribute.repository_ref": "assertion.repository + ':' + assertion.ref",
    "attribute.repository_environment": (
        "assertion.repository + ':' + (has(assertion.environment) ? assertion.environment : '')"
    ),
    "attribute.repository_ref_environment": (
        "assertion.repository + ':' + assertion.ref + ':' + "
        "(has(assertion.environment) ? assertion.environment : '')"
    ),
}
"""GitHub OIDC claims mapped onto the pool's attributes.

The three combined attributes let one ``principalSet`` require several claims at once (IAM
allow policies cannot test two attributes of a federated principal). ``:`` separates the parts
because git refs cannot contain it.
"""


def shared_naming(org: str) -> Naming:
    """Naming of the resources every environment shares (bucket, key ring, pool).

    They hold and guard production's state and identity, so they are labelled and named at
    production's level: environment ``prod``, data class ``live``.
    """
    return Naming(org=org, env="prod", data_class="live")


def env_naming(org: str, env: Environment) -> Naming:
    """Physical names of one environment's own resources (its deployer, its stack key).

    Their labels stay the bootstrap stack's (prod, live) plus ``serves: <env>``: the whole stack
    is held to production's rules, whichever environment a resource serves.
    """
    return Naming(org=org, env=env, data_class=MATRIX[env][0])


@dataclass(frozen=True)
class Names:
    """Every physical name the program declares."""

    bucket: str
    audit_bucket: str
    key_ring: str
    storage_key: str
    bootstrap_key: str
    pool: str
    provider: str
    stack_keys: Mapping[Environment, str]
    deployers: Mapping[Environment, str]
    previewers: Mapping[Environment, str]


def physical_names(org: str) -> Names:
    """The physical names for ``org``; raises ``ValueError`` when one breaks a GCP limit."""
    shared = shared_naming(org)
    return Names(
        bucket=shared.physical("bootstrap", "state"),
        audit_bucket=shared.physical("bootstrap", "audit"),
        key_ring=shared.physical("bootstrap", "keys"),
        storage_key=shared.physical("bootstrap", "storage-cmek"),
        bootstrap_key=shared.physical("bootstrap", "secrets"),
        pool=shared.physical("ci", "github", max_len=WORKLOAD_IDENTITY_ID_MAX),
        provider=shared.physical("ci", "actions", max_len=WORKLOAD_IDENTITY_ID_MAX),
        stack_keys={env: env_naming(org, env).physical("stack", "secrets") for env in ENVIRONMENTS},
        deployers={
            env: env_naming(org, env).physical("deployer", max_len=SERVICE_ACCOUNT_ID_MAX)
            for env in ENVIRONMENTS
        },
        previewers={
            env: env_naming(org, env).physical("previewer", max_len=SERVICE_ACCOUNT_ID_MAX)
            for env in ENVIRONMENTS
        },
    )


def key_ring_id(project: str, location: str, ring: str) -> str:
    return f"projects/{project}/locations/{location}/keyRings/{ring}"


def crypto_key_id(project: str, location: str, ring: str, key: str) -> str:
    return f"{key_ring_id(project, location, ring)}/cryptoKeys/{key}"


def secrets_provider_url(key_id: str) -> str:
    """The ``--secrets-provider`` value of a stack whose secrets this key protects."""
    return f"gcpkms://{key_id}"


def service_account_email(account_id: str, project: str) -> str:
    return f"{account_id}@{project}.iam.gserviceaccount.com"


def service_account_resource(account_id: str, project: str) -> str:
    return f"projects/{project}/serviceAccounts/{service_account_email(account_id, project)}"


def pool_resource(project_number: str, pool: str) -> str:
    return f"projects/{project_number}/locations/global/workloadIdentityPools/{pool}"


def provider_resource(project_number: str, pool: str, provider: str) -> str:
    """The ``workload_identity_provider`` input of the GitHub auth step."""
    return f"{pool_resource(project_number, pool)}/providers/{provider}"


def attribute_condition(repository: str) -> str:
    """The provider's gate: only tokens minted for workflows of this one repository."""
    return f'assertion.repository == "{repository}"'


def principal_set(
    project_number: str,
    pool: str,
    repository: str,
    ref: str | None = None,
    environment: str | None = None,
) -> str:
    """The federated identities that may impersonate a deployer (or a previewer).

    Always limited to ``repository``; with ``ref`` and/or ``environment`` also to jobs on that
    git ref and/or in that GitHub environment (through the combined attributes).
    """
    if ref and environment:
        attribute, value = "repository_ref_environment", f"{repository}:{ref}:{environment}"
    elif ref:
        attribute, value = "repository_ref", f"{repository}:{ref}"
    elif environment:
        attribute, value = "repository_environment", f"{repository}:{environment}"
    else:
        attribute, value = "repository", repository
    pool_path = pool_resource(project_number, pool)
    return f"principalSet://iam.googleapis.com/{pool_path}/attribute.{attribute}/{value}"


@dataclass(frozen=True)
class StatePaths:
    """Where one stack of the DIY backend keeps its files, by how a deployer may use them."""

    mutable: tuple[str, ...]
    """Rewritten or deleted during an update: the checkpoint, its ``.bak``, tags, locks, journal."""
    append_only: tuple[str, ...]
    """Only ever created under a new name: update history and pre-update backups."""


def state_paths(state_project: str, stack: str) -> StatePaths:
    """Object-name prefixes of ``state_project``/``stack`` in the state bucket.

    ``<stack>.json`` covers ``.json``, ``.json.bak`` and the compressed variants;
    ``<stack>.pulumi-tags`` is the stack's tag file. Directories end in ``/`` so that stack
    ``dev`` never matches ``dev-2``.
    """
    p, s = state_project, stack
    return StatePaths(
        mutable=(
            f"{BOOKKEEPING}/stacks/{p}/{s}.json",
            f"{BOOKKEEPING}/stacks/{p}/{s}.pulumi-tags",
            f"{BOOKKEEPING}/locks/{DIY_ORGANIZATION}/{p}/{s}/",
            f"{BOOKKEEPING}/journal/{p}/{s}/",
        ),
        append_only=(
            f"{BOOKKEEPING}/history/{p}/{s}/",
            f"{BOOKKEEPING}/backups/{p}/{s}/",
        ),
    )


def bucket_resource(bucket: str) -> str:
    """The bucket as IAM Conditions name it (the resource of ``storage.objects.list``)."""
    return f"projects/_/buckets/{bucket}"


def object_resource(bucket: str, name: str) -> str:
    return f"{bucket_resource(bucket)}/objects/{name}"


def _starts_with_any(bucket: str, prefixes: Iterable[str]) -> list[str]:
    return [f'resource.name.startsWith("{object_resource(bucket, p)}")' for p in prefixes]


@dataclass(frozen=True)
class Condition:
    """An IAM condition (title, description, CEL expression)."""

    title: str
    description: str
    expression: str

    def as_dict(self) -> dict[str, str]:
        return {
            "title": self.title,
            "description": self.description,
            "expression": self.expression,
        }


def deployer_state_grants(
    bucket: str, state_project: str, env: Environment
) -> list[tuple[str, Condition]]:
    """The state-bucket roles of ``env``'s deployer, each limited to ``env``'s own objects.

    Mutable files get objectAdmin; history and backups only objectCreator (no overwrite, no
    delete: a deployer cannot rewrite the record of what it did); reading is objectViewer on
    those plus ``meta.yaml`` and the bucket itself, because ``storage.objects.list`` is checked
    against the bucket and no object-name condition can grant it (it reveals names only).
    """
    paths = state_paths(state_project, env)
    viewer_terms = [
        f'resource.name == "{bucket_resource(bucket)}"',
        f'resource.name == "{object_resource(bucket, META_OBJECT)}"',
        *_starts_with_any(bucket, paths.append_only),
    ]
    return [
        (
            ROLE_OBJECT_ADMIN,
            Condition(
                title=f"{env}-state-mutable",
                description=f"Stack {state_project}/{env}: checkpoint, tags, locks, journal",
                expression=" || ".join(_starts_with_any(bucket, paths.mutable)),
            ),
        ),
        (
            ROLE_OBJECT_CREATOR,
            Condition(
                title=f"{env}-state-append-only",
                description=f"Stack {state_project}/{env}: new history and backup files",
                expression=" || ".join(_starts_with_any(bucket, paths.append_only)),
            ),
        ),
        (
            ROLE_OBJECT_VIEWER,
            Condition(
                title=f"{env}-state-read",
                description=f"Stack {state_project}/{env}: history, backups, meta.yaml, listing",
                expression=" || ".join(viewer_terms),
            ),
        ),
    ]


def preview_github_environment(env: Environment) -> str:
    """The GitHub environment whose jobs may impersonate ``env``'s previewer (preview.yml)."""
    return f"preview-{env}"


def previewer_state_grant(
    bucket: str, state_project: str, env: Environment
) -> tuple[str, Condition]:
    """The one state-bucket role of ``env``'s previewer: read ``env``'s objects, write nothing.

    A preview reads the checkpoint (a mutable path) besides what the deployer's read grant
    covers. It writes nothing: a DIY backend takes no stack lock for ``pulumi preview``
    (pulumi/pulumi#8642, "[backend/filestate] Allow preview on locked stack"), so no lock
    object is created, and a preview never writes the checkpoint.
    """
    paths = state_paths(state_project, env)
    terms = [
        f'resource.name == "{bucket_resource(bucket)}"',
        f'resource.name == "{object_resource(bucket, META_OBJECT)}"',
        *_starts_with_any(bucket, (*paths.mutable, *paths.append_only)),
    ]
    return (
        ROLE_OBJECT_VIEWER,
        Condition(
            title=f"{env}-state-preview",
            description=f"Stack {state_project}/{env}: read-only, for pull-request previews",
            expression=" || ".join(terms),
        ),
    )


def grant_limit(roles: Iterable[str]) -> Condition:
    """The condition that lets a deployer grant and revoke only ``roles`` on its project."""
    quoted = ", ".join(f"'{r}'" for r in sorted(roles))
    return Condition(
        title="grant-only-listed-roles",
        description="Project IAM changes limited to the roles the environment program grants",
        expression=(
            f"api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{quoted}])"
        ),
    )


def policy_data(bindings: Iterable[tuple[str, Iterable[str], Condition | None]]) -> str:
    """An authoritative IAM policy document, as deterministic JSON text.

    Authoritative on purpose: whatever else was granted on the resource is removed at the next
    ``pulumi up``, so the members listed here are exactly who holds each role.
    """
    out = []
    for role, members, condition in bindings:
        binding: dict[str, object] = {"role": role, "members": sorted(set(members))}
        if condition is not None:
            binding["condition"] = condition.as_dict()
        out.append(binding)
    out.sort(key=lambda b: (str(b["role"]), json.dumps(b.get("condition"), sort_keys=True)))
    return json.dumps({"bindings": out}, sort_keys=True, separators=(",", ":"))


def role_slug(role: str) -> str:
    """``roles/run.admin`` -> ``run-admin`` (for logical resource names)."""
    return role.removeprefix("roles/").replace(".", "-").lower()
