"""Playbook §3: the Cloud Run services of the stack config (``controlplane:services``).

Each entry is a :class:`ServiceSpec`: image, revision, sizing, probes, plain env, IAM and the
rollout (canary or blue/green). Environment rule (:meth:`ServiceSpec.env_rules`): prod keeps at
least :data:`PROD_MIN_INSTANCES` instances warm.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.base import IamBindings, Model, Problem
from config.common import ENV_RE, Located, PinnedImage, raise_at
from config.credentials import credential_in
from controlplane.fields import is_role, matching

PROD_MIN_INSTANCES = 2

_CREDENTIAL_RE = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)")
_PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/-]*$")

HttpPath = Annotated[
    str,
    matching(_PATH_RE.match, "an absolute HTTP path such as /healthz (no query string, no host)"),
]
"""An absolute HTTP path without query string or host."""


class ProbeSpec(Model):
    """An HTTP probe of a Cloud Run container (startup or liveness)."""

    path: HttpPath = Field(
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

    image: PinnedImage = Field(description="Container image, pinned by digest or an immutable tag.")
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

    @field_validator("env")
    @classmethod
    def _env(cls, env: dict[str, str]) -> dict[str, str]:
        problems: list[Located] = []
        for name, value in env.items():
            kind = credential_in(value)
            if not ENV_RE.match(name):
                problems.append(((name,), name, "an env var name like LOG_LEVEL (A-Z, 0-9, _)"))
            elif kind is not None:
                problems.append(
                    (
                        (name,),
                        "<value not shown>",
                        f"no credential in plain env: the value holds {kind}; put it in "
                        f"controlplane:secrets with env var {name} and this service as a reader "
                        "(the secret vault binding: Secret Manager, bound by secret reference), "
                        "then rotate it",
                    )
                )
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
            raise_at("env", problems)
        return env

    @field_validator("iam")
    @classmethod
    def _iam(cls, iam: IamBindings) -> IamBindings:
        problems: list[Located] = []
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
            raise_at("iam", problems)
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

    def env_rules(self, env: str) -> list[Problem]:
        """Environment rules of this service; paths are relative to ``services.<name>``."""
        if env == "prod" and self.min_instances < PROD_MIN_INSTANCES:
            return [
                Problem.found(
                    "minInstances",
                    str(self.min_instances),
                    f"at least {PROD_MIN_INSTANCES} in prod (no cold starts, survives "
                    "an instance loss)",
                )
            ]
        return []
