"""``python -m preflight graph``: pictures of a stack, generated from its synthesized snapshot.

    python -m preflight graph --stack NAME [--format mermaid|dot|svg]
                              [--level components|resources] [--component NAME] [--out FILE]
    python -m preflight graph --docs [--check]

Components are groups (Mermaid subgraphs, Graphviz clusters) and resources are nodes labelled
by kind and name. Solid labelled arrows are the wiring an on-call reader follows, dashed arrows
other dependencies (:mod:`preflight.graph_wiring`). Detail levels:

- ``resources``: every resource (the default with ``--component``);
- ``components``: one node per component, edges aggregated between them (the default
  otherwise). It stays under ``MAX_COMPONENT_NODES`` nodes: when a stack has more, nested
  components fold into their parents, then resources outside any component fold by provider
  package and then into one node, then top-level components fold by type, by area, and at
  last into one node.

``--component NAME`` (a component's logical name, or its type such as ``AgentService``) keeps
that component and its direct neighbours, drawn grey. SVG goes through Graphviz's ``dot``.

``--docs`` rewrites ``docs/architecture.md`` (one component-level Mermaid diagram per stack,
synthesized from the program); ``--docs --check`` fails when that file is stale.

:func:`change_diagram` draws the changed resources of a diff and their direct neighbours,
coloured by operation, within a size budget, for the PR comment.

Only kinds, logical names and wiring labels reach a picture; input values never do.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess  # nosec B404  # Graphviz dot with a fixed argv, no shell
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight import graph_wiring as wiring
from preflight.cli import ROOT, UsageError
from preflight.graph_wiring import is_node, kind
from preflight.snapshot import OP_SIGNS
from preflight.synth import STACKS

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

OPS = ("create", "update", "replace", "delete")
"""The operations :func:`change_diagram` accepts, as ``preflight.diff`` names them."""
_OP_PRIORITY = {"delete": 0, "replace": 1, "update": 2, "create": 3}
DEFAULT_CHANGE_BUDGET = 8_000
"""Characters of the change diagram (fences included), well under a PR comment's limit."""
DEFAULT_CHANGE_NODES = 40
CHANGE_LEGEND = (
    "Colours: green create, yellow update, orange replace, red delete, grey unchanged "
    "neighbour; labels start with + ~ +- - like the table."
)
"""One Markdown line to print under the change diagram."""


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
            if not r.get("custom") and r.get("type") != wiring.STACK_TYPE
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


def _add_groups(diagram: Diagram, tree: Tree, components: Iterable[str]) -> dict[str, str]:
    """Add a group per component and its ancestors; returns component urn -> group id."""
    wanted: set[str] = set()
    for component in components:
        wanted.update(tree.chain(component))
        wanted.add(component)
    ids = unique_ids(wanted, "g", tree.name_of)
    for component in sorted(wanted, key=lambda c: ids[c]):
        owner = tree.owner(component)
        diagram.groups[ids[component]] = Group(
            ids[component], tree.title(component), ids.get(owner) if owner else None
        )
    return ids


def _links(pairs: Mapping[tuple[str, str], set[str]]) -> list[Link]:
    links = []
    for (source, target), labels in pairs.items():
        if labels:
            links.append(Link(source, target, ", ".join(sorted(labels))))
        else:
            links.append(Link(source, target, None, dashed=True))
    return sorted(links)


