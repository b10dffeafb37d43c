"""Running the operator scripts under scripts/ offline: a git repository in a temporary folder,
command-line doubles written as small Python programs, and each script loaded as a module."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.git import git
from tests.support.scripts import SCRIPTS, load_script

__all__ = [
    "SCRIPTS",
    "commit_all",
    "git",
    "init_repo",
    "load_script",
    "rollback_repo",
    "run_script",
    "write_double",
]


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit_all(repo: Path, message: str) -> str:
    """Commit everything in ``repo``; the new commit's SHA."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def rollback_repo(repo: Path) -> list[str]:
    """A project checkout in ``repo`` where scripts/rollback.py runs: ``Pulumi.yaml``, the policy
    pack's ``PulumiPolicy.yaml`` and an empty ``prod.json``, committed three times (``version.txt``
    v1, v2, v3); the three commits' SHAs, oldest first."""
    init_repo(repo)
    (repo / "Pulumi.yaml").write_text("name: controlplane\nruntime: python\n")
    (repo / "policies" / "config").mkdir(parents=True)
    (repo / "policies" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (repo / "policies" / "config" / "prod.json").write_text("{}\n")
    commits = []
    for label in ("v1", "v2", "v3"):
        (repo / "version.txt").write_text(label + "\n")
        commits.append(commit_all(repo, label))
    return commits


def write_double(bin_dir: Path, name: str, program: str) -> Path:
    """An executable ``bin_dir/name`` that runs ``program`` with this interpreter."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!{sys.executable}\n{program}")
    path.chmod(0o755)
    return path


def run_script(
    name: str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python scripts/<name>.py ARGS`` as an operator runs it."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / f"{name}.py"), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
