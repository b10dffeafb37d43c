"""The GCP runtime sections of the stack config: services, secrets, vault, maintenance, logging,
containment (playbook §2, §3, §4 logs, §5 containment, §6, §7).

Each ``controlplane:<key>`` of ``Pulumi.<stack>.yaml`` below is one field of
:class:`RuntimeSections`:

- ``services``: Cloud Run services (agent, frontend), :class:`ServiceSpec` each;
- ``secrets``: the secret catalogue, a list of :class:`SecretSpec`;
- ``vault``: Secret Manager settings, :class:`VaultSpec`;
- ``maintenance``: the four scheduled jobs, :class:`MaintenanceSpec`;
- ``logging``: hot/cold log retention and audit logs, :class:`LoggingSpec`;
- ``containment``: one flag: pause every job, send all traffic to the stable revision.

How the rules are split (validate everything before the first resource is registered):

1. **Shape and single-field rules** are pydantic validators on the models below; each message
   says what to write instead.
2. **Cross-key rules** (a secret read by an unknown service, the same env var twice for one
   reader) are validated on the ``secrets`` field against ``services``, so
   :class:`RuntimeSections` must declare ``services`` before ``secrets`` (it does; keep that
   order if the fields are copied into another model). Their errors carry the exact location,
   e.g. ``('secrets', 0, 'readers', 1)``.
3. **Environment rules** (prod runs at least 2 instances, prod uses CMEK, staging and prod keep
   the playbook's 30/180 days) are not model validators: call :func:`validate_for_env` after
   the model validated. It returns ``(path, found, expected)`` triples, empty when all is well,
   with ``path`` in the key-path form ``services.agent.minInstances``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from config.base import IamBindings, Model
from controlplane.fields import is_region, is_role
from controlplane.naming import Environment

RUNTIME_KEYS = ("services", "secrets", "vault", "maintenance", "logging", "containment")
"""The ``controlplane:<key>`` keys this module owns, in validation order."""

MAINTENANCE_READER = "maintenance"
"""Reader name of the maintenance jobs' service account in ``secrets[].readers``."""

JOB_CADENCE: dict[str, Literal["daily", "weekly"]] = {
    "telemetry-vacuum": "daily",
    "library-reembedding": "weekly",
    "composio-sync": "weekly",
    "backup-verification": "weekly",
}
"""Playbook §7: the scheduled maintenance jobs and how often each runs."""

SECRET_CONFIG_KEYS: dict[str, str] = {
    "composioApiKey": "Composio API key (agent tool calls, weekly toolkit sync)",
    "geminiApiKey": "Gemini API key (agent planning, library re-embedding)",
    "googleOauthClientSecret": "Google OAuth client secret (frontend sign-in)",
    "datadogApiKey": "Datadog API key the services ship telemetry with",
    "supabaseDbPassword": "Supabase database password (backup verification restore)",
}
"""Secret config keys (``pulumi config set --secret <key>``) a catalogue entry may name in
``fromConfig``; all in the ``controlplane:`` namespace. Add a key here to offer a new one."""

PLAYBOOK_HOT_DAYS = 30
PLAYBOOK_ARCHIVE_DAYS = 180
PROD_MIN_INSTANCES = 2

# Minimum storage duration per class: deleting earlier is billed as if kept that long.
MIN_STORAGE_DAYS = {"NEARLINE": 30, "COLDLINE": 90, "ARCHIVE": 365}

_IMAGE_RE = re.compile(
    r"^(?P<repo>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+(?=/))?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
_ENV_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CREDENTIAL_RE = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)")
_SERVICE_RE = re.compile(r"^[a-z][a-z0-9-]{0,14}$")
_PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
_RFC3339_UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DOW = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}


def _raise(field: str, problems: list[tuple[tuple[str | int, ...], Any, str]]) -> None:
    """Raise one validation error per problem, each at its exact location under ``field``."""
    raise ValidationError.from_exception_data(
        field,
        [
            InitErrorDetails(
                type=PydanticCustomError("runtime_config", "{message}", {"message": message}),
                loc=loc,
                input=found,
            )
            for loc, found, message in problems
        ],
    )


def _check_image(value: str) -> str:
    match = _IMAGE_RE.match(value)
    if not match or not (match["tag"] or match["digest"]) or match["tag"] == "latest":
        raise ValueError(
            "an image pinned by digest (<registry>/<repo>@sha256:<64 hex>) or by an immutable "
            "tag (<registry>/<repo>:1.4.2); 'latest' and untagged images are refused"
        )
    return value


