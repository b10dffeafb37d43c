"""``python -m preflight diff``: what a change would do to each stack, computed offline.

One job per module: ``rules`` (what replaces a resource, what holds data), ``model`` (the
changes and the secret scrubbing), ``compare`` (two snapshots in, a ``StackDiff`` out),
``render`` (Markdown and JSON), ``gitbase`` (the base revision's worktree and both syntheses),
``policies`` (the pack's verdict on both sides) and ``cli`` (the command).
"""

from __future__ import annotations

from preflight.diff.cli import add_arguments, change_diagram_for, run
from preflight.diff.compare import diff_snapshots
from preflight.diff.model import scrub
from preflight.diff.render import render_json, render_markdown

__all__ = [
    "add_arguments",
    "change_diagram_for",
    "diff_snapshots",
    "render_json",
    "render_markdown",
    "run",
    "scrub",
]
