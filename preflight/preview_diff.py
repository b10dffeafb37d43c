"""``preflight preview --diff``: the property diff of each stack against a base, as
``pulumi preview --diff`` shows the change against the stack's state.

Offline there is no state, so the base is named: ``--base REV`` (a git revision, default
``HEAD``: the base's own preflight synthesizes every stack in a temporary worktree, as ``diff``
does), ``--base FILE`` (a snapshot written by ``preflight synth``, for one stack) or
``--base DIR`` (``<stack>.json`` per stack, e.g. ``synth --all --out-dir DIR`` of the deployed
commit). The comparison is ``preflight.diff``'s own (``diff_snapshots``), so ``preview --diff``
and ``diff`` never disagree, and it carries the same guard: a change the cloud would refuse at
apply fails the preview with exit 4.

In the text form, each changed resource is shown with its operation and its changed properties
(``~ path: old => new``), followed by the policy results and outputs of the working tree and the
totals, unchanged resources counted as ``pulumi preview`` counts sames. In the JSON form each
step gets the engine's ``op`` (``same``, ``create``, ``update``, ``replace``, ``delete``),
``oldState``/``newState`` and ``detailedDiff`` (property path to ``{"kind": ...,
"inputDiff": true}``, the engine's ``PropertyDiff``; ``-replace`` appended to the kind of a
property that forces replacement), with ``diffReasons`` and ``replaceReasons``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preflight.cli import UsageError, progress
from preflight.diff.compare import diff_snapshots
from preflight.diff.model import APPLY_FAILURE_EXIT, StackDiff, scrub
from preflight.diff.terminal import painter, stack_lines

__all__ = ["APPLY_FAILURE_EXIT", "Base", "load_base", "steps", "text"]


@dataclass(frozen=True)
class Base:
    """The base side: its label, its snapshots by stack, and the fingerprint key (if any) the
    working tree must be synthesized with for secrets to be compared."""

    label: str
    snapshots: dict[str, dict[str, Any]]
    key: str | None


def _read_snapshot(path: Path) -> dict[str, Any]:
    from preflight.snapshot import SnapshotError, load

    try:
        document = load(path)
    except SnapshotError as err:
        raise UsageError(f"--base {err}: not a snapshot from `preflight synth`") from None
    if not isinstance(document.get("resources"), list):
        raise UsageError(f"--base {path}: not a snapshot from `preflight synth` (no resources)")
    return document


def load_base(base: str, stacks: list[str], project: Path) -> Base:
    """The base snapshots of ``stacks`` named by ``base`` (file, directory or git revision)."""
    path = Path(base)
    if path.is_file():
        if len(stacks) != 1:
            raise UsageError(f"--base {base} is one snapshot: preview one stack with -s NAME")
        snapshot = _read_snapshot(path)
        if snapshot.get("stack") not in (None, stacks[0]):
            raise UsageError(
                f"--base {base} is a snapshot of stack {snapshot.get('stack')!r}, not "
                f"{stacks[0]!r}: pass that stack's snapshot"
            )
        return Base(str(path), {stacks[0]: snapshot}, None)
    if path.is_dir():
        found = {
            s: _read_snapshot(path / f"{s}.json") for s in stacks if (path / f"{s}.json").is_file()
        }
        return Base(str(path), found, None)
    from preflight import interrupts
    from preflight.diff.gitbase import base_worktree, repo_root, resolve_commit, synthesize_base

    project = project.resolve()
    repo = repo_root(project)
    commit = resolve_commit(repo, base)
    interrupts.reclaim(repo)
    key = secrets.token_hex(32)
    progress(f"synthesizing {base} ({commit[:12]}) in a temporary worktree")
    try:
        with interrupts.handling_signals(), base_worktree(repo, commit) as (checkout, scratch):
            found = synthesize_base(
                checkout, checkout / project.relative_to(repo), key, scratch.path / "out", scratch
            )
    except interrupts.Interrupted as stop:
        progress(f"interrupted by {stop.name}: the temporary worktree is removed")
        raise SystemExit(stop.exit_code) from None
    return Base(f"{base} ({commit[:12]})", {s: found[s] for s in stacks if s in found}, key)


def compare(
    base: Base, stack: str, head: dict[str, Any], shown: set[str] | None = None
) -> StackDiff:
    """The diff of ``stack``, limited to the ``shown`` URNs (``--target``) when given."""
    d = diff_snapshots(stack, base.snapshots.get(stack), head)
    if shown is not None:
        d.resources = [r for r in d.resources if r.urn in shown]
        d.blockers = [b for b in d.blockers if b.urn in shown]
    d.policy_note = "the working tree's results are under Policies"
    return d


def unchanged(d: StackDiff, head: dict[str, Any], shown: set[str] | None = None) -> int:
    """How many resources of the working tree (the Stack included) stay as they are."""
    changed = {r.urn for r in d.resources}
    urns = [r["urn"] for r in head["resources"] if shown is None or r["urn"] in shown]
    return sum(1 for urn in urns if urn not in changed)


def text(
    d: StackDiff,
    base: Base,
    head: dict[str, Any],
    colour: bool,
    tail: list[str],
    shown: set[str] | None,
) -> str:
    """The text form of one stack: header, changes, then ``tail`` (policies and outputs)."""
    paint = painter(colour)
    header = paint(
        "bold",
        f"Previewing {head['project']}/{d.stack} (offline, no credentials) against {base.label}",
    )
    body = stack_lines(d, paint, unchanged=unchanged(d, head, shown))
    summary = body.pop()
    # The policy delta is not compared here: the working tree's results follow in full.
    while body and (body[-1].startswith("Policy results") or body[-1] == ""):
        body.pop()
    return "\n".join([header, *body, *tail, "", summary]) + "\n"


def _kind(change: Any) -> str:
    return f"{change.kind}-replace" if change.replaces else change.kind


def steps(
    d: StackDiff, base_snapshot: dict[str, Any] | None, head: dict[str, Any], shown: set[str] | None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The engine's steps (op, urn, oldState, newState, detailedDiff) and its change summary."""
    from preflight.preview import resource_state

    old = {r["urn"]: r for r in (base_snapshot or {}).get("resources", [])}
    new = {r["urn"]: r for r in head["resources"]}
    changes = {r.urn: r for r in d.resources}
    out: list[dict[str, Any]] = []
    summary: dict[str, int] = {}
    order = [*new, *(u for u in old if u not in new)]
    for urn in order:
        if shown is not None and urn not in shown and urn in new:
            continue
        change = changes.get(urn)
        if change is None and urn not in new:
            continue
        op = change.op if change is not None else "same"
        step: dict[str, Any] = {"op": op, "urn": urn}
        if urn in old and op != "create":
            step["oldState"] = scrub(resource_state(old[urn]))
        if urn in new and op != "delete":
            step["newState"] = scrub(resource_state(new[urn]))
            if new[urn].get("provider"):
                step["provider"] = new[urn]["provider"]
        if change is not None and change.changes:
            step["diffReasons"] = sorted(
                {c.path.split(".")[0].split("[")[0] for c in change.changes}
            )
            step["detailedDiff"] = {
                c.path: {"kind": _kind(c), "inputDiff": True} for c in change.changes
            }
            if change.op == "replace":
                step["replaceReasons"] = change.replace_reasons
        else:
            step["detailedDiff"] = None
        out.append(step)
        summary[op] = summary.get(op, 0) + 1
    return out, summary


def without_fingerprints(snapshots: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The snapshots with every secret marker reduced to ``[secret]``, for the policy pack and
    everything shown."""
    return {stack: scrub(snapshot) for stack, snapshot in snapshots.items()}
