"""AgentService: one Cloud Run v2 service (playbook §3), used for the FastAPI agent and the
containerized Next.js frontend.

Each service runs as its own service account (never the default compute account), keeps CPU
allocated and a long request timeout so SSE streams are not cut, has startup and liveness
probes, and splits traffic between two named revisions:

- the **candidate**: the revision the template creates now, ``<service>-<revision>``;
- the **stable** revision: ``<service>-<rollout.stableRevision>``, the last good one.

:func:`traffic_plan` turns the rollout config into the traffic list (``canary``: the candidate
gets ``candidatePercent``; ``blue_green``: 0% until ``promoted``, then 100%). With containment
on, the stable revision gets 100%. docs/rollout.md has the operator's steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import pulumi
import pulumi_gcp as gcp

from components.cloud_run import SERVICE_ENV, container_envs
from components.secret_vault import SecretBinding
from config.services import ProbeSpec, ServiceSpec
from controlplane.naming import Naming, slug

STABLE_TAG = "stable"
CANDIDATE_TAG = "candidate"
INVOKER_ROLE = "roles/run.invoker"
REVISION_TRAFFIC = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
INGRESS = {
    "all": "INGRESS_TRAFFIC_ALL",
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
}


@dataclass(frozen=True)
class TrafficTarget:
    """One entry of a Cloud Run service's traffic list."""

    revision: str
    percent: int
    tag: str


def traffic_plan(
    naming: Naming, service: str, spec: ServiceSpec, containment: bool
) -> list[TrafficTarget]:
    """The traffic list for ``spec``'s rollout state (stable first, then the candidate)."""
    candidate = naming.physical(service, spec.revision)
    stable = naming.physical(service, spec.stable)
    if stable == candidate:
        return [TrafficTarget(candidate, 100, STABLE_TAG)]
    share = 0 if containment else spec.rollout.candidate_share
    return [
        TrafficTarget(stable, 100 - share, STABLE_TAG),
        TrafficTarget(candidate, share, CANDIDATE_TAG),
    ]


