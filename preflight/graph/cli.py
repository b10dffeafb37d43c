"""The ``graph`` command line and ``docs/architecture.md``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from preflight.cli import EXIT_OK, UsageError, add_project_argument, output_file, progress
from preflight.generated import Outcome, shown, write_or_check
from preflight.graph.kinds import LABELS
from preflight.graph.layouts import component_diagram
from preflight.graph.model import ARCHITECTURE_DOC, DOCS_COMMAND, FORMATS, LEVELS, Tree
from preflight.graph.renderers import render, to_mermaid
from preflight.synth import STACKS

# --- docs/architecture.md -----------------------------------------------------------------------


def architecture_doc(snapshots: Mapping[str, Mapping[str, Any]]) -> str:
    """docs/architecture.md: one component-level Mermaid diagram per stack."""
    lines = [
        "# Architecture",
        "",
        f"Generated from the program by `{DOCS_COMMAND}`, each stack synthesized offline",
        "as `python -m preflight synth` does. A test fails when this file is stale: run that",
        "command after changing a component, the environment composition or a stack file.",
        "",
        "One box per component (with its number of resources); resources outside any component",
        "are grouped by kind. Solid arrows are the wiring an on-call reader follows, inferred from",
        "the resources' inputs; dashed arrows are other dependencies. Each arrow points from the",
        "resource whose inputs name the other one.",
        "",
        "| arrow | meaning |",
        "| --- | --- |",
    ]
    lines += [f"| `{label}` | {meaning} |" for label, meaning in LABELS.items()]
    lines += [
        "",
        "Every resource, or one component with its neighbours:",
        "`python -m preflight graph --stack prod --level resources [--component NAME]`;",
        "`--format svg` renders it with Graphviz.",
    ]
    for stack, snapshot in snapshots.items():
        tree = Tree(snapshot)
        n = len(tree.nodes)
        lines += [
            "",
            f"## {stack}",
            "",
            f"{n} resource{'' if n == 1 else 's'} in {len(tree.components)} "
            f"component{'' if len(tree.components) == 1 else 's'}.",
            "",
            "```mermaid",
            to_mermaid(component_diagram(snapshot)).rstrip("\n"),
            "```",
        ]
    return "\n".join(lines) + "\n"


def write_docs(check: bool, snapshots: Mapping[str, Mapping[str, Any]] | None = None) -> int:
    """Rewrite docs/architecture.md, or with ``check`` fail when it is stale."""
    if snapshots is None:
        from preflight.synth import synthesize

        snapshots = synthesize(list(STACKS), progress=progress)
    outcome = write_or_check(ARCHITECTURE_DOC, architecture_doc(snapshots), check)
    if outcome is Outcome.STALE:
        raise UsageError(f"stale generated doc: {shown(ARCHITECTURE_DOC)}; run `{DOCS_COMMAND}`")
    if outcome is Outcome.WRITTEN:
        progress(f"wrote {shown(ARCHITECTURE_DOC)}")
    return EXIT_OK


# --- command line -------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", help="stack name (dev, staging, prod)")
    add_project_argument(parser)
    parser.add_argument(
        "--format", dest="fmt", choices=FORMATS, default="mermaid", help="default: mermaid"
    )
    parser.add_argument(
        "--level",
        choices=LEVELS,
        help="components: one node per component; resources: every resource "
        "(default: components, or resources with --component)",
    )
    parser.add_argument(
        "--component", help="only this component (logical name or kind) and its neighbours"
    )
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
    parser.add_argument("--docs", action="store_true", help=f"regenerate {shown(ARCHITECTURE_DOC)}")
    parser.add_argument(
        "--check", action="store_true", help="with --docs: fail when the doc is stale"
    )


def run(args: argparse.Namespace) -> int:
    if args.docs:
        given = [
            flag
            for flag, value in (
                ("--stack", args.stack),
                ("--level", args.level),
                ("--component", args.component),
                ("--out", args.out),
            )
            if value
        ]
        if given:
            raise UsageError(
                f"--docs draws every stack into {shown(ARCHITECTURE_DOC)}: drop {given[0]}"
            )
        return write_docs(args.check)
    if args.check:
        raise UsageError(f"--check goes with --docs: `{DOCS_COMMAND} --check`")
    if not args.stack:
        raise UsageError(
            f"name a stack with --stack NAME (or regenerate {shown(ARCHITECTURE_DOC)} with --docs)"
        )
    from preflight.synth import synthesize

    if args.out:
        output_file(args.out, "--out")
    level = args.level or ("resources" if args.component else "components")
    snapshot = synthesize([args.stack], args.project, progress=progress)[args.stack]
    text = render(snapshot, args.fmt, level, args.component)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        progress(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    if args.fmt == "mermaid":
        for line in text.splitlines()[1:3]:
            if line.lstrip().startswith("%% "):
                progress(f"warning: {line.lstrip()[3:]}")
    return 0
