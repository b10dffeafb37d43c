#!/usr/bin/env python3
"""Roll a stack back to an earlier update, using the Pulumi CLI's own stack history.

    python scripts/rollback.py --stack prod                   list the stack's updates
    python scripts/rollback.py --stack prod --to 41           preview, confirm, roll back to 41
    python scripts/rollback.py --stack prod --target          the version to roll back to if the
                                                              next deploy goes wrong

Every update that ``pulumi up`` records carries the git commit it was run from (the
``git.head`` key of the update's environment metadata). ``--to VERSION`` checks that commit out
into a temporary git worktree (the current checkout is never touched), runs ``pulumi preview``
there with the policy pack, asks for confirmation (or takes ``--yes``), runs ``pulumi up`` from
the worktree with a message that names the rolled-back version, and removes the worktree again,
also when something fails or the run is interrupted (Ctrl-C, SIGTERM, SIGHUP: pulumi is asked
to cancel and waited for; exit 128 + the signal's number; ``preflight.interrupts``). Without
``--yes`` it refuses (exit 2) while the policy config or ``Pulumi.<stack>.yaml`` has uncommitted
changes.

The Pulumi CLI is ``pulumi`` on PATH, or the program named by the environment variable
``PULUMI_BIN``. The runbook is docs/runbooks/rollback.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess  # nosec B404  # git and python/pulumi with fixed argument lists, no shell
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file (python scripts/rollback.py): find preflight
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import change_notice
from _usage import parser_class

from preflight import interrupts
from preflight.cli import EXIT_USAGE, UsageError, error, progress, stack_ref

PROG = "rollback"
HISTORY_PAGE_SIZE = 100
MAX_HISTORY_PAGES = 100
GIT_HEAD = "git.head"
GIT_DIRTY = "git.dirty"
_COMMIT_RE = re.compile(r"^[0-9a-f]{7,64}$")


class RollbackError(Exception):
    """Something outside this script failed (the Pulumi CLI, git); exit code 1."""


class HistoryError(RollbackError, UsageError):
    """The stack history is not what ``pulumi stack history --json`` prints: input this script
    cannot use, so one line and exit code 2 like any bad input (nothing of it is echoed)."""


@dataclass(frozen=True)
class Update:
    """One entry of ``pulumi stack history --json``, with what a rollback needs from it."""

    version: int
    kind: str
    result: str
    start_time: datetime | None
    end_time: datetime | None
    message: str
    commit: str | None
    dirty: bool

    @property
    def short_commit(self) -> str:
        return self.commit[:12] if self.commit else "-"

    @property
    def succeeded_update(self) -> bool:
        return self.kind == "update" and self.result == "succeeded"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_history(text: str) -> list[Update]:
    """Updates from the output of ``pulumi stack history --json``, newest first.

    The CLI prints a JSON list of objects with ``version``, ``kind``, ``startTime``,
    ``message``, ``environment`` (string map, ``git.head`` among it), ``config`` (secret values
    omitted unless ``--show-secrets``, which this script never passes), ``result`` and, once
    finished, ``endTime`` and ``resourceChanges``.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise HistoryError(
            f"`pulumi stack history --json` did not print JSON ({err.msg} at line {err.lineno})"
        ) from None
    except RecursionError:
        raise HistoryError("`pulumi stack history --json` printed JSON nested too deeply") from None
    if not isinstance(data, list):
        raise HistoryError("`pulumi stack history --json` did not print a list of updates")
    updates = []
    for index, entry in enumerate(data):
        _check_entry(entry, index)
        env = entry.get("environment") or {}
        commit = str(env.get(GIT_HEAD, "")).strip().lower() or None
        message = str(entry.get("message") or "").strip().splitlines()
        updates.append(
            Update(
                version=entry["version"],
                kind=str(entry.get("kind", "")),
                result=str(entry.get("result", "")),
                start_time=_parse_time(entry.get("startTime")),
                end_time=_parse_time(entry.get("endTime")),
                message=message[0] if message else "",
                commit=commit,
                dirty=str(env.get(GIT_DIRTY, "")).lower() == "true",
            )
        )
    return sorted(updates, key=lambda u: u.version, reverse=True)


_ENTRY_TEXT_FIELDS = ("kind", "result", "startTime", "endTime", "message")


