"""``python -m preflight check``: the policy pack over the program's snapshots, offline.

    python -m preflight check --stack prod [--json] [--mode update|preview|both]
    python -m preflight check --all
    python -m preflight check --snapshot FILE [--snapshot FILE ...] [--policy-config FILE]
    python -m preflight check --snapshot FILE --stack prod   # refuse a file of another stack

The real pack (``policies/``) is launched once as the Pulumi CLI launches it and driven over
the Analyzer protocol (see ``preflight/analyzer/host.py``) with each snapshot's resources and the
environment's ``policies/config/<stack>.json``. Prints every violation with its policy,
enforcement level, resource URN and message. Exit status: 0 when no mandatory violation, 1 when
any, 2 for a usage or config error (one line on stderr saying what to do).

A stack is checked in two modes by default (``--mode both``): as an update of a stack whose
resources exist (every output concrete: what ``pulumi up`` analyzes), then as the preview of a
brand-new stack (provider-computed outputs unknown: what ``pulumi preview`` and the preview
step of the first ``pulumi up`` analyze). The update results print and serialize exactly as
they did before modes existed; the preview results follow them, labelled ``<stack> (preview)``
in the text and under the ``preview`` key of the JSON (``{"passed", "stacks"}``), each stack
with the count of policies that answered "can't run during preview" (``undecided``). A
snapshot file is checked in the mode it was synthesized in (``"dryRun": true`` is a preview).

With the Pulumi CLI the same result comes from
``pulumi preview --policy-pack policies --policy-pack-config policies/config/<stack>.json``
(see docs/policies.md).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, get_args

from controlplane.naming import Environment
from preflight.analyzer.config import (
    PolicyConfig,
    PolicyConfigError,
    load_policy_pack_config,
    reconcile,
)
from preflight.analyzer.host import PackError, PolicyPackHost
from preflight.analyzer.results import StackResult, Violation
from preflight.cli import EXIT_USAGE, ROOT, UsageError, error, progress
from preflight.snapshot import DRY_RUN_KEY, MODES, SnapshotError, load, validate

PACK_DIR = ROOT / "policies"
CONFIG_DIR = PACK_DIR / "config"
PROJECT = "controlplane"
ENVIRONMENTS = frozenset(get_args(Environment))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack",
        "-s",
        help="synthesize and check this stack (dev, staging, prod); with --snapshot, the stack "
        "every snapshot must belong to (its config is the one used)",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--all", action="store_true", help="synthesize and check every stack")
    target.add_argument(
        "--snapshot",
        type=Path,
        action="append",
        metavar="FILE",
        help="check a snapshot file from `preflight synth` (repeatable)",
    )
    parse_known_args = parser.parse_known_args

    def parse_checked(
        args: Any = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        # --stack goes with --snapshot (it pins the stack) but not with --all; one is required.
        parsed, rest = parse_known_args(args, namespace)
        if not (parsed.stack or parsed.all or parsed.snapshot):
            parser.error("say what to check: --stack NAME, --all or --snapshot FILE")
        if parsed.all and parsed.stack:
            parser.error("--all checks every stack: drop --stack NAME, or --all")
        return parsed, rest

    parser.parse_known_args = parse_checked  # type: ignore[method-assign,assignment]
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--mode",
        choices=(*MODES, "both"),
        default="both",
        help="synthesize the stacks as an update, as the preview of a new stack, or both "
        "(default: both; a --snapshot file keeps the mode it was synthesized in)",
    )
    parser.add_argument(
        "--policy-config",
        type=Path,
        metavar="FILE",
        help="policy-pack config for every checked stack (default: policies/config/<stack>.json)",
    )
    parser.add_argument(
        "--policy-pack",
        type=Path,
        default=PACK_DIR,
        metavar="DIR",
        help="policy pack directory (default: policies)",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=ROOT,
        help="Pulumi project directory to synthesize (default: the repository root)",
    )


_STACK_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _config_path(stack: str, override: Path | None) -> Path:
    if override is not None:
        return override
    if not _STACK_NAME_RE.match(stack):
        raise UsageError(
            f"{stack!r} is not a stack name, so it names no policy config: "
            "pass --policy-config FILE"
        )
    path = CONFIG_DIR / f"{stack}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.json")))
        raise UsageError(
            f"no policy config for stack {stack!r} ({path.relative_to(ROOT)}; have: {known}): "
            "pass --policy-config FILE"
        )
    return path


def _modes(choice: str) -> tuple[str, ...]:
    return MODES if choice == "both" else (choice,)


def _snapshots(args: argparse.Namespace, host: PolicyPackHost) -> list[tuple[str, dict[str, Any]]]:
    if args.snapshot:
        return [(str(path), load(path)) for path in args.snapshot]
    from preflight import synth

    targets: list[tuple[str, dict[str, Any]]] = []
    try:
        project = synth.Project.load(args.project)
        stacks = project.stacks() if args.all else [args.stack]
        if not stacks:
            raise UsageError(f"no Pulumi.<stack>.yaml in {args.project}: nothing to check")
        synth.check_inputs(project, stacks)  # bad input is refused before the pack boots
        host.start()  # the pack boots while the program is synthesized
        for mode in _modes(getattr(args, "mode", "update")):
            if mode == "update":
                snapshots = synth.synthesize(stacks, args.project, progress=progress)
            else:
                snapshots = synth.synthesize(stacks, args.project, progress=progress, mode=mode)
            label = "" if mode == "update" else f" ({mode})"
            targets += [(f"stack {name}{label}", snapshots[name]) for name in stacks]
    except UsageError as err:
        raise UsageError(str(err).splitlines()[0]) from None
    return targets


def is_preview(snapshot: dict[str, Any]) -> bool:
    """Whether ``snapshot`` was synthesized as the preview of a new stack."""
    return snapshot.get(DRY_RUN_KEY) is True


UNDECIDED = "during preview: "
"""What the policy runtime's "can't run policy ... during preview" message holds
(``pulumi_policy.policy``): the policy could not decide because a value it read is unknown."""


def undecided(result: StackResult) -> list[Violation]:
    """The advisories of policies that could not run because a value is unknown until apply."""
    return [
        v
        for v in result.advisory
        if v.message.startswith("can't run policy ") and UNDECIDED in v.message
    ]


def snapshot_stack(snapshot: dict[str, Any], source: str) -> str:
    """The stack a snapshot file is checked as, when no ``--policy-config`` says otherwise.

    A snapshot file is input like any other: its ``stack`` field must not be able to pick a
    laxer config than its resources belong to. So the field has to be a stack name, every
    resource's URN has to name the same stack, and every environment label has to agree with it.
    """
    validate(snapshot, source)
    stack = snapshot.get("stack")
    if not isinstance(stack, str) or not _STACK_NAME_RE.match(stack):
        raise UsageError(
            f"{source}: its 'stack' {stack!r} is not a stack name: pass --policy-config FILE"
        )
    others = set()
    for res in snapshot.get("resources") or []:
        urn = str(res.get("urn", ""))
        if urn.startswith("urn:pulumi:") and urn.split("::", 1)[0] != f"urn:pulumi:{stack}":
            others.add(urn.split("::", 1)[0].removeprefix("urn:pulumi:"))
        labels = (res.get("inputs") or {}).get("labels")
        environment = labels.get("environment") if isinstance(labels, dict) else None
        if stack in ENVIRONMENTS and isinstance(environment, str) and environment != stack:
            others.add(environment)
    if others:
        raise UsageError(
            f"{source}: says stack {stack!r} but its resources belong to "
            f"{', '.join(sorted(others))}: check it with that stack's config "
            "(--policy-config policies/config/<stack>.json)"
        )
    return stack


def pinned_stack(snapshot: dict[str, Any], source: str, stack: str) -> str:
    """``stack``, once the snapshot is shown to belong to it (``--snapshot FILE --stack NAME``).

    Its ``stack`` field, the stack of every URN and every environment label must all say
    ``stack``: a file of another stack is refused rather than checked with a config not its own.
    """
    found = snapshot_stack(snapshot, source)
    if found != stack:
        raise UsageError(
            f"{source}: is a snapshot of stack {found!r}, not {stack!r}: check it with "
            f"--stack {found} or synthesize {stack}"
        )
    return stack


def check_snapshot(
    host: PolicyPackHost, snapshot: dict[str, Any], source: str, config_path: Path
) -> StackResult:
    """Analyze one snapshot with the config file at ``config_path``."""
    resources = validate(snapshot, source)
    info = host.info()
    given = load_policy_pack_config(config_path)
    try:
        config: dict[str, PolicyConfig] = reconcile(info, given)
    except PolicyConfigError as err:
        raise PolicyConfigError(f"{_display(config_path)}: {err}") from None
    return host.analyze(snapshot, resources, config)


Checked = tuple[StackResult, Path, bool]
"""One analysis: its result, the policy config it ran with, and whether it was a preview."""


def _text(results: list[Checked], pack: str) -> str:
    lines: list[str] = []
    for result, config_path, preview in sorted(results, key=lambda r: r[2]):
        stack = f"{result.stack} (preview)" if preview else result.stack
        lines.append(
            f"{stack}: {result.resources} resources checked by {pack} with {_display(config_path)}"
        )
        for v in sorted(result.violations, key=lambda v: (v.enforcement_level != "mandatory",)):
            severity = f" ({v.severity})" if v.severity else ""
            lines.append(f"  {v.enforcement_level}{severity}: {v.policy_name}")
            lines.append(f"    resource: {v.urn or '(the stack as a whole)'}")
            lines += [f"    {line}" for line in v.message.splitlines()]
        for n in result.not_applicable:
            if n.reason:
                lines.append(f"  exempt: {n.policy_name} on {n.urn}: {n.reason}")
        for log in result.logs:
            where = f" ({log.urn})" if log.urn else ""
            lines.append(f"  pack {log.level}: {log.message}{where}")
        verdict = "FAIL" if result.mandatory else "ok"
        tail = f", {len(undecided(result))} undecided until apply" if preview else ""
        lines.append(
            f"{stack}: {verdict}: {len(result.mandatory)} mandatory, "
            f"{len(result.advisory)} advisory violation(s){tail}"
        )
    return "\n".join(lines) + "\n"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _stack_json(r: StackResult, path: Path) -> dict[str, Any]:
    return {
        "stack": r.stack,
        "project": r.project,
        "policyConfig": _display(path),
        "resources": r.resources,
        "passed": not r.mandatory,
        "mandatory": len(r.mandatory),
        "advisory": len(r.advisory),
        "violations": [v.to_json() for v in r.violations],
        "notApplicable": [n.to_json() for n in r.not_applicable if n.reason],
        "logs": [log.to_json() for log in r.logs],
    }


def _json(results: list[Checked], pack: str, version: str) -> str:
    """The update results in the layout they always had; preview results under ``preview``."""
    stacks = [_stack_json(r, path) for r, path, preview in results if not preview]
    document: dict[str, Any] = {
        "policyPack": {"name": pack, "version": version},
        "passed": all(s["passed"] for s in stacks),
        "stacks": stacks,
    }
    previews = [
        {**_stack_json(r, path), "undecided": len(undecided(r))}
        for r, path, preview in results
        if preview
    ]
    if previews:
        passed = all(s["passed"] for s in previews)
        document["preview"] = {"passed": passed, "stacks": previews}
        document["passed"] = document["passed"] and passed
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def run(args: argparse.Namespace, host: PolicyPackHost | None = None) -> int:
    """Run ``check`` with parsed ``args``; returns the exit status (0, 1 or 2).

    ``host`` lets a caller reuse a running pack (tests); by default one is started and stopped.
    """
    if not (args.stack or args.all or args.snapshot):
        error("say what to check: --stack NAME, --all or --snapshot FILE")
        return EXIT_USAGE
    if args.all and args.stack:
        error("--all checks every stack: drop --stack NAME, or --all")
        return EXIT_USAGE
    if args.policy_config is not None and not args.policy_config.is_file():
        error(f"--policy-config {args.policy_config}: no such file")
        return EXIT_USAGE
    owned = host is None
    results: list[Checked] = []
    try:
        if host is None:
            host = PolicyPackHost(args.policy_pack, project=PROJECT, stack=args.stack)
            # Start the pack in the mode checked first (updates come first), not to restart it.
            host.use_mode(dry_run=_modes(getattr(args, "mode", "update"))[0] == "preview")
        try:
            targets = _snapshots(args, host)
            if owned and len(targets) == 1 and not host.started:
                host.stack = str(targets[0][1].get("stack") or "") or None
            # Updates first, then previews: the pack runs in one mode at a time (PULUMI_DRY_RUN).
            targets.sort(key=lambda target: is_preview(target[1]))
            if targets:
                host.use_mode(dry_run=is_preview(targets[0][1]))
            for source, snapshot in targets:
                if args.snapshot and args.stack:
                    stack = pinned_stack(snapshot, source, args.stack)
                elif args.policy_config is not None or not args.snapshot:
                    stack = str(snapshot.get("stack") or "")
                else:
                    stack = snapshot_stack(snapshot, source)
                config_path = _config_path(stack, args.policy_config)
                progress(f"checking {source} with {_display(config_path)}")
                result = check_snapshot(host, snapshot, source, config_path)
                results.append((result, config_path, is_preview(snapshot)))
            pack, version = host.info().name, host.version
        finally:
            if owned:
                host.close()
    except (UsageError, SnapshotError, PackError) as err:
        error(str(err))
        return EXIT_USAGE
    except PolicyConfigError as err:
        error(f"policy config {err}")
        return EXIT_USAGE
    label = f"{pack}@{version}"
    sys.stdout.write(_json(results, pack, version) if args.json else _text(results, label))
    return 1 if any(r.mandatory for r, _, _ in results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m preflight check",
        description="Check snapshots of the program against the policy pack, offline.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    from preflight.cli import run_command

    run_command(main)
