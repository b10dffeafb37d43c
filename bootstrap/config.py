"""The typed configuration of the bootstrap program (``bootstrap/Pulumi.org.yaml``).

Every key of the stack file has a field here; unknown keys, secrets (the program takes none)
and names that would break a GCP limit are rejected before the first resource is registered,
each as one line that names the stack, the key path, what was found and what to write instead.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import pulumi
from pydantic import Field, ValidationError, field_validator, model_validator

from bootstrap.layout import ENVIRONMENTS, Names, physical_names
from config.base import Model
from config.errors import (
    ConfigError,
    ErrorFormatter,
    found,
    parse,
    runtime_config,
    runtime_secret_keys,
)
from controlplane.fields import (
    PRIMITIVE_ROLES,
    GroupMember,
    Org,
    ProjectId,
    is_region,
    is_role,
    matching,
)
from controlplane.naming import Environment

NAMESPACE = "controlplane-bootstrap"
PROVIDER_KEYS = frozenset({"gcp:project"})

DEFAULT_DEPLOYER_ROLES: tuple[str, ...] = (
    "roles/run.admin",  # Cloud Run services and jobs, their revisions, traffic and invoker IAM
    "roles/iam.serviceAccountAdmin",  # the runtime service accounts of the environment
    "roles/iam.serviceAccountUser",  # deploy services and jobs that run as those accounts
    "roles/secretmanager.admin",  # the secret catalogue, rotation settings, accessor IAM
    "roles/pubsub.admin",  # the rotation-notice topic and its publisher IAM
    "roles/logging.configWriter",  # the hot log bucket and the sink to the archive
    "roles/storage.admin",  # the archive bucket, its lifecycle and the sink writer's IAM
    "roles/cloudscheduler.admin",  # the maintenance job schedules
    "roles/cloudkms.admin",  # CMEK key rings, keys and the service agents' key IAM
    "roles/dataflow.developer",  # the SIEM forwarding job: launch, update, drain
    "roles/serviceusage.serviceUsageConsumer",  # call the environment's APIs on its quota
)
"""Predefined roles each deployer holds on its own environment's project (and nowhere else)."""

DEFAULT_GRANTABLE_ROLES: tuple[str, ...] = (
    "roles/cloudscheduler.admin",
    "roles/cloudscheduler.jobRunner",
    "roles/cloudtrace.agent",
    "roles/dataflow.worker",
    "roles/logging.logWriter",
    "roles/logging.viewer",
    "roles/monitoring.editor",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/run.developer",
    "roles/run.invoker",
    "roles/run.viewer",
)
"""Roles a deployer may grant on its project: the access lists and the runtime accounts' roles."""

DEFAULT_PREVIEWER_ROLES: tuple[str, ...] = (
    "roles/iam.securityReviewer",  # every IAM policy the stack reads; service accounts
    "roles/run.viewer",  # Cloud Run services and jobs
    "roles/secretmanager.viewer",  # secrets and versions' metadata, never a payload
    "roles/pubsub.viewer",  # the rotation-notice topic
    "roles/logging.viewer",  # the log bucket and the sink; also the project itself
    "roles/storage.bucketViewer",  # the archive bucket's settings (objects not included)
    "roles/cloudscheduler.viewer",  # the maintenance job schedules
    "roles/cloudkms.viewer",  # the CMEK key rings and keys
    "roles/dataflow.viewer",  # the SIEM forwarding job
)
"""Read-only predefined roles each previewer holds on its own environment's project.

Together they hold every ``read`` permission of the environment stack's resource types
(``preflight/permissions/type_permissions.json``) except ``secretmanager.versions.access``:
a preview without ``--refresh`` reads no secret payload, and a previewer must not. The
primitive ``roles/viewer`` would cover less (no bucket reads, no topic IAM) and more: it also
holds permissions that are not reads (``run.services.sshRead``, ``bigquery.jobs.create``).
``python -m preflight permissions`` checks both directions.
"""

ESCALATING_ROLES = frozenset(
    {
        "roles/resourcemanager.projectIamAdmin",
        "roles/resourcemanager.folderAdmin",
        "roles/resourcemanager.folderIamAdmin",
        "roles/resourcemanager.organizationAdmin",
        "roles/resourcemanager.projectCreator",
        "roles/resourcemanager.projectDeleter",
        "roles/resourcemanager.projectMover",
        "roles/iam.securityAdmin",
        "roles/iam.roleAdmin",
        "roles/iam.organizationRoleAdmin",
        "roles/iam.serviceAccountKeyAdmin",
        "roles/iam.serviceAccountTokenCreator",
        "roles/iam.workloadIdentityUser",
        "roles/iam.workloadIdentityPoolAdmin",
    }
)
"""Roles that change who holds what, or mint credentials: a deployer never holds them outright.

Project IAM administration is granted separately, only under the condition that limits it to
``grantableRoles``; service-account keys are not created anywhere.
"""

