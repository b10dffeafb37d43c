#!/usr/bin/env python3
"""The quarterly rollback drill (playbook §11, game days), against staging by default.

    python scripts/rollback_drill.py [--stack staging] [--evidence FILE] [--now RFC3339]
    python scripts/rollback_drill.py --execute ...       also roll back (scripts/rollback.py)

The drill takes the stack's update history (``pulumi stack history``, through scripts/rollback.py),
picks the update before the one running now (the newest successful update), checks that version
can be rolled back to (the checks ``scripts/rollback.py --to`` makes), checks its commit out into
a temporary git worktree and runs ``pulumi preview`` there with the current policy pack: the
rollback path up to its preview, changing nothing. ``--execute`` goes on with
``scripts/rollback.py --stack STACK --to VERSION --yes``, which previews again and runs
``pulumi up``; return to the current commit afterwards by re-running the deploy workflow.

The evidence is one JSON file (default ``evidence/rollback-drill-<stack>.json``): the stack, the
versions and commits rolled back from and to, the preview's result, whether the rollback was
executed, and the time. It is written also when the drill fails. Exit codes: 0 the drill passed;
1 the preview (or the rollback) failed; 2 there is nothing to drill (no earlier successful
update) or bad arguments; 128 + the signal's number (130, 143, 129) when interrupted, which
stops the preview and removes the worktree. Runbook: docs/runbooks/game-day.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rollback
from _usage import UsageError, fixed_clock, parser_class
from rollback import Pulumi, RollbackError, Update

from preflight import interrupts
from preflight.cli import stack_ref

PROG = "rollback drill"
FORMAT = "controlplane-rollback-drill/1"
SUMMARY_LINES = 5
"""Lines of the preview's output kept in the evidence (its end: the resource summary)."""


def pick_versions(updates: list[Update]) -> tuple[Update, Update]:
    """(the update running now, the successful update before it), newest first in ``updates``."""
    succeeded = [u for u in updates if u.succeeded_update]
    if not succeeded:
        raise UsageError("the stack has no successful update: there is nothing to drill")
    current, *earlier = succeeded
    if not earlier:
        raise UsageError(
            f"version {current.version} is the stack's only successful update: "
            "there is no earlier one to roll back to"
        )
    return current, earlier[0]


def policy_files(project: Path, stack: str) -> tuple[Path, Path]:
    """The current checkout's pack and the config a deploy of ``stack`` uses (its ``-deploy``
    config when it has one), as scripts/rollback.py chooses them."""
    pack = project / "policies"
    deploy = pack / "config" / f"{stack}-deploy.json"
    config = deploy if deploy.is_file() else pack / "config" / f"{stack}.json"
    if not config.is_file():
        raise UsageError(f"policy pack config not found at {config}")
    return pack, config