def resource_diagram(snapshot: Mapping[str, Any], component: str | None = None) -> Diagram:
    """Every drawn resource in its component group, or one component and its neighbours."""
    tree = Tree(snapshot)
    shown = set(tree.nodes)
    external: set[str] = set()
    if component is not None:
        inside = tree.within(tree.select(component))
        external = {
            other
            for e in tree.edges
            for end, other in ((e.source, e.target), (e.target, e.source))
            if end in inside and other not in inside
        }
        shown = inside | external
    diagram = Diagram(f"{tree.stack}: resources" + (f" of {component}" if component else ""))
    owners = {urn: tree.owner(urn) for urn in shown}
    group_ids = _add_groups(diagram, tree, [o for o in owners.values() if o])
    ids = unique_ids(shown, "r", tree.name_of)
    for urn in sorted(shown, key=lambda u: ids[u]):
        owner = owners[urn]
        diagram.nodes[ids[urn]] = Node(
            ids[urn],
            (kind(tree.type_of(urn)), tree.short_name(urn)),
            "external" if urn in external else provider_class(tree.type_of(urn)),
            group_ids[owner] if owner else None,
        )
    pairs: dict[tuple[str, str], set[str]] = {}
    for e in tree.edges:
        if e.source in shown and e.target in shown:
            labels = pairs.setdefault((ids[e.source], ids[e.target]), set())
            if e.label:
                labels.add(e.label)
    diagram.links = _links(pairs)
    return diagram


@dataclass(frozen=True, order=True)
class _Unit:
    """What a resource folds into at the component level."""

    key: str  # component urn, or "kind:<kind>", "package:<pkg>", "type:<token>", "stack"
    component: bool


def _fold(tree: Tree, depth: int | None, loose: str, group_by: str) -> dict[str, _Unit]:
    """Resource or component urn -> unit, for one folding strategy.

    ``depth`` cuts component chains (None: innermost component); ``loose`` folds resources
    outside components by ``kind``, ``package`` or ``all``; ``group_by`` folds top-level
    components by ``type``, by ``area`` (``controlplane:<area>:...``) or ``all`` (``none``:
    keep them). Components get the unit they fold into too, so that a component without
    resources of its own still shows (as an empty box) unless it folds into an ancestor.
    """
    units: dict[str, _Unit] = {}
    for urn in (*tree.nodes, *sorted(tree.components)):
        chain = tree.chain(urn) + ([urn] if urn in tree.components else [])
        if chain and group_by == "none":
            cut = chain if depth is None else chain[:depth]
            units[urn] = _Unit(cut[-1], True)
        elif chain:
            token = tree.type_of(chain[0])
            key = {
                "type": f"type:{token}",
                "area": f"area:{token.split(':')[1] if token.count(':') == 2 else token}",
                "all": "components",
            }[group_by]
            units[urn] = _Unit(key, False)
        elif loose == "all" or group_by == "all":
            units[urn] = _Unit("stack", False)
        else:
            token = tree.type_of(urn)
            key = f"kind:{kind(token)}" if loose == "kind" else f"package:{token.split(':')[0]}"
            units[urn] = _Unit(key, False)
    return units


def _strategies(tree: Tree) -> list[tuple[int | None, str, str]]:
    """Folding strategies from the most to the least detailed; the last gives <= 2 nodes."""
    deepest = max((tree.depth(c) for c in tree.components), default=1)
    plans: list[tuple[int | None, str, str]] = [(None, "kind", "none")]
    plans += [(d, "kind", "none") for d in range(deepest - 1, 0, -1)]
    plans += [(1, "package", "none"), (1, "all", "none")]
    plans += [(1, "all", "type"), (1, "all", "area"), (1, "all", "all")]
    return plans


