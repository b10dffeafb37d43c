"""The typed stack configuration: every key of Pulumi.<stack>.yaml has a field here.

Config is read from the Pulumi runtime (the same map `pulumi up` and the offline preflight
set), validated in full before the first resource is registered, and any problem becomes a
:class:`ConfigError` whose lines name the stack, the key path, what was found and what is
expected. Secrets are not part of this model: they are listed in :data:`SECRET_KEYS` and read
with ``require_secret`` by the components that need them.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pydantic import Field, ValidationError, model_validator

from stacks.naming import DataClass, Environment, Naming
from stacks.sections.base import Model
from stacks.sections.environment import MATRIX, AccessList, GcpSettings

PROJECT = "controlplane"

SECRET_KEYS: dict[str, str] = {}
"""Secret config keys (``pulumi config set --secret <key>``) and what each is for.

Filled by the sections that need secrets; the README's table is generated from it.
"""

# Provider namespaces whose keys the program reads; any other namespace is a typo.
PROVIDER_KEYS = {"gcp:project", "gcp:region"}


class StackConfig(Model):
    """The whole configuration of one shared environment (one Pulumi stack)."""

    org: str = Field(
        pattern=r"^[a-z][a-z0-9]{1,9}$",
        description="Short organisation prefix of every physical name: `<org>-<env>-...`.",
    )
    environment: Environment = Field(description="Which shared environment this stack is.")
    data_class: DataClass = Field(description="The data the environment holds (playbook §2).")
    gcp: GcpSettings = Field(description="Provider settings (`gcp:project`, `gcp:region`).")
    access: AccessList = Field(
        description="The environment's access list (playbook §2): group name to member and roles."
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

    @property
    def naming(self) -> Naming:
        """The naming and labelling helper for this environment."""
        return Naming(org=self.org, env=self.environment, data_class=self.data_class)


class ConfigError(Exception):
    """Bad stack configuration; ``str()`` is one line per problem, each naming the stack."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.stack = stack
        self.problems = problems
        super().__init__("\n".join(f"config error in stack '{stack}': {p}" for p in problems))


def _key_path(loc: tuple[int | str, ...]) -> str:
    """``('access', 'qa', 'roles', 0)`` -> ``controlplane:access.qa.roles[0]``."""
    if not loc:
        return f"{PROJECT}:<top level>"
    head, *rest = loc
    path = f"gcp:{rest[0]}" if head == "gcp" and rest else f"{PROJECT}:{head}"
    for part in rest[1:] if head == "gcp" else rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _found(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _problems(err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "missing":
            problems.append(f"{_key_path(loc)}: missing, expected {_describe_missing(loc)}")
        elif e["type"] == "extra_forbidden":
            problems.append(
                f"{_key_path(loc)}: unknown key (found {_found(e['input'])}); "
                "check the spelling against docs/config.md"
            )
        elif msg.split(":", 1)[0] in {"dataClass", "access"} and not loc:
            problems.append(f"{PROJECT}:{msg}")
        else:
            problems.append(f"{_key_path(loc)}: found {_found(e['input'])}, expected {msg}")
    return problems


def _describe_missing(loc: tuple[int | str, ...]) -> str:
    field = StackConfig.model_fields.get(str(loc[0])) if len(loc) == 1 else None
    if field is not None and field.description:
        return f"a value: {field.description}"
    return "a value (see docs/config.md)"


def raw_to_model_input(stack: str, raw: dict[str, str]) -> dict[str, Any]:
    """Turn the flat Pulumi config map into the nested model input, rejecting unknown keys."""
    data: dict[str, Any] = {}
    problems = []
    for key, value in sorted(raw.items()):
        namespace, _, name = key.partition(":")
        if key in SECRET_KEYS:
            continue
        if namespace == "gcp" and key in PROVIDER_KEYS:
            data.setdefault("gcp", {})[name] = value
            continue
        if namespace != PROJECT:
            if namespace in {"datadog", "pagerduty"} and key not in SECRET_KEYS:
                problems.append(
                    f"{key}: provider credentials belong in secret config: run "
                    f"`pulumi config set --secret {key} ...` (see README)"
                )
            elif namespace != "gcp":
                problems.append(
                    f"{key}: unknown namespace {namespace!r}; keys are `{PROJECT}:<key>`"
                )
            else:
                problems.append(f"{key}: unknown key; the program reads {sorted(PROVIDER_KEYS)}")
            continue
        data[name] = _parse(value)
    if problems:
        raise ConfigError(stack, problems)
    return data


def _parse(value: Any) -> Any:
    """Structured config arrives as JSON text, scalars as plain strings (as the CLI passes them)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def validate(stack: str, raw: dict[str, str]) -> StackConfig:
    """Validate the flat config map of ``stack``; raise :class:`ConfigError` on any problem."""
    data = raw_to_model_input(stack, raw)
    try:
        cfg = StackConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(stack, _problems(err)) from None
    if stack != cfg.environment and not stack.startswith(f"{cfg.environment}-"):
        raise ConfigError(
            stack,
            [
                f"{PROJECT}:environment: found {cfg.environment!r}, expected {stack!r}: "
                f"the stack '{stack}' must be named after its environment "
                "('<env>' or '<env>-<suffix>')"
            ],
        )
    return cfg


def runtime_config() -> dict[str, str]:
    """Every config key the engine passed to this program (both ways the runtime holds them)."""
    from pulumi.runtime import config as runtime

    merged: dict[str, str] = dict(runtime.get_config_env())
    merged.update(runtime.CONFIG.get())
    return merged


def load() -> StackConfig:
    """Load and validate the current stack's config; a bad config stops the program cleanly.

    ``pulumi.RunError`` makes the engine print the message without a Python traceback.
    """
    stack = pulumi.get_stack()
    try:
        return validate(stack, runtime_config())
    except ConfigError as err:
        raise pulumi.RunError(str(err)) from None
