"""Interruptions that leave nothing behind: signals, child processes, scratch folders, worktrees.

Commands that check a commit out into a temporary ``git worktree`` (``python -m preflight diff``,
``scripts/rollback.py``) use this module for three things:

* ``handling_signals()``: SIGINT (Ctrl-C), SIGTERM (what a CI cancel and ``kill`` send) and SIGHUP
  (a closed terminal) raise ``Interrupted`` in the main thread, once; the ``finally`` blocks then
  remove what the run created, and the command prints one line and exits ``128 + signal
  number``, the shell convention: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. Signals that
  arrive while cleanup runs do not interrupt it (``deferred()``).
* ``child()``: a subprocess that is stopped with the run: on an interruption it gets its stop
  signal (unless the terminal already sent Ctrl-C to it: a child in our foreground process group
  gets the terminal's SIGINT directly, and Pulumi takes a second one as "terminate at once"),
  then ``grace`` seconds, then SIGKILL. On Linux it also gets its stop signal from the kernel if
  this process dies without running any handler (``PR_SET_PDEATHSIG``, prctl(2)).
* ``scratch()``: a temporary folder ``<TMPDIR>/preflight-<kind>-<pid>-<random>`` with an owner
  marker (host, the owner's process id and start time, and those of its children), removed with
  its worktrees on the way out. ``reclaim()`` runs at start-up and removes what a run killed with
  SIGKILL left: only folders whose name has that pattern, that belong to this user, carry a marker
  naming this host, and whose owner and children are all gone (a reused process id is told apart
  by its start time, /proc/<pid>/stat field 22). It never touches a live run's folder, nor
  anything without the marker (except an empty folder of that name whose owner is gone).
  It then drops the git registrations of worktrees that lay in one of our folders that no
  longer exists, by name (``git worktree remove --force --force``), and no other: not the
  repository-wide ``git worktree prune``, which would also drop a registration of the user's
  whose folder is merely away (git-worktree(1), "remove" and "prune").
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess  # nosec B404  # git and the commands' own children, argv lists, no shell
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""The signals a run cleans up after."""

PREFIX = "preflight-"
KINDS = ("diff", "rollback")
"""The scratch folders this module makes and reclaims: ``preflight-<kind>-<pid>-<random>``."""
MARKER = ".preflight-owner.json"
_NAME_RE = re.compile(rf"^{re.escape(PREFIX)}({'|'.join(KINDS)})-([0-9]+)-[a-z0-9_]+$")


def exit_code(signum: int) -> int:
    """The exit code of a run stopped by ``signum``: 128 + its number, as a shell reports it."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class Interrupted(BaseException):  # like KeyboardInterrupt: not an error
    """A handled signal stopped the run (a BaseException, so ``except Exception`` lets it by)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum

    @property
    def name(self) -> str:
        return signal_name(self.signum)

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum)


@dataclass
class _State:
    installed: bool = False
    received: int | None = None
    raised: bool = False
    shield: int = 0
    children: dict[int, tuple[subprocess.Popen[Any], int]] = field(default_factory=dict)


_state = _State()


def _terminal_sent_it(signum: int) -> bool:
    """Whether a Ctrl-C reached our children from the terminal already: SIGINT, and this process
    group is the foreground group of the controlling terminal (the children share it)."""
    if signum != signal.SIGINT:
        return False
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def _signal_children(signum: int) -> None:
    if _terminal_sent_it(signum):
        return
    for proc, stop in list(_state.children.values()):
        with contextlib.suppress(OSError):
            proc.send_signal(stop)


def _handler(signum: int, _frame: FrameType | None) -> None:
    if _state.received is not None:  # a later signal: pass it on, never raise again
        _signal_children(signum)
        return
    _state.received = signum  # the first: ``child()`` stops its process on the way out
    if _state.shield == 0:
        _state.raised = True
        raise Interrupted(signum)


def check() -> None:
    """Raise ``Interrupted`` if a signal came and no one has raised it yet (code that catches
    every exception, such as an event loop, may have swallowed the first one)."""
    if _state.received is not None and not _state.raised and _state.shield == 0:
        _state.raised = True
        raise Interrupted(_state.received)