def component_diagram(
    snapshot: Mapping[str, Any],
    component: str | None = None,
    max_nodes: int = MAX_COMPONENT_NODES,
) -> Diagram:
    """One node per component (resources folded in), edges aggregated between components.

    Folds further while the diagram has more than ``max_nodes`` nodes (module docstring).
    With ``component``, only that component's units and their direct neighbours are drawn.
    """
    tree = Tree(snapshot)
    units: dict[str, _Unit] = {}
    for depth, loose, group_by in _strategies(tree):
        units = _fold(tree, depth, loose, group_by)
        if component is not None or len(set(units.values())) <= max_nodes:
            break
    counts: dict[_Unit, int] = {}
    for urn in tree.nodes:
        counts[units[urn]] = counts.get(units[urn], 0) + 1
    present = set(units.values())
    pairs_by_unit: dict[tuple[_Unit, _Unit], set[str]] = {}
    for e in tree.edges:
        a, b = units[e.source], units[e.target]
        if a != b:
            labels = pairs_by_unit.setdefault((a, b), set())
            if e.label:
                labels.add(e.label)
    external: set[_Unit] = set()
    title = f"{tree.stack}: components"
    if component is not None:
        selected = set(tree.select(component))
        inside = {units[urn] for urn in tree.within(selected) | selected}
        external = {
            other
            for a, b in pairs_by_unit
            for end, other in ((a, b), (b, a))
            if end in inside and other not in inside
        }
        present = inside | external
        title += f" around {component}"
    # A component without resources of its own that holds drawn sub-components is only a group.
    holders = {c for u in present if u.component for c in tree.chain(u.key)}
    present = {u for u in present if not (u.key in holders and not counts.get(u))}
    diagram = Diagram(title)
    comp_units = [u for u in present if u.component]
    owners = [tree.owner(u.key) for u in comp_units]
    group_ids = _add_groups(diagram, tree, [o for o in owners if o])
    ids = unique_ids([u.key for u in present], "c", lambda key: _unit_name(tree, key))
    for unit in sorted(present, key=lambda u: ids[u.key]):
        n = counts.get(unit, 0)
        size = f"{n} resource" + ("" if n == 1 else "s")
        group: str | None = None
        if unit.component:
            lines: tuple[str, ...] = (kind(tree.type_of(unit.key)), tree.name_of(unit.key), size)
            # A component that is also a group (it has sub-components) sits in its own group.
            owner = unit.key if unit.key in group_ids else tree.owner(unit.key)
            group = group_ids.get(owner) if owner else None
            cls = "component"
        else:
            lines, cls = (*_loose_lines(unit.key), size), "loose"
        diagram.nodes[ids[unit.key]] = Node(
            ids[unit.key], lines, "external" if unit in external else cls, group
        )
    pairs: dict[tuple[str, str], set[str]] = {}
    for (a, b), labels in pairs_by_unit.items():
        if a in present and b in present:
            pairs.setdefault((ids[a.key], ids[b.key]), set()).update(labels)
    diagram.links = _links(pairs)
    return diagram


def _unit_name(tree: Tree, key: str) -> str:
    if key in tree.by_urn:
        return tree.name_of(key)
    return key


def _loose_lines(key: str) -> tuple[str, ...]:
    kind_, _, value = key.partition(":")
    if kind_ == "kind":
        return (value, "outside components")
    if kind_ == "package":
        return (f"{value} resources", "outside components")
    if kind_ == "type":
        return (f"{kind(value)} components", "folded by type")
    if kind_ == "area":
        return (f"{value} components", "folded by area")
    if kind_ == "components":
        return ("all components", "folded")
    return ("resources", "outside components")


def diagram_for(
    snapshot: Mapping[str, Any], level: str = "components", component: str | None = None
) -> Diagram:
    if level not in LEVELS:
        raise UsageError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    if level == "components":
        return component_diagram(snapshot, component)
    return resource_diagram(snapshot, component)


# --- Mermaid ------------------------------------------------------------------------------------

