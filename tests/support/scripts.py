"""The repository's scripts (``scripts/*.py``, not a package) loaded as modules for tests."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from preflight.cli import ROOT

SCRIPTS = ROOT / "scripts"


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` imported under ``name``, so tests call its functions directly.

    The scripts run as files, with their folder first on ``sys.path`` (they import their shared
    ``_usage`` by its bare name); loading one here puts that folder on the path the same way.
    """
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
