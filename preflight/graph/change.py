"""The change diagram for the PR comment: changed resources and their direct neighbours,
coloured by operation, within a size budget."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from preflight.graph.kinds import is_node, kind
from preflight.graph.model import MERMAID_MAX_TEXT, Diagram, Group, Link, Node, Tree, unique_ids
from preflight.graph.renderers import to_mermaid
from preflight.snapshot import OP_SIGNS

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
