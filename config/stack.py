"""The typed stack configuration: every key of Pulumi.<stack>.yaml has a field here.

Config is read from the Pulumi runtime (the same map `pulumi up` and the offline preflight
set), validated in full before the first resource is registered, and any problem becomes a
:class:`ConfigError` whose lines name the stack, the key path, what was found and what is
expected. Secrets are not part of this model: they are listed in :data:`SECRET_KEYS` and read
with ``require_secret`` by the components that need them.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pulumi
from pydantic import Field, ValidationError, model_validator

from config.base import Problem
from config.credentials import credential_in
from config.environment import AccessList, GcpSettings
from config.errors import (
    ConfigError,
    ErrorFormatter,
    parse,
    runtime_config,
    runtime_secret_keys,
)
from config.observability import ObservabilitySections
from config.runtime import RuntimeSections
from config.secrets import SECRET_CONFIG_KEYS
from config.supabase import SupabaseSection
from controlplane.fields import Org
from controlplane.naming import DataClass, Environment, Naming
from controlplane.playbook import MATRIX

PROJECT = "controlplane"

SECRET_KEYS: dict[str, str] = {
    "controlplane:supabaseAccessToken": "Supabase Management API token (settings, keys)",
    "datadog:apiKey": "Datadog API key of the provider (monitors, SLOs, synthetics)",
    "datadog:appKey": "Datadog application key of the provider",
    "pagerduty:token": "PagerDuty REST API token of the provider (schedules, services)",
}
"""Secret config keys (``pulumi config set --secret <key>``) and what each is for.

The README's table is generated from it; a key here that a stack file holds in clear is an
error that never echoes the value.
"""

# Provider namespaces whose keys the program reads; any other namespace is a typo.
PROVIDER_KEYS = {"gcp:project", "gcp:region"}
SECRET_KEYS.update({f"{PROJECT}:{key}": what for key, what in SECRET_CONFIG_KEYS.items()})


class StackConfig(RuntimeSections, ObservabilitySections):
    """The whole configuration of one shared environment (one Pulumi stack)."""

    org: Org = Field(
        description="Short organisation prefix of every physical name: `<org>-<env>-...`."
    )
    environment: Environment = Field(description="Which shared environment this stack is.")
    data_class: DataClass = Field(description="The data the environment holds (playbook §2).")
    gcp: GcpSettings = Field(description="Provider settings (`gcp:project`, `gcp:region`).")
    access: AccessList = Field(
        description="The environment's access list (playbook §2): group name to member and roles."
    )
    supabase: SupabaseSection = Field(
        description="Supabase project settings applied through the Management API "
        "(playbook §3, §6, §7)."
    )

    @model_validator(mode="after")
    def _matrix(self) -> StackConfig:
        data_class, groups = MATRIX[self.environment]
        if self.data_class != data_class:
            raise ValueError(
                f"dataClass: found {self.data_class!r}, expected {data_class!r} for "
                f"{self.environment} (playbook §2 environment matrix)"
            )
        if sorted(self.access) != sorted(groups):
            raise ValueError(
                f"access: found groups {sorted(self.access)}, expected exactly "
                f"{sorted(groups)} for {self.environment} (playbook §2 environment matrix)"
            )
        return self

    def env_rules(self, env: str) -> list[Problem]:
        """Every environment rule of the stack, each key's in turn; empty when none is broken."""
        return [
            *(p.under("supabase") for p in self.supabase.env_rules(env)),
            *RuntimeSections.env_rules(self, env),
            *ObservabilitySections.env_rules(self, env),
        ]

    @property
    def naming(self) -> Naming:
        """The naming and labelling helper for this environment."""
        return Naming(org=self.org, env=self.environment, data_class=self.data_class)


ERRORS = ErrorFormatter(
    StackConfig, PROJECT, docs="docs/config.md", namespaced_fields={"gcp": "gcp"}
)


