"""``preflight preview``: what ``pulumi preview --policy-pack`` prints, offline.

The text follows the Pulumi CLI's progress display (``pkg/backend/display/progress.go`` and
``diff.go`` in pulumi/pulumi): the resource tree, then ``Policies:`` (one line per pack,
``✅``/``⚠️``/``❌`` and ``<pack>@v<version> (local: <dir>)``, then each violation as
``- [<level>]  <policy>  (<type>: <name>)`` with its message below, sorted by level, policy and
URN as ``printPolicies`` sorts them), then ``Outputs:`` (the Stack's exported values, secrets as
``[secret]`` and values not known until apply as ``output<string>``), then the totals, where the
Stack counts as one create as it does in ``pulumi preview`` ("+ 65 to create" for the bootstrap).

``digest`` is the JSON of ``pulumi preview --json`` (``ShowPreviewDigest`` in
``pkg/backend/display/json.go``: ``config``, ``steps`` with ``op``, ``urn``, ``provider`` and
``newState``, ``diagnostics``, ``changeSummary``). The engine's digest leaves policy events out
("we don't handle policy events in JSON serialization"); here they are added under
``policyPacks`` (name to version, as the summary event's ``PolicyPacks``) and
``policyViolations`` (each as the engine's ``apitype.PolicyEvent``: ``resourceUrn``,
``message``, ``policyName``, ``policyPackName``, ``policyPackVersion``, ``enforcementLevel``,
plus ``severity``). ``tests/preflight/data/preview.schema.json`` is the shape.

``select`` applies ``--target``: a target is a URN or a glob, ``*`` for any run of characters
without ``:`` and ``**`` for any run at all (``UrnTargets.getMatcher`` in
``pkg/resource/deploy``); the targets are shown with their ancestors and everything they depend
on, and the Stack.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from preflight.analyzer.results import StackResult, Violation
from preflight.cli import EXIT_VIOLATIONS, UsageError, error, progress
from preflight.snapshot import SECRET_MARKER, STACK_TYPE, UNKNOWN, is_secret_marker

if TYPE_CHECKING:
    from preflight.analyzer.host import PolicyPackHost

_COLOURS = {
    "create": "\x1b[32m",
    "type": "\x1b[2m",
    "bold": "\x1b[1m",
    "mandatory": "\x1b[31m",
    "advisory": "\x1b[33m",
    "reset": "\x1b[0m",
}

_LOG_SEVERITY = {"debug": "debug", "info": "info", "warning": "warning", "error": "error"}
"""The pack's ``Engine.Log`` levels as the engine's ``diag.Severity`` names them."""


@dataclass(frozen=True)
class Policies:
    """One pack's analysis of a stack, with what the ``Policies:`` header names."""

    result: StackResult
    pack: str
    version: str
    local: str
    """The pack directory as given (``(local: policies)``)."""


def urn_type(urn: str) -> str:
    """The resource type of ``urn`` (the last of its qualified type chain), as ``URN.Type()``."""
    parts = urn.split("::", 3)
    return parts[2].rsplit("$", 1)[-1] if len(parts) == 4 else urn


