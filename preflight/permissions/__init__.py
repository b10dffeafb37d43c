"""``python -m preflight permissions``: can each environment's deployer apply its stack?

    python -m preflight permissions --all [--json]
    python -m preflight permissions --stack prod [--bootstrap-stack org]

Synthesizes the bootstrap program (``bootstrap/``, stack ``org``) for the roles it grants each
deployer, and each environment stack for the GCP resource types it declares; then reports, per
stack, every permission the stack's create, read, update and delete calls need that the deployer
of its ``gcp:project`` does not hold, and every project IAM grant outside the deployer's
conditional ``grantableRoles``. Also lists the deployer roles that give nothing the stacks need
(least privilege) and how much of each role is used.

Exit status: 0 when every deployer can apply its stack, 1 when any cannot, 2 for a usage or
data error. Data: ``preflight/permissions/type_permissions.json`` (type -> permissions, with
Google's pages as sources) and ``tools/vendor/iam-dataset/`` (role -> permissions).
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
    check_stack,
    deployers,
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
    boot = synth_mod.synthesize([args.bootstrap_stack], args.bootstrap, progress=progress)
    snapshots = synth_mod.synthesize(stacks, args.project, progress=progress)
    try:
        by_project = deployers(boot[args.bootstrap_stack])
        reports = [
            check_stack(
                stack,
                snapshots[stack],
                synth_mod.stack_config(project, stack)[0].get("gcp:project"),
                by_project,
            )
            for stack in stacks
        ]
    except PermissionDataError as exc:
        raise UsageError(str(exc)) from None
    used = _usage(reports, by_project)
    if args.json:
        sys.stdout.write(json.dumps(_as_json(reports, used), indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(_as_text(reports, used))
    return 1 if any(r.findings for r in reports) else 0


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


def _as_text(reports: list[StackReport], used: dict[str, Usage]) -> str:
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
    return "\n".join(lines) + "\n"


def _as_json(reports: list[StackReport], used: dict[str, Usage]) -> object:
    return {
        r.stack: {
            "project": r.project,
            "deployer": r.member,
            "problems": [f.line() for f in r.findings],
            "notes": r.notes,
            **(
                {"roles": used[r.stack].roles, "unused": used[r.stack].unused}
                if r.stack in used
                else {}
            ),
        }
        for r in reports
    }
