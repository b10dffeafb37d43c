"""Renderers: a Diagram as Mermaid, Graphviz DOT or SVG (through Graphviz's ``dot``)."""

from __future__ import annotations

import shutil
import subprocess  # nosec B404  # Graphviz dot with a fixed argv, no shell
from collections.abc import Iterable, Mapping
from typing import Any

from preflight.cli import UsageError
from preflight.graph.layouts import diagram_for
from preflight.graph.model import (
    DOT_TIMEOUT_SECONDS,
    FORMATS,
    MERMAID_MAX_EDGES,
    MERMAID_MAX_TEXT,
    STYLES,
    Diagram,
)

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
    children, members = diagram.nesting()

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
    children, members = diagram.nesting()

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