IMPERSONATING_ROLES = frozenset({"roles/iam.serviceAccountUser", "roles/iam.serviceAccountAdmin"})
"""Roles a deployer holds itself but must not hand on: they let the holder act as the runtime."""

_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_REF_RE = re.compile(r"^refs/(heads|tags)/[^\s:~^?*\[\\]+$")
_GITHUB_ENV_RE = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
_PROJECT_NUMBER_RE = re.compile(r"[1-9][0-9]{5,19}")
_PULUMI_PROJECT_RE = re.compile(r"[A-Za-z0-9_.-]{1,100}")

GitRef = Annotated[str, matching(_REF_RE.match, "a full git ref such as refs/heads/main")]
GithubEnvironment = Annotated[
    str,
    matching(_GITHUB_ENV_RE.match, "a GitHub environment name (letters, digits, '.', '_', '-')"),
]
GithubRepository = Annotated[
    str,
    matching(_REPOSITORY_RE.match, "owner/repo as GitHub spells it, e.g. acme/controlplane-infra"),
]
ProjectNumber = Annotated[
    str,
    matching(_PROJECT_NUMBER_RE.fullmatch, "the project number, digits only, e.g. 123456789012"),
]
PulumiProject = Annotated[
    str,
    matching(
        _PULUMI_PROJECT_RE.fullmatch,
        "a Pulumi project name (the `name:` of the root Pulumi.yaml)",
    ),
]
KeyRegion = Annotated[
    str,
    matching(
        is_region,
        "a single region such as europe-west1 (CMEK keys must sit in the bucket's region)",
    ),
]


def _check_roles(
    roles: tuple[str, ...], *, grantable: bool = False, key: str = "grantableRoles"
) -> tuple[str, ...]:
    for role in roles:
        if role in PRIMITIVE_ROLES:
            raise ValueError(
                f"predefined roles instead of the primitive {role} (e.g. roles/run.admin)"
            )
        if not is_role(role, custom=False):
            raise ValueError(
                f"a predefined role like roles/<service>.<role> instead of {role!r} "
                "(custom roles could be widened after review)"
            )
        if role in ESCALATING_ROLES:
            raise ValueError(
                f"{role} lets its holder change IAM or mint credentials; "
                "project IAM changes are granted only through grantableRoles"
            )
        if grantable and role in IMPERSONATING_ROLES:
            raise ValueError(
                f"{role} would let the grantee act as the environment's service accounts; "
                f"remove it from {key}"
            )
    if len(set(roles)) != len(roles):
        raise ValueError("each role listed once")
    return roles


class GithubGate(Model):
    """Where in GitHub Actions a deployer may be used from, beyond the repository pin."""

    ref: GitRef | None = Field(
        default=None,
        description="Only jobs on this git ref, e.g. `refs/heads/main` (the protected branch).",
    )
    environment: GithubEnvironment | None = Field(
        default=None, description="Only jobs that run in this GitHub environment, e.g. `prod`."
    )


class EnvironmentTarget(Model):
    """One shared environment as the bootstrap sees it: its project and its CI gate."""

    project_id: ProjectId = Field(
        description="The GCP project the environment's stack deploys into."
    )
    github: GithubGate = Field(
        default_factory=GithubGate,
        description="Extra limits on the GitHub jobs that may impersonate this deployer.",
    )


class Environments(Model):
    """The three shared environments (playbook §2)."""

    dev: EnvironmentTarget = Field(description="Dev: integrated testing, synthetic data.")
    staging: EnvironmentTarget = Field(description="Staging: pre-production, anonymized data.")
    prod: EnvironmentTarget = Field(description="Prod: customer-facing, live data.")

    @model_validator(mode="after")
    def _separate_and_gated(self) -> Environments:
        projects = [self.dev.project_id, self.staging.project_id, self.prod.project_id]
        if len(set(projects)) != len(projects):
            raise ValueError(
                "each environment needs its own projectId, so a deployer can only reach its own"
            )
        gate = self.prod.github
        if not (gate.ref and gate.environment):
            raise ValueError(
                "prod.github needs both ref (e.g. refs/heads/main) and environment (e.g. prod): "
                "prod may only be deployed from the protected branch in the prod GitHub environment"
            )
        return self

    def target(self, env: Environment) -> EnvironmentTarget:
        target: EnvironmentTarget = getattr(self, env)
        return target


