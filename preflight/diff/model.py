"""What ``diff`` computes: the changes of one stack, and the secret scrubbing every output passes.

A ``StackDiff`` holds a ``ResourceChange`` per created, updated, replaced or deleted resource
(each with its ``PropertyChange`` list) and the ``PolicyDelta`` of the pack's results. Secret
markers may carry an HMAC fingerprint while the snapshots are compared; ``scrub`` and
``safe_text`` take it off before anything is shown, written or handed to the policy pack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from preflight.snapshot import SECRET_RE

_FINGERPRINT_ANYWHERE = re.compile(r"\[secret:[0-9a-f]+\]")


COMMAND = "preflight diff"
"""The name progress and error lines of the command start with."""
DATA_LOSS_EXIT = 3
"""The exit code when a stateful resource would be deleted or replaced."""
APPLY_FAILURE_EXIT = 4
"""The exit code when a change would be refused at apply (``preflight.diff.guards``)."""


class DiffError(Exception):
    """The base revision could not be synthesized; exit code 1."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""A property absent on one side (``None`` counts as absent)."""


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


@dataclass(frozen=True)
class Reason:
    """One reason a stack's change is high-impact (``preflight.diff.impact``)."""

    kind: str  # data-loss | stateful | iam | paging | routing | freeze; revision (a blocker)
    urn: str  # empty for a reason about the whole stack
    text: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "urn": self.urn, "reason": self.text}


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
    high_impact: list[Reason] = field(default_factory=list)
    """Why the change is high-impact (playbook §9, ``preflight.diff.impact``); empty: it is not."""
    blockers: list[Reason] = field(default_factory=list)
    """Changes the cloud would refuse at apply (``preflight.diff.guards``); empty: none known."""
    policy_config_changed: str | None = None
    """The stack's policy config (repository path) when it differs between base and head: both
    sides are judged with the head's, so the policy delta leaves that change out."""

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
                "carries no fingerprint (a saved snapshot, or a base revision from before "
                "fingerprints)"
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
        if self.policy_config_changed:
            policy["configChanged"] = self.policy_config_changed
        return {
            "stack": self.stack,
            "summary": {op: self.count(op) for op in ("create", "update", "replace", "delete")},
            "dataLossRisks": [r.urn for r in self.data_loss],
            "highImpact": bool(self.high_impact),
            "highImpactReasons": [r.to_json() for r in self.high_impact],
            "applyFailures": [r.to_json() for r in self.blockers],
            "notes": self.notes,
            "policy": policy,
            "resources": [r.to_json() for r in self.resources],
        }


def secret_of(value: Any) -> tuple[bool, str | None]:
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
    if secret_of(value)[0]:
        return "[secret]"
    return value


def safe_text(text: str) -> str:
    """Defense in depth: no fingerprint leaves this module, whatever path it took."""
    return _FINGERPRINT_ANYWHERE.sub("[secret]", text)