_MERMAID_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    "`": "#96;",
}


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label: entity codes for the characters that matter."""
    text = "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in text)
    return " ".join(text.split())  # no newlines or tabs inside a label


def _mermaid_label(lines: Iterable[str]) -> str:
    return '"' + "<br/>".join(mermaid_text(line) for line in lines) + '"'


def to_mermaid(diagram: Diagram, indent: str = "  ", max_edges: int = MERMAID_MAX_EDGES) -> str:
    """Mermaid flowchart source (no fences): groups, nodes, links, then classes.

    Mermaid refuses a diagram with more than ``MERMAID_MAX_EDGES`` edges: beyond that,
    dependency edges are left out first, then wiring edges, and a ``%%`` comment says so.
    """
    out = ["flowchart LR"]
    links = diagram.links
    if len(links) > max_edges:
        links = sorted(links, key=lambda link: (link.label is None, link))[:max_edges]
        links.sort()
        out.append(
            f"{indent}%% {len(links)} of {len(diagram.links)} edges drawn (Mermaid draws at "
            f"most {max_edges}); --format dot or svg draws them all"
        )
    children: dict[str | None, list[str]] = {}
    for group in diagram.groups.values():
        children.setdefault(group.parent, []).append(group.id)
    members: dict[str | None, list[str]] = {}
    for node in diagram.nodes.values():
        members.setdefault(node.group, []).append(node.id)

    def emit(group: str | None, depth: int) -> None:
        pad = indent * depth
        for node_id in sorted(members.get(group, [])):
            node = diagram.nodes[node_id]
            out.append(f"{pad}{node.id}[{_mermaid_label(node.lines)}]")
        for child in sorted(children.get(group, [])):
            if not _has_content(diagram, child, children, members):
                continue
            out.append(f"{pad}subgraph {child}[{_mermaid_label([diagram.groups[child].title])}]")
            emit(child, depth + 1)
            out.append(f"{pad}end")

    emit(None, 1)
    for link in links:
        if link.label:
            arrow = "-.->" if link.dashed else "-->"
            out.append(
                f"{indent}{link.source} {arrow}|{_mermaid_label([link.label])}| {link.target}"
            )
        else:
            out.append(f"{indent}{link.source} {'-.->' if link.dashed else '-->'} {link.target}")
    used: dict[str, list[str]] = {}
    for node in diagram.nodes.values():
        used.setdefault(node.cls, []).append(node.id)
    for cls in sorted(used):
        out.append(f"{indent}classDef {cls} {STYLES[cls].mermaid()}")
    for cls in sorted(used):
        out.append(f"{indent}class {','.join(sorted(used[cls]))} {cls}")
    size = sum(len(line) + 1 for line in out)
    if size > MERMAID_MAX_TEXT:
        out.insert(
            1,
            f"{indent}%% {size} characters: over Mermaid's default limit of {MERMAID_MAX_TEXT}; "
            "draw less with --component or --level components, or use --format svg",
        )
    return "\n".join(out) + "\n"


def _has_content(
    diagram: Diagram,
    group: str,
    children: Mapping[str | None, list[str]],
    members: Mapping[str | None, list[str]],
) -> bool:
    if members.get(group):
        return True
    return any(_has_content(diagram, c, children, members) for c in children.get(group, []))


# --- Graphviz -----------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """Text safe inside a double-quoted Graphviz string."""
    text = " ".join(text.split())
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(diagram: Diagram) -> str:
    """Graphviz DOT source: clusters for groups, styled nodes, labelled or dashed edges."""
    out = [
        f'digraph "{dot_text(diagram.title)}" {{',
        f'  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, '
        f'label="{dot_text(diagram.title)}", nodesep=0.3, ranksep=0.6];',
        '  node [shape=box, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, color="#57606a", fontcolor="#57606a"];',
    ]
    children: dict[str | None, list[str]] = {}
    for group in diagram.groups.values():
        children.setdefault(group.parent, []).append(group.id)
    members: dict[str | None, list[str]] = {}
    for node in diagram.nodes.values():
        members.setdefault(node.group, []).append(node.id)

    def emit(group: str | None, depth: int) -> None:
        pad = "  " * depth
        for node_id in sorted(members.get(group, [])):
            node = diagram.nodes[node_id]
            label = "\\n".join(dot_text(line) for line in node.lines)
            out.append(f'{pad}"{node.id}" [label="{label}", {STYLES[node.cls].dot()}];')
        for child in sorted(children.get(group, [])):
            if not _has_content(diagram, child, children, members):
                continue
            out.append(f'{pad}subgraph "cluster_{child}" {{')
            out.append(
                f'{pad}  label="{dot_text(diagram.groups[child].title)}"; style="rounded"; '
                'color="#8c959f"; fontsize=11;'
            )
            emit(child, depth + 1)
            out.append(f"{pad}}}")

    emit(None, 1)
    for link in diagram.links:
        attrs = []
        if link.label:
            attrs.append(f'label="{dot_text(link.label)}"')
        if link.dashed:
            attrs.append('style=dashed, color="#8c959f"')
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        out.append(f'  "{link.source}" -> "{link.target}"{suffix};')
    out.append("}")
    return "\n".join(out) + "\n"


def dot_binary() -> str:
    found = shutil.which("dot")
    if not found:
        raise UsageError(
            "Graphviz `dot` not found: install it (Debian/Ubuntu: apt-get install graphviz) "
            "or use --format mermaid or --format dot"
        )
    return found


def to_svg(dot_source: str) -> str:
    """SVG rendered by Graphviz ``dot`` from DOT source."""
    result = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell; our DOT text
        [dot_binary(), "-Tsvg"],
        input=dot_source,
        capture_output=True,
        text=True,
        check=False,
        timeout=DOT_TIMEOUT_SECONDS,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"dot -Tsvg failed (exit {result.returncode}): {last}")
    return result.stdout


def render(
    snapshot: Mapping[str, Any],
    fmt: str = "mermaid",
    level: str = "components",
    component: str | None = None,
) -> str:
    """A stack's diagram as Mermaid source, DOT source or SVG."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    diagram = diagram_for(snapshot, level, component)
    if fmt == "mermaid":
        return to_mermaid(diagram)
    source = to_dot(diagram)
    return source if fmt == "dot" else to_svg(source)


