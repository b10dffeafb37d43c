"""Interrupting a command run as a real subprocess: wait until it is in the middle of its work
(its child wrote a file), signal it, and list what it left (worktrees, temporary folders)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.git import git

DEADLINE = 60.0
"""Seconds to wait for a file or an exit before the test fails instead of hanging."""

SIGNAL_EXIT = [
    (signal.SIGINT, 130),
    (signal.SIGTERM, 143),
    (signal.SIGHUP, 129),
]
"""Each handled signal and the exit code it leads to (128 + its number)."""
SIGNAL_IDS = [s.name for s, _ in SIGNAL_EXIT]


def wait_for(pattern: str, folder: Path, proc: subprocess.Popen[str] | None = None) -> Path:
    """The first file in ``folder`` matching ``pattern``, waited for; fails if ``proc`` exits
    first or nothing comes within ``DEADLINE`` seconds."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"exited {proc.returncode} before {pattern}: {out}\n{err}")
        time.sleep(0.05)
    raise AssertionError(f"no {pattern} in {folder} after {DEADLINE} s")


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for ``proc``: (exit code, stdout, stderr)."""
    out, err = proc.communicate(timeout=DEADLINE)
    return proc.returncode, out, err


def worktrees(repo: Path) -> list[str]:
    """The paths ``git worktree list`` shows for ``repo``, the main checkout first."""
    listed = git(repo, "worktree", "list", "--porcelain").splitlines()
    return [line.removeprefix("worktree ") for line in listed if line.startswith("worktree ")]


def left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def process_gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie waiting to be reaped counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].startswith("Z")


def wait_gone(pid: int) -> None:
    """Wait until process ``pid`` has exited; fails after ``DEADLINE`` seconds."""
    end = time.monotonic() + DEADLINE
    while not process_gone(pid):
        if time.monotonic() > end:
            raise AssertionError(f"process {pid} still runs after {DEADLINE} s")
        time.sleep(0.05)


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL ``proc`` and reap it, without reading its pipes: a child it leaves running may
    hold them open."""
    proc.kill()
    proc.wait(timeout=DEADLINE)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def stop_all(procs: list[subprocess.Popen[str]], state: Path) -> None:
    """Test teardown: release every held child (``state/release``) and kill what still runs,
    so a failing test leaves no process behind."""
    (state / "release").write_text("")
    for proc in procs:
        if proc.poll() is None:
            kill(proc)
