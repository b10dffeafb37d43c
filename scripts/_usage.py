"""What the operator scripts share: the argument parser (a usage error is one line and exit
code 2), the project's one ``UsageError``, and the reading of RFC 3339 times.

The scripts run as files (``python scripts/<name>.py``), so this folder is first on ``sys.path``
and they import this module by its bare name, as ``rollback_drill.py`` imports ``rollback``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from preflight.cli import EXIT_USAGE, UsageError, rfc3339  # noqa: E402

__all__ = ["EXIT_USAGE", "UsageError", "fixed_clock", "parser_class", "rfc3339"]


def fixed_clock(now: str | None) -> Callable[[], datetime]:
    """The clock of a run: the current time, or the ``--now`` a test or a re-run gives."""
    if now is None:
        return lambda: datetime.now(UTC)
    fixed = rfc3339(now, "--now")
    return lambda: fixed


def parser_class(command: str) -> type[argparse.ArgumentParser]:
    """An ``ArgumentParser`` class whose errors read ``<command>: error: <message> (see --help)``.

    A class rather than an instance, so that subcommands use it too (``parser_class=`` of
    ``add_subparsers``).
    """

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            self.exit(EXIT_USAGE, f"{command}: error: {message} (see --help)\n")

    return Parser
