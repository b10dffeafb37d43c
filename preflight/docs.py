"""Reference docs generated from the code: the config keys (docs/config.md) and the README's
secret-config table. ``python -m preflight docs`` rewrites them; ``--check`` fails when stale.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from preflight import traceability
from preflight.cli import ROOT, UsageError
from preflight.generated import Outcome, markers, replace_block, shown, write_or_check

CONFIG_DOC = ROOT / "docs" / "config.md"
README = ROOT / "README.md"
SECRETS = markers("secrets")


def _type_name(annotation: Any) -> str:
    """A short, readable type: ``Annotated[str, ...]`` -> ``str``, unions with ``\\|``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, UnionType):
        return " \\| ".join(_type_name(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin in (list, dict, tuple, set, frozenset):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("|", "\\|")


def _as_written(value: Any) -> str:
    """A default as the operator would write it: camelCase keys, JSON-like, never a repr."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    elif isinstance(value, list | tuple):
        value = [
            v.model_dump(mode="json", by_alias=True) if isinstance(v, BaseModel) else v
            for v in value
        ]
    return json.dumps(value, default=str, ensure_ascii=False)


def _default(field: Any, parent_default: Any, name: str, parent_key: str) -> str:
    if parent_default is not None:  # the field of a section that has a default as a whole
        value = getattr(parent_default, name)
    elif field.is_required():
        return "required"
    else:
        value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    text = _as_written(value)
    shown = f"`{text}`" if len(text) <= 80 else "see the model in `config/`"
    if parent_default is not None and field.is_required():
        # The section's default holds a value, but a section written in the stack file must
        # name this field: the default does not fill one field of a written section.
        return f"required in `{parent_key}` ({shown} while it is not set)"
    return shown


def _rows(model: type[BaseModel], prefix: str, parent_default: Any = None) -> list[str]:
    from config.errors import container_depth, inner_model

    rows = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        default = _default(field, parent_default, name, prefix.rstrip(".").split(":", 1)[-1])
        description = (field.description or "").replace("\n", " ")
        rows.append(f"| `{key}` | {_type_name(field.annotation)} | {default} | {description} |")
        inner = inner_model(field.annotation)
        if inner is not None:
            hops = container_depth(field.annotation)
            own_default = None
            if not hops:
                if parent_default is not None:
                    own_default = getattr(parent_default, name)
                elif not field.is_required():
                    own_default = field.get_default(call_default_factory=True)
            if not isinstance(own_default, BaseModel):
                own_default = None
            rows += _rows(inner, f"{key}{''.join('.<key>' for _ in range(hops))}.", own_default)
    return rows


def config_reference() -> str:
    """docs/config.md: every key of the stack files, from the pydantic models."""
    from config.stack import PROJECT, SECRET_KEYS, StackConfig

    lines = [
        "# Stack configuration reference",
        "",
        "Generated from `config/` by `python -m preflight docs`;",
        "a test fails when this file is stale. Keys are `controlplane:<key>` in",
        "`Pulumi.<stack>.yaml` unless the row says `gcp:`. Unknown keys are errors.",
        "",
        "| key | type | default | description |",
        "| --- | --- | --- | --- |",
    ]
    for row in _rows(StackConfig, f"{PROJECT}:"):
        if not row.startswith(f"| `{PROJECT}:gcp` "):  # provider keys, listed one by one
            lines.append(row.replace(f"`{PROJECT}:gcp.", "`gcp:"))
    lines += ["", *CHANGING_A_SECTION, "", "## Secret keys", "", secrets_table(SECRET_KEYS), ""]
    return "\n".join(lines)


CHANGING_A_SECTION = [
    "## Changing one value of a section",
    "",
    "A section the stack file does not hold takes its default as a whole. Once the file holds the",
    "section, every field the table marks `required in ...` must be written, even to change",
    "only one of them: `pulumi config set --path` writes one field, so set them all before the",
    "next preview. To raise the planner retry alert's threshold and keep its window:",
    "",
    "```sh",
    "pulumi config set --path monitoring.alerts.plannerRetrySpikes.threshold 40",
    "pulumi config set --path monitoring.alerts.plannerRetrySpikes.window 10m",
    "```",
    "",
    "Setting only the threshold stops every command (and `pulumi up`) with",
    "`controlplane:monitoring.alerts.plannerRetrySpikes.window: missing, expected a value`.",
]
"""How to change a field whose parent section has a default (tests/test_docs_commands.py runs
the example against each stack file)."""


def secrets_table(secret_keys: dict[str, str]) -> str:
    rows = ["| key | what it is | set it with |", "| --- | --- | --- |"]
    for key, what in sorted(secret_keys.items()):
        rows.append(f"| `{key}` | {what} | `pulumi config set --secret {key}` |")
    return "\n".join(rows)


def readme_with_secrets(readme: str) -> str:
    from config.stack import SECRET_KEYS

    return replace_block(readme, SECRETS, secrets_table(SECRET_KEYS) + "\n")


CHECK = markers("check")


def check_output() -> str:
    """What `python -m preflight check --all` prints on the stacks as declared."""
    import contextlib
    import io

    from preflight import check

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = check.main(["--all"])
    if code != 0:
        raise UsageError("`preflight check --all` fails: fix the violations before the docs")
    return out.getvalue()


def readme_with_check_output(readme: str) -> str:
    block = f"```text\n$ python -m preflight check --all\n{check_output()}```\n"
    return replace_block(readme, CHECK, block)


def outputs() -> dict[Path, str]:
    """Every generated file and its expected content."""
    return {
        CONFIG_DOC: config_reference(),
        ROOT / traceability.DOC: traceability.render(),
        README: readme_with_check_output(readme_with_secrets(README.read_text())),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="fail when a generated doc is stale")


def run(args: argparse.Namespace) -> int:
    stale = []
    for path, content in outputs().items():
        outcome = write_or_check(path, content, args.check)
        if outcome is Outcome.STALE:
            stale.append(shown(path))
        elif outcome is Outcome.WRITTEN:
            print(f"preflight: wrote {shown(path)}")
    if stale:
        raise UsageError(
            f"stale generated docs: {', '.join(stale)}; run `python -m preflight docs`"
        )
    return 0