def _summary(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return lines[-SUMMARY_LINES:]


def preview_rollback(
    pulumi: Pulumi, repo: Path, project: Path, target: Update, stack: str
) -> dict[str, Any]:
    """``pulumi preview`` of ``target``'s commit with the current policy pack, in a temporary
    worktree; what the evidence records of it."""
    bare = stack_ref(stack).stack  # names files and the temporary worktree; the CLI gets `stack`
    pack, config = policy_files(project, bare)
    if target.commit is None:  # select_target refuses these; keeps the type checker informed
        raise UsageError(f"version {target.version} recorded no git commit")
    with rollback.worktree_scratch(repo, target.commit) as (tree, scratch):
        checkout = tree / project.relative_to(repo)
        argv = [pulumi.binary, "preview", "--stack", stack]
        argv += ["--policy-pack", str(pack), "--policy-pack-config", str(config)]
        print(f"{PROG}: pulumi preview of commit {target.short_commit}", file=sys.stderr)
        done = rollback.run_captured(argv, checkout, scratch)
    sys.stderr.write(done.stdout + done.stderr)
    return {
        "exitCode": done.returncode,
        "passed": done.returncode == 0,
        "policyPack": pack.relative_to(project).as_posix(),
        "policyPackConfig": config.relative_to(project).as_posix(),
        "summary": _summary(done.stdout),
    }


def _version(update: Update | None) -> dict[str, Any] | None:
    if update is None:
        return None
    return {"version": update.version, "commit": update.commit, "message": update.message}


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_evidence(path: Path, evidence: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(evidence, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{PROG}: evidence written to {path}", file=sys.stderr)


def drill(args: argparse.Namespace, clock: Any) -> tuple[int, dict[str, Any]]:
    """Run the drill; (exit code, evidence). Raises UsageError before anything ran."""
    project = Path(args.cwd).resolve()
    if not (project / "Pulumi.yaml").is_file():
        raise UsageError(f"no Pulumi.yaml in {project}: run from the project directory or --cwd")
    repo = rollback.git_toplevel(project)
    pulumi = Pulumi(rollback.find_pulumi(), args.stack, project)
    evidence: dict[str, Any] = {
        "format": FORMAT,
        "stack": args.stack,
        "mode": "execute" if args.execute else "preview",
        "startedAt": _time(clock()),
        "from": None,
        "to": None,
        "preview": None,
        "rollback": None,
    }
    try:
        updates = pulumi.history(until=lambda seen: sum(u.succeeded_update for u in seen) >= 2)
        current, target = pick_versions(updates)
        evidence["from"], evidence["to"] = _version(current), _version(target)
        rollback.select_target(updates, target.version, args.stack, repo, allow_dirty=False)
        evidence["preview"] = preview_rollback(pulumi, repo, project, target, args.stack)
    except (UsageError, RollbackError) as err:
        evidence.update(result="not run", reason=str(err), finishedAt=_time(clock()))
        raise _Failed(2 if isinstance(err, UsageError) else 1, evidence, err) from None
    code = 0 if evidence["preview"]["passed"] else 1
    if code == 0 and args.execute:
        argv = ["--stack", args.stack, "--to", str(target.version), "--yes", "--cwd", str(project)]
        rolled = rollback.main(argv)
        evidence["rollback"] = {
            "command": f"scripts/rollback.py {' '.join(argv)}",
            "exitCode": rolled,
        }
        code = 0 if rolled == 0 else 1
    evidence["result"] = "passed" if code == 0 else "failed"
    evidence["finishedAt"] = _time(clock())
    return code, evidence


class _Failed(Exception):
    def __init__(self, code: int, evidence: dict[str, Any], cause: Exception) -> None:
        super().__init__(str(cause))
        self.code = code
        self.evidence = evidence


_Parser = parser_class(PROG)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="scripts/rollback_drill.py",
        description="Rehearse a rollback: preview the previous update with the policy pack.",
    )
    parser.add_argument("--stack", default="staging", help="the stack to drill (default staging)")
    parser.add_argument(
        "--execute",
        action="store_true",
        help="after a passing preview, roll back for real (scripts/rollback.py --to V --yes)",
    )
    parser.add_argument("--evidence", type=Path, help="the evidence file to write")
    parser.add_argument("--now", help="the time to record, RFC 3339 (default: the current time)")
    parser.add_argument(
        "--cwd", default=".", help="the Pulumi project directory (default: current directory)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; SIGINT, SIGTERM and SIGHUP stop the preview, remove the worktree and
    exit 128 + the signal's number without writing evidence (``preflight.interrupts``)."""
    try:
        with interrupts.handling_signals():
            return _main(argv)
    except interrupts.Interrupted as stop:
        print(
            f"{PROG}: interrupted by {stop.name}: the preview was stopped and the temporary "
            "worktree removed; no evidence was written",
            file=sys.stderr,
        )
        return stop.exit_code


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        bare = stack_ref(args.stack).stack
    except UsageError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    evidence_path = args.evidence or Path("evidence") / f"rollback-drill-{bare}.json"
    try:
        code, evidence = drill(args, fixed_clock(args.now))
    except UsageError as err:  # nothing ran: bad arguments or setup
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except _Failed as failed:
        print(f"{PROG}: error: {failed}", file=sys.stderr)
        write_evidence(evidence_path, failed.evidence)
        return failed.code
    write_evidence(evidence_path, evidence)
    print(
        f"{PROG}: {args.stack}: {evidence['result']}: rollback from version "
        f"{evidence['from']['version']} to {evidence['to']['version']} "
        f"({evidence['mode']})"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
