"""The two sides of a diff: the base revision in a temporary git worktree, the working tree here.

The base is synthesized by its own ``preflight`` (``python -m preflight synth --all --out-dir``
with this interpreter, in the worktree); the working tree in this process. Both get the same
fingerprint key, so a changed secret shows as changed without its value.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess  # nosec B404  # git and this interpreter, fixed argument lists, no shell
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from preflight import interrupts
from preflight import synth as synth_mod
from preflight.cli import UsageError, progress
from preflight.diff.model import COMMAND, DiffError, safe_text
from preflight.snapshot import FINGERPRINT_ENV


def _git_binary() -> str:
    found = shutil.which("git")
    if not found:
        raise UsageError("git not found: install git")
    return found


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # nosec B603  # argv list, no shell
        [_git_binary(), *args], cwd=repo, capture_output=True, text=True, check=False
    )


def resolve_commit(repo: Path, rev: str) -> str:
    if not rev or rev.startswith("-"):
        raise UsageError(f"--base {rev!r} is not a git revision: pass e.g. origin/main")
    done = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if done.returncode != 0:
        raise UsageError(
            f"--base {rev}: no such commit in {repo} (in CI, check out with fetch-depth: 0)"
        )
    return done.stdout.strip()


def repo_root(path: Path) -> Path:
    done = _git(path, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise UsageError(f"{path} is not inside a git repository: preflight diff compares commits")
    return Path(done.stdout.strip()).resolve()


@contextlib.contextmanager
def base_worktree(repo: Path, commit: str) -> Iterator[tuple[Path, interrupts.Scratch]]:
    """A detached worktree of ``commit`` in this run's scratch folder, and that folder; both
    removed on the way out, also when the run is interrupted (``preflight.interrupts``)."""
    with interrupts.scratch("diff", repo) as scratch:
        try:
            path = scratch.add_worktree(commit, "base")
        except interrupts.WorktreeError as err:
            raise DiffError(f"git worktree add failed: {err}") from None
        yield path, scratch


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def synthesize_base(
    checkout: Path,
    project: Path,
    key: str,
    out_dir: Path,
    owner: interrupts.Scratch | None = None,
) -> dict[str, dict[str, Any]]:
    """Every stack of the base revision, synthesized by the base's own preflight in a
    subprocess of this interpreter; ``project`` is the Pulumi project inside ``checkout``.
    The subprocess is stopped with this run (SIGTERM, then SIGKILL after 5 seconds) and is
    recorded in ``owner``'s marker while it runs."""
    argv = [sys.executable, "-m", "preflight", "synth", "--all", "--out-dir", str(out_dir)]
    if project != checkout:
        argv += ["--project", str(project)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env[FINGERPRINT_ENV] = key
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with interrupts.child(
        argv,
        owner=owner,
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        tail: list[str] = []
        for line in proc.stderr or ():
            line = line.rstrip("\n")
            if line.strip():
                print(f"  base | {safe_text(line)}", file=sys.stderr, flush=True)
                tail = [*tail[-4:], line]
        code = proc.wait()
    if code != 0:
        last = tail[-1] if tail else "no output"
        hint = ""
        if "unrecognized arguments" in last or "invalid choice" in last:
            hint = " (the base revision's preflight predates `synth --out-dir`: pick a later base)"
        raise DiffError(f"synthesizing the base revision failed (exit {code}): {last}{hint}")
    snapshots = {}
    for path in sorted(out_dir.glob("*.json")):
        try:
            snapshots[path.stem] = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise DiffError(f"the base snapshot {path.name} is not JSON: {err.msg}") from None
    return snapshots


def synthesize_head(stacks: list[str], project: Path, key: str) -> dict[str, dict[str, Any]]:
    """The working tree's stacks, synthesized in this process."""
    try:
        return synth_mod.synthesize(
            stacks,
            project,
            fingerprint_key=key.encode(),
            progress=functools.partial(progress, command=COMMAND),
        )
    except synth_mod.UsageError as err:
        raise UsageError(f"working tree: {err}") from None
