"""The terminal form of a diff: plain text, coloured on a terminal, as ``pulumi preview --diff``
draws a change (``pkg/backend/display/diff.go``: ``+`` create in green, ``~`` update in yellow,
``-`` delete in red, ``+-`` replace in magenta; a changed property as ``~ path: old => new``).

The Markdown form (``render.render_markdown``) is for pull-request comments; this one is for the
person at the terminal. Both take the same ``StackDiff`` values, so they cannot disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from preflight.diff.model import PropertyChange, ResourceChange, StackDiff, scrub
from preflight.snapshot import OP_SIGNS, UNKNOWN

COLOURS = {
    "create": "\x1b[32m",
    "update": "\x1b[33m",
    "delete": "\x1b[31m",
    "replace": "\x1b[35m",
    "add": "\x1b[32m",
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "reset": "\x1b[0m",
}
"""ANSI colours by operation (the Pulumi CLI's: green, yellow, red, magenta)."""
PROPERTY_SIGNS = {"add": "+", "update": "~", "delete": "-"}

Paint = Callable[[str, str], str]


def painter(colour: bool) -> Paint:
    """``paint(key, text)``: ``text`` in the colour of ``key``, or as is without colour."""

    def paint(key: str, text: str) -> str:
        return f"{COLOURS[key]}{text}{COLOURS['reset']}" if colour else text

    return paint


def value_text(value: Any) -> str:
    """A property value on one line: JSON, secrets as ``[secret]``, long values cut."""
    if value is None:
        return "(none)"
    if value == UNKNOWN:
        return "output<string>"
    text = json.dumps(scrub(value), sort_keys=True, ensure_ascii=False).replace("\n", " ")
    return text if len(text) <= 120 else text[:117] + "..."


def _json_document(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return None
    return None


def _inner_changes(old: Any, new: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    """The leaves that differ between two decoded JSON documents, with their paths."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            _inner_changes(old.get(key), new.get(key), f"{path}.{key}", out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _inner_changes(a, b, f"{path}[{i}]", out)
    elif old != new:
        out.append((path, old, new))


INNER_LIMIT = 6
"""How many changed leaves of a JSON-encoded property (a dashboard, an IAM policy) are shown."""


def property_line(change: PropertyChange, paint: Paint) -> str:
    """``~ path: old => new`` (``+ path: new``, ``- path: old``), secrets never shown."""
    path = f"[option] {change.path}" if change.option else (change.path or "(inputs)")
    sign = PROPERTY_SIGNS.get(change.kind, "~")
    if change.secret:
        detail = {"add": "[secret]", "delete": "[secret]"}.get(change.kind, "[secret] (changed)")
    elif change.kind == "add":
        detail = value_text(change.new)
    elif change.kind == "delete":
        detail = value_text(change.old)
    else:
        old, new = _json_document(change.old), _json_document(change.new)
        if old is not None and new is not None:
            return _json_lines(change, old, new, paint)
        detail = f"{value_text(change.old)} => {value_text(change.new)}"
    forces = " (forces replacement)" if change.replaces else ""
    key = "update" if change.kind == "update" else ("add" if change.kind == "add" else "delete")
    return f"        {paint(key, sign)} {path}: {detail}{forces}"


def _json_lines(change: PropertyChange, old: Any, new: Any, paint: Paint) -> str:
    """A JSON-encoded property shown by the leaves that change inside it."""
    inner: list[tuple[str, Any, Any]] = []
    _inner_changes(old, new, change.path, inner)
    forces = " (forces replacement)" if change.replaces else ""
    lines = [f"        {paint('update', '~')} {change.path} (JSON){forces}:"]
    for path, a, b in inner[:INNER_LIMIT]:
        lines.append(
            f"            {paint('update', '~')} {path}: {value_text(a)} => {value_text(b)}"
        )
    if len(inner) > INNER_LIMIT:
        lines.append(f"            … {len(inner) - INNER_LIMIT} more")
    return "\n".join(lines)


def resource_lines(r: ResourceChange, paint: Paint) -> list[str]:
    """The resource's line (sign, type, name, operation) and one line per changed property."""
    sign = paint(r.op, f"{OP_SIGNS[r.op]:<2}")
    head = f"    {sign} {paint('dim', r.type)} {r.name}  {paint(r.op, r.op)}"
    if r.data_loss:
        head += f"  [data loss: {r.stateful}]"
    lines = [head]
    lines += [f"        note: {note}" for note in r.notes]
    lines += [property_line(c, paint) for c in r.changes]
    return lines


def summary_line(d: StackDiff, paint: Paint, unchanged: int | None = None) -> str:
    parts = [
        paint(op, f"{OP_SIGNS[op]} {d.count(op)} to {op}")
        for op in ("create", "update", "replace", "delete")
        if d.count(op)
    ]
    if unchanged is not None:
        parts.append(f"{unchanged} unchanged")
    return "Resources: " + (", ".join(parts) or "no changes")


def stack_lines(d: StackDiff, paint: Paint, *, unchanged: int | None = None) -> list[str]:
    """One stack's changes, what the cloud would refuse, the high-impact reasons, the policy
    results that change and the totals."""
    lines = [*(f"    note: {note}" for note in d.notes)]
    for r in d.resources:
        lines += resource_lines(r, paint)
    if not d.resources:
        lines.append("    no resource changes")
    if d.blockers:
        lines += ["", paint("delete", "Would fail at apply:")]
        lines += [f"    - {b.text}" for b in d.blockers]
    if d.high_impact:
        lines += ["", "High-impact change (playbook §9: announce it 48 hours before deploying):"]
        lines += [f"    - {r.kind}: {r.text}" for r in d.high_impact]
    lines.append("")
    if d.policy_config_changed:
        lines.append(
            f"The policy config {d.policy_config_changed} changed: both sides are judged with the "
            "working tree's, so the results below leave that change out"
        )
    if d.policy is None:
        lines.append(f"Policy results: not compared ({d.policy_note or 'not run'})")
    elif not d.policy.new and not d.policy.resolved:
        lines.append("Policy results: unchanged")
    else:
        lines.append("Policy results that change:")
        for label, items in (("new", d.policy.new), ("resolved", d.policy.resolved)):
            for v in items:
                where = f" ({v.urn.rsplit('::', 1)[-1]})" if v.urn else ""
                first = v.message.splitlines()[0] if v.message else ""
                lines.append(f"    - {label} [{v.enforcement}] {v.policy}{where}: {first}")
    lines.append(paint("bold", summary_line(d, paint, unchanged)))
    return lines


def render_text(diffs: list[StackDiff], base_label: str, *, colour: bool) -> str:
    """Every stack's changes against ``base_label``, for a terminal."""
    paint = painter(colour)
    out: list[str] = []
    for i, d in enumerate(diffs):
        if i:
            out.append("")
        out.append(paint("bold", f"Comparing {d.stack} with {base_label}"))
        out += stack_lines(d, paint)
    return "\n".join(out) + "\n"