@contextlib.contextmanager
def handling_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise ``Interrupted`` (once) inside this block; the previous
    handlers come back after it. Only the main thread can install handlers: elsewhere (a test
    runner's worker thread) the block runs without them."""
    if _state.installed or not _main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, _handler)
    _state.installed = True
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        pending = None if _state.raised else _state.received
        _state.installed = False
        _state.received = None
        _state.raised = False
        if pending is not None:  # it came where it could not be raised: report it now
            raise Interrupted(pending)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _shielded() -> Iterator[None]:
    """Like ``deferred()`` but without raising at the end: for a block whose caller calls
    ``check()`` itself once what the block made is in its own ``try``."""
    _state.shield += 1
    try:
        yield
    finally:
        _state.shield -= 1


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A block a signal does not cut short: one that arrives inside is raised at its end (unless
    the block is already leaving with an exception). Creation and removal of scratch folders and
    worktrees run inside one, so neither is left half done."""
    _state.shield += 1
    leaving_with_error = False
    try:
        yield
    except BaseException:
        leaving_with_error = True
        raise
    finally:
        _state.shield -= 1
        if not leaving_with_error:
            check()


# --- child processes -----------------------------------------------------------------------


def _die_with_parent(signum: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send ``signum`` to the child when this process dies
    (``prctl(PR_SET_PDEATHSIG)``); None where that does not exist."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, int(signum), 0, 0, 0)

    return preexec


@contextlib.contextmanager
def child(
    argv: Sequence[str],
    *,
    stop: int = signal.SIGTERM,
    grace: float | None = 5.0,
    on_interrupt: Callable[[], None] | None = None,
    owner: Scratch | None = None,
    **popen: Any,
) -> Iterator[subprocess.Popen[Any]]:
    """``subprocess.Popen(argv, **popen)`` that does not outlive the run.

    If the block leaves with an exception (an interruption among them) while the child runs,
    the child gets ``stop`` (SIGTERM by default; Pulumi takes SIGINT as "cancel cleanly"),
    ``on_interrupt`` is called (to say what is being waited for), and after ``grace`` seconds
    (None: as long as it takes; a further signal is passed on) it is killed. ``owner`` records
    the child's process id in that scratch folder's marker, so ``reclaim()`` leaves the folder
    alone while the child still runs.
    """
    with _shielded():
        proc: subprocess.Popen[Any] = subprocess.Popen(  # noqa: S603  # nosec B603  # argv list
            list(argv), preexec_fn=_die_with_parent(stop), **popen
        )
        _state.children[proc.pid] = (proc, stop)
    try:
        check()  # a signal that came while it started
        if owner is not None:
            owner.add_process(proc.pid)
        yield proc
    except BaseException as exc:
        with deferred():
            if proc.poll() is None:
                if not (isinstance(exc, Interrupted) and _terminal_sent_it(exc.signum)):
                    with contextlib.suppress(OSError):
                        proc.send_signal(stop)
                if on_interrupt is not None and isinstance(exc, Interrupted):
                    on_interrupt()
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    proc.kill()
        raise
    finally:
        with deferred():
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            proc.wait()
            _state.children.pop(proc.pid, None)


# --- scratch folders and worktrees ---------------------------------------------------------


def _git_binary() -> str:
    return shutil.which("git") or "git"


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git in ``repo``, shielded from signals: these calls are short, and one cut short is what
    leaves a half-registered worktree."""
    with deferred():
        return subprocess.run(  # noqa: S603  # nosec B603  # argv list, no shell
            [_git_binary(), *args], cwd=repo, capture_output=True, text=True, check=False
        )


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks after boot, /proc/<pid>/stat field 22), or
    None where /proc does not tell. The fields after the command name, which is in parentheses
    and may itself contain spaces, start at field 3."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _zombie(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rfind(")") + 2 :].startswith("Z")


def alive(pid: int, start: str | None) -> bool:
    """Whether process ``pid`` still runs and is the one that started at ``start``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    if _zombie(pid):
        return False
    now = _start_time(pid)
    return start is None or now is None or now == start


class WorktreeError(Exception):
    """``git worktree add`` failed; the message is git's last line."""


class Scratch:
    """One run's temporary folder and the git worktrees inside it; see ``scratch()``."""

    def __init__(self, path: Path, kind: str, repo: Path) -> None:
        self.path = path
        self.kind = kind
        self.repo = repo
        self.processes: list[dict[str, Any]] = [_process(os.getpid())]
        self.worktrees: list[Path] = []

    def _write_marker(self) -> None:
        marker = {
            "tool": "preflight",
            "kind": self.kind,
            "name": self.path.name,
            "host": socket.gethostname(),
            "repo": str(self.repo),
            "processes": self.processes,
        }
        staged = self.path / f"{MARKER}.tmp"
        staged.write_text(json.dumps(marker, sort_keys=True) + "\n")
        os.replace(staged, self.path / MARKER)

    def add_process(self, pid: int) -> None:
        self.processes.append(_process(pid))
        self._write_marker()

    def add_worktree(self, commit: str, name: str) -> Path:
        """A detached worktree of ``commit`` at ``<folder>/<name>``."""
        path = self.path / name
        with deferred():
            self.worktrees.append(path)
            done = _git(self.repo, "worktree", "add", "--detach", "--quiet", str(path), commit)
        if done.returncode != 0:
            raise WorktreeError(_last_line(done.stderr))
        return path

    def remove(self) -> None:
        with deferred():
            for path in self.worktrees:
                if path.exists():
                    _git(self.repo, "worktree", "remove", "--force", "--force", str(path))
            shutil.rmtree(self.path, ignore_errors=True)
            if self.worktrees:  # a registration git could not drop while the folder was there
                _drop_registrations(self.repo, _roots(self.path.parent), only=self.path)