def _check_entry(entry: Any, index: int) -> None:
    """One history entry has the CLI's shape: a numeric ``version``, text (or nothing) where the
    CLI writes text, and ``environment`` a map of text; else a ``HistoryError`` naming the
    field, never its value."""
    where = f"`pulumi stack history --json` update #{index + 1}"
    if not isinstance(entry, dict):
        raise HistoryError(f"{where} is not an object")
    version = entry.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise HistoryError(f"{where} has no numeric version")
    for key in _ENTRY_TEXT_FIELDS:
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise HistoryError(f"{where} (version {version}): {key!r} is not text")
    env = entry.get("environment")
    if env is not None and not (
        isinstance(env, dict) and all(isinstance(v, str) for v in env.values())
    ):
        raise HistoryError(f"{where} (version {version}): 'environment' is not a map of text")


# --- external commands -------------------------------------------------------------------


def run_streaming(argv: Sequence[str], cwd: Path, owner: interrupts.Scratch | None = None) -> int:
    """Run a Pulumi command with its output going straight to the operator's terminal.

    Interrupted (Ctrl-C, SIGTERM, SIGHUP), the command gets SIGINT, which every Pulumi CLI takes
    as "cancel cleanly" (a second one as "stop at once"; pulumi/pulumi#17467 added SIGTERM), and
    this waits until it has stopped; a further signal is passed on. ``owner`` is the scratch
    folder the command runs in, which records it while it runs."""
    try:
        with interrupts.child(
            argv,
            stop=signal.SIGINT,
            grace=None,
            on_interrupt=lambda: progress(
                "interrupted: waiting for pulumi to stop cleanly", command=PROG
            ),
            owner=owner,
            cwd=cwd,
        ) as proc:
            return proc.wait()
    except OSError as err:
        raise RollbackError(f"could not run {argv[0]}: {err.strerror}") from None


