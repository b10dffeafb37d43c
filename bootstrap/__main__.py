"""The bootstrap program: load the org stack's typed config, build, export."""

import sys
from pathlib import Path

# The Pulumi CLI runs this file from bootstrap/; its modules live in the `bootstrap` package
# and share the kernel (`controlplane`) and the config base (`config`) with the environment
# program, all importable from the repository root. The root goes first so that `config` is the
# project's package, never `bootstrap/config.py` found through this file's own folder.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT in sys.path:
    sys.path.remove(_ROOT)
sys.path.insert(0, _ROOT)

import pulumi  # noqa: E402

from bootstrap import config  # noqa: E402
from bootstrap.program import build  # noqa: E402

for key, value in build(config.load()).items():
    pulumi.export(key, value)
