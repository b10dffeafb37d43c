"""``python -m preflight diff``: what a change would do to each stack, computed offline.

    python -m preflight diff --base origin/main [--stack NAME | --all]
                             [--format markdown|json] [--allow-data-loss] [--json-out FILE]

The base revision is checked out into a temporary ``git worktree`` (the working tree is never
touched; the worktree is removed afterwards) and synthesized there by running
``python -m preflight synth --all --out-dir DIR`` with this interpreter; the working tree is
synthesized in this process (``preflight.synth.synthesize``). The two snapshots of each stack
are compared by URN:

* resources created, deleted, updated (property-level changes with nested paths) and replaced
  (a change to a property the provider cannot update in place, see ``REPLACE_ON_CHANGE``, or one
  listed in the resource's own ``replaceOnChanges`` option);
* deletions and replacements of stateful resources (``STATEFUL_TYPES``: secrets, KMS keys,
  buckets, log buckets, the Supabase settings) are data-loss risks: exit code 3 unless
  ``--allow-data-loss``;
* policy results that changed, through ``preflight.check`` when it is there (see
  ``policy_runner``; ``--skip-policy`` leaves it out); the working tree's policy pack judges
  both snapshots, so the comparison shows what the program change does.

Secrets: both syntheses get the same random key in ``PREFLIGHT_SECRET_FINGERPRINT_KEY`` for this
run only, so a secret shows as ``[secret:<hmac>]`` and a changed value can be reported as
"(secret changed)". Neither values nor fingerprints are ever printed or written.

Exit codes: 0 no data-loss risk (or allowed), 3 a stateful resource would be deleted or
replaced, 2 usage or configuration error, 1 the base revision could not be synthesized.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import secrets
import shutil
import subprocess  # nosec B404  # git and this interpreter, fixed argument lists, no shell
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight import synth as synth_mod
from preflight.snapshot import FINGERPRINT_ENV, OP_ORDER, OP_SIGNS, SECRET_RE, UNKNOWN

MARKDOWN_LIMIT = 60_000
"""GitHub rejects comments over 65,536 characters; stay well below."""
DATA_LOSS_EXIT = 3
_FINGERPRINT_ANYWHERE = re.compile(r"\[secret:[0-9a-f]+\]")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BRACKETS = re.compile(r"\[[^\]]*\]")

# Stateful resources: deleting or replacing one destroys what it holds. Value: what is lost.
STATEFUL_TYPES: dict[str, str] = {
    "gcp:secretmanager/secret:Secret": "the secret and every version of its value",
    "gcp:kms/keyRing:KeyRing": "the key ring (key rings cannot be deleted; a new one is made)",
    "gcp:kms/cryptoKey:CryptoKey": "the key: data encrypted with it can no longer be decrypted",
    "gcp:storage/bucket:Bucket": "the bucket and its objects",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": "the log bucket and its retained logs",
    "pulumi-python:dynamic/supabase:SupabaseSettings": (
        "the managed Supabase settings (backups and PITR, network restrictions, SSL, auth)"
    ),
}

# Properties whose change makes the provider replace the resource instead of updating it.
# pulumi-gcp and pulumi-datadog are bridged from the Terraform providers: these are the fields
# the Terraform schema marks ForceNew, written with Pulumi's camelCase names and one-element
# blocks flattened (Terraform `rotation.0.rotation_period` is `rotation.rotationPeriod`).
# Read from terraform-provider-google's resource schemas (google/services/<product>/
# resource_*.go): cloudrunv2 service and job, secretmanager secret and secret version,
# storage bucket, kms crypto key, logging bucket config, resourcemanager service account;
# from terraform-provider-datadog's resource_datadog_monitor.go (`type`). Key ring, Pub/Sub
# topic and Cloud Scheduler job follow the same rule for their identity fields (name, location
# or region, project). Every `*IamMember` resource has no updatable field: any change replaces.
# The Supabase resources replace when their diff() says so (components/supabase_provider.py).
REPLACE_ON_CHANGE: dict[str, tuple[str, ...]] = {
    "gcp:cloudrunv2/service:Service": ("location", "name", "project"),
    "gcp:cloudrunv2/job:Job": ("location", "name", "project"),
    "gcp:serviceaccount/account:Account": ("accountId", "project"),
    "gcp:secretmanager/secret:Secret": (
        "project",
        "replication",
        "rotation.rotationPeriod",
        "secretId",
        "ttl",
    ),
    "gcp:secretmanager/secretVersion:SecretVersion": ("isSecretDataBase64", "secret", "secretData"),
    "gcp:storage/bucket:Bucket": (
        "customPlacementConfig.dataLocations",
        "enableObjectRetention",
        "hierarchicalNamespace",
        "location",
        "name",
        "project",
    ),
    "gcp:kms/keyRing:KeyRing": ("location", "name", "project"),
    "gcp:kms/cryptoKey:CryptoKey": (
        "cryptoKeyBackend",
        "destroyScheduledDuration",
        "importOnly",
        "keyRing",
        "name",
        "purpose",
        "versionTemplate.protectionLevel",
    ),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": ("bucketId", "location", "project"),
    "gcp:pubsub/topic:Topic": ("name", "project"),
    "gcp:cloudscheduler/job:Job": ("name", "project", "region"),
    "datadog:index/monitor:Monitor": ("type",),
    # the project's own dynamic provider (components/supabase_provider.py, its diff())
    "pulumi-python:dynamic/supabase:SupabaseSettings": ("projectRef",),
    "pulumi-python:dynamic/supabase:SupabaseProjectKeys": ("projectRef",),
}
_OPTIONS = (
    "protect",
    "retainOnDelete",
    "deleteBeforeReplace",
    "ignoreChanges",
    "replaceOnChanges",
    "additionalSecretOutputs",
    "provider",
)


class UsageError(Exception):
    """Bad input or configuration; exit code 2."""


class DiffError(Exception):
    """The base revision could not be synthesized; exit code 1."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