def run_captured(
    argv: Sequence[str], cwd: Path, owner: interrupts.Scratch | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command with its output captured; stopped (SIGINT) with the run."""
    try:
        with interrupts.child(
            argv,
            stop=signal.SIGINT,
            owner=owner,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as proc:
            out, err = proc.communicate()
    except OSError as exc:
        raise RollbackError(f"could not run {argv[0]}: {exc.strerror}") from None
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def find_pulumi() -> str:
    configured = os.environ.get("PULUMI_BIN")
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise UsageError(f"PULUMI_BIN={configured} is not an executable file")
        return configured
    found = shutil.which("pulumi")
    if not found:
        raise UsageError("pulumi CLI not found: install it or set PULUMI_BIN to its path")
    return found


def _git() -> str:
    found = shutil.which("git")
    if not found:
        raise UsageError("git not found: install git")
    return found


def git_toplevel(path: Path) -> Path:
    done = run_captured([_git(), "rev-parse", "--show-toplevel"], path)
    if done.returncode != 0:
        raise UsageError(f"{path} is not inside a git repository: run from the project checkout")
    return Path(done.stdout.strip()).resolve()


def commit_exists(repo: Path, commit: str) -> bool:
    if not _COMMIT_RE.match(commit):
        return False
    done = run_captured([_git(), "cat-file", "-e", f"{commit}^{{commit}}"], repo)
    return done.returncode == 0


@contextlib.contextmanager
def worktree_scratch(repo: Path, commit: str) -> Iterator[tuple[Path, interrupts.Scratch]]:
    """A detached worktree of ``commit`` in this run's scratch folder, and that folder; both
    removed on the way out, whatever happened, an interruption included
    (``preflight.interrupts``)."""
    with interrupts.scratch("rollback", repo) as scratch:
        try:
            path = scratch.add_worktree(commit, "checkout")
        except interrupts.WorktreeError as err:
            raise RollbackError(
                f"git worktree add failed for commit {commit[:12]}: {err}"
            ) from None
        yield path, scratch


@contextlib.contextmanager
def temporary_worktree(repo: Path, commit: str, label: str) -> Iterator[Path]:
    """A detached worktree of ``commit``; removed on the way out, whatever happened. ``label``
    names what it is for in the progress lines of the caller (kept for its callers)."""
    del label
    with worktree_scratch(repo, commit) as (path, _scratch):
        yield path


# --- history ---------------------------------------------------------------------------


class Pulumi:
    def __init__(self, binary: str, stack: str, cwd: Path) -> None:
        self.binary = binary
        self.stack = stack
        self.cwd = cwd

    def history_page(self, page_size: int, page: int) -> list[Update]:
        argv = [self.binary, "stack", "history", "--stack", self.stack, "--json"]
        argv += ["--page-size", str(page_size), "--page", str(page)]
        done = run_captured(argv, self.cwd)
        if done.returncode != 0:
            raise RollbackError(
                f"pulumi stack history failed for stack {self.stack}: {_last_line(done.stderr)}"
            )
        return parse_history(done.stdout or "[]")

    def history(self, until: Callable[[list[Update]], bool] | None = None) -> list[Update]:
        """Pages of history, newest first, until ``until(updates)`` holds or history ends."""
        updates: list[Update] = []
        seen: set[int] = set()
        for page in range(1, MAX_HISTORY_PAGES + 1):
            batch = [u for u in self.history_page(HISTORY_PAGE_SIZE, page) if u.version not in seen]
            seen.update(u.version for u in batch)
            updates.extend(batch)
            if len(batch) < HISTORY_PAGE_SIZE or (until is not None and until(updates)):
                break
        return sorted(updates, key=lambda u: u.version, reverse=True)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def format_history(updates: list[Update], repo: Path, fmt: str = "text") -> str:
    """The stack's updates, newest first: a text table, a Markdown table (``fmt="markdown"``)
    or one JSON object each (``fmt="json"``)."""
    if fmt == "json":
        return json.dumps(
            [
                {
                    "version": u.version,
                    "kind": u.kind,
                    "result": u.result,
                    "started": u.start_time.isoformat() if u.start_time else None,
                    "finished": u.end_time.isoformat() if u.end_time else None,
                    "commit": u.commit,
                    "commitInRepository": bool(u.commit and commit_exists(repo, u.commit)),
                    "dirty": u.dirty,
                    "message": u.message,
                }
                for u in updates
            ],
            indent=2,
            sort_keys=True,
        )
    if fmt == "markdown":
        lines = [
            "| Version | Kind | Result | Started | Commit | Message |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for u in updates:
            commit = f"`{u.short_commit}`" if u.commit else "-"
            if u.commit and not commit_exists(repo, u.commit):
                commit += " (not in this repository)"
            elif u.dirty:
                commit += " (uncommitted changes)"
            lines.append(
                f"| {u.version} | {u.kind} | {u.result} | {_when(u.start_time)} | {commit} "
                f"| {_md_cell(u.message)} |"
            )
        return "\n".join(lines)
    rows = [("VERSION", "KIND", "RESULT", "STARTED", "COMMIT", "MESSAGE")]
    for u in updates:
        commit = u.short_commit
        if u.commit and not commit_exists(repo, u.commit):
            commit += " (not in this repository)"
        elif u.dirty:
            commit += " (uncommitted changes)"
        rows.append((str(u.version), u.kind, u.result, _when(u.start_time), commit, u.message))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        (
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5]
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def select_target(
    updates: list[Update], version: int, stack: str, repo: Path, *, allow_dirty: bool
) -> Update:
    """The update to roll back to, or a UsageError that says why it cannot be."""
    by_version = {u.version: u for u in updates}
    target = by_version.get(version)
    if target is None:
        if not updates:
            raise UsageError(
                f"stack {stack} has no update history: there is nothing to roll back to"
            )
        known = f"{min(by_version)}-{max(by_version)}"
        raise UsageError(
            f"version {version} is not in the history of stack {stack} (it has versions {known}): "
            "run without --to to list them"
        )
    if target.kind != "update":
        raise UsageError(
            f"version {version} was a {target.kind or 'non-update'}, not an update: "
            "pick a version whose kind is update"
        )
    if target.result != "succeeded":
        raise UsageError(
            f"version {version} {target.result or 'has no result'}: "
            "roll back only to a version whose update succeeded"
        )
    if target.commit is None:
        raise UsageError(
            f"version {version} recorded no git commit ({GIT_HEAD}): it cannot be checked out; "
            "pick a version that shows a commit"
        )
    if target.dirty and not allow_dirty:
        raise UsageError(
            f"version {version} was deployed with uncommitted changes ({GIT_DIRTY}=true), "
            f"so commit {target.short_commit} does not reproduce it: "
            "pass --allow-dirty to use that commit anyway"
        )
    if not commit_exists(repo, target.commit):
        raise UsageError(
            f"commit {target.commit} of version {version} is not in this repository: "
            "run `git fetch origin` and try again"
        )
    newest = updates[0]
    if newest.version == version:
        raise UsageError(
            f"version {version} is what stack {stack} runs now: there is nothing to roll back"
        )
    return target


def latest_successful(updates: list[Update]) -> Update | None:
    return next((u for u in updates if u.succeeded_update), None)


def format_target(stack: str, target: Update | None, fmt: str, repo: Path) -> str:
    if fmt == "json":
        body: dict[str, Any] = {"stack": stack, "target": None}
        if target is not None:
            body["target"] = {
                "version": target.version,
                "commit": target.commit,
                "commitInRepository": bool(target.commit and commit_exists(repo, target.commit)),
                "finished": target.end_time.isoformat() if target.end_time else None,
                "message": target.message,
            }
        return json.dumps(body, indent=2, sort_keys=True)
    if target is None:
        line = (
            f"stack {stack} has no successful update yet: this is its first deployment, "
            "nothing to roll back to"
        )
        return f"### Rollback target for `{stack}`\n\n{line}\n" if fmt == "markdown" else line
    command = f"python scripts/rollback.py --stack {stack} --to {target.version}"
    if fmt == "markdown":
        return "\n".join(
            [
                f"### Rollback target for `{stack}`",
                "",
                "If this deployment goes wrong, roll back to the last successful update:",
                "",
                "| Version | Commit | Finished | Message |",
                "| --- | --- | --- | --- |",
                f"| {target.version} | `{target.commit or '-'}` | {_when(target.end_time)} "
                f"| {_md_cell(target.message)} |",
                "",
                f"Command: `{command}` (runbook: docs/runbooks/rollback.md)",
                "",
            ]
        )
    return (
        f"rollback target for stack {stack}: version {target.version}, "
        f"commit {target.commit or '-'}, finished {_when(target.end_time)}\n  {command}"
    )


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")[:200] or "-"


# --- rollback --------------------------------------------------------------------------


def rollback_message(stack: str, target: Update) -> str:
    return f"rollback of {stack} to version {target.version} (commit {target.short_commit})"


def _confirm(stack: str, target: Update, read: Callable[[str], str]) -> bool:
    try:
        answer = read(
            f"Roll back stack {stack} to version {target.version} (commit {target.short_commit})? "
            f"Type the stack name to confirm: "
        )
    except EOFError:
        return False
    return answer.strip() == stack


def _policy_files(
    base: Path, pack: str | None, config: str | None, stack: str
) -> tuple[Path, Path]:
    pack_dir = Path(pack).resolve() if pack else base / "policies"
    # A stack's deploy config (prod-deploy.json: the change freeze mandatory) when it has one.
    deploy_config = pack_dir / "config" / f"{stack}-deploy.json"
    default_config = (
        deploy_config if deploy_config.is_file() else pack_dir / "config" / f"{stack}.json"
    )
    config_file = Path(config).resolve() if config else default_config
    if not pack_dir.is_dir():
        raise UsageError(f"policy pack not found at {pack_dir}: pass --policy-pack DIR")
    if not config_file.is_file():
        raise UsageError(
            f"policy pack config not found at {config_file}: pass --policy-pack-config FILE"
        )
    return pack_dir, config_file


def rollback_config(config: Path, stack: str, version: int, into: Path) -> Path:
    """The deploy config a rollback runs with: ``config`` as it is, except that the 48-hour
    notice (playbook §9) is overridden: a rollback restores what already ran in prod, so the
    notice that would delay it has no one to protect. Written into ``into``; the freeze and every
    other policy stay as ``config`` says."""
    try:
        base = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"policy pack config {config}: cannot read it ({err})") from None
    entry = base.get(change_notice.POLICY, base.get("all")) if isinstance(base, dict) else None
    level = entry.get("enforcementLevel") if isinstance(entry, dict) else entry
    if not isinstance(base, dict) or level in (None, "disabled"):
        return config
    derived = change_notice.policy_config(
        base,
        stack,
        datetime.now(UTC),
        [],
        report=None,
        classified=False,
        override=f"rollback of {stack} to version {version}",
        pin_now=False,
    )
    path = into / config.name
    path.write_text(json.dumps(derived, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def uncommitted(repo: Path, paths: Sequence[Path]) -> list[Path]:
    """Those of ``paths`` inside ``repo`` whose working-tree state differs from HEAD (modified,
    staged, deleted or untracked: ``git status --porcelain``), as the same ``Path`` objects."""
    changed = []
    for path in paths:
        try:
            relative = path.resolve().relative_to(repo)
        except ValueError:
            continue  # outside the repository: git knows nothing of it
        done = run_captured(
            [_git(), "status", "--porcelain", "--untracked-files=all", "--", str(relative)], repo
        )
        if done.returncode == 0 and done.stdout.strip():
            changed.append(path)
    return changed


def _refuse_uncommitted(
    args: argparse.Namespace,
    repo: Path,
    project: Path,
    current_pack: tuple[Path, Path] | None,
    target: Update,
) -> None:
    """A UsageError naming the policy config and stack file with uncommitted changes, which
    would make the rollback differ from what the operator reads in git; with ``--yes``, one line
    saying the rollback goes on with them."""
    stack_file = project / f"Pulumi.{args.stack.rsplit('/', 1)[-1]}.yaml"
    notes = {stack_file: f"the rollback applies version {target.version}'s, not this one"}
    config = current_pack[1] if current_pack else None
    if config is None:
        with contextlib.suppress(UsageError):
            config = _policy_files(project, None, None, stack_ref(args.stack).stack)[1]
        notes_config = f"the rollback uses version {target.version}'s policy config"
    else:
        notes_config = "preview and up would use it as modified"
    if config is not None:
        notes = {config: notes_config, **notes}
    changed = uncommitted(repo, list(notes))
    if not changed:
        return
    listed = " and ".join(f"{p.resolve().relative_to(repo)} ({notes[p]})" for p in changed)
    if not args.yes:
        raise UsageError(
            f"uncommitted changes to {listed}: commit or revert them, or pass --yes to roll back "
            "anyway"
        )
    progress(f"rolling back with uncommitted changes to {listed}, as --yes says", command=PROG)


def do_rollback(args: argparse.Namespace, pulumi: Pulumi, repo: Path, project: Path) -> int:
    updates = pulumi.history(until=lambda seen: any(u.version == args.to for u in seen))
    target = select_target(updates, args.to, args.stack, repo, allow_dirty=args.allow_dirty)
    current_pack: tuple[Path, Path] | None = None
    if args.policies_from == "current":
        current_pack = _policy_files(
            project, args.policy_pack, args.policy_pack_config, stack_ref(args.stack).stack
        )
    if target.commit is None:  # select_target refuses these; keeps the type checker informed
        raise UsageError(f"version {target.version} recorded no git commit")
    _refuse_uncommitted(args, repo, project, current_pack, target)
    reclaimed = interrupts.reclaim(repo)
    if reclaimed:
        progress(
            f"removed {len(reclaimed)} temporary folder(s) that interrupted runs left: "
            + ", ".join(p.name for p in reclaimed),
            command=PROG,
        )
    with worktree_scratch(repo, target.commit) as (tree, scratch):
        checkout = tree / project.relative_to(repo)
        progress(
            f"checked out commit {target.short_commit} (version {target.version}) into {checkout}",
            command=PROG,
        )
        pack, config = current_pack or _policy_files(
            checkout, args.policy_pack, args.policy_pack_config, stack_ref(args.stack).stack
        )
        if args.policy_pack_config is None:
            config = rollback_config(
                config, stack_ref(args.stack).stack, target.version, tree.parent
            )
        policy = ["--policy-pack", str(pack), "--policy-pack-config", str(config)]
        code = run_streaming(
            [pulumi.binary, "preview", "--stack", args.stack, *policy], checkout, scratch
        )
        if code != 0:
            raise RollbackError(
                f"pulumi preview failed (exit {code}): nothing was changed; fix the cause above "
                "and run again"
            )
        if not args.yes and not _confirm(args.stack, target, input):
            progress("aborted: nothing was changed", command=PROG)
            return 1
        message = rollback_message(args.stack, target)
        code = run_streaming(
            [pulumi.binary, "up", "--stack", args.stack, "--yes", "--message", message, *policy],
            checkout,
            scratch,
        )
        if code != 0:
            raise RollbackError(
                f"pulumi up failed (exit {code}): stack {args.stack} may be partly rolled back; "
                f"check `pulumi stack history --stack {args.stack}` and docs/runbooks/rollback.md"
            )
    progress(
        f"stack {args.stack} rolled back to version {target.version} "
        f"(commit {target.short_commit}); verify it as docs/runbooks/rollback.md says",
        command=PROG,
    )
    return 0


_Parser = parser_class(PROG)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="scripts/rollback.py",
        description="List a stack's updates, or roll it back to an earlier successful one.",
        epilog="Before it checks anything out, --to refuses (exit 2) while the policy config it "
        "would use or Pulumi.<stack>.yaml has uncommitted changes; --yes goes on and says so. "
        "Interrupted (Ctrl-C, SIGTERM, SIGHUP), it asks pulumi to cancel, waits for it, removes "
        "the temporary worktree and exits 128 + the signal's number (130, 143, 129); the next "
        "run removes what a killed run left. Runbook: docs/runbooks/rollback.md.",
    )
    parser.add_argument("--stack", required=True, help="stack name, e.g. prod")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--to", type=int, metavar="VERSION", help="roll back to this version")
    mode.add_argument(
        "--target",
        action="store_true",
        help="print the latest successful update: the version to roll back to if the next "
        "deployment goes wrong (run it before `pulumi up`)",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="do not ask for confirmation, and go on despite uncommitted changes to the policy "
        "config or the stack file (one line says so)",
    )
    parser.add_argument(
        "--limit", type=int, default=20, help="how many updates to list (default 20)"
    )
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="output of the history listing and of --target (markdown suits $GITHUB_STEP_SUMMARY)",
    )
    parser.add_argument(
        "--policies-from",
        choices=("current", "target"),
        default="current",
        help="use the policy pack of the current checkout (default) or of the target commit",
    )
    parser.add_argument("--policy-pack", help="policy pack directory (default: policies/)")
    parser.add_argument(
        "--policy-pack-config",
        help="policy pack config file, used as it is (default: a temporary copy of <policy "
        "pack>/config/<stack>-deploy.json, or <stack>.json when the stack has no deploy config, "
        "with the 48-hour notice overridden for the rollback; the freeze stays as configured)",
    )
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="accept a version deployed from a working tree with uncommitted changes",
    )
    parser.add_argument(
        "--cwd", default=".", help="the Pulumi project directory (default: current directory)"
    )
    return parser


def check_stack(stack: str, project: Path) -> str:
    """The stack part of ``stack`` (``prod`` of ``acme/controlplane/prod``), which alone names
    files and temporary directories; the Pulumi CLI gets ``stack`` as given. A name that breaks
    the Pulumi CLI's rule, or names another project than ``project``'s, is a ``UsageError``."""
    from preflight.yamlfile import load_mapping

    ref = stack_ref(stack)
    if ref.project is not None:
        name = load_mapping(project / "Pulumi.yaml").get("name")
        stack_ref(stack, str(name) if name else None)
    return ref.stack


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; SIGINT, SIGTERM and SIGHUP stop it cleanly (``preflight.interrupts``):
    Pulumi is asked to cancel and waited for, the worktree is removed, one line says so, and
    the exit code is 128 + the signal's number (130, 143, 129)."""
    try:
        with interrupts.handling_signals():
            return _main(argv)
    except (KeyboardInterrupt, interrupts.Interrupted) as stop:
        signum = stop.signum if isinstance(stop, interrupts.Interrupted) else signal.SIGINT
        by = "" if signum == signal.SIGINT else f" by {interrupts.signal_name(signum)}"
        progress(
            f"interrupted{by}: nothing further was run and any temporary worktree was removed",
            command=PROG,
        )
        return interrupts.exit_code(signum)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.limit < 1:
            raise UsageError("--limit must be at least 1")
        stack_ref(args.stack)  # the Pulumi CLI's rule for a stack name, before anything runs
        project = Path(args.cwd).resolve()
        if not (project / "Pulumi.yaml").is_file():
            raise UsageError(
                f"no Pulumi.yaml in {project}: run from the project directory or pass --cwd"
            )
        check_stack(args.stack, project)
        repo = git_toplevel(project)
        pulumi = Pulumi(find_pulumi(), args.stack, project)
        if args.to is not None:
            return do_rollback(args, pulumi, repo, project)
        if args.target:
            updates = pulumi.history(until=lambda seen: latest_successful(seen) is not None)
            print(format_target(args.stack, latest_successful(updates), args.format, repo))
            return 0
        updates = pulumi.history_page(args.limit, 1)
        if not updates and args.format != "json":
            print(f"stack {args.stack} has never been updated")
            return 0
        print(format_history(updates, repo, args.format))
        return 0
    except UsageError as err:
        error(str(err), command=PROG)
        return EXIT_USAGE
    except RollbackError as err:
        error(str(err), command=PROG)
        return 1


if __name__ == "__main__":
    sys.exit(main())