@dataclass(frozen=True)
class AgentServiceArgs:
    """Inputs of :class:`AgentService`."""

    naming: Naming
    """Names and labels of the environment."""

    project: str
    """GCP project id."""

    region: str
    """Cloud Run region."""

    service: str
    """The service's name in ``controlplane:services`` (agent, frontend); physical names are
    ``<org>-<env>-<service>``."""

    spec: ServiceSpec
    """The validated service config."""

    containment: bool = False
    """Playbook §5 containment: all traffic to the stable revision."""

    secrets: SecretBinding | None = None
    """The service's secrets from :meth:`SecretVault.binding_for`, bound as env vars by
    reference; the service waits for their accessor grants."""

    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain env vars from other components (e.g. the agent's URL for the frontend), added to
    ``spec.env``; never credentials."""

    deletion_protection: bool = False
    """Cloud Run deletion protection (prod)."""


class AgentService(pulumi.ComponentResource):
    """A Cloud Run v2 service with its own service account, probes and revision traffic split."""

    url: pulumi.Output[str]
    """The service's main URL (what synthetics and the frontend call)."""

    service_name: pulumi.Output[str]
    """Cloud Run service name (``<org>-<env>-<service>``), e.g. for monitors."""

    service_account_email: pulumi.Output[str]
    """E-mail of the service's own service account."""

    service_account_member: pulumi.Output[str]
    """The same account as an IAM member (``serviceAccount:<email>``)."""

    traffic: list[TrafficTarget]
    """The traffic list declared for this deployment."""

    def __init__(
        self,
        name: str,
        args: AgentServiceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("controlplane:runtime:AgentService", name, None, opts)
        self._name = name
        naming, spec = args.naming, args.spec
        labels = naming.labels(component=args.service)
        env_conflicts = sorted(set(args.env) & set(spec.env))
        secret_env = dict(args.secrets.env) if args.secrets else {}
        env_conflicts += sorted((set(args.env) | set(spec.env)) & set(secret_env))
        if env_conflicts:
            raise ValueError(
                f"service {args.service}: env var {env_conflicts[0]} is set twice; "
                "rename one of them"
            )

        account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=naming.physical(args.service, "sa", max_len=30),
            project=args.project,
            display_name=f"Cloud Run {args.service} ({naming.env})",
            description=f"Runs the {args.service} Cloud Run service; reads only its secrets.",
            opts=pulumi.ResourceOptions(parent=self),
        )
        grants = args.secrets.grant(account.member) if args.secrets else []

        plain: dict[str, pulumi.Input[str]] = {**spec.env, **args.env}
        envs = container_envs(SERVICE_ENV, plain, secret_env)
        self.traffic = traffic_plan(naming, args.service, spec, args.containment)
        service = gcp.cloudrunv2.Service(
            f"{name}-service",
            name=naming.physical(args.service),
            project=args.project,
            location=args.region,
            ingress=INGRESS[spec.ingress],
            labels=labels,
            deletion_protection=args.deletion_protection,
            template=gcp.cloudrunv2.ServiceTemplateArgs(
                revision=naming.physical(args.service, spec.revision),
                service_account=account.email,
                labels=labels,
                timeout=f"{spec.request_timeout_seconds}s",
                max_instance_request_concurrency=spec.concurrency,
                execution_environment="EXECUTION_ENVIRONMENT_GEN2",
                scaling=gcp.cloudrunv2.ServiceTemplateScalingArgs(
                    min_instance_count=spec.min_instances,
                    max_instance_count=spec.max_instances,
                ),
                containers=[
                    gcp.cloudrunv2.ServiceTemplateContainerArgs(
                        name=args.service,
                        image=spec.image,
                        ports=gcp.cloudrunv2.ServiceTemplateContainerPortsArgs(
                            name="http1", container_port=spec.port
                        ),
                        resources=gcp.cloudrunv2.ServiceTemplateContainerResourcesArgs(
                            limits={"cpu": spec.cpu, "memory": spec.memory},
                            # CPU stays allocated between requests: SSE streams keep working.
                            cpu_idle=False,
                            startup_cpu_boost=True,
                        ),
                        envs=envs,
                        startup_probe=_http_probe(
                            gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs,
                            gcp.cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs,
                            spec.startup_probe,
                            spec.port,
                        ),
                        liveness_probe=_http_probe(
                            gcp.cloudrunv2.ServiceTemplateContainerLivenessProbeArgs,
                            gcp.cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGetArgs,
                            spec.liveness_probe,
                            spec.port,
                        ),
                    )
                ],
            ),
            traffics=[
                gcp.cloudrunv2.ServiceTrafficArgs(
                    type=REVISION_TRAFFIC, revision=t.revision, percent=t.percent, tag=t.tag
                )
                for t in self.traffic
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
        )
        self._service = service
        self._project = args.project
        self._region = args.region

        iam = {role: list(members) for role, members in spec.iam.items()}
        if spec.public:
            iam.setdefault(INVOKER_ROLE, []).append("allUsers")
        for role, members in sorted(iam.items()):
            for member in sorted(members):
                self._iam_member(role, member, f"{slug(role.rsplit('/', 1)[-1])}-{slug(member)}")

        self.url = service.uri
        self.service_name = service.name
        self.service_account_email = account.email
        self.service_account_member = account.member
        self.register_outputs(
            {
                "url": self.url,
                "serviceName": self.service_name,
                "serviceAccountEmail": self.service_account_email,
            }
        )

    def _iam_member(
        self, role: str, member: pulumi.Input[str], suffix: str
    ) -> gcp.cloudrunv2.ServiceIamMember:
        return gcp.cloudrunv2.ServiceIamMember(
            f"{self._name}-{suffix}",
            project=self._project,
            location=self._region,
            name=self._service.name,
            role=role,
            member=member,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def allow_invoker(
        self, caller: str, member: pulumi.Input[str]
    ) -> gcp.cloudrunv2.ServiceIamMember:
        """Let ``member`` (e.g. another service's account, an Output) invoke this service.

        ``caller`` names the grant (``frontend`` -> logical name ``<name>-invoker-frontend``).
        """
        return self._iam_member(INVOKER_ROLE, member, f"invoker-{slug(caller)}")


_Probe = TypeVar(
    "_Probe",
    gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs,
    gcp.cloudrunv2.ServiceTemplateContainerLivenessProbeArgs,
)


def _http_probe(
    probe_args: Callable[..., _Probe],
    http_get_args: Callable[..., object],
    probe: ProbeSpec,
    port: int,
) -> _Probe:
    """An HTTP probe of the container's ``port``; the startup and liveness probes differ only
    in the Cloud Run argument types (``probe_args`` and its ``http_get_args``)."""
    return probe_args(
        initial_delay_seconds=probe.initial_delay_seconds,
        period_seconds=probe.period_seconds,
        timeout_seconds=probe.timeout_seconds,
        failure_threshold=probe.failure_threshold,
        http_get=http_get_args(path=probe.path, port=port),
    )