class BootstrapConfig(Model):
    """The whole configuration of the bootstrap stack."""

    org: Org = Field(description="Short organisation prefix of every physical name, e.g. acme.")
    project_id: ProjectId = Field(
        description="The GCP project holding the state bucket, the keys and the CI identity."
    )
    project_number: ProjectNumber = Field(
        description="That project's number (`gcloud projects describe <id> "
        "--format='value(projectNumber)'`)."
    )
    location: KeyRegion = Field(description="Region of the bucket and the keys, e.g. europe-west1.")
    operators_group: GroupMember = Field(
        description="The operators group as an IAM member: `group:<email>`."
    )
    github_repository: GithubRepository = Field(
        description="The one repository CI runs from: `owner/repo`."
    )
    state_project: PulumiProject = Field(
        default="controlplane",
        description="The Pulumi project whose environment stacks live in the bucket.",
    )
    environments: Environments = Field(description="dev, staging and prod.")
    deployer_roles: tuple[str, ...] = Field(
        default=DEFAULT_DEPLOYER_ROLES,
        min_length=1,
        description="Predefined roles each deployer holds on its own environment's project.",
    )
    grantable_roles: tuple[str, ...] = Field(
        default=DEFAULT_GRANTABLE_ROLES,
        min_length=1,
        description="The only roles a deployer may grant or revoke on its project.",
    )
    previewer_roles: tuple[str, ...] = Field(
        default=DEFAULT_PREVIEWER_ROLES,
        min_length=1,
        description="Read-only predefined roles each previewer holds on its environment's "
        "project (pull-request previews).",
    )
    noncurrent_version_days: int = Field(
        default=180,
        ge=180,
        le=3650,
        description="Days a replaced or deleted state object is kept (playbook §4: 180 days).",
    )
    soft_delete_days: int = Field(
        default=90, ge=7, le=90, description="Days a deleted object stays restorable."
    )
    key_rotation_days: int = Field(
        default=90, ge=1, le=90, description="Days between key rotations (playbook §6)."
    )
    key_protection_level: Literal["SOFTWARE", "HSM"] = Field(
        default="HSM", description="Where the key material lives."
    )

    @field_validator("org")
    @classmethod
    def _org(cls, value: str) -> str:
        if value.startswith("goog") or "google" in value or value == "gcp":
            raise ValueError(
                "a prefix without 'goog'/'google' and other than 'gcp' "
                "(bucket and pool names refuse them)"
            )
        return value

    @field_validator("deployer_roles")
    @classmethod
    def _deployer_roles(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        return _check_roles(roles, grantable=False)

    @field_validator("grantable_roles")
    @classmethod
    def _grantable_roles(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        return _check_roles(roles, grantable=True)

    @field_validator("previewer_roles")
    @classmethod
    def _previewer_roles(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        # A previewer runs a pull request's code: it may not act as the runtime accounts either.
        return _check_roles(roles, grantable=True, key="previewerRoles")

    @model_validator(mode="after")
    def _cross_checks(self) -> BootstrapConfig:
        if self.project_id in {self.environments.target(e).project_id for e in ENVIRONMENTS}:
            raise ValueError(
                "projectId: the bootstrap project must not be one of the environments' projects; "
                "keep state, keys and CI identity apart from what they deploy"
            )
        try:
            physical_names(self.org)
        except ValueError as err:
            raise ValueError(f"org: {err}") from None
        return self

    @property
    def names(self) -> Names:
        """Every physical name of the program."""
        return physical_names(self.org)


ERRORS = ErrorFormatter(BootstrapConfig, NAMESPACE, docs="docs/bootstrap.md")


def validate(stack: str, raw: dict[str, str], secret_keys: set[str]) -> BootstrapConfig:
    """Validate the flat config map of ``stack``; raise :class:`ConfigError` on any problem.

    Values are echoed in messages to help the operator, except those of secret keys, which are
    never repeated anywhere.
    """
    data: dict[str, Any] = {}
    problems = []
    for key, value in sorted(raw.items()):
        namespace, _, name = key.partition(":")
        if key in secret_keys:
            problems.append(
                f"{key}: is a secret, but the bootstrap program reads no secrets; "
                f"remove it with `pulumi config rm {key}` (and rotate it if it was a credential)"
            )
        elif key in PROVIDER_KEYS:
            continue
        elif namespace != NAMESPACE:
            problems.append(
                f"{key}: unknown key; the bootstrap program reads `{NAMESPACE}:<key>` "
                f"and {', '.join(sorted(PROVIDER_KEYS))}"
            )
        else:
            data[name] = parse(value)
    if problems:
        raise ConfigError(stack, problems)
    try:
        cfg = BootstrapConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(stack, ERRORS.problems(err)) from None
    provider_project = raw.get("gcp:project")
    if provider_project is not None and provider_project != cfg.project_id:
        raise ConfigError(
            stack,
            [
                f"gcp:project: found {found(provider_project)}, expected {cfg.project_id!r} "
                f"(the same project as {NAMESPACE}:projectId) or no gcp:project at all"
            ],
        )
    return cfg


def load() -> BootstrapConfig:
    """Load and validate the current stack's config; a bad config stops the program cleanly.

    ``pulumi.RunError`` makes the engine print the message without a Python traceback.
    """
    try:
        return validate(pulumi.get_stack(), runtime_config(), runtime_secret_keys())
    except ConfigError as err:
        raise pulumi.RunError(str(err)) from None
