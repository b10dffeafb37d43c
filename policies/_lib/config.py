"""Policy configuration: JSON-schema properties with defaults, and the one exemption shape.

Every policy takes the same two exemption properties in its policy-pack config, matched with
shell-style patterns (``fnmatch``) against the resource's logical name (the last part of its
URN):

* ``include``: only resources whose name matches one of these patterns are checked
  (default ``["*"]``: all of them);
* ``exclude``: resources whose name matches one of these patterns are not checked
  (default ``[]``).

An exempt resource is reported as *not applicable* with the matching pattern as the reason, and
the pack logs it to the engine, so every exemption is visible in the output. Policies never
carry ad hoc exemptions in code.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

Schema = dict[str, dict[str, Any]]


def string_list(
    default: list[str], description: str, *, non_empty_items: bool = True
) -> dict[str, Any]:
    """A setting that is a list of strings (each non-empty unless ``non_empty_items=False``)."""
    items: dict[str, Any] = (
        {"type": "string", "minLength": 1} if non_empty_items else {"type": "string"}
    )
    return {"type": "array", "items": items, "default": default, "description": description}


def choice_list(choices: list[str], default: list[str], description: str) -> dict[str, Any]:
    """A setting that is a list of strings, each one of ``choices``."""
    return {
        "type": "array",
        "items": {"type": "string", "enum": choices},
        "default": default,
        "description": description,
    }


def allowed_values(default: dict[str, list[str]], description: str) -> dict[str, Any]:
    """A setting that maps a key to its allowed values (an empty list allows any value)."""
    return {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "default": default,
        "description": description,
    }


EXEMPTION_SCHEMA: Schema = {
    "include": string_list(
        ["*"], "Check only resources whose logical name matches one of these patterns."
    ),
    "exclude": string_list(
        [], "Do not check resources whose logical name matches one of these patterns."
    ),
}


def schema_with_exemptions(properties: Schema | None = None) -> Schema:
    """A policy's config schema: its own properties plus ``include``/``exclude``."""
    merged = copy.deepcopy(EXEMPTION_SCHEMA)
    for key, value in (properties or {}).items():
        if key in merged:
            raise ValueError(f"config property {key!r} is reserved for exemptions")
        merged[key] = copy.deepcopy(value)
    return merged


def settings(given: Mapping[str, Any] | None, schema: Schema) -> dict[str, Any]:
    """The policy's effective config: ``given`` over the schema's defaults.

    The engine already fills defaults in (it reconciles the config file against the schema),
    but a pack must not depend on that, so defaults are applied here as well.
    """
    given = given or {}
    result = {
        key: copy.deepcopy(spec["default"])
        for key, spec in schema.items()
        if "default" in spec and key not in given
    }
    result.update(given)
    return result


def exemption(name: str, config: Mapping[str, Any]) -> str | None:
    """Why the resource called ``name`` is exempt, or None when the policy applies to it."""
    include = [str(p) for p in config.get("include", ["*"])]
    exclude = [str(p) for p in config.get("exclude", [])]
    if not any(fnmatchcase(name, pattern) for pattern in include):
        return f"not included by {include}"
    for pattern in exclude:
        if fnmatchcase(name, pattern):
            return f"excluded by pattern {pattern!r}"
    return None
