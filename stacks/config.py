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
import re
from typing import Any

import pulumi
from pydantic import Field, ValidationError, field_validator, model_validator

from stacks.naming import DataClass, Environment, Naming
from stacks.sections.base import Model
from stacks.sections.environment import MATRIX, AccessList, GcpSettings
from stacks.sections.observability import ObservabilitySections
from stacks.sections.observability import validate_for_env as observability_rules
from stacks.sections.runtime import SECRET_CONFIG_KEYS, RuntimeSections
from stacks.sections.runtime import validate_for_env as runtime_rules
from stacks.sections.supabase import SupabaseSection
from stacks.sections.supabase import check_for_env as supabase_rules

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

    org: str = Field(
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

    @field_validator("org")
    @classmethod
    def _org(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9]{1,9}", value):
            raise ValueError("2-10 lowercase letters or digits starting with a letter, e.g. acme")
        return value

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


_EXPECTED = {
    "list_type": "a list, e.g. [a, b]",
    "dict_type": "a mapping of key: value",
    "model_type": "a mapping of key: value",
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def _expected(e: Any) -> str:
    kind, ctx = e["type"], e.get("ctx") or {}
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    bounds = {
        "greater_than_equal": "at least {ge}",
        "greater_than": "more than {gt}",
        "less_than_equal": "at most {le}",
        "less_than": "less than {lt}",
        "too_short": "at least {min_length} item(s)",
        "too_long": "at most {max_length} item(s)",
        "string_too_short": "at least {min_length} character(s)",
        "string_too_long": "at most {max_length} character(s)",
    }
    if kind in bounds:
        return bounds[kind].format(**ctx)
    return str(e["msg"]).removeprefix("Value error, ")


def _field_at(loc: tuple[int | str, ...]) -> tuple[Any, str | None]:
    """The model class holding the last key of ``loc`` and that field's description."""
    model: Any = StackConfig
    skip = 0
    for i, part in enumerate(loc):
        if skip:  # a dict key or list index chosen by the operator, not a field name
            skip -= 1
            continue
        if not (isinstance(model, type) and issubclass(model, Model)):
            return None, None
        fields = {f.alias or k: f for k, f in model.model_fields.items()}
        field = fields.get(str(part)) or model.model_fields.get(str(part))
        if field is None:
            return (model, None) if i == len(loc) - 1 else (None, None)
        if i == len(loc) - 1:
            return model, field.description
        model = _inner_model(field.annotation)
        skip = _container_depth(field.annotation)
    return None, None


def _container_depth(annotation: Any) -> int:
    """How many operator-chosen keys/indexes stand between a field and its inner model."""
    origin = getattr(annotation, "__origin__", None)
    if origin in (dict, list):
        return 1 + _container_depth(annotation.__args__[-1])
    return 0


def _inner_model(annotation: Any) -> Any:
    """The model inside ``Model``, ``dict[str, Model]``, ``list[Model]`` or ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return annotation
    for arg in reversed(getattr(annotation, "__args__", ()) or ()):
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


def _suggest(loc: tuple[int | str, ...]) -> str:
    model, _ = _field_at(loc)
    if model is None:
        return "check the spelling against docs/config.md"
    names = [f.alias or k for k, f in model.model_fields.items()]
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"the keys here are {', '.join(sorted(names))}"


def _problems(err: ValidationError) -> list[str]:
    problems = []
    errors = err.errors(include_url=False)
    # A misspelt key shows up twice: once unknown, once missing. Report the typo only.
    typo_parents = {tuple(e["loc"][:-1]) for e in errors if e["type"] == "extra_forbidden"}
    for e in errors:
        loc = tuple(e["loc"])
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "missing":
            if loc[:-1] in typo_parents:
                continue
            _, description = _field_at(loc)
            what = f"a value: {description}" if description else "a value (see docs/config.md)"
            problems.append(f"{_key_path(loc)}: missing, expected {what}")
        elif e["type"] == "extra_forbidden":
            problems.append(f"{_key_path(loc)}: unknown key; {_suggest(loc)}")
        elif not loc:
            problems.append(f"{PROJECT}:{msg}")
        else:
            problems.append(
                f"{_key_path(loc)}: found {_found(e['input'])}, expected {_expected(e)}"
            )
    return problems


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
            if namespace != "gcp":
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


def validate(stack: str, raw: dict[str, str], secret_keys: set[str] | None = None) -> StackConfig:
    """Validate the flat config map of ``stack``; raise :class:`ConfigError` on any problem.

    ``secret_keys`` are the keys the engine holds as secrets; ``None`` skips that check.
    """
    data = raw_to_model_input(stack, raw, secret_keys)
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
    problems = [f"{PROJECT}:{p}" for p in supabase_rules(cfg.supabase, cfg.environment)]
    problems += [
        f"{PROJECT}:{path}: found {found}, expected {expected}"
        for path, found, expected in runtime_rules(cfg.environment, cfg)
    ]
    problems += [
        f"{PROJECT}:{path}: found {found}, expected {expected}"
        for path, found, expected in observability_rules(cfg.environment, cfg)
    ]
    if problems:
        raise ConfigError(stack, problems)
    return cfg


def runtime_config() -> dict[str, str]:
    """Every config key the engine passed to this program (both ways the runtime holds them)."""
    from pulumi.runtime import config as runtime

    merged: dict[str, str] = dict(runtime.get_config_env())
    merged.update(runtime.CONFIG.get())
    return merged


def runtime_secret_keys() -> set[str]:
    """The config keys the engine marked secret."""
    from pulumi.runtime import config as runtime

    keys = set(runtime.get_config_secret_keys_env())
    keys.update(runtime._SECRET_KEYS.get())
    return keys


def load() -> StackConfig:
    """Load and validate the current stack's config; a bad config stops the program cleanly.

    ``pulumi.RunError`` makes the engine print the message without a Python traceback.
    """
    stack = pulumi.get_stack()
    try:
        return validate(stack, runtime_config(), runtime_secret_keys())
    except ConfigError as err:
        raise pulumi.RunError(str(err)) from None
