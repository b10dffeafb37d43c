"""Policy-pack config files, read and reconciled the way the Pulumi CLI does it.

``pulumi preview --policy-pack DIR --policy-pack-config FILE`` parses FILE (a JSON object:
policy name -> enforcement level string, or -> object with an optional ``enforcementLevel`` and
the policy's properties; the key ``all`` sets the level of every policy), then reconciles it
with the pack's metadata: start from each policy's default level and schema defaults, apply the
pack's initial config, apply the file, and validate each policy's properties against its JSON
schema. The resulting map is what ``Analyzer.Configure`` receives.

Two checks are stricter than the CLI, on purpose, because a typo there silently weakens a
check: a policy name that the pack does not have, and a property that the policy's schema does
not declare, are errors here.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_LEVEL_TO_PROTO = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_PROTO_TO_LEVEL: dict[int, str] = {int(value): key for key, value in _LEVEL_TO_PROTO.items()}
ALL = "all"


class PolicyConfigError(Exception):
    """A policy-pack config file that the CLI would reject (or that names what does not exist)."""


@dataclass
class PolicyConfig:
    """One policy's configuration: its enforcement level and its properties."""

    enforcement_level: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


def level_to_proto(level: str) -> analyzer_pb2.EnforcementLevel.ValueType:
    return _LEVEL_TO_PROTO[level]


def level_from_proto(value: int) -> str:
    return _PROTO_TO_LEVEL.get(value, "advisory")


def _extract_level(name: str, props: dict[str, Any]) -> str | None:
    if "enforcementLevel" not in props:
        return None
    level = props.pop("enforcementLevel")
    if not isinstance(level, str):
        raise PolicyConfigError(f"{name}: enforcementLevel {level!r} must be a string")
    if level not in LEVELS:
        raise PolicyConfigError(
            f"{name}: {level!r} is not a valid enforcement level ({', '.join(LEVELS)})"
        )
    return level


def parse_policy_pack_config(text: str) -> dict[str, PolicyConfig]:
    """The config in ``text``, in the format of ``pulumi preview --policy-pack-config``."""
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise PolicyConfigError(f"not valid JSON (line {err.lineno}): {err.msg}") from None
    if not isinstance(document, dict):
        raise PolicyConfigError("must be a JSON object of policy name -> level or settings")
    result: dict[str, PolicyConfig] = {}
    for name, value in document.items():
        if isinstance(value, str):
            if value not in LEVELS:
                raise PolicyConfigError(
                    f"{name}: {value!r} is not a valid enforcement level ({', '.join(LEVELS)})"
                )
            result[name] = PolicyConfig(enforcement_level=value)
        elif isinstance(value, dict):
            props = copy.deepcopy(value)
            level = _extract_level(name, props)
            if level is None and not props:
                continue
            result[name] = PolicyConfig(enforcement_level=level, properties=props)
        else:
            raise PolicyConfigError(
                f"{name}: {json.dumps(value)} is not a valid value; must be a string or object"
            )
    return result


def load_policy_pack_config(path: Path) -> dict[str, PolicyConfig]:
    """The config file at ``path``; errors name the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PolicyConfigError(f"{path}: cannot read it ({err.strerror})") from None
    try:
        return parse_policy_pack_config(text)
    except PolicyConfigError as err:
        raise PolicyConfigError(f"{path}: {err}") from None


def _schema(info: analyzer_pb2.PolicyInfo) -> tuple[dict[str, Any], list[str]]:
    properties = json_format.MessageToDict(info.configSchema.properties)
    return properties, list(info.configSchema.required)


def reconcile(
    analyzer_info: analyzer_pb2.AnalyzerInfo, given: dict[str, PolicyConfig]
) -> dict[str, PolicyConfig]:
    """Defaults, then the pack's initial config, then ``given``; validated against the schemas."""
    policies = {p.name: p for p in analyzer_info.policies}
    result: dict[str, PolicyConfig] = {}
    for name, info in policies.items():
        properties, _ = _schema(info)
        defaults = {k: v["default"] for k, v in properties.items() if "default" in v}
        result[name] = PolicyConfig(level_from_proto(info.enforcementLevel), defaults)

    initial = {
        name: PolicyConfig(
            level_from_proto(cfg.enforcementLevel),
            json_format.MessageToDict(cfg.properties),
        )
        for name, cfg in analyzer_info.initialConfig.items()
    }
    for layer in (initial, given):
        all_level = layer[ALL].enforcement_level if ALL in layer else None
        if all_level is not None:
            for cfg in result.values():
                cfg.enforcement_level = all_level
        for name, cfg in layer.items():
            if name == ALL:
                continue
            if name not in policies:
                raise PolicyConfigError(
                    f"{name}: the pack has no such policy (see docs/policies.md for the names)"
                )
            if cfg.enforcement_level is not None:
                result[name].enforcement_level = cfg.enforcement_level
            result[name].properties.update(copy.deepcopy(cfg.properties))

    for name, cfg in result.items():
        properties, required = _schema(policies[name])
        unknown = sorted(set(cfg.properties) - set(properties))
        if unknown:
            raise PolicyConfigError(
                f"{name}: unknown propert{'y' if len(unknown) == 1 else 'ies'} "
                f"{', '.join(unknown)} (known: {', '.join(sorted(properties)) or 'none'})"
            )
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        errors = sorted(
            jsonschema.Draft7Validator(schema).iter_errors(cfg.properties),
            key=lambda e: list(e.absolute_path),
        )
        if errors:
            first = errors[0]
            where = ".".join(str(p) for p in first.absolute_path) or "(root)"
            raise PolicyConfigError(f"{name}: {where}: {first.message}")
    return result


def to_proto(config: dict[str, PolicyConfig]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """The ``Configure`` request for a reconciled config."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, cfg in config.items():
        properties = struct_pb2.Struct()
        properties.update(cfg.properties)
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(
                enforcementLevel=level_to_proto(cfg.enforcement_level or "advisory"),
                properties=properties,
            )
        )
    return request
