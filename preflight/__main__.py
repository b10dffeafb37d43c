"""``python -m preflight``: everything a reviewer needs, offline, from the program itself."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from preflight import synth as synth_mod
from preflight.cli import (
    EXIT_USAGE,
    UsageError,
    add_project_argument,
    error,
    output_dir,
    parser_class,
    progress,
    run_command,
    stack_ref,
)
from preflight.snapshot import MODES

STACK_ENV = "PULUMI_STACK"
"""The stack a command works on when neither ``--stack`` nor ``--all`` is given, as the Pulumi
CLI reads it (``pulumi preview`` without ``-s``)."""


def _stacks(args: argparse.Namespace) -> list[str]:
    project = synth_mod.Project.load(args.project)
    if getattr(args, "all", False):
        return project.stacks()
    stack = args.stack or os.environ.get(STACK_ENV, "").strip()
    if not stack:
        raise UsageError(f"name a stack with --stack NAME (or set {STACK_ENV}), or pass --all")
    return [stack_ref(stack, project.name).stack]


def _add_stack_args(parser: argparse.ArgumentParser, allow_all: bool = True) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-s",
        "--stack",
        help=f"stack name (dev, staging, prod); default: the {STACK_ENV} environment variable",
    )
    if allow_all:
        group.add_argument("--all", action="store_true", help="every stack of the project")
    add_project_argument(parser, example="bootstrap")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="update",
        help="run the program as an update of existing resources (default) or as the preview "
        "of a brand-new stack, where provider-computed outputs are unknown",
    )


def cmd_synth(args: argparse.Namespace) -> int:
    if args.out_dir:
        output_dir(args.out_dir, "--out-dir")
    stacks = _stacks(args)
    if len(stacks) > 1 and not args.out_dir:
        raise UsageError("synth of several stacks writes files: add --out-dir DIR")
    snapshots = synth_mod.synthesize(stacks, args.project, progress=progress, mode=args.mode)
    if args.out_dir:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        for stack, snapshot in snapshots.items():
            (args.out_dir / f"{stack}.json").write_text(synth_mod.dumps(snapshot))
            progress(f"wrote {args.out_dir / f'{stack}.json'}")
    else:
        sys.stdout.write(synth_mod.dumps(snapshots[stacks[0]]))
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from preflight.preview import run

    return run(args, _stacks(args))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; given the ``command`` about to run, only its module is imported (the
    others' subparsers carry their help line only), which keeps a run's startup to what it uses.
    """
    parser_type = parser_class("preflight")
    parser = parser_type(
        prog="python -m preflight",
        description="Offline synth, preview and checks of the Pulumi program (no cloud, no CLI).",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=parser_type)

    p = sub.add_parser("synth", help="print a stack's resource graph as deterministic JSON")
    _add_stack_args(p)
    p.add_argument("--out-dir", type=Path, help="write <stack>.json files here instead of stdout")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser(
        "preview",
        help="the resource tree, policy results and outputs as `pulumi preview --policy-pack` "
        "prints them",
    )
    _add_stack_args(p)
    from preflight.preview import add_arguments as add_preview_arguments

    add_preview_arguments(p)
    p.set_defaults(func=cmd_preview)

    for name, module, text in _MODULES:
        p = sub.add_parser(name, help=text)
        if command is None or command == name:
            mod = importlib.import_module(module)
            mod.add_arguments(p)
            p.set_defaults(func=mod.run)
    return parser


# Subcommands implemented in their own modules: (name, module, help).
_MODULES = [
    ("tfplan", "preflight.checkov.tfplan", "export a stack as a Terraform plan JSON for checkov"),
    (
        "scan",
        "preflight.checkov.scan",
        "checkov over the plan export, the repository and the workflows",
    ),
    ("evidence", "preflight.evidence", "write or verify an audit evidence bundle"),
    ("check", "preflight.check", "run the policy pack over stacks or snapshot files, offline"),
    ("docs", "preflight.docs", "regenerate the reference docs (docs/config.md, README tables)"),
    (
        "dotenv",
        "preflight.dotenv",
        "write or check the Local .env.example from the secret catalogue",
    ),
    (
        "permissions",
        "preflight.permissions",
        "can each environment's deployer apply its stack (roles vs. resource types)",
    ),
    ("graph", "preflight.graph", "diagrams of a stack (Mermaid, DOT, SVG)"),
    (
        "diff",
        "preflight.diff",
        "what a change does to each stack: creates, updates, replacements, data-loss risks, "
        "policy results",
    ),
]


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(next((w for w in words if not w.startswith("-")), None))
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as err:
        error(str(err))
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:  # commands that handle signals themselves never get here
        progress("interrupted (exit 130)")
        return 130
    except OSError as err:  # an output that could not be written after all (disk full, ...)
        where = f"{err.filename}: " if err.filename else ""
        error(f"{where}{err.strerror or err}")
        return EXIT_USAGE


if __name__ == "__main__":
    run_command(main)
