"""``python -m preflight diff``: what a change would do to each stack, computed offline.

    python -m preflight diff --base origin/main [--stack NAME | --all]
                             [--format text|markdown|json] [--allow-data-loss]
                             [--json-out FILE]

The base revision is checked out into a temporary ``git worktree`` (the working tree is never
touched; the worktree is removed afterwards) and synthesized there by running
``python -m preflight synth --all --out-dir DIR`` with this interpreter; the working tree is
synthesized in this process (``preflight.synth.synthesize``). The two snapshots of each stack
are compared by URN:

* resources created, deleted, updated (property-level changes with nested paths) and replaced
  (a change to a property the provider cannot update in place, see ``REPLACE_ON_CHANGE``, or one
  listed in the resource's own ``replaceOnChanges`` option);
* deletions and replacements of stateful resources (``STATEFUL_TYPES``: secrets, KMS keys,
  buckets, log buckets, the Supabase settings) are data-loss risks: exit code 3 unless
  ``--allow-data-loss``;
* high-impact changes (playbook §9: announced 48 hours before), classified by
  ``preflight.diff.impact``: data loss, stateful replacements, IAM, paging, routing, and any
  change inside the change freeze (at ``--now``, default the current time);
* policy results that changed, through ``preflight.check`` (see ``policy_runner``;
  ``--skip-policy`` leaves it out); the working tree's policy pack judges both snapshots, so
  the comparison shows what the program change does.

Secrets: both syntheses get the same random key in ``PREFLIGHT_SECRET_FINGERPRINT_KEY`` for this
run only, so a secret shows as ``[secret:<hmac>]`` and a changed value can be reported as
"(secret changed)". Neither values nor fingerprints are ever printed or written.

* changes the cloud would refuse at apply (``preflight.diff.guards``: a Cloud Run template
  that changes under an unchanged revision name gets 409 at ``pulumi up``).

Exit codes: 0 no data-loss risk (or allowed), 3 a stateful resource would be deleted or
replaced, 4 a change would be refused at apply (whatever the flags), 2 usage or configuration
error, 1 the base revision could not be synthesized, 128 + the signal's number when
interrupted: 130 SIGINT (Ctrl-C), 143 SIGTERM (a CI cancel), 129 SIGHUP.

Interruptions (``preflight.interrupts``): SIGINT, SIGTERM and SIGHUP stop the base synthesis
subprocess, remove the worktree and the run's temporary folder (``$TMPDIR/preflight-diff-<pid>-*``)
and print one line. A run killed outright (SIGKILL) cannot clean up: the next run of ``diff`` or
``scripts/rollback.py`` removes such folders once their owner process is gone, and prunes their
worktree registrations (by name, never a repository-wide prune).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from preflight import interrupts
from preflight import synth as synth_mod
from preflight.cli import (
    EXIT_USAGE,
    UsageError,
    add_project_argument,
    error,
    output_file,
    progress,
    rfc3339,
    stack_ref,
)
from preflight.diff import impact
from preflight.diff.compare import diff_snapshots
from preflight.diff.gitbase import (
    base_worktree,
    repo_root,
    resolve_commit,
    synthesize_base,
    synthesize_head,
)
from preflight.diff.model import (
    APPLY_FAILURE_EXIT,
    COMMAND,
    DATA_LOSS_EXIT,
    DiffError,
    StackDiff,
    safe_text,
)
from preflight.diff.policies import changed_configs, compare_policies, policy_runner
from preflight.diff.render import render_json, render_markdown
from preflight.diff.terminal import render_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", required=True, metavar="REV", help="git revision to compare with")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--stack", help="one stack (default: every stack on either side)")
    group.add_argument("--all", action="store_true", help="every stack (the default)")
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default=None,
        help="text (coloured on a terminal), markdown (the pull-request comment) or json "
        "(default: text on a terminal, markdown when piped)",
    )
    parser.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="exit 0 even when a stateful resource would be deleted or replaced",
    )
    parser.add_argument("--json-out", type=Path, metavar="FILE", help="also write the JSON report")
    parser.add_argument("--skip-policy", action="store_true", help="do not compare policy results")
    parser.add_argument(
        "--now",
        metavar="RFC3339",
        help="the time the change lands, for the change-freeze classification (default: now)",
    )
    add_project_argument(parser, example="bootstrap")


def _head_stacks(project: Path) -> list[str]:
    try:
        return synth_mod.Project.load(project).stacks()
    except synth_mod.UsageError as err:
        raise UsageError(str(err)) from None


DIAGRAM_BUDGET = 6_000
"""Characters of Mermaid per stack in the PR comment (three stacks stay far below the limit)."""


def change_diagram_for(
    d: StackDiff, base: dict[str, Any] | None, head: dict[str, Any] | None
) -> str:
    """The stack's change diagram for the PR comment: changed resources and neighbours."""
    from preflight.graph import change_diagram

    changes = {r.urn: r.op for r in d.resources}
    if not changes:
        return ""
    return change_diagram(base, head, changes, budget=DIAGRAM_BUDGET, max_nodes=30)


