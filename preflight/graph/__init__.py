"""``python -m preflight graph``: pictures of a stack, generated from its synthesized snapshot.

    python -m preflight graph --stack NAME [--format mermaid|dot|svg]
                              [--level components|resources] [--component NAME] [--out FILE]
    python -m preflight graph --docs [--check]

Components are groups (Mermaid subgraphs, Graphviz clusters) and resources are nodes labelled
by kind and name. Solid labelled arrows are the wiring an on-call reader follows, dashed arrows
other dependencies (:mod:`preflight.graph.wiring`). Detail levels:

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

from preflight.graph.change import CHANGE_LEGEND, DEFAULT_CHANGE_BUDGET, change_diagram
from preflight.graph.cli import add_arguments, architecture_doc, run, write_docs
from preflight.graph.layouts import component_diagram, resource_diagram
from preflight.graph.model import (
    ARCHITECTURE_DOC,
    LEVELS,
    MERMAID_MAX_EDGES,
    MERMAID_MAX_TEXT,
    unique_ids,
)
from preflight.graph.renderers import dot_text, render, to_mermaid

__all__ = [
    "ARCHITECTURE_DOC",
    "CHANGE_LEGEND",
    "DEFAULT_CHANGE_BUDGET",
    "LEVELS",
    "MERMAID_MAX_EDGES",
    "MERMAID_MAX_TEXT",
    "add_arguments",
    "architecture_doc",
    "change_diagram",
    "component_diagram",
    "dot_text",
    "render",
    "resource_diagram",
    "run",
    "to_mermaid",
    "unique_ids",
    "write_docs",
]
