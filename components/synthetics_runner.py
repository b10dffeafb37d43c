"""SyntheticsRunner: a Datadog synthetics private location run inside the environment.

The agent is not public: Cloud Run lets through only callers holding ``roles/run.invoker``
that send a Google-signed ID token. Datadog's managed locations can do neither (API tests
authenticate with basic, digest, NTLM, SigV4, OAuth 2.0 or client certificates, none of which
yields a Google ID token), so the tests run from a private location inside the project:

- a ``datadog.SyntheticsPrivateLocation`` whose worker configuration (a secret output) is
  stored in the vault's ``synthetics-worker-config`` secret;
- its own service account, which the caller grants ``roles/run.invoker`` on the services the
  tests call (``AgentService.allow_invoker``);
- a Cloud Run worker pool (pull-based, no ingress) running the worker image as that account
  with the configuration mounted as a file.

A test running there first fetches an ID token for that account from the metadata server,
then calls the agent with it (components/synthetics.py). docs/synthetics.md has the reasons
and sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_datadog as datadog
import pulumi_gcp as gcp

from components.secret_vault import SecretBinding
from config.monitoring import PrivateLocation
from controlplane.naming import Naming

CONFIG_SECRET = "synthetics-worker-config"  # noqa: S105  # nosec B105: a catalogue name
"""Catalogue name of the secret holding the worker configuration (``controlplane:secrets``)."""
CONFIG_DIR = "/etc/synthetics"
CONFIG_FILE = "synthetics-check-runner.json"
RUNNER_TAG = "runner-account"
"""Tag of the private location naming the account id its workers run as (read by the policy
iam-probe-missing-invoker-grant)."""


@dataclass(frozen=True)
class SyntheticsRunnerArgs:
    """Inputs of :class:`SyntheticsRunner`."""

    naming: Naming
    """Names, labels and tags of the environment."""
    project: str
    """GCP project id."""
    region: str
    """Cloud Run region of the worker pool."""
    spec: PrivateLocation
    """``monitoring.synthetics.privateLocation``: image and size of the workers."""
    secrets: SecretBinding
    """The vault's binding for reader ``synthetics`` (its ``synthetics-worker-config``)."""
    store_config: Callable[[pulumi.Output[str]], pulumi.Resource]
    """Stores the worker configuration (a secret Output) as that secret's version, e.g.
    ``lambda value: vault.add_version("synthetics-worker-config", value)``."""


class SyntheticsRunner(pulumi.ComponentResource):
    """A private location, its worker pool and the workers' service account."""

    location_id: pulumi.Output[str]
    """The private location's id (``pl:...``), for the tests' ``locations``."""
    service_account_member: pulumi.Output[str]
    """The workers' account as an IAM member, to grant ``roles/run.invoker`` to."""
    worker_pool: gcp.cloudrunv2.WorkerPool
    """The Cloud Run worker pool running the workers."""

    def __init__(
        self, name: str, args: SyntheticsRunnerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:observability:SyntheticsRunner", name, None, opts)
        naming = args.naming
        account_id = naming.physical("synthetics", "sa", max_len=30)
        self._account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=account_id,
            project=args.project,
            display_name=f"Synthetics private location ({naming.env})",
            description="Runs the Datadog private location workers; invokes what the tests call.",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._location = datadog.SyntheticsPrivateLocation(
            f"{name}-location",
            name=naming.physical("synthetics"),
            description=f"Cloud Run worker pool in {args.project} ({naming.env})",
            tags=[*naming.tags(component="synthetics"), f"{RUNNER_TAG}:{account_id}"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        args.store_config(self._location.config)
        secret_id = args.secrets.env[_env_var(args.secrets)]
        grants = args.secrets.grant(self._account.member)
        labels = naming.labels(component="synthetics")
        self.worker_pool = gcp.cloudrunv2.WorkerPool(
            f"{name}-workers",
            name=naming.physical("synthetics"),
            project=args.project,
            location=args.region,
            labels=labels,
            launch_stage="GA",
            scaling=gcp.cloudrunv2.WorkerPoolScalingArgs(
                scaling_mode="MANUAL", manual_instance_count=args.spec.workers
            ),
            template=gcp.cloudrunv2.WorkerPoolTemplateArgs(
                service_account=self._account.email,
                labels=labels,
                containers=[
                    gcp.cloudrunv2.WorkerPoolTemplateContainerArgs(
                        name="worker",
                        image=args.spec.image,
                        args=[f"--config={CONFIG_DIR}/{CONFIG_FILE}", "--logFormat=json"],
                        resources=gcp.cloudrunv2.WorkerPoolTemplateContainerResourcesArgs(
                            limits={"cpu": args.spec.cpu, "memory": args.spec.memory}
                        ),
                        volume_mounts=[
                            gcp.cloudrunv2.WorkerPoolTemplateContainerVolumeMountArgs(
                                name="worker-config", mount_path=CONFIG_DIR
                            )
                        ],
                    )
                ],
                volumes=[
                    gcp.cloudrunv2.WorkerPoolTemplateVolumeArgs(
                        name="worker-config",
                        secret=gcp.cloudrunv2.WorkerPoolTemplateVolumeSecretArgs(
                            secret=secret_id,
                            items=[
                                gcp.cloudrunv2.WorkerPoolTemplateVolumeSecretItemArgs(
                                    path=CONFIG_FILE, version="latest"
                                )
                            ],
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
        )
        self.location_id = self._location.id
        self.service_account_member = self._account.member
        self.register_outputs(
            {
                "locationId": self.location_id,
                "serviceAccountEmail": self._account.email,
                "workerPool": self.worker_pool.name,
            }
        )


def _env_var(binding: SecretBinding) -> str:
    """The one env var name of the worker's binding (its configuration secret)."""
    if len(binding.env) != 1:
        raise ValueError(
            f"secret reader {binding.reader!r} must read exactly one secret, "
            f"{CONFIG_SECRET}; it reads {len(binding.env)}: fix controlplane:secrets"
        )
    return next(iter(binding.env))
