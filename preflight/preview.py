"""``preflight preview``: the resource tree the way ``pulumi preview`` lays it out, offline."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from typing import Any, TextIO

from preflight.snapshot import STACK_TYPE

_COLOURS = {"create": "\x1b[32m", "type": "\x1b[2m", "bold": "\x1b[1m", "reset": "\x1b[0m"}


def render(snapshot: dict[str, Any], colour: bool) -> str:
    """A tree of the snapshot's resources (component nesting, type, name) and counts by type."""

    def c(key: str, text: str) -> str:
        return f"{_COLOURS[key]}{text}{_COLOURS['reset']}" if colour else text

    resources = snapshot["resources"]
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for res in resources:
        children[res["parent"]].append(res)
    lines = [
        c("bold", f"Previewing {snapshot['project']}/{snapshot['stack']} (offline, no credentials)")
    ]

    width = 60
    name_w = max(len(r["name"]) for r in resources) + 11
    lines.append(f"     {'Type':<{width}} {'Name':<{name_w}} Plan")

    def walk(parent: str | None, prefix: str, is_root: bool) -> None:
        kids = sorted(children.get(parent, []), key=lambda r: (r["type"], r["name"]))
        for i, res in enumerate(kids):
            last = i == len(kids) - 1
            branch = "" if is_root else ("└─ " if last else "├─ ")
            label = f"{prefix}{branch}{res['type']}"
            flags = " [protect]" if res.get("protect") else ""
            name = f"{res['name']}{flags}"
            lines.append(f" {c('create', '+')}   {label:<{width}} {name:<{name_w}} create")
            walk(res["urn"], "" if is_root else prefix + ("   " if last else "│  "), False)

    walk(None, "", True)
    counts = Counter(r["type"] for r in resources if r["type"] != STACK_TYPE)
    lines.append("")
    lines.append(c("bold", "Resources by type:"))
    for token, count in sorted(counts.items()):
        lines.append(f"    {count:>4} {token}")
    custom = sum(1 for r in resources if r["custom"])
    components = len(resources) - custom - 1
    lines.append(
        c("bold", f"    {c('create', '+')} {len(resources) - 1} to create")
        + f" ({custom} resources, {components} components)"
    )
    return "\n".join(lines) + "\n"


def use_colour(stream: TextIO = sys.stdout) -> bool:
    """Colour on a terminal, plain when piped or when NO_COLOR is set."""
    import os

    return stream.isatty() and not os.environ.get("NO_COLOR")