def raw_to_model_input(
    stack: str, raw: dict[str, str], secret_keys: set[str] | None = None
) -> dict[str, Any]:
    """Turn the flat Pulumi config map into the nested model input, rejecting unknown keys."""
    data: dict[str, Any] = {}
    problems = []
    for key, value in sorted(raw.items()):
        namespace, _, name = key.partition(":")
        if key in SECRET_KEYS:
            if secret_keys is not None and key not in secret_keys:
                problems.append(
                    f"{key}: is in clear text in the stack file; remove it and run "
                    f"`pulumi config set --secret {key}` (then rotate the exposed value)"
                )
            continue
        if namespace == "gcp" and key in PROVIDER_KEYS:
            data.setdefault("gcp", {})[name] = value
            continue
        if namespace != PROJECT:
            known = sorted(
                k for k in {*PROVIDER_KEYS, *SECRET_KEYS} if k.startswith(f"{namespace}:")
            )
            if known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"the program reads {known}"
                problems.append(f"{key}: unknown key; {hint}")
            else:
                namespaces = sorted({PROJECT, *(k.partition(":")[0] for k in known_keys())})
                close = difflib.get_close_matches(namespace, namespaces, n=1)
                hint = f"did you mean '{close[0]}:{name}'?" if close else ""
                problems.append(
                    f"{key}: unknown namespace {namespace!r}; keys are `{PROJECT}:<key>`"
                    + (f"; {hint}" if hint else "")
                )
            continue
        data[name] = parse(value)
    if problems:
        raise ConfigError(stack, problems)
    return data


def known_keys() -> set[str]:
    """The keys of other namespaces the program reads (the provider's and the secrets)."""
    return {*PROVIDER_KEYS, *SECRET_KEYS}


def validate(stack: str, raw: dict[str, str], secret_keys: set[str] | None = None) -> StackConfig:
    """Validate the flat config map of ``stack``; raise :class:`ConfigError` on any problem.

    ``secret_keys`` are the keys the engine holds as secrets; ``None`` skips that check. No
    problem line repeats the value of a secret key, wherever the key's validator put it.
    """
    try:
        return _validate(stack, raw, secret_keys)
    except ConfigError as err:
        hidden = _secret_texts(raw, {*(secret_keys or ()), *SECRET_KEYS})
        if not hidden:
            raise
        raise ConfigError(stack, [_hide(p, hidden) for p in err.problems]) from None


def _secret_texts(raw: dict[str, str], keys: set[str]) -> list[str]:
    """The texts a secret key's value is made of (its JSON leaves too), longest first."""
    texts: set[str] = set()
    for key in keys & set(raw):
        pending: list[Any] = [raw[key], parse(raw[key])]
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                pending += [*node.keys(), *node.values()]
            elif isinstance(node, list):
                pending += node
            elif node is not None and not isinstance(node, bool):
                texts.add(str(node))
                texts.add(json.dumps(str(node))[1:-1])  # as found() writes it, escaped
    return sorted((t for t in texts if len(t) >= 4), key=len, reverse=True)


def _hide(problem: str, texts: list[str]) -> str:
    for text in texts:
        problem = problem.replace(text, "[secret]")
    return problem


def _validate(stack: str, raw: dict[str, str], secret_keys: set[str] | None) -> StackConfig:
    data = raw_to_model_input(stack, raw, secret_keys)
    try:
        cfg = StackConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(stack, ERRORS.problems(err)) from None
    if stack != cfg.environment and not stack.startswith(f"{cfg.environment}-"):
        raise ConfigError(
            stack,
            [
                f"{PROJECT}:environment: found {cfg.environment!r}, expected {stack!r}: "
                f"the stack '{stack}' must be named after its environment "
                "('<env>' or '<env>-<suffix>')"
            ],
        )
    problems = credentials_in_clear(raw, secret_keys or set())
    problems += [f"{PROJECT}:{problem}" for problem in cfg.env_rules(cfg.environment)]
    if problems:
        raise ConfigError(stack, problems)
    return cfg


def credentials_in_clear(raw: dict[str, str], secret_keys: set[str]) -> list[str]:
    """A problem for each plain (not secret) config value that holds a credential: plain config
    is stored and printed in clear (stack file, snapshots, evidence, error messages)."""
    problems = []
    for key, value in sorted(raw.items()):
        if key in secret_keys or key in SECRET_KEYS:
            continue
        pending: list[tuple[str, Any]] = [(key, parse(value))]
        while pending:
            path, node = pending.pop()
            if isinstance(node, dict):
                pending += [(f"{path}.{k}", v) for k, v in node.items()]
            elif isinstance(node, list):
                pending += [(f"{path}[{i}]", v) for i, v in enumerate(node)]
            elif isinstance(node, str) and (kind := credential_in(node)):
                problems.append(
                    f"{path}: holds {kind} in clear text; put it in controlplane:secrets "
                    "(the secret vault binding) or set it with `pulumi config set --secret`, "
                    "then rotate it"
                )
    return sorted(problems)


def load() -> StackConfig:
    """Load and validate the current stack's config; a bad config stops the program cleanly.

    ``pulumi.RunError`` makes the engine print the message without a Python traceback.
    """
    stack = pulumi.get_stack()
    try:
        return validate(stack, runtime_config(), runtime_secret_keys())
    except ConfigError as err:
        raise pulumi.RunError(str(err)) from None
