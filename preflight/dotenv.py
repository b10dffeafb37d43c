"""``python -m preflight dotenv``: the Local environment's ``.env.example`` from the catalogue.

Playbook §2: Local runs from a ``.env`` file, the shared environments from Secret Manager. Both
come from one secret catalogue (``controlplane:secrets``): this command writes every catalogue
entry marked ``local`` as ``NAME=`` with its description as a comment, never a value. Without
``--check`` it (re)writes the file; with ``--check`` it exits 1 when the file is stale. A bad
stack file or catalogue exits 2 with one line per problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.runtime import RUNTIME_KEYS, RuntimeSections
from preflight.cli import (
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATIONS,
    UsageError,
    add_project_argument,
    error,
    output_file,
)
from preflight.generated import Outcome, write_or_check
from preflight.synth import Project, stack_config

DEFAULT_STACK = "dev"
FILE_NAME = ".env.example"


def render(sections: RuntimeSections, stack: str) -> str:
    """The ``.env.example`` text for the catalogue of ``sections`` (read from ``stack``)."""
    lines = [
        "# Local environment (playbook §2): copy to .env and fill in your own development",
        "# values. Never commit .env; shared environments read these from Secret Manager.",
        f"# Generated from controlplane:secrets in Pulumi.{stack}.yaml by",
        "# `python -m preflight dotenv`; a test fails when this file and the catalogue disagree.",
    ]
    seen: dict[str, str] = {}
    for secret in sections.secrets:
        if not secret.local:
            continue
        if secret.env_var in seen:
            raise UsageError(
                f"Pulumi.{stack}.yaml: secrets {seen[secret.env_var]!r} and {secret.name!r} are "
                f"both {secret.env_var} in one .env: give one a distinct envVar or local: false"
            )
        seen[secret.env_var] = secret.name
        lines += [
            "",
            f"# {' '.join(secret.description.split())}",
            f"# (secret {secret.name}; read by {', '.join(secret.readers)})",
            f"{secret.env_var}=",
        ]
    return "\n".join(lines) + "\n"


def _loc(loc: tuple[int | str, ...]) -> str:
    head, *rest = loc
    text = f"controlplane:{head}"
    for part in rest:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def load_sections(project_dir: Path, stack: str) -> RuntimeSections:
    """The validated runtime sections of ``Pulumi.<stack>.yaml`` in ``project_dir``."""
    config, _secret_keys = stack_config(Project.load(project_dir), stack)
    if "controlplane:secrets" not in config:
        raise UsageError(
            f"Pulumi.{stack}.yaml has no controlplane:secrets: add the secret catalogue "
            "(see docs/config.md)"
        )
    data: dict[str, Any] = {}
    for key in RUNTIME_KEYS:
        value = config.get(f"controlplane:{key}")
        if value is not None:
            data[key] = json.loads(value) if value[:1] in "[{" else value
    try:
        return RuntimeSections.model_validate(data)
    except ValidationError as err:
        problems = [
            f"Pulumi.{stack}.yaml: {_loc(tuple(e['loc']))}: "
            + e["msg"].removeprefix("Value error, ")
            for e in err.errors(include_url=False)
        ]
        raise UsageError("\n".join(problems)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack",
        default=DEFAULT_STACK,
        help=f"stack whose catalogue describes Local (default: {DEFAULT_STACK})",
    )
    add_project_argument(parser)
    parser.add_argument(
        "--output", type=Path, help=f"file to write or check (default: <project>/{FILE_NAME})"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the file differs from the catalogue"
    )


def run(args: argparse.Namespace) -> int:
    output: Path = args.output or args.project / FILE_NAME
    if not args.check:
        output_file(output, "--output")
    elif output.is_dir():
        raise UsageError(f"--output {output}: is a directory; name a file")
    expected = render(load_sections(args.project, args.stack), args.stack)
    existed = output.is_file()
    outcome = write_or_check(output, expected, args.check)
    if outcome is Outcome.CURRENT:
        print(f"preflight: {output.name} matches the catalogue of stack {args.stack}")
        return EXIT_OK
    if outcome is Outcome.STALE:
        state = "out of date" if existed else "missing"
        print(
            f"preflight: {output} is {state} with the secret catalogue of stack {args.stack}: "
            f"run `python -m preflight dotenv --stack {args.stack}` and commit the result",
            file=sys.stderr,
        )
        return EXIT_VIOLATIONS
    print(f"preflight: wrote {output}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m preflight.dotenv`` (same as the ``dotenv`` subcommand)."""
    parser = argparse.ArgumentParser(prog="python -m preflight dotenv", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UsageError as err:
        error(str(err))
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
