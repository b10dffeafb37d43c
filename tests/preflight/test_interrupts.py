"""preflight.interrupts.reclaim: what it removes (provably ours, its run over) and what it never
touches (a live run's folder, anything without our marker, another host's, a symlink)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from preflight import interrupts
from tests.support.git import git
from tests.support.interrupts import left_in, worktrees


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "f").write_text("x\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    return repo


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def left_behind(
    tmp: Path, pid: int, *, repo: Path, folder: str | None = None, **marker: Any
) -> Path:
    """A folder as a run with process ``pid`` would leave it (or named ``folder``), its marker
    amended by ``marker``."""
    path = tmp / (folder or f"preflight-diff-{pid}-abcd1234")
    path.mkdir()
    body = {
        "tool": "preflight",
        "kind": "diff",
        "name": path.name,
        "host": socket.gethostname(),
        "repo": str(repo),
        "processes": [{"pid": pid, "start": interrupts._start_time(pid)}],
    }
    body.update(marker)
    (path / interrupts.MARKER).write_text(json.dumps(body))
    (path / "snapshots").mkdir()
    return path


def test_reclaims_a_dead_runs_folder_and_its_locked_worktree(tmp: Path, repo: Path) -> None:
    path = left_behind(tmp, dead_pid(), repo=repo)
    git(repo, "worktree", "add", "--detach", "--quiet", str(path / "base"), "HEAD")
    git(repo, "worktree", "lock", str(path / "base"))  # as `git worktree add` leaves it if killed
    assert interrupts.reclaim(repo) == [path]
    assert left_in(tmp) == []
    assert worktrees(repo) == [str(repo)]


def test_a_reused_process_id_does_not_keep_a_folder(tmp: Path, repo: Path) -> None:
    me = os.getpid()
    path = left_behind(tmp, me, repo=repo, processes=[{"pid": me, "start": "1"}])
    assert interrupts.reclaim(repo) == [path]


def test_an_empty_folder_of_a_dead_run_goes_a_live_ones_stays(tmp: Path, repo: Path) -> None:
    dead = tmp / f"preflight-rollback-{dead_pid()}-abcd1234"
    live = tmp / f"preflight-rollback-{os.getpid()}-abcd1234"
    dead.mkdir()
    live.mkdir()
    assert interrupts.reclaim(repo) == [dead]
    assert left_in(tmp) == [live.name]


def test_never_touches_what_is_not_provably_ours_or_still_running(
    tmp: Path, repo: Path, tmp_path: Path
) -> None:
    gone = dead_pid()
    kept = [
        # a live run: this process, with its true start time
        left_behind(tmp, os.getpid(), repo=repo),
        # a live child keeps a dead owner's folder
        left_behind(
            tmp,
            gone,
            repo=repo,
            processes=[
                {"pid": gone, "start": None},
                {"pid": os.getpid(), "start": interrupts._start_time(os.getpid())},
            ],
        ),
    ]
    for i, marker in enumerate(
        ({"host": "another-host"}, {"tool": "something-else"}, {"name": "renamed"})
    ):
        kept.append(
            left_behind(tmp, gone, repo=repo, folder=f"preflight-diff-{gone}-other{i}", **marker)
        )
    unmarked = tmp / f"preflight-diff-{gone}-nomarker"
    (unmarked / "data").mkdir(parents=True)
    kept.append(unmarked)
    for name in (f"preflight-evidence-{gone}-abcd1234", f"preflight-diff-x{gone}-abcd1234"):
        kept.append(left_behind(tmp, gone, repo=repo, folder=name))
    other = tmp_path / "elsewhere"
    other.mkdir()
    target = left_behind(other, gone, repo=repo)
    link = tmp / f"preflight-diff-{gone}-symlink"
    link.symlink_to(target)
    kept.append(link)
    # a worktree of the user's whose folder is away (an unmounted disk) stays registered
    away = tmp_path / "usb" / "feature"
    git(repo, "worktree", "add", "--detach", "--quiet", str(away), "HEAD")
    away.rename(tmp_path / "usb" / "moved")
    names = left_in(tmp)
    assert interrupts.reclaim(repo) == []
    assert left_in(tmp) == names == sorted(p.name for p in kept)
    assert target.exists()
    assert worktrees(repo) == [str(repo), str(away)]