# --- change diagram for the PR comment ------------------------------------------------------


def change_diagram(
    base_snapshot: Mapping[str, Any] | None,
    head_snapshot: Mapping[str, Any] | None,
    changes: Mapping[str, str],
    *,
    budget: int = DEFAULT_CHANGE_BUDGET,
    max_nodes: int = DEFAULT_CHANGE_NODES,
) -> str:
    """A fenced Mermaid block of the changed resources and their direct neighbours.

    ``changes`` maps a resource URN to ``"create"``, ``"update"``, ``"replace"`` or
    ``"delete"`` (what ``preflight.diff`` computes: ``{r.urn: r.op for r in d.resources}``).
    Created, updated and replaced resources are looked up in ``head_snapshot``, deleted ones
    in ``base_snapshot`` (either may be None for a stack that is new or removed). Components
    and providers in ``changes`` are not drawn; they show as the groups around resources.

    Changed nodes are coloured by operation (``classDef create|update|replace|delete``) and
    their labels start with ``+ ~ +- -``; unchanged direct neighbours are grey. Arrows present
    only in the base are dashed and labelled ``was: ...``. The result, fences included, is at
    most ``budget`` characters (never above ``MERMAID_MAX_TEXT``) and ``max_nodes`` nodes:
    neighbours are dropped first (those of the lowest-priority changes first), then changes
    in the order create, update, replace, delete, with a note node counting what is not
    drawn. Returns "" when nothing is drawn.
    """
    budget = min(budget, MERMAID_MAX_TEXT)
    for urn, op in changes.items():
        if op not in OPS:
            raise ValueError(f"change of {urn}: unknown operation {op!r}, use one of {OPS}")
    base, head = Tree(base_snapshot), Tree(head_snapshot)
    changed: list[str] = []
    for urn, op in changes.items():
        tree = base if op == "delete" else head
        if urn not in tree.by_urn:
            side = "base" if op == "delete" else "head"
            raise ValueError(
                f"change of {urn}: {op} but the resource is not in the {side} snapshot"
            )
        if is_node(tree.by_urn[urn]):
            changed.append(urn)
    if not changed:
        return ""

    def tree_of(urn: str) -> Tree:
        if changes.get(urn) == "delete" or urn not in head.by_urn:
            return base
        return head

    changed.sort(key=lambda u: (_OP_PRIORITY[changes[u]], tree_of(u).type_of(u), u))
    head_edges = {(e.source, e.target, e.label) for e in head.edges}
    base_only = {(e.source, e.target, e.label) for e in base.edges} - head_edges
    all_edges = sorted(head_edges | base_only, key=lambda e: (e[0], e[1], e[2] or ""))
    adjacent: dict[str, set[str]] = {}
    for source, target, _label in all_edges:
        adjacent.setdefault(source, set()).add(target)
        adjacent.setdefault(target, set()).add(source)
    neighbours: list[str] = []  # in the order of the changes they neighbour
    seen = set(changed)
    for urn in changed:
        for other in sorted(adjacent.get(urn, ())):
            if other not in seen:
                seen.add(other)
                neighbours.append(other)

    def build(n_changed: int, n_neighbours: int) -> str:
        keep = changed[:n_changed]
        keep_set = set(keep)
        extra = [n for n in neighbours[:n_neighbours] if adjacent[n] & keep_set]
        shown = keep + extra
        diagram = Diagram("changes")
        owners: dict[str, str | None] = {u: tree_of(u).owner(u) for u in shown}
        group_keys = {comp for urn in shown for comp in tree_of(urn).chain(urn)}
        group_ids = unique_ids(group_keys, "g", lambda c: _any_name(c, head, base))
        for comp in sorted(group_keys, key=lambda c: group_ids[c]):
            tree = head if comp in head.by_urn else base
            owner = tree.owner(comp)
            diagram.groups[group_ids[comp]] = Group(
                group_ids[comp], tree.title(comp), group_ids.get(owner) if owner else None
            )
        ids = unique_ids(shown, "r", lambda u: _any_name(u, head, base))
        for urn in shown:
            tree = tree_of(urn)
            op = changes.get(urn) if urn in keep_set else None
            first = f"{OP_SIGNS[op]} {kind(tree.type_of(urn))}" if op else kind(tree.type_of(urn))
            owner = owners[urn]
            diagram.nodes[ids[urn]] = Node(
                ids[urn],
                (first, tree.short_name(urn)),
                op or "unchanged",
                group_ids[owner] if owner else None,
            )
        hidden = len(changed) - n_changed
        if hidden:
            diagram.nodes["note_more"] = Node(
                "note_more",
                (f"… and {hidden} more changed resource" + ("" if hidden == 1 else "s"),),
                "note",
            )
        links: set[Link] = set()
        shown_set = set(shown)
        for source, target, label in all_edges:
            if (
                source in shown_set
                and target in shown_set
                and (source in keep_set or target in keep_set)
            ):
                was = (source, target, label) in base_only
                text = f"was: {label}" if was and label else "was: dependency" if was else label
                links.add(Link(ids[source], ids[target], text, dashed=was or label is None))
        diagram.links = sorted(links)
        return "```mermaid\n" + to_mermaid(diagram) + "```\n"

    def fits(text: str, nodes: int) -> bool:
        return len(text) <= budget and nodes <= max_nodes

    text = build(len(changed), len(neighbours))
    if fits(text, len(changed) + len(neighbours)):
        return text
    # Drop neighbours first, keeping those of the highest-priority changes.
    best = _largest(
        len(neighbours) - 1,
        lambda k: fits(build(len(changed), k), len(changed) + k),
    )
    if best is not None:
        return build(len(changed), best)
    best = _largest(len(changed) - 1, lambda k: fits(build(k, 0), k + 1))
    if best is None:
        raise ValueError(f"change diagram budget {budget} is too small for even its frame")
    return build(best, 0)