class ProbeSpec(Model):
    """An HTTP probe of a Cloud Run container (startup or liveness)."""

    path: str = Field(
        default="/healthz", description="HTTP path the probe requests, e.g. `/healthz`."
    )
    initial_delay_seconds: int = Field(
        default=0, ge=0, le=240, description="Seconds before the first probe."
    )
    period_seconds: int = Field(default=10, ge=1, le=240, description="Seconds between probes.")
    timeout_seconds: int = Field(
        default=3, ge=1, le=240, description="Seconds a probe may take (at most the period)."
    )
    failure_threshold: int = Field(
        default=3, ge=1, le=100, description="Consecutive failures before the container fails."
    )

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not re.match(r"^/[A-Za-z0-9._~/-]*$", value):
            raise ValueError("an absolute HTTP path such as /healthz (no query string, no host)")
        return value

    @model_validator(mode="after")
    def _timeout_within_period(self) -> ProbeSpec:
        if self.timeout_seconds > self.period_seconds:
            raise ValueError(
                f"timeoutSeconds ({self.timeout_seconds}) at most periodSeconds "
                f"({self.period_seconds}): lower timeoutSeconds or raise periodSeconds"
            )
        return self


class RolloutSpec(Model):
    """How traffic is split between the stable revision and the candidate revision.

    The candidate is the revision the service template creates (``revision``). ``canary`` gives
    it ``candidatePercent`` of the traffic; ``blue_green`` gives it 0% until ``promoted: true``,
    then 100%. The other revision keeps its tag at 0% for an instant rollback.
    """

    strategy: Literal["canary", "blue_green"] = Field(
        description="`canary` (percentage split) or `blue_green` (0% until promoted, then 100%)."
    )
    stable_revision: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9-]{0,19}$",
        description="Suffix of the revision serving users now (the last good one); omit on the "
        "first deploy. Equal to `revision` once a rollout is finished.",
    )
    candidate_percent: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="canary only: percent of traffic on the candidate revision (0-100).",
    )
    promoted: bool | None = Field(
        default=None,
        description="blue_green only: true sends 100% to the candidate, false keeps it at 0%.",
    )

    @model_validator(mode="after")
    def _knobs_match_strategy(self) -> RolloutSpec:
        if self.strategy == "canary" and self.promoted is not None:
            raise ValueError(
                "promoted is a blue_green setting: for canary promote with candidatePercent: 100"
            )
        if self.strategy == "blue_green" and self.candidate_percent is not None:
            raise ValueError(
                "candidatePercent is a canary setting: blue_green keeps the candidate at 0% "
                "until you set promoted: true"
            )
        return self

    @property
    def candidate_share(self) -> int:
        """Percent of traffic the candidate gets outside containment."""
        if self.strategy == "canary":
            return self.candidate_percent or 0
        return 100 if self.promoted else 0


