"""Turning pydantic validation errors into the one-line config errors operators read.

Shared by the environment program (config/stack.py) and the bootstrap program
(bootstrap/config.py): each line names the stack, the key path as written in the stack file,
what was found and what is expected, and suggests the right spelling of a misspelt key.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from config.credentials import holds_credential, redact


class ConfigError(Exception):
    """Bad stack configuration; ``str()`` is one line per problem, each naming the stack."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.stack = stack
        # No problem line repeats a credential, whatever validator wrote it.
        problems = [redact(p) for p in problems]
        self.problems = problems
        super().__init__("\n".join(f"config error in stack '{stack}': {p}" for p in problems))


_EXPECTED = {
    "list_type": "a list, e.g. [a, b]",
    "tuple_type": "a list, e.g. [a, b]",
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
_BOUNDS = {
    "greater_than_equal": "at least {ge}",
    "greater_than": "more than {gt}",
    "less_than_equal": "at most {le}",
    "less_than": "less than {lt}",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
    "string_too_short": "at least {min_length} character(s)",
    "string_too_long": "at most {max_length} character(s)",
}


CREDENTIAL_NOT_SHOWN = "a value that looks like a credential (not shown)"


def found(value: Any) -> str:
    """A short JSON rendering of an offending value; a value holding a credential is not shown."""
    if holds_credential(value):
        return CREDENTIAL_NOT_SHOWN
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def parse(value: Any) -> Any:
    """Structured config arrives as JSON text, scalars as plain strings (as the CLI passes them)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def expected(error: Any) -> str:
    """What the operator should write instead, from a pydantic error."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    if kind in _BOUNDS:
        return _BOUNDS[kind].format(**ctx)
    return str(error["msg"]).removeprefix("Value error, ")


def inner_model(annotation: Any) -> Any:
    """The model inside ``Model``, ``dict[str, Model]``, ``list[Model]`` or ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in reversed(getattr(annotation, "__args__", ()) or ()):
        inner = inner_model(arg)
        if inner is not None:
            return inner
    return None


def container_depth(annotation: Any) -> int:
    """How many operator-chosen keys/indexes stand between a field and its inner model."""
    origin = getattr(annotation, "__origin__", None)
    if origin in (dict, list, tuple):
        return 1 + container_depth(annotation.__args__[-1])
    return 0


@dataclass(frozen=True)
class ErrorFormatter:
    """Formats the errors of one root model whose keys live under ``namespace``."""

    root: type[BaseModel]
    namespace: str
    docs: str
    """Where the keys are documented, named in hints."""
    namespaced_fields: dict[str, str] = field(default_factory=dict)
    """Root fields whose keys live in another namespace, e.g. ``{"gcp": "gcp"}``."""

    def key_path(self, loc: tuple[int | str, ...]) -> str:
        """``('access', 'qa', 'roles', 0)`` -> ``controlplane:access.qa.roles[0]``."""
        if not loc:
            return f"{self.namespace}:<top level>"
        head, *rest = loc
        other = self.namespaced_fields.get(str(head))
        if other is not None and rest:
            path, rest = f"{other}:{rest[0]}", rest[1:]
        else:
            path = f"{self.namespace}:{head}"
        for part in rest:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        return path

    def field_at(self, loc: tuple[int | str, ...]) -> tuple[Any, str | None]:
        """The model class holding the last key of ``loc`` and that field's description."""
        model: Any = self.root
        skip = 0
        for i, part in enumerate(loc):
            if skip:  # a dict key or list index chosen by the operator, not a field name
                skip -= 1
                continue
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                return None, None
            fields = {f.alias or k: f for k, f in model.model_fields.items()}
            fld = fields.get(str(part)) or model.model_fields.get(str(part))
            if fld is None:
                return (model, None) if i == len(loc) - 1 else (None, None)
            if i == len(loc) - 1:
                return model, fld.description
            model = inner_model(fld.annotation)
            skip = container_depth(fld.annotation)
        return None, None

    def suggest(self, loc: tuple[int | str, ...]) -> str:
        model, _ = self.field_at(loc)
        if model is None:
            return f"check the spelling against {self.docs}"
        names = [f.alias or k for k, f in model.model_fields.items()]
        close = difflib.get_close_matches(str(loc[-1]), names, n=1)
        if close:
            return f"did you mean {close[0]!r}?"
        return f"the keys here are {', '.join(sorted(names))}"

    def problems(self, err: ValidationError) -> list[str]:
        """One line per problem (without the stack prefix)."""
        problems = []
        errors = err.errors(include_url=False)
        # A misspelt key shows up twice: once unknown, once missing. Report the typo only.
        typo_parents = {tuple(e["loc"][:-1]) for e in errors if e["type"] == "extra_forbidden"}
        for e in errors:
            loc = tuple(e["loc"])
            if e["type"] == "missing":
                if loc[:-1] in typo_parents:
                    continue
                _, description = self.field_at(loc)
                what = f"a value: {description}" if description else f"a value (see {self.docs})"
                problems.append(f"{self.key_path(loc)}: missing, expected {what}")
            elif e["type"] == "extra_forbidden":
                problems.append(f"{self.key_path(loc)}: unknown key; {self.suggest(loc)}")
            elif not loc:
                problems.append(f"{self.namespace}:{expected(e)}")
            elif isinstance(e["input"], dict) and e["type"] == "value_error":
                problems.append(f"{self.key_path(loc)}: {expected(e)}")  # a rule across keys
            else:
                problems.append(
                    f"{self.key_path(loc)}: found {found(e['input'])}, expected {expected(e)}"
                )
        return problems


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
