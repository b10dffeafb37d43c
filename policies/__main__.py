"""Policy pack entry point: collect the policies and serve them. Nothing else lives here.

The engine runs ``python -u -m pulumi.policy <engine address> .`` in this directory, which
executes this file with the pack directory (not the repository) on ``sys.path``. The pack is
therefore registered as the package ``policies`` from its own directory, so that the program
(``stacks``, ``components``) stays out of reach of the pack.
"""

import importlib.util
import sys
from pathlib import Path

if "policies" not in sys.modules:
    _here = Path(__file__).resolve().parent
    _spec = importlib.util.spec_from_file_location(
        "policies", _here / "__init__.py", submodule_search_locations=[str(_here)]
    )
    if _spec is None or _spec.loader is None:
        raise ImportError(f"cannot load the policy pack package from {_here}")
    sys.modules["policies"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["policies"])

from policies._lib.pack import serve
from policies._lib.registry import collect

serve(collect())
