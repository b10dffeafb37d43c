"""The GCP runtime keys of the stack config together: services, secrets, vault, maintenance,
logging, SIEM forwarding, containment (playbook §2, §3, §4 logs, §5 containment, §6, §7).

Each key's model lives in its own module (``config/services.py``, ``config/secrets.py``,
``config/vault.py``, ``config/maintenance.py``, ``config/logging.py``, ``config/siem.py``);
:class:`RuntimeSections` composes them, on its own for the ``.env.example`` writer and inside
the whole stack's model.

How the rules are split (validate everything before the first resource is registered):

1. **Shape and single-field rules** are pydantic validators on each key's models; each message
   says what to write instead.
2. **Cross-key rules** (a secret read by an unknown service, the same env var twice for one
   reader) are validated on the ``secrets`` field against ``services``, and the SIEM's API key
   secret on the ``siem`` field against ``secrets``, so :class:`RuntimeSections` must declare
   ``services``, then ``secrets``, then ``siem`` (it does; keep that order if the fields are
   copied into another model). Their errors carry the exact location,
   e.g. ``('secrets', 0, 'readers', 1)``.
3. **Environment rules** (prod runs at least 2 instances, prod uses CMEK, staging and prod keep
   the playbook's 30/180 days) are not model validators: :meth:`RuntimeSections.env_rules`
   gathers each key's ``env_rules(env)`` after the model validated, as
   :class:`config.base.Problem` with paths like ``services.agent.minInstances``.
"""

from __future__ import annotations

import re

from pydantic import Field, ValidationInfo, field_validator

from config.base import Model, Problem
from config.common import Located, raise_at
from config.logging import LoggingSpec
from config.maintenance import MaintenanceSpec
from config.secrets import MAINTENANCE_READER, SIEM_READER, SYNTHETICS_READER, SecretSpec
from config.services import ServiceSpec
from config.siem import SiemSpec
from config.vault import VaultSpec

RUNTIME_KEYS = (
    "services",
    "secrets",
    "vault",
    "maintenance",
    "logging",
    "siem",
    "containment",
)
"""The ``controlplane:<key>`` keys composed here, in validation order."""

_SERVICE_RE = re.compile(r"^[a-z][a-z0-9-]{0,14}$")
RESERVED_READERS = (MAINTENANCE_READER, SYNTHETICS_READER, SIEM_READER)
SIEM_ENVIRONMENTS = ("staging", "prod")
"""Environments that must forward their logs to the SIEM (``controlplane:siem`` required)."""
"""Secret readers that are not services: no service may take their names."""


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
    siem: SiemSpec | None = Field(
        default=None,
        description="Forwarding of the application and audit logs to the SIEM (Datadog, "
        "playbook §4); required in staging and prod.",
    )
    containment: bool = Field(
        default=False,
        description="Playbook §5 containment: pause every scheduled job and send all traffic "
        "to the stable revision (docs/runbooks/containment.md).",
    )

    @field_validator("services")
    @classmethod
    def _service_names(cls, services: dict[str, ServiceSpec]) -> dict[str, ServiceSpec]:
        problems: list[Located] = []
        for name in services:
            if name in RESERVED_READERS:
                problems.append(
                    ((name,), name, f"another name: {name!r} is a reserved secret reader")
                )
            elif not _SERVICE_RE.match(name):
                problems.append(
                    ((name,), name, "a service name like agent (a-z, 0-9, '-', 15 at most)")
                )
        if problems:
            raise_at("services", problems)
        return services

    @field_validator("secrets")
    @classmethod
    def _catalogue(cls, secrets: list[SecretSpec], info: ValidationInfo) -> list[SecretSpec]:
        services: dict[str, ServiceSpec] | None = info.data.get("services")
        problems: list[Located] = []
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
                raise_at("secrets", problems)
            return secrets
        readers = [*sorted(services), *RESERVED_READERS]
        # env var -> where it is already defined, per reader
        defined: dict[str, dict[str, str]] = {
            name: {var: f"services.{name}.env" for var in spec.env}
            for name, spec in services.items()
        }
        for reader in RESERVED_READERS:
            defined[reader] = {}
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
            raise_at("secrets", problems)
        return secrets

    @field_validator("siem")
    @classmethod
    def _siem_key(cls, siem: SiemSpec | None, info: ValidationInfo) -> SiemSpec | None:
        secrets: list[SecretSpec] | None = info.data.get("secrets")
        if siem is None or secrets is None:  # an invalid catalogue is reported on its own
            return siem
        spec = next((s for s in secrets if s.name == siem.api_key_secret), None)
        if spec is None:
            names = ", ".join(s.name for s in secrets) or "none"
            raise_at(
                "siem",
                [
                    (
                        ("apiKeySecret",),
                        siem.api_key_secret,
                        f"a catalogue secret holding the Datadog API key (controlplane:secrets "
                        f"has {names}); add it there with the reader {SIEM_READER!r}",
                    )
                ],
            )
        elif SIEM_READER not in spec.readers:
            raise_at(
                "siem",
                [
                    (
                        ("apiKeySecret",),
                        siem.api_key_secret,
                        f"a secret the forwarding job may read: add {SIEM_READER!r} to the "
                        f"readers of secret {spec.name!r} in controlplane:secrets",
                    )
                ],
            )
        return siem

    def readers(self) -> list[str]:
        """Every reader name a catalogue entry may use."""
        return [*sorted(self.services), *RESERVED_READERS]

    def secret_config_keys(self) -> list[str]:
        """Full ``controlplane:<key>`` names of the secret config keys the catalogue reads."""
        return sorted({f"controlplane:{s.from_config}" for s in self.secrets if s.from_config})

    def env_rules(self, env: str) -> list[Problem]:
        """Environment rules of the runtime keys; an empty list means none is broken."""
        problems = [
            p.under(f"services.{name}")
            for name, spec in sorted(self.services.items())
            for p in spec.env_rules(env)
        ]
        problems += [p.under("vault") for p in self.vault.env_rules(env)]
        problems += [p.under("logging") for p in self.logging.env_rules(env)]
        if self.siem is not None:
            problems += [p.under("siem") for p in self.siem.env_rules(env)]
        elif env in SIEM_ENVIRONMENTS:
            problems.append(
                Problem.found(
                    "siem",
                    "none",
                    f"the SIEM forwarding section in {env} (playbook §4: forward to SIEM for "
                    "anomaly detection; docs/config.md, controlplane:siem)",
                )
            )
        return problems
