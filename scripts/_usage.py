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
from typing import Any, NoReturn

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from preflight.cli import EXIT_USAGE, UsageError  # noqa: E402

__all__ = ["EXIT_USAGE", "UsageError", "fixed_clock", "parser_class", "rfc3339"]


def rfc3339(value: Any, what: str) -> datetime:
    """An RFC 3339 time with an offset, in UTC (YAML may already have read it as a datetime);
    anything else is a ``UsageError`` naming ``what`` and what to write."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"{what}: {value!r} is not an RFC 3339 time: write e.g. 2025-06-06T09:00:00Z"
            ) from None
    else:
        raise UsageError(f"{what}: write an RFC 3339 time such as 2025-06-06T09:00:00Z")
    if parsed.tzinfo is None:
        raise UsageError(f"{what}: {value} has no offset: write it in UTC, ending in Z")
    return parsed.astimezone(UTC)


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
