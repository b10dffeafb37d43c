"""CiIdentity: keyless GitHub Actions identity, one deployer and one read-only previewer service
account per environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from bootstrap.layout import (
    ATTRIBUTE_MAPPING,
    GITHUB_ISSUER,
    ROLE_PROJECT_IAM_ADMIN,
    ROLE_WORKLOAD_IDENTITY_USER,
    attribute_condition,
    grant_limit,
    policy_data,
    role_slug,
    service_account_resource,
)
from controlplane.naming import Environment


@dataclass(frozen=True)
class CiAccount:
    """A service account of one environment that GitHub jobs may become, and its roles."""

    env: Environment
    """The environment it serves."""
    account_id: str
    """Service-account ID (the part before ``@``)."""
    email: str
    """Service-account e-mail."""
    project_id: str
    """The environment's project: the only project it holds roles on."""
    principal: str
    """The ``principalSet://`` of the GitHub jobs that may impersonate it."""
    roles: tuple[str, ...]
    """Predefined roles it holds on ``project_id``."""


@dataclass(frozen=True)
class Deployer(CiAccount):
    """One environment's deployer identity and everything it is allowed to do."""

    grantable_roles: tuple[str, ...] = ()
    """The only roles it may grant or revoke on ``project_id``."""


@dataclass(frozen=True)
class Previewer(CiAccount):
    """One environment's read-only identity for pull-request previews: its principal is the jobs
    of the GitHub environment ``preview-<env>``, its roles read-only."""


@dataclass(frozen=True)
class CiIdentityArgs:
    """Inputs of :class:`CiIdentity`."""

    project: str
    """The bootstrap project that holds the pool, the provider and the service accounts."""
    pool_id: str
    """Workload identity pool ID."""
    provider_id: str
    """Workload identity pool provider ID."""
    repository: str
    """``owner/repo``: the only repository whose tokens the provider accepts."""
    deployers: Sequence[Deployer]
    """One per environment."""
    previewers: Sequence[Previewer] = ()
    """One per environment."""


class CiIdentity(pulumi.ComponentResource):
    """A workload identity pool and GitHub OIDC provider, and the deployers it may become.

    No service-account key is created: GitHub jobs exchange their OIDC token for a short-lived
    token of their environment's deployer.
    """

    accounts: dict[Environment, gcp.serviceaccount.Account]
    """The deployer service accounts by environment."""
    previewer_accounts: dict[Environment, gcp.serviceaccount.Account]
    """The previewer service accounts by environment."""
    provider: gcp.iam.WorkloadIdentityPoolProvider
    """The OIDC provider (what IAM policies naming deployers depend on)."""

    def __init__(
        self, name: str, args: CiIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:bootstrap:CiIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        pool = gcp.iam.WorkloadIdentityPool(
            f"{name}-pool",
            project=args.project,
            workload_identity_pool_id=args.pool_id,
            display_name="GitHub Actions",
            description=f"CI of {args.repository}",
            disabled=False,
            opts=child,
        )
        self.provider = gcp.iam.WorkloadIdentityPoolProvider(
            f"{name}-provider",
            project=args.project,
            workload_identity_pool_id=args.pool_id,
            workload_identity_pool_provider_id=args.provider_id,
            display_name="GitHub OIDC",
            description=f"Tokens of {args.repository} workflows only",
            disabled=False,
            attribute_mapping=ATTRIBUTE_MAPPING,
            attribute_condition=attribute_condition(args.repository),
            oidc=gcp.iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=GITHUB_ISSUER),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pool]),
        )
        self.accounts = {}
        for deployer in args.deployers:
            self.accounts[deployer.env] = self._deployer(name, args.project, deployer)
        self.previewer_accounts = {}
        for previewer in args.previewers:
            self.previewer_accounts[previewer.env] = self._previewer(name, args.project, previewer)
        self.register_outputs(
            {
                "deployers": {env: sa.email for env, sa in sorted(self.accounts.items())},
                "previewers": {
                    env: sa.email for env, sa in sorted(self.previewer_accounts.items())
                },
            }
        )

    def _ci_account(
        self, prefix: str, project: str, ci: CiAccount, display_name: str, description: str
    ) -> gcp.serviceaccount.Account:
        """The service account, who may impersonate it (its principal, nobody else), and its
        roles on its environment's project."""
        account = gcp.serviceaccount.Account(
            prefix,
            project=project,
            account_id=ci.account_id,
            display_name=display_name,
            description=description,
            opts=pulumi.ResourceOptions(parent=self),
        )
        gcp.serviceaccount.IAMPolicy(
            f"{prefix}-impersonation",
            service_account_id=service_account_resource(ci.account_id, project),
            policy_data=policy_data([(ROLE_WORKLOAD_IDENTITY_USER, [ci.principal], None)]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, self.provider]),
        )
        after_account = pulumi.ResourceOptions(parent=self, depends_on=[account])
        for role in ci.roles:
            gcp.projects.IAMMember(
                f"{prefix}-{role_slug(role)}",
                project=ci.project_id,
                role=role,
                member=f"serviceAccount:{ci.email}",
                opts=after_account,
            )
        return account

    def _deployer(self, name: str, project: str, deployer: Deployer) -> gcp.serviceaccount.Account:
        prefix = f"{name}-{deployer.env}-deployer"
        account = self._ci_account(
            prefix,
            project,
            deployer,
            f"{deployer.env} deployer",
            f"Deploys the {deployer.env} stack from GitHub Actions; no keys",
        )
        limit = grant_limit(deployer.grantable_roles)
        gcp.projects.IAMMember(
            f"{prefix}-{role_slug(ROLE_PROJECT_IAM_ADMIN)}-limited",
            project=deployer.project_id,
            role=ROLE_PROJECT_IAM_ADMIN,
            member=f"serviceAccount:{deployer.email}",
            condition=gcp.projects.IAMMemberConditionArgs(
                title=limit.title, description=limit.description, expression=limit.expression
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        return account

    def _previewer(
        self, name: str, project: str, previewer: Previewer
    ) -> gcp.serviceaccount.Account:
        return self._ci_account(
            f"{name}-{previewer.env}-previewer",
            project,
            previewer,
            f"{previewer.env} previewer",
            f"Previews the {previewer.env} stack for pull requests; read-only, no keys",
        )