def urn_name(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else urn


def _matcher(target: str) -> re.Pattern[str]:
    pieces = ["[^:]*".join(re.escape(p) for p in seg.split("*")) for seg in target.split("**")]
    return re.compile("^" + ".*".join(pieces) + "$")


def select(snapshot: dict[str, Any], targets: Iterable[str]) -> list[dict[str, Any]]:
    """The resources ``pulumi preview --target`` shows: the targets, their ancestors, what they
    depend on (transitively), and the Stack. No targets: every resource."""
    resources: list[dict[str, Any]] = snapshot["resources"]
    targets = list(targets)
    if not targets:
        return resources
    by_urn = {r["urn"]: r for r in resources}
    keep: set[str] = set()
    for target in targets:
        matcher = _matcher(target)
        matched = [urn for urn in by_urn if matcher.match(urn)]
        if not matched:
            raise UsageError(
                f"--target {target}: no resource of stack {snapshot['stack']} has that URN "
                "(list them with `python -m preflight synth --stack NAME`; * and ** are globs)"
            )
        keep.update(matched)
    pending = list(keep)
    while pending:
        res = by_urn.get(pending.pop())
        if res is None:
            continue
        linked = [res.get("parent"), *res.get("dependencies", [])]
        linked += [u for urns in (res.get("propertyDependencies") or {}).values() for u in urns]
        for urn in linked:
            if urn and urn not in keep and urn in by_urn:
                keep.add(urn)
                pending.append(urn)
    return [r for r in resources if r["urn"] in keep or r["type"] == STACK_TYPE]


def stack_urn(snapshot: dict[str, Any]) -> str:
    for res in snapshot["resources"]:
        if res["type"] == STACK_TYPE:
            return str(res["urn"])
    return ""


def shown_violations(policies: Policies, shown: list[dict[str, Any]]) -> list[Violation]:
    """The pack's violations on the shown resources and on the stack as a whole."""
    urns = {r["urn"] for r in shown}
    return [v for v in policies.result.violations if not v.urn or v.urn in urns]


def _paint(colour: bool) -> Any:
    """``c(key, text)``: ``text`` in the colour named ``key``, or as is without colour."""

    def c(key: str, text: str) -> str:
        return f"{_COLOURS[key]}{text}{_COLOURS['reset']}" if colour else text

    return c


def render(
    snapshot: dict[str, Any],
    colour: bool,
    *,
    policies: Policies | None = None,
    targets: Iterable[str] = (),
) -> str:
    """The tree of the snapshot's resources (component nesting, type, name), the policy results,
    the stack outputs, and the counts by type."""

    c = _paint(colour)
    resources = select(snapshot, targets)
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for res in resources:
        children[res["parent"]].append(res)
    lines = [
        c("bold", f"Previewing {snapshot['project']}/{snapshot['stack']} (offline, no credentials)")
    ]

    width = 60
    name_w = max(len(r["name"]) for r in resources) + 11
    lines.append(f"     {'Type':<{width}} {'Name':<{name_w}} Plan")

    def walk(parent: str | None, prefix: str, is_root: bool) -> None:
        kids = sorted(children.get(parent, []), key=lambda r: (r["type"], r["name"]))
        for i, res in enumerate(kids):
            last = i == len(kids) - 1
            branch = "" if is_root else ("└─ " if last else "├─ ")
            label = f"{prefix}{branch}{res['type']}"
            flags = " [protect]" if res.get("protect") else ""
            name = f"{res['name']}{flags}"
            lines.append(f" {c('create', '+')}   {label:<{width}} {name:<{name_w}} create")
            walk(res["urn"], "" if is_root else prefix + ("   " if last else "│  "), False)

    walk(None, "", True)
    lines += policies_and_outputs(snapshot, resources, policies, c)
    counts = Counter(r["type"] for r in resources if r["type"] != STACK_TYPE)
    lines.append("")
    lines.append(c("bold", "Resources by type:"))
    for token, count in sorted(counts.items()):
        lines.append(f"    {count:>4} {token}")
    custom = sum(1 for r in resources if r["custom"])
    stacks = sum(1 for r in resources if r["type"] == STACK_TYPE)
    components = len(resources) - custom - stacks
    lines.append(
        c("bold", f"    {c('create', '+')} {len(resources)} to create")
        + f" ({custom} resources, {components} components, {stacks} stack)"
    )
    return "\n".join(lines) + "\n"


def policies_and_outputs(
    snapshot: dict[str, Any],
    resources: list[dict[str, Any]],
    policies: Policies | None,
    c: Any,
) -> list[str]:
    """The ``Policies:`` block of the shown resources and the ``Outputs:`` block, each after a
    blank line (either may be absent)."""
    lines: list[str] = []
    if policies is not None:
        lines.append("")
        lines += _policy_lines(policies, shown_violations(policies, resources), snapshot, c)
    outputs = _stack_outputs(resources)
    if outputs:
        lines.append("")
        lines.append(c("bold", "Outputs:"))
        lines += _value_lines(outputs, 1)
    return lines


def _policy_lines(
    policies: Policies, violations: list[Violation], snapshot: dict[str, Any], c: Any
) -> list[str]:
    mandatory = any(v.enforcement_level == "mandatory" for v in violations)
    mark = "❌" if mandatory else ("⚠️" if violations else "✅")
    key = f"{policies.pack}@v{policies.version}"
    lines = [c("bold", "Policies:"), f"    {mark} {key} (local: {policies.local})"]
    root = stack_urn(snapshot)
    ordered = sorted(violations, key=lambda v: (v.enforcement_level, v.policy_name, v.urn or root))
    for v in ordered:
        urn = v.urn or root
        head = f"[{v.enforcement_level}]  {v.policy_name}"
        if v.enforcement_level in ("mandatory", "advisory"):
            head = c(v.enforcement_level, head)
        lines.append(f"        - {head}  ({urn_type(urn)}: {urn_name(urn)})")
        lines += [f"          {line}" for line in v.message.rstrip("\n").splitlines()]
    return lines


def _stack_outputs(resources: list[dict[str, Any]]) -> dict[str, Any]:
    for res in resources:
        if res["type"] == STACK_TYPE:
            outputs = res.get("outputs") or {}
            return outputs if isinstance(outputs, dict) else {}
    return {}


def _scalar(value: Any) -> str:
    if value == UNKNOWN:
        return "output<string>"
    if is_secret_marker(value):
        return SECRET_MARKER
    return json.dumps(value, ensure_ascii=False)


def _value_lines(value: dict[str, Any], depth: int) -> list[str]:
    """An object the way the CLI prints stack outputs: keys padded to the longest, nested
    objects in braces, lists as ``[i]: value``."""
    pad = "    " * depth
    lines: list[str] = []
    width = max((len(k) for k in value), default=0)
    for key in sorted(value):
        lines += _entry(f"{pad}{key:<{width}}: ", value[key], depth)
    return lines


def _entry(head: str, value: Any, depth: int) -> list[str]:
    pad = "    " * depth
    if isinstance(value, dict):
        if not value:
            return [f"{head}{{}}"]
        return [f"{head}{{", *_value_lines(value, depth + 1), f"{pad}}}"]
    if isinstance(value, list):
        if not value:
            return [f"{head}[]"]
        inner = "    " * (depth + 1)
        body = [
            line for i, v in enumerate(value) for line in _entry(f"{inner}[{i}]: ", v, depth + 1)
        ]
        return [f"{head}[", *body, f"{pad}]"]
    return [f"{head}{_scalar(value)}"]


def resource_state(res: dict[str, Any]) -> dict[str, Any]:
    """A resource's ``newState`` as ``apitype.ResourceV3`` serializes it (empty fields left out
    where the engine's JSON tags say ``omitempty``)."""
    state: dict[str, Any] = {
        "urn": res["urn"],
        "custom": bool(res.get("custom")),
        "type": res["type"],
        "inputs": res.get("inputs") or {},
    }
    if res["type"] == STACK_TYPE:
        state["outputs"] = res.get("outputs") or {}
    for key in ("id", "parent", "provider"):
        if res.get(key):
            state[key] = res[key]
    for key in ("protect", "retainOnDelete"):
        if res.get(key):
            state[key] = True
    for key in ("dependencies", "additionalSecretOutputs"):
        if res.get(key):
            state[key] = list(res[key])
    if res.get("propertyDependencies"):
        state["propertyDependencies"] = res["propertyDependencies"]
    return state


def digest(
    snapshot: dict[str, Any],
    *,
    config: dict[str, str] | None = None,
    policies: Policies | None = None,
    targets: Iterable[str] = (),
) -> dict[str, Any]:
    """The ``pulumi preview --json`` document of the snapshot (see the module docstring)."""
    resources = select(snapshot, targets)
    steps = []
    for res in resources:
        step: dict[str, Any] = {"op": "create", "urn": res["urn"], "newState": resource_state(res)}
        if res.get("provider"):
            step["provider"] = res["provider"]
        step["detailedDiff"] = None
        steps.append(step)
    document: dict[str, Any] = {}
    if config:
        document["config"] = dict(sorted(config.items()))
    document["steps"] = steps
    diagnostics = []
    if policies is not None:
        root = stack_urn(snapshot)
        for log in policies.result.logs:
            diagnostics.append(
                {
                    "urn": log.urn or root,
                    "message": log.message,
                    "severity": _LOG_SEVERITY.get(log.level, "info"),
                }
            )
        document["policyPacks"] = {policies.pack: policies.version}
        document["policyViolations"] = [
            {
                "resourceUrn": v.urn or root,
                "message": v.message,
                "policyName": v.policy_name,
                "policyPackName": v.policy_pack or policies.pack,
                "policyPackVersion": v.policy_pack_version or policies.version,
                "enforcementLevel": v.enforcement_level,
                "severity": v.severity,
            }
            for v in sorted(
                shown_violations(policies, resources),
                key=lambda v: (v.enforcement_level, v.policy_name, v.urn or root),
            )
        ]
    if diagnostics:
        document["diagnostics"] = diagnostics
    document["changeSummary"] = {"create": len(resources)}
    return document


def use_colour(stream: TextIO = sys.stdout) -> bool:
    """Colour on a terminal, plain when piped or when NO_COLOR is set."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``preview`` beyond the shared stack arguments, named as the CLI's."""
    parser.add_argument(
        "-j", "--json", action="store_true", help="print the preview as `pulumi preview --json`"
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="URN",
        help="show only this resource, its parents and what it depends on (repeatable; "
        "* and ** are globs)",
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="show each changed resource with its property changes against --base",
    )
    parser.add_argument(
        "--base",
        metavar="REV|FILE|DIR",
        help="what --diff compares with: a git revision (default HEAD), a snapshot file from "
        "`preflight synth`, or a directory of <stack>.json",
    )
    parser.add_argument(
        "--policy-pack",
        type=Path,
        default=None,
        metavar="DIR",
        help="policy pack directory (default: policies)",
    )
    parser.add_argument(
        "--policy-pack-config",
        type=Path,
        metavar="FILE",
        help="policy-pack config for every stack (default: policies/config/<stack>.json)",
    )


def run(args: argparse.Namespace, stacks: list[str], host: PolicyPackHost | None = None) -> int:
    """Synthesize ``stacks`` once, analyze each snapshot with the pack (booted while the program
    runs), print; exit 1 on a mandatory violation of a shown resource, 2 on bad input.

    ``host`` lets a caller reuse a running pack (tests); by default one is started and stopped.
    """
    from preflight import check, preview_diff, synth
    from preflight.analyzer import host as pack
    from preflight.analyzer.config import PolicyConfigError
    from preflight.diff.model import DiffError
    from preflight.snapshot import SnapshotError

    config_file: Path | None = args.policy_pack_config
    if config_file is not None and not config_file.is_file():
        raise UsageError(f"--policy-pack-config {config_file}: no such file")
    pack_dir: Path = args.policy_pack or check.PACK_DIR
    project = synth.Project.load(args.project)
    if not stacks:
        raise UsageError(f"no Pulumi.<stack>.yaml in {args.project}: nothing to preview")
    synth.check_inputs(project, stacks)  # bad input is refused before the pack boots
    configs = {stack: check._config_path(stack, config_file) for stack in stacks}
    if args.base is not None and not args.diff:
        raise UsageError("--base is what --diff compares with: add --diff")
    results: dict[str, Policies] = {}
    base: preview_diff.Base | None = None
    fingerprinted: dict[str, dict[str, Any]] = {}
    owned = host is None
    try:
        if host is None:
            host = pack.PolicyPackHost(
                pack_dir, project=project.name, stack=stacks[0] if len(stacks) == 1 else None
            )
        try:
            if args.diff:  # before the pack's gRPC threads exist: the base runs in a subprocess
                base = preview_diff.load_base(args.base or "HEAD", stacks, Path(args.project))
            # the pack boots while the program runs, in the mode of the snapshots to come
            host.use_mode(dry_run=args.mode == "preview").start()
            key = base.key.encode() if base is not None and base.key else None
            snapshots = synth.synthesize(
                stacks, args.project, fingerprint_key=key, progress=progress, mode=args.mode
            )
            if base is not None:
                fingerprinted, snapshots = snapshots, preview_diff.without_fingerprints(snapshots)
            for stack in stacks:
                progress(f"checking {stack} with {check._display(configs[stack])}")
                result = check.check_snapshot(host, snapshots[stack], stack, configs[stack])
                results[stack] = Policies(
                    result, host.info().name, host.version, check._display(pack_dir)
                )
        finally:
            if owned:
                host.close()
    except (SnapshotError, pack.PackError, DiffError) as err:
        raise UsageError(str(err)) from None
    except PolicyConfigError as err:
        raise UsageError(f"policy config {err}") from None

    failed = []
    for stack in stacks:
        shown = select(snapshots[stack], args.target)
        mandatory = [
            v for v in shown_violations(results[stack], shown) if v.enforcement_level == "mandatory"
        ]
        if mandatory:
            failed.append(f"{stack}: {len(mandatory)} mandatory policy violation(s)")
    diffs = {}
    if base is not None:
        for stack in stacks:
            shown_urns = (
                {r["urn"] for r in select(snapshots[stack], args.target)} if args.target else None
            )
            diffs[stack] = (
                preview_diff.compare(base, stack, fingerprinted[stack], shown_urns),
                shown_urns,
            )
    if args.json:
        documents = {
            stack: digest(
                snapshots[stack],
                config=_blinded_config(project, stack),
                policies=results[stack],
                targets=args.target,
            )
            for stack in stacks
        }
        for stack, (d, shown_urns) in diffs.items():
            steps, summary = preview_diff.steps(
                d, base.snapshots.get(stack) if base else None, snapshots[stack], shown_urns
            )
            documents[stack].update(steps=steps, changeSummary=summary)
        one = documents[stacks[0]] if len(stacks) == 1 else documents
        sys.stdout.write(json.dumps(one, indent=4, ensure_ascii=False) + "\n")
    else:
        colour = use_colour(sys.stdout)
        for i, stack in enumerate(stacks):
            if i:
                sys.stdout.write("\n")
            if base is not None:
                d, shown_urns = diffs[stack]
                shown = select(snapshots[stack], args.target)
                tail = policies_and_outputs(snapshots[stack], shown, results[stack], _paint(colour))
                sys.stdout.write(
                    preview_diff.text(d, base, snapshots[stack], colour, tail, shown_urns)
                )
            else:
                sys.stdout.write(
                    render(snapshots[stack], colour, policies=results[stack], targets=args.target)
                )
    blocked = [
        f"{s}: would fail at apply: {b.text}" for s, (d, _) in diffs.items() for b in d.blockers
    ]
    for line in failed + blocked:
        error(f"preview failed: {line}")
    if failed:
        return EXIT_VIOLATIONS
    return preview_diff.APPLY_FAILURE_EXIT if blocked else 0


def _blinded_config(project: Any, stack: str) -> dict[str, str]:
    """The stack's config as the engine's prelude event carries it: secrets as ``[secret]``."""
    from preflight.synth import stack_config

    config, secret_keys = stack_config(project, stack)
    return {k: SECRET_MARKER if k in secret_keys else v for k, v in config.items()}
