"""Layouts: which nodes, groups and links a diagram has, at resource or component level."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from preflight.cli import UsageError
from preflight.graph.kinds import kind
from preflight.graph.model import (
    LEVELS,
    MAX_COMPONENT_NODES,
    Diagram,
    Group,
    Link,
    Node,
    Tree,
    provider_class,
    unique_ids,
)


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
