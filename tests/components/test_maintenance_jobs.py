"""MaintenanceJobs: four Cloud Run jobs, their schedules (UTC), OAuth trigger, containment."""

from __future__ import annotations

import pytest

from components.maintenance_jobs import MaintenanceJobs, MaintenanceJobsArgs
from config.runtime import RuntimeSections
from tests.support.components import PROJECT, REGION, Registered, naming_for, run_program
from tests.support.runtime import sections, vault_of

JOB = "gcp:cloudrunv2/job:Job"
SCHEDULE = "gcp:cloudscheduler/job:Job"
JOB_IAM = "gcp:cloudrunv2/jobIamMember:JobIamMember"
SA_EMAIL = "acme-dev-maint-sa@acme-cp-test.iam.gserviceaccount.com"
KEYS = ["telemetry-vacuum", "library-reembedding", "composio-sync", "backup-verification"]


def _build(
    cfg: RuntimeSections, *, containment: bool = False, with_vault: bool = False
) -> Registered:
    naming = naming_for("dev")

    def program() -> None:
        vault = None
        if with_vault:
            vault = vault_of(naming, cfg, cfg.secrets)
        MaintenanceJobs(
            "maintenance",
            MaintenanceJobsArgs(
                naming=naming,
                project=PROJECT,
                region=REGION,
                spec=cfg.maintenance,
                containment=containment,
                secrets=vault.binding_for("maintenance") if vault else None,
                env={"SUPABASE_URL": "https://example.supabase.co"},
            ),
        )

    config = {"controlplane:composioApiKey": "x"} if with_vault else {}
    return run_program(program, config=config, secret_keys=list(config))


def test_four_cloud_run_jobs_with_their_retries_and_deadlines() -> None:
    reg = _build(sections())
    [component] = reg.of_type("controlplane:runtime:MaintenanceJobs")
    [account] = reg.of_type("gcp:serviceaccount/account:Account")
    assert account.inputs["accountId"] == "acme-dev-maint-sa", account.urn
    jobs = {j.name: j for j in reg.of_type(JOB)}
    assert sorted(jobs) == sorted(f"maintenance-{k}" for k in KEYS)
    expected = {
        "telemetry-vacuum": (2, "3600s", ["vacuum"], "512Mi"),
        "library-reembedding": (1, "14400s", None, "512Mi"),
        "composio-sync": (1, "3600s", None, "512Mi"),
        "backup-verification": (0, "3600s", None, "4Gi"),
    }
    for key, (retries, timeout, args, memory) in expected.items():
        job = jobs[f"maintenance-{key}"]
        assert job.parent == component.urn, job.urn
        assert job.inputs["name"] == f"acme-dev-maint-{key}", job.urn
        assert job.inputs["location"] == REGION, job.urn
        assert job.inputs["deletionProtection"] is False, job.urn
        assert job.inputs["labels"]["job"] == key, job.urn
        assert job.inputs["labels"]["data-class"] == "synthetic", job.urn
        task = job.inputs["template"]["template"]
        assert task["serviceAccount"] == SA_EMAIL, job.urn
        assert task["maxRetries"] == retries, job.urn
        assert task["timeout"] == timeout, job.urn
        [container] = task["containers"]
        assert container.get("args") == args, job.urn
        assert container["image"].endswith("/maintenance:0.9.0"), job.urn
        assert container["resources"]["limits"]["memory"] == memory, job.urn
        assert container["envs"] == [
            {"name": "SUPABASE_URL", "value": "https://example.supabase.co"}
        ], job.urn


def test_scheduler_calls_the_run_endpoint_as_the_jobs_account_in_utc() -> None:
    reg = _build(sections())
    schedules = {s.name: s for s in reg.of_type(SCHEDULE)}
    expected = {
        "telemetry-vacuum": "15 2 * * *",
        "library-reembedding": "0 3 * * 0",
        "composio-sync": "30 3 * * 0",
        "backup-verification": "0 4 * * 0",
    }
    assert sorted(schedules) == sorted(f"maintenance-{k}-schedule" for k in KEYS)
    for key, cron in expected.items():
        schedule = schedules[f"maintenance-{key}-schedule"]
        inputs = schedule.inputs
        assert inputs["schedule"] == cron, schedule.urn
        assert inputs["timeZone"] == "UTC", schedule.urn
        assert inputs["paused"] is False, schedule.urn
        assert inputs["region"] == REGION, schedule.urn
        assert inputs["httpTarget"] == {
            "httpMethod": "POST",
            "uri": f"https://run.googleapis.com/v2/projects/{PROJECT}/locations/{REGION}/jobs/"
            f"acme-dev-maint-{key}:run",
            "oauthToken": {
                "serviceAccountEmail": SA_EMAIL,
                "scope": "https://www.googleapis.com/auth/cloud-platform",
            },
        }, schedule.urn
        invoker = reg.named(f"maintenance-{key}-invoker")
        assert invoker.inputs == {
            "location": REGION,
            "member": f"serviceAccount:{SA_EMAIL}",
            "name": f"acme-dev-maint-{key}",
            "project": PROJECT,
            "role": "roles/run.invoker",
        }, invoker.urn
        assert invoker.urn in schedule.dependencies, schedule.urn
    assert len(reg.of_type(JOB_IAM)) == 4


def test_containment_pauses_every_schedule() -> None:
    reg = _build(sections(), containment=True)
    schedules = reg.of_type(SCHEDULE)
    assert len(schedules) == 4
    for schedule in schedules:
        assert schedule.inputs["paused"] is True, schedule.urn


def test_jobs_read_the_maintenance_secrets_by_reference() -> None:
    reg = _build(sections(), with_vault=True)
    grants = reg.of_type("gcp:secretmanager/secretIamMember:SecretIamMember")
    assert [(g.inputs["secretId"], g.inputs["member"]) for g in grants] == [
        ("acme-dev-vault-composio-api-key", f"serviceAccount:{SA_EMAIL}")
    ]
    for job in reg.of_type(JOB):
        [container] = job.inputs["template"]["template"]["containers"]
        assert container["envs"][-1] == {
            "name": "COMPOSIO_API_KEY",
            "valueSource": {
                "secretKeyRef": {"secret": "acme-dev-vault-composio-api-key", "version": "latest"}
            },
        }, job.urn
        assert grants[0].urn in job.dependencies, job.urn


pytestmark = pytest.mark.playbook(
    "containment",
    "library-re-embedding",
    "telemetry-vacuum",
    "composio-sync",
    "backup-verification",
)
