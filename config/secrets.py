"""Playbook §3, §6: the secret catalogue of the stack config (``controlplane:secrets``).

Each entry is a :class:`SecretSpec`. Which readers exist and which env vars they already see
depends on ``services``: that cross-key rule is validated in
:class:`config.runtime.RuntimeSections`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from config.base import Model
from config.common import ENV_RE
from controlplane.fields import matching

EnvVarName = Annotated[
    str, matching(ENV_RE.match, "an env var name like COMPOSIO_API_KEY (A-Z, 0-9, _)")
]
"""The name of the environment variable a secret's readers see it as."""

MAINTENANCE_READER = "maintenance"
"""Reader name of the maintenance jobs' service account in ``secrets[].readers``."""

SYNTHETICS_READER = "synthetics"
"""Reader name of the synthetics private location worker's service account: it reads the
worker's configuration (``monitoring.synthetics.privateLocation``)."""

SIEM_READER = "siem"
"""Reader name of the SIEM forwarding job's worker service account: it reads the Datadog API
key from Secret Manager (``siem.apiKeySecret``)."""

SECRET_CONFIG_KEYS: dict[str, str] = {
    "composioApiKey": "Composio API key (agent tool calls, weekly toolkit sync)",
    "geminiApiKey": "Gemini API key (agent planning, library re-embedding)",
    "googleOauthClientSecret": "Google OAuth client secret (frontend sign-in)",
    "datadogApiKey": "Datadog API key the services ship telemetry with",
    "supabaseDbPassword": "Supabase database password (backup verification restore)",
}
"""Secret config keys (``pulumi config set --secret <key>``) a catalogue entry may name in
``fromConfig``; all in the ``controlplane:`` namespace. Add a key here to offer a new one."""


class SecretSpec(Model):
    """One entry of the secret catalogue (playbook §3, §6)."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,39}$", description="Catalogue name, e.g. composio-api-key."
    )
    description: str = Field(min_length=1, description="What it is; shown in .env.example.")
    env_var: EnvVarName = Field(description="Environment variable the readers see it as.")
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
                "(new keys are added to SECRET_CONFIG_KEYS in config/secrets.py)"
            )
        return value