class ServiceSpec(Model):
    """One Cloud Run v2 service (playbook §3): the FastAPI agent or the Next.js frontend."""

    image: str = Field(description="Container image, pinned by digest or an immutable tag.")
    revision: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,19}$",
        description="Suffix of the revision the template creates (`<org>-<env>-<service>-"
        "<revision>`). Change it with every image or setting change, e.g. v42.",
    )
    port: int = Field(default=8080, ge=1, le=65535, description="Port the container serves.")
    cpu: Literal["1", "2", "4", "6", "8"] = Field(default="1", description="vCPUs per instance.")
    memory: str = Field(
        default="512Mi", pattern=r"^[0-9]+(Mi|Gi)$", description="Memory per instance, e.g. 1Gi."
    )
    min_instances: int = Field(
        default=0, ge=0, le=100, description="Instances kept warm (prod: at least 2)."
    )
    max_instances: int = Field(default=10, ge=1, le=1000, description="Upper scaling bound.")
    concurrency: int = Field(
        default=80, ge=1, le=1000, description="Concurrent requests (SSE streams) per instance."
    )
    request_timeout_seconds: int = Field(
        default=3600,
        ge=1,
        le=3600,
        description="Request timeout; SSE streams stay open up to this long (default 3600).",
    )
    ingress: Literal["all", "internal", "internal-and-cloud-load-balancing"] = Field(
        default="all", description="Where requests may come from."
    )
    public: bool = Field(
        default=False,
        description="Grant roles/run.invoker to allUsers (the only way to make it public).",
    )
    startup_probe: ProbeSpec = Field(
        default_factory=lambda: ProbeSpec(failure_threshold=10),
        description="Startup probe; traffic starts once it passes.",
    )
    liveness_probe: ProbeSpec = Field(
        default_factory=ProbeSpec, description="Liveness probe; failing restarts the instance."
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Plain (non-secret) environment variables; secrets come from the catalogue.",
    )
    iam: IamBindings = Field(
        default_factory=dict, description="Extra service IAM: `{role: [members]}`."
    )
    rollout: RolloutSpec = Field(description="Rollout strategy and traffic split.")

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _check_image(value)

    @field_validator("env")
    @classmethod
    def _env(cls, env: dict[str, str]) -> dict[str, str]:
        problems: list[tuple[tuple[str | int, ...], Any, str]] = []
        for name in env:
            if not _ENV_RE.match(name):
                problems.append(((name,), name, "an env var name like LOG_LEVEL (A-Z, 0-9, _)"))
            elif _CREDENTIAL_RE.search(name):
                problems.append(
                    (
                        (name,),
                        "<value not shown>",
                        f"no credential in plain env: move {name} to controlplane:secrets "
                        "with this service as a reader (bound by secret reference)",
                    )
                )
        if problems:
            _raise("env", problems)
        return env

    @field_validator("iam")
    @classmethod
    def _iam(cls, iam: IamBindings) -> IamBindings:
        problems: list[tuple[tuple[str | int, ...], Any, str]] = []
        for role, members in iam.items():
            if not is_role(role, custom=False):
                problems.append(((role,), role, "a role name like roles/run.invoker"))
            for i, member in enumerate(members):
                if member in _PUBLIC_MEMBERS:
                    problems.append(
                        ((role, i), member, "no public member here: set public: true instead")
                    )
                elif not re.match(r"^(user|group|serviceAccount|domain):\S+$", member):
                    problems.append(((role, i), member, "an IAM member like group:ops@example.com"))
        if problems:
            _raise("iam", problems)
        return iam

    @model_validator(mode="after")
    def _consistent(self) -> ServiceSpec:
        if self.min_instances > self.max_instances:
            raise ValueError(
                f"minInstances ({self.min_instances}) at most maxInstances "
                f"({self.max_instances}): raise maxInstances or lower minInstances"
            )
        stable = self.rollout.stable_revision
        if stable in (None, self.revision) and self.rollout.candidate_share:
            why = "unset" if stable is None else "equal to revision"
            raise ValueError(
                f"rollout: with stableRevision {why}, revision {self.revision!r} is the only "
                "one: set candidatePercent: 0 (canary) or promoted: false (blue_green), or set "
                "stableRevision to the revision serving users now"
            )
        return self

    @property
    def stable(self) -> str:
        """Suffix of the stable revision (the candidate itself before the first rollout)."""
        return self.rollout.stable_revision or self.revision


