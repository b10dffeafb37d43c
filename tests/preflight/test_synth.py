"""The snapshot contract of `python -m preflight synth` (DESIGN.md, "Contracts")."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from preflight.cli import ROOT
from preflight.snapshot import DRY_RUN_KEY, UNKNOWN
from preflight.synth import dumps
from tests.support.snapshots import resources_of

ACCESS = {
    "dev": {"group:cp-engineering@example.com", "group:cp-qa@example.com"},
    "staging": {"group:cp-engineering@example.com", "group:cp-operations@example.com"},
    "prod": {"group:cp-operations@example.com", "group:cp-oncall@example.com"},
}


def _synth_cli(stack: str) -> bytes:
    return subprocess.run(
        [sys.executable, "-m", "preflight", "synth", "--stack", stack],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout


def test_prod_synth_is_byte_identical_across_runs_and_matches_in_process(snapshots) -> None:
    first, second = _synth_cli("prod"), _synth_cli("prod")
    assert first == second
    assert first.decode() == dumps(snapshots["prod"])


def test_snapshot_shape(snapshots) -> None:
    snap = snapshots["prod"]
    assert (snap["project"], snap["stack"]) == ("controlplane", "prod")
    root = snap["resources"][0]
    assert root["type"] == "pulumi:pulumi:Stack" and root["parent"] is None
    required = {"urn", "type", "name", "parent", "inputs", "protect", "dependencies"}
    for res in snap["resources"]:
        assert required <= set(res), res["urn"]
        assert res["urn"].startswith("urn:pulumi:prod::controlplane::"), res["urn"]
        assert res["urn"].endswith(f"::{res['name']}"), res["urn"]


def test_urns_qualify_children_with_their_parent_type_chain(snapshots) -> None:
    by_urn = {r["urn"]: r for r in snapshots["prod"]["resources"]}
    for res in snapshots["prod"]["resources"][1:]:
        parent = by_urn[res["parent"]]
        qualified = res["urn"].split("::")[2]
        if parent["type"] == "pulumi:pulumi:Stack":
            assert qualified == res["type"], res["urn"]
        else:
            assert qualified == f"{parent['urn'].split('::')[2]}${res['type']}", res["urn"]


def test_access_list_is_granted_as_group_bindings_per_environment(snapshots) -> None:
    for stack, groups in ACCESS.items():
        members = resources_of(snapshots[stack], "gcp:projects/iAMMember:IAMMember")
        access = [m for m in members if ":access:" in m["parent"]]
        assert {m["inputs"]["member"] for m in access} == groups, stack
        for m in access:
            assert m["inputs"]["project"] == f"acme-cp-{stack}", m["urn"]
            assert m["inputs"]["role"] not in {"roles/owner", "roles/editor", "roles/viewer"}


def test_prod_snapshot_holds_the_exact_access_bindings(snapshots) -> None:
    members = resources_of(snapshots["prod"], "gcp:projects/iAMMember:IAMMember")
    pairs = {
        (m["inputs"]["role"], m["inputs"]["member"]) for m in members if ":access:" in m["parent"]
    }
    assert ("roles/run.developer", "group:cp-operations@example.com") in pairs
    assert ("roles/run.viewer", "group:cp-oncall@example.com") in pairs
    assert all(member != "group:cp-engineering@example.com" for _, member in pairs)


def test_out_dir_writes_one_file_per_stack(tmp_path) -> None:
    subprocess.run(
        [sys.executable, "-m", "preflight", "synth", "--all", "--out-dir", tmp_path],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.json", "prod.json", "staging.json"]
    assert json.loads((tmp_path / "dev.json").read_text())["stack"] == "dev"


def test_unknown_stack_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "preflight", "synth", "--stack", "qa"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "preflight: error: unknown stack 'qa': no Pulumi.qa.yaml (stacks: dev, staging, prod)"
    )


# -- preview of a new stack ----------------------------------------------------------------------


def _unknown_paths(value: Any, path: str = "") -> list[str]:
    if value == UNKNOWN:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _unknown_paths(v, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unknown_paths(v, f"{path}[{i}]")]
    return []


def test_update_snapshot_has_no_unknowns_and_every_custom_resource_an_id(snapshots) -> None:
    snap = snapshots["prod"]
    assert DRY_RUN_KEY not in snap
    for res in snap["resources"]:
        assert _unknown_paths(res["inputs"]) == [], res["urn"]
        assert (res["id"] is not None) == res["custom"], res["urn"]


def test_preview_snapshot_has_no_ids_and_unknown_computed_outputs(
    snapshots, preview_snapshots
) -> None:
    update, preview = snapshots["prod"], preview_snapshots["prod"]
    assert preview[DRY_RUN_KEY] is True
    assert [r["urn"] for r in preview["resources"]] == [r["urn"] for r in update["resources"]]
    assert all(r["id"] is None for r in preview["resources"])
    by_urn = {r["urn"]: r for r in preview["resources"]}
    for res in preview["resources"]:
        for path in _unknown_paths(res["inputs"]):
            # Every unknown is built from another resource's output, as the engine records it.
            key = path.split(".")[0].split("[")[0]
            assert res["propertyDependencies"].get(key), (res["urn"], path)
    members = resources_of(preview, "gcp:secretmanager/secretIamMember:SecretIamMember")
    assert members and all(m["inputs"]["member"] == UNKNOWN for m in members)
    for member in members:
        sources = {by_urn[u]["type"] for u in member["propertyDependencies"]["member"]}
        assert sources == {"gcp:serviceaccount/account:Account"}, member["urn"]
    # Literal inputs keep their values.
    access = [
        m
        for m in resources_of(preview, "gcp:projects/iAMMember:IAMMember")
        if ":access:" in m["parent"]
    ]
    assert {m["inputs"]["member"] for m in access} == ACCESS["prod"]


def test_preview_mode_on_the_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "preflight", "synth", "--stack", "dev", "--mode", "preview"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    assert json.loads(out)[DRY_RUN_KEY] is True
