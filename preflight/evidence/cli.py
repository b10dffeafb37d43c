"""The ``evidence`` command line."""

from __future__ import annotations

import argparse
import shutil
from functools import partial
from pathlib import Path

from preflight.cli import EXIT_USAGE, ROOT, UsageError, error, progress
from preflight.evidence.bundle import build_bundles, verify, write_bundle
from preflight.evidence.stores import MANIFEST, EvidenceError, open_store, storage_errors


def add_arguments(parser: argparse.ArgumentParser) -> None:
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--stack", help="the stack to collect evidence for")
    action.add_argument("--all", action="store_true", help="every stack (one sub-directory each)")
    action.add_argument("--verify", metavar="TARGET", help="check a bundle against its manifest")
    parser.add_argument(
        "--out", metavar="TARGET", help="DIR, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX"
    )
    parser.add_argument(
        "--deployed-commit",
        metavar="REV",
        help="the commit last deployed (default: git.head of the last update in the history)",
    )
    parser.add_argument(
        "--project", type=Path, help="Pulumi project directory (default: the repository)"
    )


def _join(target: str, sub: str) -> str:
    return f"{target.rstrip('/')}/{sub}"


def run(args: argparse.Namespace) -> int:
    from preflight.synth import Project

    errors: tuple[type[BaseException], ...] = (EvidenceError, UsageError, *storage_errors())
    try:
        if args.verify:
            store = open_store(args.verify)
            problems = verify(store)
            for problem in problems:
                print(problem)
            print(f"{store.location}: {'verified' if not problems else 'FAILED verification'}")
            return 1 if problems else 0
        if not args.out:
            raise EvidenceError("name where the bundle goes: --out DIR|s3://...|gs://...")
        project_dir = args.project or ROOT
        stacks = Project.load(project_dir).stacks() if args.all else [args.stack]
        bundles = build_bundles(
            stacks,
            project_dir,
            deployed_commit=args.deployed_commit,
            pulumi=shutil.which("pulumi"),
            progress=partial(progress, command="evidence"),
        )
        for stack, bundle in bundles.items():
            target = _join(args.out, stack) if args.all else args.out
            store = open_store(target)
            write_bundle(bundle, store)
            print(f"{store.location}: {len(bundle.files)} files, manifest {MANIFEST}")
            for name, why in sorted(bundle.omitted.items()):
                print(f"  not included: {name}: {why}")
        return 0
    except errors as exc:
        error(str(exc), command="evidence")
        return EXIT_USAGE
