"""A `pulumi` CLI double for the operator scripts' tests, written as a small Python program.

Every call is logged as one JSON line to ``FAKE_PULUMI_LOG``: its argv, its working directory and
the ``version.txt`` checked out there (which commit the command ran against).
``pulumi stack history`` answers from the update list in ``FAKE_PULUMI_HISTORY``, one page at a
time as ``--page-size``/``--page`` ask and indented as the CLI prints it; any other command runs
the rest of the program the test passes in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_LOG_AND_SERVE_HISTORY = """\
import json, os, signal, sys
from pathlib import Path

args = sys.argv[1:]
marker = Path("version.txt")
with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
    log.write(json.dumps({
        "argv": args,
        "cwd": os.getcwd(),
        "version_txt": marker.read_text().strip() if marker.exists() else None,
    }) + "\\n")
if args[:2] == ["stack", "history"]:
    updates = json.loads(Path(os.environ["FAKE_PULUMI_HISTORY"]).read_text())
    size = int(args[args.index("--page-size") + 1])
    page = int(args[args.index("--page") + 1])
    print(json.dumps(updates[(page - 1) * size : page * size], indent=4))
    sys.exit(0)
"""


def program(other_commands: str) -> str:
    """The double's source: logging and ``stack history`` first, then ``other_commands`` (Python
    with ``args``, ``os``, ``signal`` and ``sys`` in scope) for every other command."""
    return _LOG_AND_SERVE_HISTORY + other_commands


def calls(log: Path) -> list[dict[str, Any]]:
    """The calls the double logged to ``log``, oldest first (none when it never ran)."""
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
