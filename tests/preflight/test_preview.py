"""`preflight preview`: the tree as `pulumi preview` lays it out, plain when piped."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from preflight.cli import ROOT
from preflight.preview import render


def test_tree_nests_children_under_their_component(snapshots) -> None:
    text = render(snapshots["prod"], colour=False)
    lines = text.splitlines()
    stack_line = next(i for i, line in enumerate(lines) if "pulumi:pulumi:Stack" in line)
    access_line = next(i for i, line in enumerate(lines) if "EnvironmentAccess" in line)
    assert stack_line < access_line
    assert "└─ controlplane:access:EnvironmentAccess" in lines[access_line] or (
        "├─ controlplane:access:EnvironmentAccess" in lines[access_line]
    )
    tree = [line for line in lines if line.startswith(" +   ")]
    member_lines = [line for line in tree if "gcp:projects/iAMMember:IAMMember" in line]
    assert member_lines and all("─ gcp:projects" in line for line in member_lines)


def test_counts_by_type_match_the_snapshot(snapshots) -> None:
    snap = snapshots["staging"]
    text = render(snap, colour=False)
    counts = Counter(r["type"] for r in snap["resources"][1:])
    for token, count in counts.items():
        assert f"{count:>4} {token}" in text, token
    assert f"+ {len(snap['resources']) - 1} to create" in text


def test_plain_when_piped_and_colour_on_request(snapshots) -> None:
    assert "\x1b[" in render(snapshots["dev"], colour=True)
    proc = subprocess.run(
        [sys.executable, "-m", "preflight", "preview", "--all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "\x1b[" not in proc.stdout
    for stack in ("dev", "staging", "prod"):
        assert f"Previewing controlplane/{stack} (offline, no credentials)" in proc.stdout
    assert proc.stderr.count("preflight: synthesizing") == 3