def _now(text: str | None) -> datetime:
    return datetime.now(UTC) if text is None else rfc3339(text, "--now")


def compute(args: argparse.Namespace) -> tuple[list[StackDiff], dict[str, str]]:
    project = Path(args.project).resolve()
    if not (project / "Pulumi.yaml").is_file():
        raise UsageError(f"no Pulumi.yaml in {project}: pass --project DIR")
    repo = repo_root(project)
    commit = resolve_commit(repo, args.base)
    reclaimed = interrupts.reclaim(repo)
    if reclaimed:
        progress(
            f"removed {len(reclaimed)} temporary folder(s) that interrupted runs left: "
            + ", ".join(p.name for p in reclaimed),
            command=COMMAND,
        )
    head_available = _head_stacks(project)
    key = secrets.token_hex(32)
    progress(f"synthesizing {args.base} ({commit[:12]}) in a temporary worktree", command=COMMAND)
    with base_worktree(repo, commit) as (checkout, scratch):
        out = scratch.path / "snapshots"
        base = synthesize_base(checkout, checkout / project.relative_to(repo), key, out, scratch)
    interrupts.check()
    if args.stack:
        if args.stack not in base and args.stack not in head_available:
            raise UsageError(
                f"unknown stack {args.stack!r}: no Pulumi.{args.stack}.yaml in the working tree "
                f"or in {args.base}"
            )
        stacks = [args.stack]
    else:
        stacks = head_available + sorted(set(base) - set(head_available))
    in_head = [s for s in stacks if s in head_available]
    progress("synthesizing the working tree", command=COMMAND)
    head = synthesize_head(in_head, project, key) if in_head else {}
    diffs = [diff_snapshots(stack, base.get(stack), head.get(stack)) for stack in stacks]
    configs = changed_configs(repo, commit, stacks)
    for d in diffs:
        d.policy_config_changed = configs.get(d.stack)
    now = _now(args.now)
    for d in diffs:
        d.diagram = change_diagram_for(d, base.get(d.stack), head.get(d.stack))
        impact.classify_freeze(d, now)
    if args.skip_policy:
        for d in diffs:
            d.policy_note = "skipped with --skip-policy"
    else:
        with policy_runner() as runner:
            for d in diffs:
                progress(f"comparing policy results of {d.stack}", command=COMMAND)
                compare_policies(d, runner, base.get(d.stack), head.get(d.stack))
    return diffs, {"rev": args.base, "commit": commit}


def run(args: argparse.Namespace) -> int:
    try:
        with interrupts.handling_signals():
            return _run(args)
    except interrupts.Interrupted as stop:
        progress(
            f"interrupted by {stop.name}: stopped, the temporary worktree and folder are removed "
            f"(exit {stop.exit_code})",
            command=COMMAND,
        )
        return stop.exit_code


def _run(args: argparse.Namespace) -> int:
    try:
        # Bad input is refused before the base revision is synthesized.
        if args.json_out is not None:
            output_file(args.json_out, "--json-out")
        _now(args.now)
        if args.stack and stack_ref(args.stack).stack != args.stack:
            raise UsageError(f"--stack {args.stack}: name the stack without organization/project")
        diffs, base = compute(args)
        report = render_json(diffs, base, allow_data_loss=args.allow_data_loss)
        report_text = safe_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False))
        if args.json_out:
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            args.json_out.write_text(report_text + "\n")
        fmt = args.format or ("text" if sys.stdout.isatty() else "markdown")
        if fmt == "json":
            sys.stdout.write(report_text + "\n")
        elif fmt == "text":
            colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
            label = f"{base['rev']} ({base['commit'][:12]})"
            sys.stdout.write(safe_text(render_text(diffs, label, colour=colour)))
        else:
            full_report = (
                f"the full report is in `{args.json_out}`"
                if args.json_out
                else f"run `python -m preflight diff --base {args.base} --format json` for it all"
            )
            label = f"`{base['rev']}` (`{base['commit'][:12]}`)"
            sys.stdout.write(
                safe_text(
                    render_markdown(
                        diffs, label, allow_data_loss=args.allow_data_loss, full_report=full_report
                    )
                )
            )
        code = int(report["exitCode"])
        if code == APPLY_FAILURE_EXIT:
            progress(
                f"a change would be refused at apply (exit {APPLY_FAILURE_EXIT}): see "
                "'Would fail at apply' and fix it before `pulumi up`",
                command=COMMAND,
            )
        elif code == DATA_LOSS_EXIT:
            progress(
                "a stateful resource would be deleted or replaced (exit 3): review it, then "
                "rerun with --allow-data-loss",
                command=COMMAND,
            )
        return code
    except UsageError as err:
        error(str(err), command=COMMAND)
        return EXIT_USAGE
    except DiffError as err:
        error(str(err), command=COMMAND)
        return 1
