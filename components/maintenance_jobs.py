"""MaintenanceJobs: the playbook §7 jobs as Cloud Run jobs started by Cloud Scheduler.

Telemetry vacuum (daily), library re-embedding, Composio sync and backup verification restore
(weekly). All run as one dedicated service account, which is also the identity Cloud Scheduler
uses (OAuth) to call the Cloud Run Admin API ``jobs:run`` endpoint; it may invoke exactly
these jobs. Containment (playbook §5) pauses every schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from components.cloud_run import JOB_ENV, container_envs
from components.secret_vault import SecretBinding
from config.maintenance import MaintenanceSpec
from controlplane.naming import Naming
from controlplane.playbook import JOB_CADENCE

COMPONENT = "maint"
INVOKER_ROLE = "roles/run.invoker"
OAUTH_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
SCHEDULER_ATTEMPT_DEADLINE = "180s"
"""How long Cloud Scheduler waits for ``jobs:run`` to accept the execution (not the job's
own deadline, which is ``deadlineSeconds`` per task)."""
SCHEDULER_RETRIES = 2
"""Retries of a failed ``jobs:run`` call (the call only starts an execution)."""


def run_endpoint(project: str, region: str, job: pulumi.Input[str]) -> pulumi.Output[str]:
    """The Cloud Run Admin API v2 URL that starts an execution of ``job``."""
    return pulumi.Output.concat(
        "https://run.googleapis.com/v2/projects/",
        project,
        "/locations/",
        region,
        "/jobs/",
        job,
        ":run",
    )


@dataclass(frozen=True)
class MaintenanceJobsArgs:
    """Inputs of :class:`MaintenanceJobs`."""

    naming: Naming
    """Names and labels of the environment."""

    project: str
    """GCP project id."""

    region: str
    """Region of the Cloud Run jobs and the scheduler jobs."""

    spec: MaintenanceSpec
    """The validated ``controlplane:maintenance`` section."""

    containment: bool = False
    """Playbook §5 containment: every schedule paused."""

    secrets: SecretBinding | None = None
    """The jobs' secrets (reader ``maintenance``) from :meth:`SecretVault.binding_for`."""

    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain env vars for every job from other components (e.g. the Supabase URL)."""

    deletion_protection: bool = False
    """Cloud Run deletion protection on the jobs (prod)."""


class MaintenanceJobs(pulumi.ComponentResource):
    """The four scheduled maintenance jobs and their service account."""

    service_account_email: pulumi.Output[str]
    """E-mail of the jobs' service account (runs the jobs and triggers them)."""

    job_names: dict[str, pulumi.Output[str]]
    """Job key (telemetry-vacuum, ...) -> Cloud Run job name, e.g. for failure monitors."""

    def __init__(
        self,
        name: str,
        args: MaintenanceJobsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("controlplane:runtime:MaintenanceJobs", name, None, opts)
        naming, spec = args.naming, args.spec
        secret_env = dict(args.secrets.env) if args.secrets else {}
        clash = sorted(set(secret_env) & set(args.env))
        if clash:
            raise ValueError(
                f"maintenance jobs: env var {clash[0]} comes from a secret and from env; "
                "rename one of them"
            )
        account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=naming.physical(COMPONENT, "sa", max_len=30),
            project=args.project,
            display_name=f"Maintenance jobs ({naming.env})",
            description="Runs and triggers the scheduled maintenance jobs (playbook §7).",
            opts=pulumi.ResourceOptions(parent=self),
        )
        grants = args.secrets.grant(account.member) if args.secrets else []
        envs = container_envs(JOB_ENV, args.env, secret_env)

        self.job_names = {}
        for key in JOB_CADENCE:  # the playbook's order, for a stable registration order
            job_spec = spec.jobs[key]
            labels = naming.labels(component=COMPONENT, job=key)
            job = gcp.cloudrunv2.Job(
                f"{name}-{key}",
                name=naming.physical(COMPONENT, key),
                project=args.project,
                location=args.region,
                labels=labels,
                deletion_protection=args.deletion_protection,
                template=gcp.cloudrunv2.JobTemplateArgs(
                    labels=labels,
                    task_count=1,
                    template=gcp.cloudrunv2.JobTemplateTemplateArgs(
                        service_account=account.email,
                        max_retries=job_spec.retries,
                        timeout=f"{job_spec.deadline_seconds}s",
                        containers=[
                            gcp.cloudrunv2.JobTemplateTemplateContainerArgs(
                                name=key,
                                image=job_spec.image or spec.image,
                                args=list(job_spec.args) or None,
                                resources=gcp.cloudrunv2.JobTemplateTemplateContainerResourcesArgs(
                                    limits={"cpu": job_spec.cpu, "memory": job_spec.memory}
                                ),
                                envs=envs,
                            )
                        ],
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
            )
            invoker = gcp.cloudrunv2.JobIamMember(
                f"{name}-{key}-invoker",
                project=args.project,
                location=args.region,
                name=job.name,
                role=INVOKER_ROLE,
                member=account.member,
                opts=pulumi.ResourceOptions(parent=self),
            )
            gcp.cloudscheduler.Job(
                f"{name}-{key}-schedule",
                name=naming.physical(COMPONENT, key),
                project=args.project,
                region=args.region,
                description=f"Starts {key} ({JOB_CADENCE[key]}, playbook §7)",
                schedule=job_spec.schedule,
                time_zone=spec.time_zone,
                paused=args.containment,
                attempt_deadline=SCHEDULER_ATTEMPT_DEADLINE,
                retry_config=gcp.cloudscheduler.JobRetryConfigArgs(
                    retry_count=SCHEDULER_RETRIES,
                    min_backoff_duration="30s",
                    max_backoff_duration="300s",
                ),
                http_target=gcp.cloudscheduler.JobHttpTargetArgs(
                    http_method="POST",
                    uri=run_endpoint(args.project, args.region, job.name),
                    oauth_token=gcp.cloudscheduler.JobHttpTargetOauthTokenArgs(
                        service_account_email=account.email, scope=OAUTH_SCOPE
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[invoker]),
            )
            self.job_names[key] = job.name

        self.service_account_email = account.email
        self.register_outputs(
            {"serviceAccountEmail": self.service_account_email, "jobNames": self.job_names}
        )
