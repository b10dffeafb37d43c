"""`preflight preview --diff`: each changed resource with its property changes against a base
(a saved snapshot here; a git revision goes through `diff`'s worktree path, tested there), the
engine's JSON steps, the revision guard, and the terminal form of `diff`."""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from preflight import preview, synth
from preflight.__main__ import _stacks, build_parser
from preflight.analyzer.host import PolicyPackHost
from preflight.cli import ROOT, UsageError
from preflight.diff.compare import diff_snapshots
from preflight.diff.terminal import COLOURS, render_text
from tests.support.preflight import pack_host

SCHEMA = json.loads((Path(__file__).parent / "data" / "preview.schema.json").read_text())
STACK_FILE = (ROOT / "Pulumi.prod.yaml").read_text()


def stricter_stack_file() -> str:
    """Prod's stack file with a stricter mission-success threshold (the playbook's is 0.97), as
    `pulumi config set --path` would write it."""
    document = yaml.safe_load(STACK_FILE)
    monitoring = document["config"]["controlplane:monitoring"]
    assert "missionSuccessRate" not in monitoring.get("alerts", {})
    monitoring.setdefault("alerts", {})["missionSuccessRate"] = {"threshold": 0.98, "window": "5m"}
    return str(yaml.safe_dump(document, sort_keys=False))


@pytest.fixture(scope="module")
def host() -> Iterator[PolicyPackHost]:
    yield from pack_host()


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["preview", *argv])


def run(capsys, host, *argv: str) -> tuple[int, str, str]:
    args = parse(*argv)
    code = preview.run(args, _stacks(args), host=host)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def stricter(project_with, snapshots, tmp_path_factory) -> tuple[Path, Path]:
    """A project whose prod stack file sets a stricter threshold, and the shipped prod snapshot
    saved as the base."""
    project = project_with("prod", stricter_stack_file())
    base = tmp_path_factory.mktemp("base") / "prod.json"
    base.write_text(json.dumps(snapshots["prod"]))
    return project, base


def test_a_changed_threshold_shows_the_property_change(capsys, host, stricter) -> None:
    project, base = stricter
    code, out, err = run(
        capsys, host, "-s", "prod", "--project", str(project), "--diff", "--base", str(base)
    )
    assert code == 0, err
    assert f"Previewing controlplane/prod (offline, no credentials) against {base}" in out
    lines = out.splitlines()
    [head] = [i for i, line in enumerate(lines) if "datadog:index/monitor:Monitor" in line]
    assert lines[head].split()[0] == "~" and lines[head].endswith("update")
    assert '~ monitorThresholds.critical: "0.97" => "0.98"' in out
    assert '< 0.97" => "' in out and out.count("< 0.98") >= 1
    assert "Policies:" in out and "Outputs:" in out
    # The scorecard dashboard shows the threshold too; its JSON is diffed leaf by leaf.
    assert "dashboard (JSON):" in out
    assert out.rstrip().splitlines()[-1].startswith("Resources: ~ 2 to update, ")
    assert "\x1b[" not in out  # plain when not a terminal


def test_the_json_steps_follow_the_engine(capsys, host, stricter, snapshots) -> None:
    project, base = stricter
    code, out, _ = run(
        capsys, host, "-s", "prod", "--project", str(project), "--diff", "--base", str(base), "-j"
    )
    assert code == 0
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    total = len(snapshots["prod"]["resources"])
    assert document["changeSummary"] == {"same": total - 2, "update": 2}
    [step] = [s for s in document["steps"] if s["op"] == "update" and "Monitor" in s["urn"]]
    assert step["detailedDiff"]["monitorThresholds.critical"] == {
        "kind": "update",
        "inputDiff": True,
    }
    assert step["oldState"]["inputs"]["monitorThresholds"]["critical"] == "0.97"
    assert step["newState"]["inputs"]["monitorThresholds"]["critical"] == "0.98"
    assert set(step["diffReasons"]) >= {"monitorThresholds", "query"}


def concurrency(snapshot: dict[str, Any], value: int) -> dict[str, Any]:
    changed = copy.deepcopy(snapshot)
    for r in changed["resources"]:
        if r["type"] == "gcp:cloudrunv2/service:Service" and r["name"].endswith("agent-service"):
            r["inputs"]["template"]["maxInstanceRequestConcurrency"] = value
    return changed


def test_a_template_change_under_the_same_revision_fails_with_4(
    capsys, monkeypatch, host, snapshots, tmp_path
) -> None:
    base = tmp_path / "prod.json"
    base.write_text(json.dumps(snapshots["prod"]))
    head = concurrency(snapshots["prod"], 7)
    monkeypatch.setattr(synth, "synthesize", lambda stacks, *a, **k: {s: head for s in stacks})
    code, out, err = run(capsys, host, "-s", "prod", "--diff", "--base", str(base))
    assert code == 4
    assert "Would fail at apply:" in out
    assert "~ template.maxInstanceRequestConcurrency: 40 => 7" in out
    assert err.splitlines()[-1].startswith("preflight: error: preview failed: prod: would fail")


def test_base_without_diff_and_a_wrong_base_are_usage_errors(host, snapshots, tmp_path) -> None:
    with pytest.raises(UsageError, match="--base is what --diff compares with: add --diff"):
        preview.run(parse("-s", "prod", "--base", "x"), ["prod"], host=host)
    other = tmp_path / "dev.json"
    other.write_text(json.dumps(snapshots["dev"]))
    with pytest.raises(UsageError, match="is a snapshot of stack 'dev', not 'prod'"):
        preview.run(parse("-s", "prod", "--diff", "--base", str(other)), ["prod"], host=host)
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2")
    with pytest.raises(UsageError, match="not a snapshot from `preflight synth`"):
        preview.run(parse("-s", "prod", "--diff", "--base", str(broken)), ["prod"], host=host)


def test_the_terminal_diff_is_coloured_only_on_request(snapshots) -> None:
    d = diff_snapshots("prod", snapshots["prod"], concurrency(snapshots["prod"], 7))
    plain = render_text([d], "HEAD (0123456789ab)", colour=False)
    coloured = render_text([d], "HEAD (0123456789ab)", colour=True)
    assert "\x1b[" not in plain
    assert plain.splitlines()[0] == "Comparing prod with HEAD (0123456789ab)"
    assert "~ template.maxInstanceRequestConcurrency: 40 => 7" in plain
    assert f"{COLOURS['update']}~ 1 to update{COLOURS['reset']}" in coloured
    assert "Would fail at apply:" in plain
