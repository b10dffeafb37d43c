"""The adversary's corpus: the real prod snapshot with one insecure change per case.

Each ``Case`` takes a deep copy of the snapshot that ``preflight synth --stack prod`` writes and
makes one change that defeats a playbook rule while every compliant resource stays in place (a
decoy beside the real thing, another type for the same capability, a credential in disguise, a
mute that swallows the alert...). ``tests/policies/adversary/test_adversary.py`` checks every case
through ``preflight check --snapshot`` with the pack and ``policies/config/prod.json``: exit 1,
and the named policy reports a mandatory violation whose message contains ``message``.

Cases live in ``tests/policies/adversary/cases_<family>.py`` as a ``CASES`` list; the builders
here make the edits read like what an attacker would type.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.resource_records import record

Snapshot = dict[str, Any]
Resource = dict[str, Any]

FAMILIES = ("muting", "decoys", "another-type", "disguise", "tampering")
"""The ways around a presence check, as the adversarial review grouped them."""


@dataclass(frozen=True)
class Case:
    """One insecure variant: ``change`` edits the snapshot in place; ``policy`` must reject it
    with a mandatory violation whose message contains ``message``."""

    id: str
    family: str
    policy: str
    message: str
    change: Callable[[Snapshot], None]

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"case {self.id}: family {self.family!r} is not one of {FAMILIES}")


def of_type(snapshot: Snapshot, type_token: str) -> list[Resource]:
    """The snapshot's resources of one type, in snapshot order."""
    return [r for r in snapshot["resources"] if r["type"] == type_token]


def first(snapshot: Snapshot, type_token: str, name_contains: str = "") -> Resource:
    """The first resource of ``type_token`` whose name contains ``name_contains``."""
    for resource in of_type(snapshot, type_token):
        if name_contains in resource["name"]:
            return resource
    raise LookupError(f"no {type_token} named *{name_contains}* in the snapshot")


def root(snapshot: Snapshot) -> Resource:
    """The stack resource."""
    [stack] = of_type(snapshot, "pulumi:pulumi:Stack")
    return stack


def add(
    snapshot: Snapshot,
    type_token: str,
    name: str,
    inputs: dict[str, Any],
    *,
    beside: Resource | None = None,
    custom: bool = True,
) -> Resource:
    """Declare a new resource in the stack, parented like ``beside`` (or to the stack), with the
    labels of ``beside`` when it has any, as an attacker copying a neighbour would."""
    parent = beside["parent"] if beside is not None else root(snapshot)["urn"]
    parent_types = _parent_chain(snapshot, parent)
    chain = f"{parent_types}${type_token}" if parent_types else type_token
    stack, project = snapshot["stack"], snapshot["project"]
    resource: Resource = record(
        f"urn:pulumi:{stack}::{project}::{chain}::{name}",
        type_token,
        name,
        custom=custom,
        parent=parent,
        inputs=json.loads(json.dumps(inputs)),
        dependencies=[],
        property_dependencies={},
    )
    snapshot["resources"].append(resource)
    return resource


def _parent_chain(snapshot: Snapshot, parent_urn: str) -> str:
    """The ``$``-joined type chain of a child of ``parent_urn`` (empty under the stack)."""
    if parent_urn == root(snapshot)["urn"]:
        return ""
    # urn:pulumi:<stack>::<project>::<type chain>::<name>
    return parent_urn.split("::")[2]


def labels_of(resource: Resource) -> dict[str, str]:
    """A copy of the resource's labels (empty when it has none)."""
    return dict(resource["inputs"].get("labels") or {})


CASES_DIR = Path(__file__).resolve().parent.parent / "policies" / "adversary"


def all_cases() -> list[Case]:
    """Every case of the corpus, from each ``cases_<family>.py`` in ``CASES_DIR``."""
    return [
        case
        for module in sorted(CASES_DIR.glob("cases_*.py"))
        for case in importlib.import_module(f"tests.policies.adversary.{module.stem}").CASES
    ]
