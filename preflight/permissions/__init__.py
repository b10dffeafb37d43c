"""``python -m preflight permissions``: can each environment's deployer apply its stack?

    python -m preflight permissions --all [--json]
    python -m preflight permissions --stack prod [--bootstrap-stack org]

Synthesizes the bootstrap program (``bootstrap/``, stack ``org``) for the roles it grants each
deployer, and each environment stack for the GCP resource types it declares; then reports, per
stack, every permission the stack's create, read, update and delete calls need that the deployer
of its ``gcp:project`` does not hold, and every project IAM grant outside the deployer's
conditional ``grantableRoles``. Also lists the deployer roles that give nothing the stacks need
(least privilege) and how much of each role is used.

Then the same for each environment's read-only previewer (the pull-request ``pulumi preview``):
every ``read`` permission of the stack's types it lacks (but ``secretmanager.versions.access``),
and everything it holds that is not a read (a create, update, delete or ``setIamPolicy`` of those
types, any other verb outside the read verbs) or that reads secret payloads. How the deployer
and the previewer of a project are told apart: ``preflight/permissions/analysis.py``.

Exit status: 0 when every deployer can apply its stack and every previewer can preview it and
do nothing else, 1 otherwise, 2 for a usage or data error. Data:
``preflight/permissions/type_permissions.json`` (type -> permissions, with Google's pages as
sources) and ``tools/vendor/iam-dataset/`` (role -> permissions).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from preflight import synth as synth_mod
from preflight.cli import ROOT, UsageError, add_project_argument, progress
from preflight.permissions.analysis import (
    Deployer,
    PermissionDataError,
    StackReport,
    check_preview,
    check_stack,
    deployers,
    previewers,
    role_permissions,
    unused_roles,
)

BOOTSTRAP_DIR = ROOT / "bootstrap"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help="check this environment stack (dev, staging, prod)")
    target.add_argument("--all", action="store_true", help="check every environment stack")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    add_project_argument(parser)
    parser.add_argument(
        "--bootstrap",
        type=Path,
        default=BOOTSTRAP_DIR,
        help="the bootstrap program that grants the deployers' roles (default: bootstrap)",
    )
    parser.add_argument("--bootstrap-stack", default="org", help="its stack (default: org)")


def run(args: argparse.Namespace) -> int:
    project = synth_mod.Project.load(args.project)
    stacks = project.stacks() if args.all else [args.stack]
    if args.stack and args.stack not in project.stacks():
        raise UsageError(
            f"no Pulumi.{args.stack}.yaml in {project.directory}: "
            f"pass one of {', '.join(project.stacks())}"
        )
    synth_mod.check_inputs(project, stacks)  # before the bootstrap program runs
    boot = synth_mod.synthesize([args.bootstrap_stack], args.bootstrap, progress=progress)
    snapshots = synth_mod.synthesize(stacks, args.project, progress=progress)
    try:
        by_project = deployers(boot[args.bootstrap_stack])
        readers = previewers(boot[args.bootstrap_stack])
        gcp_projects = {
            stack: synth_mod.stack_config(project, stack)[0].get("gcp:project") for stack in stacks
        }
        reports = [
            check_stack(stack, snapshots[stack], gcp_projects[stack], by_project)
            for stack in stacks
        ]
        previews = {
            stack: check_preview(stack, snapshots[stack], gcp_projects[stack], readers)
            for stack in stacks
        }
    except PermissionDataError as exc:
        raise UsageError(str(exc)) from None
    used = _usage(reports, by_project)
    if args.json:
        doc = _as_json(reports, used, previews)
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(_as_text(reports, used, previews))
    failed = [r for r in [*reports, *previews.values()] if r.findings]
    return 1 if failed else 0


@dataclass(frozen=True)
class Usage:
    roles: dict[str, tuple[int, int]]
    """Role -> (permissions the stack needs from it, permissions it includes)."""
    unused: list[str]


def _usage(reports: list[StackReport], by_project: dict[str, Deployer]) -> dict[str, Usage]:
    """Per checked deployer: its roles' used/included counts and the roles it does not need."""
    known = role_permissions()
    out: dict[str, Usage] = {}
    for report in reports:
        dep = by_project.get(report.project)
        if dep is None:
            continue
        perms = {role: known.get(role, frozenset()) for role in sorted(dep.roles)}
        out[report.stack] = Usage(
            roles={role: (len(p & report.needed), len(p)) for role, p in perms.items()},
            unused=unused_roles(dep, report.needed),
        )
    return out


def _as_text(
    reports: list[StackReport], used: dict[str, Usage], previews: dict[str, StackReport]
) -> str:
    lines = []
    for report in reports:
        who = f"deployer {report.member}" if report.member else "no deployer"
        verdict = "can apply" if not report.findings else f"{len(report.findings)} problem(s)"
        lines.append(f"stack {report.stack} ({report.project or '?'}, {who}): {verdict}")
        lines.extend(f"  {f.line()}" for f in report.findings)
        lines.extend(f"  note: {n}" for n in report.notes)
        usage = used.get(report.stack)
        if usage:
            lines.append(
                "  roles used/included: "
                + ", ".join(
                    f"{r.removeprefix('roles/')} {u}/{n}" for r, (u, n) in usage.roles.items()
                )
            )
            for role in usage.unused:
                lines.append(f"  least privilege: {role} gives nothing this stack needs")
        preview = previews.get(report.stack)
        if preview is not None and preview.project:
            who = f"previewer {preview.member}" if preview.member else "no previewer"
            verdict = (
                "can preview, read-only"
                if not preview.findings
                else f"{len(preview.findings)} problem(s)"
            )
            lines.append(f"stack {report.stack} ({preview.project}, {who}): {verdict}")
            lines.extend(f"  {f.line()}" for f in preview.findings)
            lines.extend(f"  note: {n}" for n in preview.notes)
    return "\n".join(lines) + "\n"


def _as_json(
    reports: list[StackReport], used: dict[str, Usage], previews: dict[str, StackReport]
) -> object:
    return {
        r.stack: {
            "project": r.project,
            "deployer": r.member,
            "problems": [f.line() for f in r.findings],
            "notes": r.notes,
            "previewer": previews[r.stack].member if r.stack in previews else None,
            "previewProblems": (
                [f.line() for f in previews[r.stack].findings] if r.stack in previews else []
            ),
            "previewNotes": previews[r.stack].notes if r.stack in previews else [],
            **(
                {"roles": used[r.stack].roles, "unused": used[r.stack].unused}
                if r.stack in used
                else {}
            ),
        }
        for r in reports
    }