def _largest(upper: int, ok: Callable[[int], bool]) -> int | None:
    """The largest k in 0..upper with ok(k) by bisection (ok is monotone: fewer nodes, fewer
    characters); None when not even ok(0). The k returned always satisfies ok."""
    if upper < 0:
        return None
    lo, hi = 0, upper
    if not ok(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _any_name(urn: str, head: Tree, base: Tree) -> str:
    return head.name_of(urn) if urn in head.by_urn else base.name_of(urn)


# --- docs/architecture.md -----------------------------------------------------------------------


def architecture_doc(snapshots: Mapping[str, Mapping[str, Any]]) -> str:
    """docs/architecture.md: one component-level Mermaid diagram per stack."""
    lines = [
        "# Architecture",
        "",
        f"Generated from the program by `{DOCS_COMMAND}`, each stack synthesized offline",
        "as `python -m preflight synth` does. A test fails when this file is stale: run that",
        "command after changing a component, the environment composition or a stack file.",
        "",
        "One box per component (with its number of resources); resources outside any component",
        "are grouped by kind. Solid arrows are the wiring an on-call reader follows, inferred from",
        "the resources' inputs; dashed arrows are other dependencies. Each arrow points from the",
        "resource whose inputs name the other one.",
        "",
        "| arrow | meaning |",
        "| --- | --- |",
    ]
    lines += [f"| `{label}` | {meaning} |" for label, meaning in wiring.LABELS.items()]
    lines += [
        "",
        "Every resource, or one component with its neighbours:",
        "`python -m preflight graph --stack prod --level resources [--component NAME]`;",
        "`--format svg` renders it with Graphviz.",
    ]
    for stack, snapshot in snapshots.items():
        tree = Tree(snapshot)
        n = len(tree.nodes)
        lines += [
            "",
            f"## {stack}",
            "",
            f"{n} resource{'' if n == 1 else 's'} in {len(tree.components)} "
            f"component{'' if len(tree.components) == 1 else 's'}.",
            "",
            "```mermaid",
            to_mermaid(component_diagram(snapshot)).rstrip("\n"),
            "```",
        ]
    return "\n".join(lines) + "\n"


def write_docs(check: bool, snapshots: Mapping[str, Mapping[str, Any]] | None = None) -> int:
    """Rewrite docs/architecture.md, or with ``check`` fail when it is stale."""
    if snapshots is None:
        from preflight.synth import synthesize

        snapshots = synthesize(list(STACKS), progress=_progress)
    content = architecture_doc(snapshots)
    current = ARCHITECTURE_DOC.read_text() if ARCHITECTURE_DOC.exists() else ""
    if current == content:
        return 0
    shown = _shown(ARCHITECTURE_DOC)
    if check:
        raise UsageError(f"stale generated doc: {shown}; run `{DOCS_COMMAND}`")
    ARCHITECTURE_DOC.parent.mkdir(parents=True, exist_ok=True)
    ARCHITECTURE_DOC.write_text(content)
    _progress(f"wrote {shown}")
    return 0


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# --- command line -------------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(f"preflight: {message}", file=sys.stderr, flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", help="stack name (dev, staging, prod)")
    parser.add_argument(
        "--project",
        type=Path,
        default=ROOT,
        help="Pulumi project directory (default: the repository root)",
    )
    parser.add_argument(
        "--format", dest="fmt", choices=FORMATS, default="mermaid", help="default: mermaid"
    )
    parser.add_argument(
        "--level",
        choices=LEVELS,
        help="components: one node per component; resources: every resource "
        "(default: components, or resources with --component)",
    )
    parser.add_argument(
        "--component", help="only this component (logical name or kind) and its neighbours"
    )
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
    parser.add_argument(
        "--docs", action="store_true", help=f"regenerate {_shown(ARCHITECTURE_DOC)}"
    )
    parser.add_argument(
        "--check", action="store_true", help="with --docs: fail when the doc is stale"
    )


def run(args: argparse.Namespace) -> int:
    if args.docs:
        given = [
            flag
            for flag, value in (
                ("--stack", args.stack),
                ("--level", args.level),
                ("--component", args.component),
                ("--out", args.out),
            )
            if value
        ]
        if given:
            raise UsageError(
                f"--docs draws every stack into {_shown(ARCHITECTURE_DOC)}: drop {given[0]}"
            )
        return write_docs(args.check)
    if args.check:
        raise UsageError(f"--check goes with --docs: `{DOCS_COMMAND} --check`")
    if not args.stack:
        raise UsageError(
            f"name a stack with --stack NAME (or regenerate {_shown(ARCHITECTURE_DOC)} with --docs)"
        )
    from preflight.synth import synthesize

    level = args.level or ("resources" if args.component else "components")
    snapshot = synthesize([args.stack], args.project, progress=_progress)[args.stack]
    text = render(snapshot, args.fmt, level, args.component)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        _progress(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    if args.fmt == "mermaid":
        for line in text.splitlines()[1:3]:
            if line.lstrip().startswith("%% "):
                _progress(f"warning: {line.lstrip()[3:]}")
    return 0
