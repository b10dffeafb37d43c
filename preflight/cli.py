"""The command shell every ``python -m preflight`` subcommand shares.

One ``UsageError`` (bad input: one line on stderr, exit code 2), one progress printer (stderr,
flushed, so long steps show while they run), one error format and the repository root the
commands default to.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: the default Pulumi project directory of every command."""

EXIT_OK = 0
EXIT_VIOLATIONS = 1
"""A check failed: a mandatory policy violation, a failed scan check, a stale generated doc."""
EXIT_USAGE = 2
"""Bad command-line input or configuration."""


class UsageError(Exception):
    """Bad command-line input or configuration: one line, exit code 2."""


def add_project_argument(parser: argparse.ArgumentParser, *, example: str | None = None) -> None:
    """``--project DIR``: the Pulumi project a command reads, the repository root by default;
    ``example`` names another project of the repository in the help."""
    default = "the repository root" + (f"; e.g. {example}" if example else "")
    parser.add_argument(
        "--project", type=Path, default=ROOT, help=f"Pulumi project directory (default: {default})"
    )


def progress(message: str, *, command: str = "preflight") -> None:
    """One progress line on stderr, flushed at once (stdout stays the command's result)."""
    print(f"{command}: {message}", file=sys.stderr, flush=True)


def error(message: str, *, command: str = "preflight") -> None:
    """An error in the one format every command uses: ``<command>: error: <line>``."""
    for line in str(message).splitlines():
        print(f"{command}: error: {line}", file=sys.stderr)


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