class SecretSpec(Model):
    """One entry of the secret catalogue (playbook §3, §6)."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,39}$", description="Catalogue name, e.g. composio-api-key."
    )
    description: str = Field(min_length=1, description="What it is; shown in .env.example.")
    env_var: str = Field(description="Environment variable the readers see it as.")
    readers: list[str] = Field(
        min_length=1,
        description="Service names (keys of controlplane:services) or `maintenance` that read it.",
    )
    from_config: str | None = Field(
        default=None,
        description="Secret config key whose value becomes the first version "
        "(`pulumi config set --secret <key>`); omit when another component or an operator "
        "adds versions.",
    )
    local: bool = Field(default=True, description="List it in the Local .env.example.")

    @field_validator("env_var")
    @classmethod
    def _env_var(cls, value: str) -> str:
        if not _ENV_RE.match(value):
            raise ValueError("an env var name like COMPOSIO_API_KEY (A-Z, 0-9, _)")
        return value

    @field_validator("readers")
    @classmethod
    def _unique_readers(cls, readers: list[str]) -> list[str]:
        if len(set(readers)) != len(readers):
            raise ValueError("each reader once: remove the duplicate")
        return readers

    @field_validator("from_config")
    @classmethod
    def _known_config_key(cls, value: str | None) -> str | None:
        if value is not None and value not in SECRET_CONFIG_KEYS:
            raise ValueError(
                f"one of the secret config keys {', '.join(sorted(SECRET_CONFIG_KEYS))} "
                "(new keys are added to SECRET_CONFIG_KEYS in config/runtime.py)"
            )
        return value


class CmekSpec(Model):
    """Customer-managed encryption keys (Cloud KMS)."""

    enabled: bool = Field(default=False, description="Encrypt with our own KMS key (prod: on).")
    rotation_days: int = Field(
        default=90, ge=1, le=90, description="Key rotation period in days (at most quarterly)."
    )


class VaultSpec(Model):
    """Secret Manager settings shared by every catalogue secret."""

    project_number: str = Field(
        pattern=r"^[0-9]{6,20}$",
        description="Numeric project number (service agent e-mails are built from it).",
    )
    replica_locations: list[str] = Field(
        default_factory=list,
        description="Regions to replicate secrets to; empty means automatic replication.",
    )
    cmek: CmekSpec = Field(default_factory=CmekSpec, description="CMEK for every secret.")
    rotation_days: int = Field(
        default=90, ge=1, le=90, description="Rotation reminder period (playbook §6: quarterly)."
    )
    next_rotation_time: str = Field(
        description="Anchor of the rotation calendar, RFC 3339 UTC like 2027-01-04T09:00:00Z: "
        "a new secret's first notice is the first `anchor + k x rotationDays` at least a day "
        "after the deploy; Secret Manager moves it forward by the period after each notice."
    )

    @field_validator("replica_locations")
    @classmethod
    def _locations(cls, locations: list[str]) -> list[str]:
        for location in locations:
            if not is_region(location):
                raise ValueError(f"regions like europe-west1 (found {location!r})")
        if len(set(locations)) != len(locations):
            raise ValueError("each region once: remove the duplicate")
        return locations

    @field_validator("next_rotation_time")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        message = "a UTC timestamp like 2026-01-05T09:00:00Z"
        if not _RFC3339_UTC_RE.match(value):
            raise ValueError(message)
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise ValueError(message) from None
        return value


class MaintenanceJobSpec(Model):
    """One scheduled maintenance job (a Cloud Run job started by Cloud Scheduler)."""

    schedule: str = Field(description="Cron schedule in UTC, e.g. `15 3 * * *` (daily).")
    args: list[str] = Field(
        default_factory=list, description="Container arguments, e.g. [vacuum, --older-than=30d]."
    )
    image: str | None = Field(default=None, description="Overrides maintenance.image.")
    retries: int = Field(default=1, ge=0, le=10, description="Task retries after a failure.")
    deadline_seconds: int = Field(
        default=3600, ge=60, le=86400, description="Task timeout in seconds."
    )
    cpu: Literal["1", "2", "4", "6", "8"] = Field(default="1", description="vCPUs per task.")
    memory: str = Field(default="512Mi", pattern=r"^[0-9]+(Mi|Gi)$", description="Memory.")

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return None if value is None else _check_image(value)


def _cron_problem(schedule: str, cadence: Literal["daily", "weekly"]) -> str | None:
    """Why ``schedule`` does not run at a fixed time with ``cadence``; None when it does."""
    example = "15 3 * * *" if cadence == "daily" else "15 3 * * 0"
    fields = schedule.split()
    ok = len(fields) == 5
    if ok:
        minute, hour, dom, month, dow = fields
        ok = (
            minute.isdigit()
            and int(minute) < 60
            and hour.isdigit()
            and int(hour) < 24
            and dom == "*"
            and month == "*"
        )
        if ok and cadence == "daily":
            ok = dow == "*"
        elif ok:
            ok = (dow.isdigit() and int(dow) <= 6) or dow.upper() in _DOW
    if ok:
        return None
    return f"a {cadence} cron schedule at a fixed UTC time, e.g. '{example}'"


class MaintenanceSpec(Model):
    """Playbook §7: the scheduled maintenance jobs."""

    image: str = Field(description="Default image of the maintenance jobs (digest or tag).")
    time_zone: Literal["UTC"] = Field(
        default="UTC", description="Time zone of the schedules (UTC, like the change calendar)."
    )
    jobs: dict[str, MaintenanceJobSpec] = Field(
        description="Exactly: telemetry-vacuum (daily), library-reembedding, composio-sync, "
        "backup-verification (weekly)."
    )

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _check_image(value)

    @field_validator("jobs")
    @classmethod
    def _the_four_jobs(cls, jobs: dict[str, MaintenanceJobSpec]) -> dict[str, MaintenanceJobSpec]:
        problems: list[tuple[tuple[str | int, ...], Any, str]] = []
        for name in sorted(set(JOB_CADENCE) - set(jobs)):
            problems.append(
                (
                    (name,),
                    None,
                    f"job {name} is missing: add it with a {JOB_CADENCE[name]} schedule "
                    "(playbook §7)",
                )
            )
        for name, job in jobs.items():
            if name not in JOB_CADENCE:
                problems.append(
                    ((name,), name, f"one of the jobs {', '.join(JOB_CADENCE)} (playbook §7)")
                )
                continue
            problem = _cron_problem(job.schedule, JOB_CADENCE[name])
            if problem:
                problems.append(((name, "schedule"), job.schedule, problem))
        if problems:
            _raise("jobs", problems)
        return jobs


DEFAULT_AUDIT_SERVICES = [
    "cloudkms.googleapis.com",
    "cloudscheduler.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
]


class LoggingSpec(Model):
    """Playbook §4 logs and §6 audit: 30 days hot, 180 days cold, data-access audit logs."""

    location: str = Field(default="global", description="Location of the hot log bucket.")
    hot_retention_days: int = Field(
        default=PLAYBOOK_HOT_DAYS, ge=1, le=3650, description="Hot log bucket retention (30)."
    )
    archive_location: str = Field(
        default="EU", description="Location of the archive storage bucket (EU, US or a region)."
    )
    cold_after_days: int = Field(
        default=PLAYBOOK_HOT_DAYS,
        ge=0,
        description="Age at which archived objects move to the cold storage class.",
    )
    cold_storage_class: Literal["NEARLINE", "COLDLINE", "ARCHIVE"] = Field(
        default="COLDLINE", description="Storage class of the cold tier."
    )
    archive_days: int = Field(
        default=PLAYBOOK_ARCHIVE_DAYS, ge=1, description="Age at which archived logs are deleted."
    )
    noncurrent_delete_days: int = Field(
        default=7,
        ge=1,
        le=30,
        description="Days a deleted or overwritten archive object is kept (versioning).",
    )
    filter: str = Field(
        default="", description="Logging filter of what is routed (empty: every log entry)."
    )
    audit_services: list[str] = Field(
        default_factory=lambda: list(DEFAULT_AUDIT_SERVICES),
        min_length=1,
        description="Services whose data-access audit logs are on (or `allServices`).",
    )
    cmek: CmekSpec = Field(
        default_factory=CmekSpec, description="CMEK for the archive bucket (prod: on)."
    )

    @field_validator("audit_services")
    @classmethod
    def _services(cls, services: list[str]) -> list[str]:
        for service in services:
            if service != "allServices" and not re.match(r"^[a-z0-9-]+\.googleapis\.com$", service):
                raise ValueError(
                    f"service names like run.googleapis.com, or allServices (found {service!r})"
                )
        return services

    @model_validator(mode="after")
    def _lifecycle(self) -> LoggingSpec:
        if self.cold_after_days >= self.archive_days:
            raise ValueError(
                f"coldAfterDays ({self.cold_after_days}) below archiveDays "
                f"({self.archive_days}): objects move to cold storage before they are deleted"
            )
        cold_days = self.archive_days - self.cold_after_days
        minimum = MIN_STORAGE_DAYS[self.cold_storage_class]
        if cold_days < minimum:
            fits = [c for c, d in MIN_STORAGE_DAYS.items() if d <= cold_days]
            raise ValueError(
                f"{self.cold_storage_class} bills at least {minimum} days but objects stay "
                f"{cold_days} days in it: use coldStorageClass "
                f"{' or '.join(fits) if fits else 'NEARLINE with a longer archiveDays'}"
            )
        return self


class RuntimeSections(Model):
    """The runtime keys of one stack (see the module docstring for the rule split)."""

    services: dict[str, ServiceSpec] = Field(
        description="Cloud Run services by name (agent, frontend)."
    )
    secrets: list[SecretSpec] = Field(
        default_factory=list, description="The secret catalogue (Secret Manager, .env.example)."
    )
    vault: VaultSpec = Field(description="Secret Manager settings.")
    maintenance: MaintenanceSpec = Field(description="The four scheduled maintenance jobs.")
    logging: LoggingSpec = Field(
        default_factory=LoggingSpec, description="Log retention and audit logs."
    )
    containment: bool = Field(
        default=False,
        description="Playbook §5 containment: pause every scheduled job and send all traffic "
        "to the stable revision (docs/runbooks/containment.md).",
    )

    @field_validator("services")
    @classmethod
    def _service_names(cls, services: dict[str, ServiceSpec]) -> dict[str, ServiceSpec]:
        problems: list[tuple[tuple[str | int, ...], Any, str]] = []
        for name in services:
            if name == MAINTENANCE_READER:
                problems.append(
                    ((name,), name, f"another name: {name!r} is the maintenance jobs' reader")
                )
            elif not _SERVICE_RE.match(name):
                problems.append(
                    ((name,), name, "a service name like agent (a-z, 0-9, '-', 15 at most)")
                )
        if problems:
            _raise("services", problems)
        return services

    @field_validator("secrets")
    @classmethod
    def _catalogue(cls, secrets: list[SecretSpec], info: ValidationInfo) -> list[SecretSpec]:
        services: dict[str, ServiceSpec] | None = info.data.get("services")
        problems: list[tuple[tuple[str | int, ...], Any, str]] = []
        seen_names: dict[str, int] = {}
        for i, secret in enumerate(secrets):
            if secret.name in seen_names:
                problems.append(
                    (
                        (i, "name"),
                        secret.name,
                        f"a unique name: secrets[{seen_names[secret.name]}] is already "
                        f"{secret.name!r}",
                    )
                )
            seen_names.setdefault(secret.name, i)
        if services is None:  # services itself is invalid and reported on its own
            if problems:
                _raise("secrets", problems)
            return secrets
        readers = [*sorted(services), MAINTENANCE_READER]
        # env var -> where it is already defined, per reader
        defined: dict[str, dict[str, str]] = {
            name: {var: f"services.{name}.env" for var in spec.env}
            for name, spec in services.items()
        }
        defined[MAINTENANCE_READER] = {}
        for i, secret in enumerate(secrets):
            for j, reader in enumerate(secret.readers):
                if reader not in defined:
                    problems.append(
                        (
                            (i, "readers", j),
                            reader,
                            f"a reader among {', '.join(readers)}: secret {secret.name!r} "
                            f"names {reader!r}, which is not a service of this stack",
                        )
                    )
                    continue
                earlier = defined[reader].get(secret.env_var)
                if earlier:
                    problems.append(
                        (
                            (i, "envVar"),
                            secret.env_var,
                            f"a distinct env var for reader {reader!r}: {secret.env_var} is "
                            f"already set by {earlier}; rename one of them",
                        )
                    )
                else:
                    defined[reader][secret.env_var] = f"secrets[{i}] ({secret.name})"
        if problems:
            _raise("secrets", problems)
        return secrets

    def readers(self) -> list[str]:
        """Every reader name a catalogue entry may use."""
        return [*sorted(self.services), MAINTENANCE_READER]

    def secret_config_keys(self) -> list[str]:
        """Full ``controlplane:<key>`` names of the secret config keys the catalogue reads."""
        return sorted({f"controlplane:{s.from_config}" for s in self.secrets if s.from_config})


Problem = tuple[str, str, str]
"""``(path, found, expected)``; path like ``services.agent.minInstances``."""


def validate_for_env(env: Environment, sections: RuntimeSections) -> list[Problem]:
    """Environment rules of the runtime sections; an empty list means none is broken."""
    problems: list[Problem] = []
    if env == "prod":
        for name, spec in sorted(sections.services.items()):
            if spec.min_instances < PROD_MIN_INSTANCES:
                problems.append(
                    (
                        f"services.{name}.minInstances",
                        str(spec.min_instances),
                        f"at least {PROD_MIN_INSTANCES} in prod (no cold starts, survives "
                        "an instance loss)",
                    )
                )
        if not sections.vault.cmek.enabled:
            problems.append(
                ("vault.cmek.enabled", "false", "true in prod: secrets encrypted with our KMS key")
            )
        if not sections.logging.cmek.enabled:
            problems.append(
                (
                    "logging.cmek.enabled",
                    "false",
                    "true in prod: the log archive bucket encrypted with our KMS key",
                )
            )
    if env in ("staging", "prod"):
        if sections.logging.hot_retention_days != PLAYBOOK_HOT_DAYS:
            problems.append(
                (
                    "logging.hotRetentionDays",
                    str(sections.logging.hot_retention_days),
                    f"{PLAYBOOK_HOT_DAYS} in {env} (playbook §4: 30 days hot)",
                )
            )
        if sections.logging.archive_days != PLAYBOOK_ARCHIVE_DAYS:
            problems.append(
                (
                    "logging.archiveDays",
                    str(sections.logging.archive_days),
                    f"{PLAYBOOK_ARCHIVE_DAYS} in {env} (playbook §4: 180 days cold storage)",
                )
            )
    return problems
