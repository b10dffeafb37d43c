"""The picture, independent of the output format: nodes, groups, links, styles and the
component tree of a snapshot."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight.cli import ROOT, UsageError
from preflight.graph import wiring
from preflight.graph.kinds import STACK_TYPE, is_node, kind

FORMATS = ("mermaid", "dot", "svg")
LEVELS = ("components", "resources")
MAX_COMPONENT_NODES = 60
"""The component-level diagram folds until it has at most this many nodes."""
ARCHITECTURE_DOC = ROOT / "docs" / "architecture.md"
DOCS_COMMAND = "python -m preflight graph --docs"
DOT_TIMEOUT_SECONDS = 120
MERMAID_MAX_EDGES = 500
"""Mermaid's default ``maxEdges`` (GitHub cannot raise it): more edges and nothing renders."""
MERMAID_MAX_TEXT = 50_000
"""Mermaid's default ``maxTextSize`` in characters."""


@dataclass(frozen=True)
class Style:
    """A node class: Mermaid ``classDef`` and Graphviz node attributes."""

    fill: str
    stroke: str
    text: str = "#1f2328"
    dashed: bool = False

    def mermaid(self) -> str:
        parts = [f"fill:{self.fill}", f"stroke:{self.stroke}", f"color:{self.text}"]
        if self.dashed:
            parts.append("stroke-dasharray:4 3")
        return ",".join(parts)

    def dot(self) -> str:
        style = "rounded,filled,dashed" if self.dashed else "rounded,filled"
        return (
            f'style="{style}", fillcolor="{self.fill}", color="{self.stroke}", '
            f'fontcolor="{self.text}"'
        )


STYLES: dict[str, Style] = {
    "gcp": Style("#e8f0fe", "#1a73e8"),
    "datadog": Style("#f3e8fd", "#632ca6"),
    "pagerduty": Style("#e6f4ea", "#06ac38"),
    "other": Style("#f1f3f4", "#5f6368"),
    "component": Style("#e8f0fe", "#1a73e8"),
    "loose": Style("#f1f3f4", "#5f6368"),
    "external": Style("#ffffff", "#8c959f", "#57606a", dashed=True),
    "create": Style("#dafbe1", "#1a7f37"),
    "update": Style("#fff8c5", "#9a6700"),
    "replace": Style("#ffe2cc", "#bc4c00"),
    "delete": Style("#ffebe9", "#cf222e"),
    "unchanged": Style("#f6f8fa", "#8c959f", "#57606a"),
    "note": Style("#ffffff", "#8c959f", "#57606a", dashed=True),
}


# --- the picture, independent of the output format ------------------------------------------


@dataclass
class Node:
    id: str
    lines: tuple[str, ...]
    cls: str
    group: str | None = None


@dataclass
class Group:
    id: str
    title: str
    parent: str | None = None


@dataclass(frozen=True, order=True)
class Link:
    source: str
    target: str
    label: str | None = None
    dashed: bool = False


@dataclass
class Diagram:
    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    def nesting(self) -> tuple[dict[str | None, list[str]], dict[str | None, list[str]]]:
        """(group or None -> child group ids, group or None -> member node ids), for renderers
        that emit groups top-down."""
        children: dict[str | None, list[str]] = {}
        for group in self.groups.values():
            children.setdefault(group.parent, []).append(group.id)
        members: dict[str | None, list[str]] = {}
        for node in self.nodes.values():
            members.setdefault(node.group, []).append(node.id)
        return children, members


def _sanitize(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def unique_ids(keys: Iterable[str], prefix: str, name_of: Callable[[str], str]) -> dict[str, str]:
    """Readable, unique node ids: ``<prefix>_<name>``, plus a hash of the key on a clash.

    Only ASCII letters, digits and ``_``: safe as Mermaid ids (never a keyword thanks to the
    prefix) and as Graphviz ids. The id of a key depends on the set of keys, not their order.
    """
    keys = sorted(set(keys))
    base = {k: f"{prefix}_{_sanitize(name_of(k))}" for k in keys}
    counts: dict[str, int] = {}
    for b in base.values():
        counts[b] = counts.get(b, 0) + 1
    return {k: b if counts[b] == 1 else f"{b}_{_short_hash(k)}" for k, b in base.items()}


# --- the snapshot as a tree ---------------------------------------------------------------------


class Tree:
    """A snapshot's resources, components and edges."""

    def __init__(self, snapshot: Mapping[str, Any] | None) -> None:
        resources = list((snapshot or {}).get("resources") or [])
        self.stack = str((snapshot or {}).get("stack", ""))
        self.by_urn: dict[str, Mapping[str, Any]] = {str(r["urn"]): r for r in resources}
        self.components = {
            urn
            for urn, r in self.by_urn.items()
            if not r.get("custom") and r.get("type") != STACK_TYPE
        }
        self.nodes = sorted(urn for urn, r in self.by_urn.items() if is_node(r))
        self.edges = wiring.edges(resources)

    def type_of(self, urn: str) -> str:
        return str(self.by_urn[urn].get("type", ""))

    def name_of(self, urn: str) -> str:
        resource = self.by_urn.get(urn)
        return str(resource.get("name")) if resource else urn.rsplit("::", 1)[-1]

    def owner(self, urn: str) -> str | None:
        """The nearest component ancestor of a resource or component (None: the stack)."""
        parent = self.by_urn.get(urn, {}).get("parent")
        seen: set[str] = set()
        while parent and parent not in seen:
            seen.add(parent)
            if parent in self.components:
                return str(parent)
            parent = self.by_urn.get(parent, {}).get("parent")
        return None

    def chain(self, urn: str) -> list[str]:
        """Component ancestors of ``urn``, outermost first."""
        found: list[str] = []
        current = self.owner(urn)
        while current is not None and current not in found:
            found.append(current)
            current = self.owner(current)
        return found[::-1]

    def depth(self, component: str) -> int:
        return len(self.chain(component)) + 1

    def title(self, component: str) -> str:
        return f"{kind(self.type_of(component))}: {self.name_of(component)}"

    def short_name(self, urn: str) -> str:
        """The logical name without its component's name prefix (the group shows it)."""
        name = self.name_of(urn)
        owner = self.owner(urn)
        prefix = f"{self.name_of(owner)}-" if owner else ""
        return (
            name[len(prefix) :] if prefix and name.startswith(prefix) and name != prefix else name
        )

    def select(self, query: str) -> list[str]:
        """Components matching a logical name, a kind (``AgentService``) or a type token."""
        found = [
            c
            for c in self.components
            if query in (self.name_of(c), kind(self.type_of(c)), self.type_of(c))
        ]
        if not found:
            names = ", ".join(sorted({self.name_of(c) for c in self.components})) or "none"
            raise UsageError(
                f"no component {query!r} in stack {self.stack}: pass a component name or kind "
                f"(components: {names})"
            )
        return sorted(found)

    def within(self, components: Iterable[str]) -> set[str]:
        """Drawn resources inside any of ``components`` (at any depth)."""
        wanted = set(components)
        return {urn for urn in self.nodes if wanted & set(self.chain(urn))}


def provider_class(type_token: str) -> str:
    package = type_token.split(":", 1)[0]
    return package if package in ("gcp", "datadog", "pagerduty") else "other"
