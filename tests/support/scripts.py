"""The repository's scripts (``scripts/*.py``, not a package) loaded as modules for tests."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from preflight.cli import ROOT


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` imported under ``name``, so tests call its functions directly."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
