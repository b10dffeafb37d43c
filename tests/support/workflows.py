"""Reading the GitHub Actions workflows in tests: one file as a mapping, its triggers, its steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(data, dict), name
    return data


def triggers(workflow: dict[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def step_named(job: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The one step of ``job`` whose name starts with ``prefix``."""
    (found,) = [s for s in steps(job) if str(s.get("name", "")).startswith(prefix)]
    return found