def _process(pid: int) -> dict[str, Any]:
    return {"pid": pid, "start": _start_time(pid)}


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


@contextlib.contextmanager
def scratch(kind: str, repo: Path) -> Iterator[Scratch]:
    """A temporary folder for one run of ``kind`` on ``repo`` (see the module docstring), removed
    with its worktrees on the way out, whatever happened."""
    if kind not in KINDS:
        raise ValueError(f"unknown scratch kind {kind!r}")
    with _shielded():
        made = Scratch(Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-{os.getpid()}-")), kind, repo)
    try:
        made._write_marker()
        check()  # a signal that came while it was made
        yield made
    finally:
        made.remove()


def _owned_by_us(path: Path) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


def _reclaimable(path: Path) -> dict[str, Any] | None:
    """The marker of ``path`` if the folder is provably ours and its run is over; an empty dict
    for a folder without marker that is empty (its run died before writing one); else None."""
    match = _NAME_RE.match(path.name)
    if not match or not _owned_by_us(path):
        return None
    owner = int(match.group(2))
    try:
        marker = json.loads((path / MARKER).read_text())
    except FileNotFoundError:
        leftovers = {p.name for p in path.iterdir()}
        if leftovers <= {f"{MARKER}.tmp"} and not alive(owner, None):
            return {}
        return None
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict):
        return None
    processes = marker.get("processes")
    if (
        marker.get("tool") != "preflight"
        or marker.get("name") != path.name
        or marker.get("host") != socket.gethostname()
        or not isinstance(processes, list)
        or not processes
        or not all(isinstance(p, dict) and isinstance(p.get("pid"), int) for p in processes)
        or processes[0]["pid"] != owner
    ):
        return None
    if any(alive(p["pid"], p.get("start")) for p in processes):
        return None
    return marker


def _registered_worktrees(repo: Path) -> list[tuple[Path, bool]]:
    """``(path, locked)`` of the worktrees ``repo`` has registered, the main one left out."""
    done = _git(repo, "worktree", "list", "--porcelain")
    if done.returncode != 0:
        return []
    found: list[tuple[Path, bool]] = []
    for block in done.stdout.split("\n\n")[1:]:
        lines = block.splitlines()
        if lines and lines[0].startswith("worktree "):
            found.append(
                (Path(lines[0][len("worktree ") :]), any(x.startswith("locked") for x in lines))
            )
    return found


def reclaim(repo: Path | None) -> list[Path]:
    """Remove what killed runs left in the temporary folder (see the module docstring) and drop
    their worktree registrations from their repositories and from ``repo``; the folders removed.
    Safe while other runs work: their folders are alive, and only registrations inside one of
    our folders that no longer exists are dropped."""
    root = Path(tempfile.gettempdir())
    removed: list[Path] = []
    repos: set[Path] = {repo} if repo is not None else set()
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return removed
    with deferred():
        for path in entries:
            marker = _reclaimable(path)
            if marker is None:
                continue
            recorded = Path(str(marker.get("repo", "")))
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
                if marker and recorded.is_dir():
                    repos.add(recorded)
        for each in sorted(repos):
            _drop_registrations(each, _roots(root))
    return removed


def _roots(folder: Path) -> set[Path]:
    """``folder`` as given and resolved: git records a worktree's path with symlinks resolved
    (``/tmp`` may be one, as on macOS)."""
    return {folder, folder.resolve()}


def _scratch_of(worktree: Path, roots: set[Path]) -> Path | None:
    """The scratch folder (named as ours, directly in one of ``roots``) ``worktree`` lies in."""
    for top in [worktree, *worktree.parents]:
        if top.parent in roots and _NAME_RE.match(top.name):
            return top
    return None


def _drop_registrations(repo: Path, roots: set[Path], only: Path | None = None) -> None:
    """Drop ``repo``'s registrations of worktrees that lie in one of our scratch folders that no
    longer exists (``only``: in that one). ``git worktree remove --force --force`` of a missing
    worktree deletes its registration, locked or not (a run killed inside ``git worktree add``
    leaves it locked); unlike ``git worktree prune`` it touches nothing but the path it names,
    so a worktree of someone else's whose folder is away (an unmounted disk) stays registered.
    A run's folder exists before its worktree is added, so a run adding one is never hit."""
    for worktree, _locked in _registered_worktrees(repo):
        top = _scratch_of(worktree, roots)
        if top is None or top.exists() or (only is not None and top.name != only.name):
            continue
        _git(repo, "worktree", "remove", "--force", "--force", str(worktree))