# --- the pure core: two snapshots in, changes out ----------------------------------------


@dataclass(frozen=True)
class PropertyChange:
    """One changed property (or resource option) of an updated or replaced resource."""

    path: str
    kind: str  # add | delete | update
    old: Any  # display-safe: secrets scrubbed; None when absent
    new: Any
    secret: bool = False
    replaces: str | None = None  # the rule that forces replacement, if any
    option: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.option:
            body["option"] = True
        if self.secret:
            body["secret"] = True
        else:
            if self.kind != "add":
                body["old"] = self.old
            if self.kind != "delete":
                body["new"] = self.new
        if self.replaces:
            body["replaces"] = True
        return body


@dataclass
class ResourceChange:
    urn: str
    type: str
    name: str
    op: str  # create | update | replace | delete
    custom: bool = True
    changes: list[PropertyChange] = field(default_factory=list)
    stateful: str | None = None
    protect: bool = False
    retain_on_delete: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def data_loss(self) -> bool:
        return (
            self.op in ("delete", "replace")
            and self.stateful is not None
            and not self.retain_on_delete
        )

    @property
    def replace_reasons(self) -> list[str]:
        return sorted({c.path for c in self.changes if c.replaces})

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "op": self.op,
            "stateful": self.stateful is not None,
            "dataLoss": self.data_loss,
            "replaceReasons": self.replace_reasons,
            "notes": self.notes,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str
    urn: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "policy": self.policy,
            "enforcement": self.enforcement,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass
class PolicyDelta:
    new: list[Violation]
    resolved: list[Violation]


@dataclass
class StackDiff:
    stack: str
    in_base: bool
    in_head: bool
    resources: list[ResourceChange] = field(default_factory=list)
    uncompared_secrets: int = 0
    policy: PolicyDelta | None = None
    policy_note: str | None = None
    diagram: str = ""
    """A fenced Mermaid block of the changed resources and their neighbours (may be empty)."""

    def count(self, op: str) -> int:
        return sum(1 for r in self.resources if r.op == op)

    @property
    def data_loss(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.data_loss]

    @property
    def notes(self) -> list[str]:
        notes = []
        if not self.in_base:
            notes.append(f"stack {self.stack} is new: it does not exist in the base revision")
        if not self.in_head:
            notes.append(f"stack {self.stack} is removed: it exists only in the base revision")
        if self.uncompared_secrets:
            notes.append(
                f"{self.uncompared_secrets} secret value(s) could not be compared: one snapshot "
                "carries no fingerprint (a base revision from before fingerprints)"
            )
        return notes

    def to_json(self) -> dict[str, Any]:
        policy: dict[str, Any]
        if self.policy is None:
            policy = {"compared": False, "reason": self.policy_note or "not run"}
        else:
            policy = {
                "compared": True,
                "new": [v.to_json() for v in self.policy.new],
                "resolved": [v.to_json() for v in self.policy.resolved],
            }
        return {
            "stack": self.stack,
            "summary": {op: self.count(op) for op in ("create", "update", "replace", "delete")},
            "dataLossRisks": [r.urn for r in self.data_loss],
            "notes": self.notes,
            "policy": policy,
            "resources": [r.to_json() for r in self.resources],
        }


