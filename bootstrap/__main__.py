"""The bootstrap program: load the org stack's typed config, build, export."""

import sys
from pathlib import Path

# The Pulumi CLI runs this file from bootstrap/; its modules live in the `bootstrap` package
# and share `stacks` with the environment program, both importable from the repository root.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import pulumi  # noqa: E402

from bootstrap import config  # noqa: E402
from bootstrap.program import build  # noqa: E402

for key, value in build(config.load()).items():
    pulumi.export(key, value)
