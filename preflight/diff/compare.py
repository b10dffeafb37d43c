"""The comparison: two snapshots of a stack in, a ``StackDiff`` out (pure, no I/O).

Resources are matched by URN; inputs are walked property by property (nested paths, secrets
compared by fingerprint only), options are compared as a whole, and a changed property that a
replace rule covers turns the update into a replacement.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from preflight.diff import guards, impact
from preflight.diff.model import (
    MISSING,
    DiffError,
    PolicyDelta,
    PropertyChange,
    ResourceChange,
    StackDiff,
    Violation,
    safe_text,
    scrub,
    secret_of,
)
from preflight.diff.rules import OPTIONS, ignored, matching_rule, replace_rules, stateful_kind
from preflight.snapshot import OP_ORDER, STACK_TYPE

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


@dataclass
class _Walk:
    """Accumulates raw property changes: (path, string keys of the path, kind, old, new,
    secret); counts secrets that could not be compared."""

    found: list[tuple[str, tuple[str, ...], str, Any, Any, bool]] = field(default_factory=list)
    uncompared: int = 0

    def visit(self, old: Any, new: Any, path: str = "", keys: tuple[str, ...] = ()) -> None:
        old = MISSING if old is None else old
        new = MISSING if new is None else new
        old_secret, old_fp = secret_of(old)
        new_secret, new_fp = secret_of(new)
        if old_secret and new_secret:
            if old_fp and new_fp:
                if old_fp != new_fp:
                    self.found.append((path, keys, "update", MISSING, MISSING, True))
            else:
                self.uncompared += 1
            return
        if old is MISSING and new is MISSING:
            return
        if old is MISSING or new is MISSING:
            kind = "add" if old is MISSING else "delete"
            secret = old_secret or new_secret
            self.found.append((path, keys, kind, old, new, secret))
            return
        if old_secret or new_secret:  # a plain value became secret or stopped being one
            self.found.append((path, keys, "update", MISSING, MISSING, True))
            return
        if isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(set(old) | set(new)):
                self.visit(old.get(key), new.get(key), _join(path, key), (*keys, key))
            return
        if isinstance(old, list) and isinstance(new, list):
            for i in range(max(len(old), len(new))):
                self.visit(
                    old[i] if i < len(old) else MISSING,
                    new[i] if i < len(new) else MISSING,
                    _join(path, i),
                    keys,
                )
            return
        if type(old) is not type(new) or old != new:
            self.found.append((path, keys, "update", old, new, False))


def _resources(snapshot: dict[str, Any] | None, side: str, stack: str) -> dict[str, dict[str, Any]]:
    if snapshot is None:
        return {}
    items = snapshot.get("resources") if isinstance(snapshot, dict) else None
    if not isinstance(items, list) or not all(
        isinstance(r, dict) and isinstance(r.get("urn"), str) for r in items
    ):
        raise DiffError(
            f"the {side} snapshot of stack {stack} is not a preflight snapshot "
            "(expected an object with a `resources` list of objects with a `urn`)"
        )
    return {r["urn"]: r for r in items if r.get("type") != STACK_TYPE}


def _property_changes(
    base: dict[str, Any], head: dict[str, Any]
) -> tuple[list[PropertyChange], int]:
    walk = _Walk()
    walk.visit(base.get("inputs") or {}, head.get("inputs") or {})
    rules = replace_rules(head)
    ignore = [str(r) for r in head.get("ignoreChanges") or ()]
    changes = []
    for path, keys, kind, old, new, secret in walk.found:
        if ignored(ignore, keys):
            continue
        changes.append(
            PropertyChange(
                path=path,
                kind=kind,
                old=None if secret or old is MISSING else scrub(old),
                new=None if secret or new is MISSING else scrub(new),
                secret=secret,
                replaces=matching_rule(rules, keys),
            )
        )
    for option in OPTIONS:
        old_value, new_value = base.get(option), head.get(option)
        if (old_value or None) != (new_value or None):
            changes.append(
                PropertyChange(
                    path=option, kind="update", old=old_value, new=new_value, option=True
                )
            )
    return changes, walk.uncompared


def _protect_notes(change: ResourceChange) -> None:
    if change.op in ("delete", "replace") and change.protect:
        change.notes.append(
            "protected: `pulumi up` refuses to delete it until `protect` is removed in a "
            "separate, reviewed change"
        )
    if change.op in ("delete", "replace") and change.stateful and change.retain_on_delete:
        change.notes.append("retainOnDelete: the cloud resource and its data are kept")


def diff_snapshots(
    stack: str, base: dict[str, Any] | None, head: dict[str, Any] | None
) -> StackDiff:
    """Compare two snapshots of ``stack`` (None: the stack does not exist on that side)."""
    before = _resources(base, "base", stack)
    after = _resources(head, "head", stack)
    result = StackDiff(stack=stack, in_base=base is not None, in_head=head is not None)
    for urn in sorted(set(before) | set(after)):
        old, new = before.get(urn), after.get(urn)
        current = new if new is not None else old
        if current is None:  # every urn comes from one side or the other
            continue
        change = ResourceChange(
            urn=urn,
            type=str(current.get("type", "")),
            name=str(current.get("name", urn.rsplit("::", 1)[-1])),
            op="update",
            custom=bool(current.get("custom", True)),
            stateful=stateful_kind(current),
            protect=bool((old or {}).get("protect")),
            retain_on_delete=bool((old or {}).get("retainOnDelete")),
        )
        if old is None:
            change.op = "create"
        elif new is None:
            change.op = "delete"
        else:
            change.changes, uncompared = _property_changes(old, new)
            result.uncompared_secrets += uncompared
            if not change.changes:
                continue
            if any(c.replaces for c in change.changes):
                change.op = "replace"
        _protect_notes(change)
        result.resources.append(change)
    _note_moves(result)
    result.resources.sort(key=lambda r: (OP_ORDER[r.op], r.type, r.name, r.urn))
    impact.classify(result, base, head)
    guards.revision_guard(result, head)
    return result


def _note_moves(result: StackDiff) -> None:
    """A delete and a create of the same type and name is a resource whose URN changed
    (new parent or renamed component): without an alias Pulumi deletes and recreates it."""
    created = {(r.type, r.name): r for r in result.resources if r.op == "create"}
    for r in result.resources:
        twin = created.get((r.type, r.name)) if r.op == "delete" else None
        if twin is not None:
            note = (
                "URN changed (new parent?): without `aliases` on the new resource Pulumi deletes "
                "the old one and creates a new one"
            )
            r.notes.append(note)
            twin.notes.append(note)


def _violations(raw: Any) -> list[Violation]:
    found = []
    for item in raw or []:
        if not isinstance(item, dict):
            continue
        found.append(
            Violation(
                policy=str(item.get("policy", "")),
                enforcement=str(item.get("enforcement", "")),
                urn=str(item.get("urn") or ""),
                message=safe_text(str(item.get("message", ""))),
            )
        )
    return found


def _violation_order(v: Violation) -> tuple[str, str, str]:
    return (v.policy, v.urn, v.message)


def policy_delta(base: Any, head: Any) -> PolicyDelta:
    """Violations that appear with the change (``new``) and that it clears (``resolved``)."""
    before, after = set(_violations(base)), set(_violations(head))
    return PolicyDelta(
        new=sorted(after - before, key=_violation_order),
        resolved=sorted(before - after, key=_violation_order),
    )
