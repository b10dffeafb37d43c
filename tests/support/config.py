"""Stack config builders: the bad-config corpus applied to the checked-in prod stack file,
and the validation errors of a config model as ``(location, message)`` pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from preflight.cli import ROOT

CORPUS = Path(__file__).resolve().parents[1] / "config" / "bad_configs"
"""One YAML file per bad-config case: a raw stack file, or changes to Pulumi.prod.yaml."""


def errors(model: type[BaseModel], data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """The validation errors of ``data`` against ``model``; fails when it validates."""
    with pytest.raises(ValidationError) as err:
        model.model_validate(data)
    return [(tuple(e["loc"]), e["msg"]) for e in err.value.errors(include_url=False)]


def bad_stack_file(case: str) -> str:
    """The checked-in prod stack file with the one change the corpus case describes."""
    spec = yaml.safe_load((CORPUS / f"{case}.yaml").read_text())
    if "raw" in spec:
        return str(spec["raw"])
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    config = doc["config"]

    def parent_of(path: str) -> tuple[dict, str]:
        key, *rest = path.split(".")
        if not rest:
            return config, key
        node = config[key]
        for part in rest[:-1]:
            node = node[part]
        return node, rest[-1]

    for path, value in (spec.get("set") or {}).items():
        node, last = parent_of(path)
        node[last] = value
    for path in spec.get("delete") or []:
        node, last = parent_of(path)
        del node[last]
    for path, new in (spec.get("rename") or {}).items():
        node, last = parent_of(path)
        node[new] = node.pop(last)
    return yaml.safe_dump(doc, sort_keys=False)
