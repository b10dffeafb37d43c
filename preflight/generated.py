"""The one registry of generated files: every command that writes a generated doc (``docs``,
``dotenv``, ``graph --docs``, ``scan --docs``) writes it and checks it through here.

``write_or_check`` is the single comparison behind every ``--check``: the file on disk against
the text the code generates now. ``replace_block`` swaps the body of a README block between
``<!-- name:start -->`` and ``<!-- name:end -->`` markers.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from preflight.cli import ROOT, UsageError


class Outcome(Enum):
    CURRENT = "current"
    """The file already holds the generated text."""
    STALE = "stale"
    """``check``: the file differs from the generated text (or is missing); left as it is."""
    WRITTEN = "written"
    """The file differed and was rewritten."""


def write_or_check(path: Path, text: str, check: bool) -> Outcome:
    """Compare ``path`` with the generated ``text``; unless ``check``, rewrite it when stale."""
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if current == text:
        return Outcome.CURRENT
    if check:
        return Outcome.STALE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Outcome.WRITTEN


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of a generated README block."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def replace_block(text: str, block: tuple[str, str], body: str, where: str = "README.md") -> str:
    """``text`` with everything between the block's markers replaced by a newline and ``body``."""
    start, end = text.find(block[0]), text.find(block[1])
    if start < 0 or end < start:
        raise UsageError(f"{where} lacks the {block[0]} ... {block[1]} markers")
    return text[: start + len(block[0])] + "\n" + body + text[end:]


def shown(path: Path) -> str:
    """A path as messages print it: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