def _secret_of(value: Any) -> tuple[bool, str | None]:
    if isinstance(value, str):
        match = SECRET_RE.match(value)
        if match:
            return True, match.group(1)
    return False, None


def scrub(value: Any) -> Any:
    """``value`` with every secret marker reduced to ``[secret]`` (no fingerprint)."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if _secret_of(value)[0]:
        return "[secret]"
    return value


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
        old_secret, old_fp = _secret_of(old)
        new_secret, new_fp = _secret_of(new)
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


def _rule_keys(rule: str) -> tuple[str, ...]:
    return tuple(part for part in _BRACKETS.sub("", rule).split(".") if part)


def _prefix_match(parts: tuple[str, ...], keys: tuple[str, ...], n: int) -> bool:
    return all(p in ("*", k) for p, k in zip(parts[:n], keys[:n], strict=True))


def _matching_rule(rules: Sequence[str], keys: tuple[str, ...]) -> str | None:
    """The first rule that is a prefix of ``keys`` or that ``keys`` is a prefix of (a ``*``
    segment matches any key, as in Pulumi's ``replaceOnChanges``)."""
    for rule in rules:
        if rule == "*":
            return rule
        parts = _rule_keys(rule)
        n = min(len(parts), len(keys))
        if n and _prefix_match(parts, keys, n):
            return rule
    return None


def _ignored(rules: Sequence[str], keys: tuple[str, ...]) -> bool:
    """Whether ``ignoreChanges`` covers the whole of the changed property."""
    for rule in rules:
        parts = _rule_keys(rule)
        if rule == "*" or (
            parts and len(keys) >= len(parts) and _prefix_match(parts, keys, len(parts))
        ):
            return True
    return False


def replace_rules(resource: dict[str, Any]) -> tuple[str, ...]:
    """Properties whose change replaces ``resource``: the provider's ForceNew fields plus the
    resource's own ``replaceOnChanges`` option."""
    rtype = str(resource.get("type", ""))
    rules = list(REPLACE_ON_CHANGE.get(rtype, ()))
    if rtype.split(":")[-1].lower().endswith("iammember"):
        rules.append("*")
    rules.extend(str(r) for r in resource.get("replaceOnChanges") or ())
    return tuple(rules)


def stateful_kind(resource: dict[str, Any]) -> str | None:
    """What deleting ``resource`` would destroy, or None when it holds no data."""
    return STATEFUL_TYPES.get(str(resource.get("type", "")))


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
    return {r["urn"]: r for r in items if r.get("type") != "pulumi:pulumi:Stack"}


def _property_changes(
    base: dict[str, Any], head: dict[str, Any]
) -> tuple[list[PropertyChange], int]:
    walk = _Walk()
    walk.visit(base.get("inputs") or {}, head.get("inputs") or {})
    rules = replace_rules(head)
    ignore = [str(r) for r in head.get("ignoreChanges") or ()]
    changes = []
    for path, keys, kind, old, new, secret in walk.found:
        if _ignored(ignore, keys):
            continue
        changes.append(
            PropertyChange(
                path=path,
                kind=kind,
                old=None if secret or old is MISSING else scrub(old),
                new=None if secret or new is MISSING else scrub(new),
                secret=secret,
                replaces=_matching_rule(rules, keys),
            )
        )
    for option in _OPTIONS:
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
                message=_FINGERPRINT_ANYWHERE.sub("[secret]", str(item.get("message", ""))),
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


# --- rendering -------------------------------------------------------------------------


def _display(value: Any) -> str:
    if value is None:
        return "(none)"
    if value == UNKNOWN:
        return "(known after apply)"
    text = json.dumps(scrub(value), sort_keys=True, ensure_ascii=False)
    if len(text) > 120:
        text = text[:117] + "..."
    return _code(text)


def _code(text: str) -> str:
    text = text.replace("\n", " ")
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def _change_line(change: PropertyChange) -> str:
    label = f"option `{change.path}`" if change.option else _code(change.path or "(inputs)")
    if change.secret:
        detail = {"add": "(secret added)", "delete": "(secret removed)"}.get(
            change.kind, "(secret changed)"
        )
    elif change.kind == "add":
        detail = f"added {_display(change.new)}"
    elif change.kind == "delete":
        detail = f"removed (was {_display(change.old)})"
    else:
        detail = f"{_display(change.old)} → {_display(change.new)}"
    forces = " — forces replacement" if change.replaces else ""
    return f"  - {label}: {detail}{forces}"


def _resource_lines(r: ResourceChange) -> list[str]:
    head = f"- `{OP_SIGNS[r.op]}` {r.op} `{r.type}` **{r.name}**"
    if r.data_loss:
        head += " ⚠️ data loss: " + str(r.stateful)
    if r.op == "replace":
        head += " (replaced because " + ", ".join(f"`{p}`" for p in r.replace_reasons) + " changed)"
    lines = [head]
    lines += [f"  - note: {note}" for note in r.notes]
    lines += [_change_line(c) for c in r.changes]
    return lines


def _summary_phrase(d: StackDiff) -> str:
    parts = [
        f"{d.count(op)} to {op}" for op in ("create", "update", "replace", "delete") if d.count(op)
    ]
    return ", ".join(parts) or "no changes"


def _policy_cell(d: StackDiff) -> str:
    if d.policy is None:
        return "not compared"
    if not d.policy.new and not d.policy.resolved:
        return "no change"
    return f"{len(d.policy.new)} new, {len(d.policy.resolved)} resolved"


def _policy_lines(d: StackDiff) -> list[str]:
    if d.policy is None:
        return [f"Policy results: not compared ({d.policy_note or 'not run'})."]
    if not d.policy.new and not d.policy.resolved:
        return ["Policy results: unchanged."]
    lines = ["Policy results that change:"]
    for label, items in (("new", d.policy.new), ("resolved", d.policy.resolved)):
        for v in items:
            where = f" on `{v.urn.rsplit('::', 1)[-1]}`" if v.urn else ""
            lines.append(f"- {label}: **{v.policy}** ({v.enforcement}){where}: {v.message}")
    return lines


def _details(d: StackDiff, items: list[list[str]], hidden: int, full_report: str) -> list[str]:
    lines = ["<details>", f"<summary><b>{d.stack}</b>: {_summary_phrase(d)}</summary>", ""]
    lines += [f"_{note}_" for note in d.notes]
    if d.notes:
        lines.append("")
    if d.diagram:
        from preflight.graph import CHANGE_LEGEND

        lines += [d.diagram.rstrip("\n"), "", f"_{CHANGE_LEGEND}_", ""]
    for item in items:
        lines += item
    if hidden:
        lines.append(
            f"- … {hidden} more resource change(s) not shown here (comment size limit): "
            f"{full_report}"
        )
    if not d.resources:
        lines.append("No resource changes.")
    lines += ["", *_policy_lines(d), "", "</details>", ""]
    return lines


def render_markdown(
    diffs: list[StackDiff],
    base_label: str,
    *,
    allow_data_loss: bool,
    full_report: str,
    limit: int = MARKDOWN_LIMIT,
) -> str:
    """The PR-comment form: summary table, data-loss risks, then details per stack."""
    head = [
        f"### Infrastructure diff against {base_label}",
        "",
        "| Stack | Create | Update | Replace | Delete | Data-loss risk | Policy results |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for d in diffs:
        risk = f"⚠️ {len(d.data_loss)}" if d.data_loss else "none"
        counts = " | ".join(str(d.count(op)) for op in ("create", "update", "replace", "delete"))
        head.append(f"| {d.stack} | {counts} | {risk} | {_policy_cell(d)} |")
    head.append("")
    risky = [(d.stack, r) for d in diffs for r in d.data_loss]
    if risky:
        verdict = (
            "allowed with `--allow-data-loss`"
            if allow_data_loss
            else "the diff fails with exit code 3; after review, rerun with `--allow-data-loss` "
            "(in CI: add the `allow-data-loss` label to the pull request)"
        )
        head += [
            "> [!CAUTION]",
            f"> **Data-loss risk**: stateful resources would be deleted or replaced; {verdict}.",
        ]
        for stack, r in risky[:50]:
            head.append(f"> - `{stack}`: {r.op} `{r.type}` **{r.name}**: {r.stateful}")
        if len(risky) > 50:
            head.append(f"> - … and {len(risky) - 50} more: {full_report}")
        head.append("")
    header = "\n".join(head) + "\n"
    blocks = [[_resource_lines(r) for r in d.resources] for d in diffs]
    full = [_details(d, items, 0, full_report) for d, items in zip(diffs, blocks, strict=True)]
    text = header + "".join("\n".join(lines) + "\n" for lines in full)
    if len(text) <= limit:
        return text
    # Too long: keep every stack's frame and as many of its resource items as fit an even
    # share of what is left, smallest stacks first so their unused share goes to the others.
    frames = {d.stack: len("\n".join(_details(d, [], 1, full_report))) + 1 for d in diffs}
    budget = limit - len(header) - sum(frames.values()) - 200
    kept: dict[str, tuple[list[list[str]], int]] = {}
    order = sorted(
        zip(diffs, blocks, strict=True), key=lambda pair: sum(len("\n".join(i)) for i in pair[1])
    )
    for index, (d, items) in enumerate(order):
        share = max(budget, 0) // (len(order) - index)
        used, chosen = 0, []
        for item in items:
            size = len("\n".join(item)) + 1
            if used + size > share:
                break
            chosen.append(item)
            used += size
        budget -= used
        kept[d.stack] = (chosen, len(items) - len(chosen))
    text = header + "".join(
        "\n".join(_details(d, kept[d.stack][0], kept[d.stack][1], full_report)) + "\n"
        for d in diffs
    )
    if len(text) > limit:  # only a header of extreme size gets here
        text = text[: limit - 200] + f"\n\n… cut at the comment size limit: {full_report}\n"
    return text


def render_json(
    diffs: list[StackDiff], base: dict[str, str], *, allow_data_loss: bool
) -> dict[str, Any]:
    data_loss = any(d.data_loss for d in diffs)
    return {
        "base": base,
        "head": "working tree",
        "dataLoss": data_loss,
        "allowDataLoss": allow_data_loss,
        "exitCode": DATA_LOSS_EXIT if data_loss and not allow_data_loss else 0,
        "stacks": [d.to_json() for d in diffs],
    }


def safe_text(text: str) -> str:
    """Defense in depth: no fingerprint leaves this module, whatever path it took."""
    return _FINGERPRINT_ANYWHERE.sub("[secret]", text)


# --- synthesis of the two sides --------------------------------------------------------


def _progress(message: str) -> None:
    print(f"preflight diff: {message}", file=sys.stderr, flush=True)


def _git_binary() -> str:
    found = shutil.which("git")
    if not found:
        raise UsageError("git not found: install git")
    return found


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # nosec B603  # argv list, no shell
        [_git_binary(), *args], cwd=repo, capture_output=True, text=True, check=False
    )


def resolve_commit(repo: Path, rev: str) -> str:
    if not rev or rev.startswith("-"):
        raise UsageError(f"--base {rev!r} is not a git revision: pass e.g. origin/main")
    done = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if done.returncode != 0:
        raise UsageError(
            f"--base {rev}: no such commit in {repo} (in CI, check out with fetch-depth: 0)"
        )
    return done.stdout.strip()


def repo_root(path: Path) -> Path:
    done = _git(path, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise UsageError(f"{path} is not inside a git repository: preflight diff compares commits")
    return Path(done.stdout.strip()).resolve()


@contextlib.contextmanager
def base_worktree(repo: Path, commit: str) -> Iterator[Path]:
    """A detached worktree of ``commit`` in a temporary directory, removed on the way out."""
    parent = Path(tempfile.mkdtemp(prefix="preflight-diff-"))
    path = parent / "base"
    try:
        done = _git(repo, "worktree", "add", "--detach", "--quiet", str(path), commit)
        if done.returncode != 0:
            raise DiffError(f"git worktree add failed: {_last_line(done.stderr)}")
        yield path
    finally:
        if path.exists():
            _git(repo, "worktree", "remove", "--force", str(path))
        shutil.rmtree(parent, ignore_errors=True)
        _git(repo, "worktree", "prune")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def synthesize_base(
    checkout: Path, project: Path, key: str, out_dir: Path
) -> dict[str, dict[str, Any]]:
    """Every stack of the base revision, synthesized by the base's own preflight in a
    subprocess of this interpreter; ``project`` is the Pulumi project inside ``checkout``."""
    argv = [sys.executable, "-m", "preflight", "synth", "--all", "--out-dir", str(out_dir)]
    if project != checkout:
        argv += ["--project", str(project)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env[FINGERPRINT_ENV] = key
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with subprocess.Popen(  # noqa: S603  # nosec B603  # argv list, no shell
        argv, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as proc:
        tail: list[str] = []
        for line in proc.stderr or ():
            line = line.rstrip("\n")
            if line.strip():
                print(f"  base | {safe_text(line)}", file=sys.stderr, flush=True)
                tail = [*tail[-4:], line]
        code = proc.wait()
    if code != 0:
        last = tail[-1] if tail else "no output"
        hint = ""
        if "unrecognized arguments" in last or "invalid choice" in last:
            hint = " (the base revision's preflight predates `synth --out-dir`: pick a later base)"
        raise DiffError(f"synthesizing the base revision failed (exit {code}): {last}{hint}")
    snapshots = {}
    for path in sorted(out_dir.glob("*.json")):
        try:
            snapshots[path.stem] = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise DiffError(f"the base snapshot {path.name} is not JSON: {err.msg}") from None
    return snapshots


def synthesize_head(stacks: list[str], project: Path, key: str) -> dict[str, dict[str, Any]]:
    """The working tree's stacks, synthesized in this process."""
    try:
        return synth_mod.synthesize(
            stacks, project, fingerprint_key=key.encode(), progress=_progress
        )
    except synth_mod.UsageError as err:
        raise UsageError(f"working tree: {err}") from None


PolicyRunner = Callable[[dict[str, Any]], list[dict[str, Any]]]


@contextlib.contextmanager
def policy_runner() -> Iterator[tuple[PolicyRunner | None, str]]:
    """A function from a snapshot to its policy violations, or None and the reason why not.

    Uses ``preflight.check``: its ``violations_for_snapshot(snapshot) -> list[dict]`` when it
    has one, else one ``PolicyPackHost`` (the pack launched as the Pulumi CLI launches it) for
    every snapshot of this run, through ``check_snapshot(host, snapshot, source, config)`` with
    ``CONFIG_DIR/<stack>.json``. Each violation is a dict with ``policy``, ``enforcement``
    (advisory | mandatory), ``urn`` (empty for stack policies) and ``message``.
    """
    try:
        check = importlib.import_module("preflight.check")
    except ModuleNotFoundError as err:
        if err.name != "preflight.check":
            raise
        yield None, "preflight.check is not available"
        return
    simple = getattr(check, "violations_for_snapshot", None)
    if callable(simple):
        yield simple, ""
        return
    needed = ("PolicyPackHost", "check_snapshot", "PACK_DIR", "CONFIG_DIR", "PROJECT")
    if not all(hasattr(check, name) for name in needed):
        yield None, "preflight.check has neither violations_for_snapshot nor check_snapshot"
        return
    with check.PolicyPackHost(check.PACK_DIR, project=check.PROJECT) as host:

        def run(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
            stack = str(snapshot.get("stack") or "")
            config = Path(check.CONFIG_DIR) / f"{stack}.json"
            if not config.is_file():
                raise DiffError(f"no policy config {config.name} for stack {stack}")
            result = check.check_snapshot(host, snapshot, f"stack {stack}", config)
            return [
                {
                    "policy": v.policy_name,
                    "enforcement": v.enforcement_level,
                    "urn": v.urn,
                    "message": v.message,
                }
                for v in result.violations
            ]

        yield run, ""


def compare_policies(
    d: StackDiff, runner: PolicyRunner, base: dict[str, Any] | None, head: dict[str, Any] | None
) -> None:
    """Fill ``d.policy`` (or ``d.policy_note`` when the pack could not judge a snapshot)."""
    try:
        before = runner(scrub(base)) if base is not None else []
        after = runner(scrub(head)) if head is not None else []
    except Exception as err:  # the comparison is extra information: report it, keep the diff
        text = str(err).strip()
        first = text.splitlines()[0] if text else type(err).__name__
        d.policy_note = safe_text(f"the policy pack failed: {first}")
        return
    d.policy = policy_delta(before, after)


# --- the command -----------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", required=True, metavar="REV", help="git revision to compare with")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--stack", help="one stack (default: every stack on either side)")
    group.add_argument("--all", action="store_true", help="every stack (the default)")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="exit 0 even when a stateful resource would be deleted or replaced",
    )
    parser.add_argument("--json-out", type=Path, metavar="FILE", help="also write the JSON report")
    parser.add_argument("--skip-policy", action="store_true", help="do not compare policy results")
    parser.add_argument(
        "--project",
        type=Path,
        default=synth_mod.ROOT,
        help="Pulumi project directory (default: the repository root; e.g. bootstrap)",
    )


def _head_stacks(project: Path) -> list[str]:
    try:
        return synth_mod.Project.load(project).stacks()
    except synth_mod.UsageError as err:
        raise UsageError(str(err)) from None


DIAGRAM_BUDGET = 6_000
"""Characters of Mermaid per stack in the PR comment (three stacks stay far below the limit)."""


def change_diagram_for(
    d: StackDiff, base: dict[str, Any] | None, head: dict[str, Any] | None
) -> str:
    """The stack's change diagram for the PR comment: changed resources and neighbours."""
    from preflight.graph import change_diagram

    changes = {r.urn: r.op for r in d.resources}
    if not changes:
        return ""
    return change_diagram(base, head, changes, budget=DIAGRAM_BUDGET, max_nodes=30)


def compute(args: argparse.Namespace) -> tuple[list[StackDiff], dict[str, str]]:
    project = Path(args.project).resolve()
    if not (project / "Pulumi.yaml").is_file():
        raise UsageError(f"no Pulumi.yaml in {project}: pass --project DIR")
    repo = repo_root(project)
    commit = resolve_commit(repo, args.base)
    head_available = _head_stacks(project)
    key = secrets.token_hex(32)
    _progress(f"synthesizing {args.base} ({commit[:12]}) in a temporary worktree")
    with base_worktree(repo, commit) as checkout, tempfile.TemporaryDirectory() as out:
        base = synthesize_base(checkout, checkout / project.relative_to(repo), key, Path(out))
    if args.stack:
        if args.stack not in base and args.stack not in head_available:
            raise UsageError(
                f"unknown stack {args.stack!r}: no Pulumi.{args.stack}.yaml in the working tree "
                f"or in {args.base}"
            )
        stacks = [args.stack]
    else:
        stacks = head_available + sorted(set(base) - set(head_available))
    in_head = [s for s in stacks if s in head_available]
    _progress("synthesizing the working tree")
    head = synthesize_head(in_head, project, key) if in_head else {}
    diffs = [diff_snapshots(stack, base.get(stack), head.get(stack)) for stack in stacks]
    for d in diffs:
        d.diagram = change_diagram_for(d, base.get(d.stack), head.get(d.stack))
    if args.skip_policy:
        for d in diffs:
            d.policy_note = "skipped with --skip-policy"
    else:
        with policy_runner() as (runner, why_not):
            for d in diffs:
                if runner is None:
                    d.policy_note = why_not
                    continue
                _progress(f"comparing policy results of {d.stack}")
                compare_policies(d, runner, base.get(d.stack), head.get(d.stack))
    return diffs, {"rev": args.base, "commit": commit}


def run(args: argparse.Namespace) -> int:
    try:
        diffs, base = compute(args)
        report = render_json(diffs, base, allow_data_loss=args.allow_data_loss)
        report_text = safe_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False))
        if args.json_out:
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            args.json_out.write_text(report_text + "\n")
        if args.format == "json":
            sys.stdout.write(report_text + "\n")
        else:
            full_report = (
                f"the full report is in `{args.json_out}`"
                if args.json_out
                else f"run `python -m preflight diff --base {args.base} --format json` for it all"
            )
            label = f"`{base['rev']}` (`{base['commit'][:12]}`)"
            sys.stdout.write(
                safe_text(
                    render_markdown(
                        diffs, label, allow_data_loss=args.allow_data_loss, full_report=full_report
                    )
                )
            )
        code = int(report["exitCode"])
        if code == DATA_LOSS_EXIT:
            _progress(
                "a stateful resource would be deleted or replaced (exit 3): review it, then "
                "rerun with --allow-data-loss"
            )
        return code
    except UsageError as err:
        print(f"preflight diff: error: {err}", file=sys.stderr)
        return 2
    except DiffError as err:
        print(f"preflight diff: error: {err}", file=sys.stderr)
        return 1
