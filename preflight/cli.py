"""The command shell every ``python -m preflight`` subcommand shares.

One ``UsageError`` (bad input: one line on stderr, exit code 2), one progress printer (stderr,
flushed, so long steps show while they run), one error format and the repository root the
commands default to.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

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


def one_line(message: str) -> str:
    """``message`` as one line: a message of several lines (a config with several problems)
    keeps them all, joined by ``; ``, each without the prefix it shares with the first."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    if not lines:
        return "failed"
    first, rest = lines[0], lines[1:]
    prefix = first[: first.find(": ") + 2] if ": " in first else ""
    return "; ".join([first, *(line.removeprefix(prefix) if prefix else line for line in rest)])


def error(message: str, *, command: str = "preflight") -> None:
    """An error in the one format every command uses: ``<command>: error: <line>``, always one
    line (see :func:`one_line`)."""
    print(f"{command}: error: {one_line(message)}", file=sys.stderr)


def parser_class(command: str) -> type[argparse.ArgumentParser]:
    """An ``ArgumentParser`` class whose errors are one line, ``<command>: error: <message> (see
    --help)``, and exit code 2 (argparse's own prints the whole usage first). A class rather than
    an instance, so that subcommands use it too (``parser_class=`` of ``add_subparsers``)."""

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            self.exit(EXIT_USAGE, f"{command}: error: {one_line(message)} (see --help)\n")

    return Parser


def output_file(path: Path, flag: str) -> Path:
    """``path`` when a command can write its result there, checked before the work starts.

    Refused (``UsageError``): a directory or a file of another kind (a FIFO, a socket) at
    ``path``, and a parent that cannot hold it: a file where a directory is needed, or a
    directory this user cannot write. A missing parent is fine when it can be created (the
    commands create it), so its nearest existing ancestor is what has to be writable.
    """
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as err:
        raise UsageError(f"{flag} {path}: cannot use it ({err.strerror})") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise UsageError(f"{flag} {path}: is a directory; name a file inside it")
        if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
            raise UsageError(f"{flag} {path}: is not a regular file; name a file")
        if not os.access(path, os.W_OK):
            raise UsageError(f"{flag} {path}: not writable by this user")
        return path
    _creatable(path.parent, flag, path)
    return path


def _exists(path: Path) -> bool:
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def output_dir(path: Path, flag: str) -> Path:
    """``path`` when a command can write files into it (it may not exist yet), or a
    ``UsageError`` before the work starts: a file there, or a parent that cannot hold it."""
    if _exists(path):
        if not path.is_dir():
            raise UsageError(f"{flag} {path}: is a file, not a directory; name a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise UsageError(f"{flag} {path}: not writable by this user")
        return path
    _creatable(path.parent, flag, path)
    return path


def _creatable(parent: Path, flag: str, path: Path) -> None:
    ancestor = parent
    while not _exists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{flag} {path}: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: cannot create it ({ancestor} is not writable)")


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


# The Pulumi CLI's own rule for a stack reference (pulumi/pulumi, pkg/backend/httpstate/
# backend.go: ValidateStackName, stackOwnerRegexp, stackNameAndProjectRegexp; the reference is
# split on "/" into [<owner>/[<project>/]]<stack> by backend.ParseStackIdentifier).
_STACK_PART_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_OWNER_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-_]{1,38}[a-zA-Z0-9]$")


@dataclass(frozen=True)
class StackRef:
    """A stack as the Pulumi CLI names it: ``stack``, ``owner/stack`` or
    ``owner/project/stack``."""

    stack: str
    owner: str | None = None
    project: str | None = None

    def __str__(self) -> str:
        return "/".join(part for part in (self.owner, self.project, self.stack) if part)


def stack_ref(value: str, project: str | None = None) -> StackRef:
    """``value`` read as a Pulumi stack reference, or a ``UsageError`` saying what a stack name
    may hold. ``project``, when given, is the project the reference has to name if it names one.
    Only the bare stack part ever reaches a file name (``Pulumi.<stack>.yaml``)."""
    parts = value.split("/")
    hint = (
        "a stack name is letters, digits, '_', '.' and '-' (at most 100), "
        "optionally qualified as <org>/<project>/<stack>"
    )
    if len(parts) > 3 or not all(parts):
        raise UsageError(f"stack {value!r} is not a stack name: {hint}")
    stack = parts[-1]
    owner = parts[0] if len(parts) > 1 else None
    named = parts[1] if len(parts) == 3 else None
    if not _STACK_PART_RE.match(stack) or stack in (".", ".."):
        raise UsageError(f"stack {value!r} is not a stack name: {hint}")
    if owner is not None and not _OWNER_RE.match(owner):
        raise UsageError(f"stack {value!r}: {owner!r} is not an organization name")
    if named is not None and not _STACK_PART_RE.match(named):
        raise UsageError(f"stack {value!r}: {named!r} is not a project name")
    if named is not None and project is not None and named != project:
        raise UsageError(f"stack {value!r} names project {named!r}, but this is {project!r}")
    return StackRef(stack=stack, owner=owner, project=named)


BATCH_GC_THRESHOLDS = (10_000, 50, 100)
"""The collector's thresholds for one command's run (CPython's defaults are 700, 10, 10).

A run imports the provider SDKs (tens of thousands of classes) and builds every resource of each
stack, objects that live until the run ends; with the defaults the collector traverses them again
and again, a quarter of ``preview --all`` here (``gc.callbacks``: 2.95 s of 10.07 s). Collections
still run, a hundred times less often in the oldest generation; the peak memory of
``preview --all`` stays within 2% (ru_maxrss 324 MB against 319 MB)."""


def run_command(main: Callable[[], int]) -> NoReturn:
    """Run a command's ``main`` as the whole process: ``python -m preflight ...``.

    Sets ``BATCH_GC_THRESHOLDS`` first. At the end every object still alive is frozen
    (``gc.freeze``) before the exit: the interpreter's shutdown collections would otherwise
    traverse the whole heap again, about 3 s after ``preview --all`` has printed its last line
    here, against 0.1 s frozen. Output is flushed and ``atexit`` handlers run as usual. Only the
    entry points call this; tests and other importers keep the interpreter's defaults.
    """
    gc.set_threshold(*BATCH_GC_THRESHOLDS)
    code = main()
    gc.freeze()
    sys.exit(code)
