"""A fresh clone with nothing beside it is enough: no tracked file reads outside the repository.

Every tracked file except prose (Markdown) is read: code, Makefile, workflows, configs. A path
that climbs out of the repository (a sibling folder, ``ROOT.parent / ...``) or names the machine it
was written on (``/work/...``) fails here; whatever the project needs is vendored instead (see
``tools/vendor/``).
"""

from __future__ import annotations

import re
import subprocess  # nosec B404

from preflight.cli import ROOT

OUTSIDE = re.compile(
    r"\.\./sh[a]red\b"  # the checkout beside the repository
    r"|/work/"  # an absolute path of one machine
    r"|/ *[\"']shared[\"']"  # pathlib: ... / "shared"
    r"|\b(?:ROOT|REPO)\.parent\b"  # the directory holding the repository
)

# Files of other parts of the tree that still read the playbook text from beside the repository.
# Each must be fixed by vendoring what it reads; the last test fails once one no longer does, so
# this list only shrinks.
PENDING: set[str] = set()


def tracked_files() -> list[str]:
    out = subprocess.run(  # nosec B603 B607
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return sorted(p for p in out.split("\0") if p and not p.endswith(".md"))


def reads_outside(text: str) -> list[str]:
    """The lines of a file that reach outside the repository."""
    return [line.strip() for line in text.splitlines() if OUTSIDE.search(line)]


def offenders() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in tracked_files():
        try:
            text = (ROOT / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        if path == "tests/test_self_contained.py":
            continue
        lines = reads_outside(text)
        if lines:
            found[path] = lines
    return found


def test_no_tracked_file_reads_outside_the_repository() -> None:
    found = offenders()
    assert {p: lines for p, lines in found.items() if p not in PENDING} == {}


def test_pending_files_still_need_the_exemption() -> None:
    assert sorted(PENDING - set(offenders())) == []


def test_the_patterns_catch_the_ways_out() -> None:
    assert reads_outside('META = ROOT.parent / "shared" / "data" / "x.json"') != []
    sibling = "shared"  # the planted samples name the folder without this file naming it
    assert reads_outside(f"cat ../{sibling}/data/x.json") != []
    assert reads_outside(f'open("/work/{sibling}/data/x.json")') != []
    assert reads_outside('PLAYBOOK = PACK.parents[1] / "shared" / "seeds" / "x.txt"') != []
    assert reads_outside('META = ROOT / "tools" / "vendor" / "x.json"') == []
    assert reads_outside("cd policies && ../.venv/bin/mypy .") == []
