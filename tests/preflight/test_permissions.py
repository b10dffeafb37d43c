"""The deployer permission check: the shipped bootstrap lets each deployer apply its stack, and
every planted gap (a role removed, a grant outside the condition, an unknown type) is reported
with the stack, the resource type and the permission."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from bootstrap.config import DEFAULT_DEPLOYER_ROLES, DEFAULT_GRANTABLE_ROLES
from preflight.__main__ import main
from preflight.cli import ROOT
from preflight.permissions.analysis import (
    PROJECT_IAM_MEMBER,
    ROLES_PATH,
    PermissionDataError,
    check_stack,
    deployers,
    needed_permissions,
    role_permissions,
    type_permissions,
)
from preflight.synth import Project, stack_config
from tests.support.scripts import load_script

STACKS = ("dev", "staging", "prod")


refresh_iam_roles = load_script("refresh_iam_roles")


def _project(stack: str) -> str | None:
    return stack_config(Project.load(ROOT), stack)[0].get("gcp:project")


def _without_role(bootstrap: dict[str, Any], role: str) -> dict[str, Any]:
    planted = copy.deepcopy(bootstrap)
    planted["resources"] = [
        r
        for r in planted["resources"]
        if not (r["type"] == PROJECT_IAM_MEMBER and r["inputs"].get("role") == role)
    ]
    return planted


def _lines(stack: str, snapshot: dict[str, Any], bootstrap: dict[str, Any]) -> list[str]:
    report = check_stack(stack, snapshot, _project(stack), deployers(bootstrap))
    return [f.line() for f in report.findings]


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_deployer_can_apply_its_stack(snapshots, bootstrap_snapshot, stack):
    assert _lines(stack, snapshots[stack], bootstrap_snapshot) == []


def test_removing_kms_admin_names_stack_type_and_permission(snapshots, bootstrap_snapshot):
    planted = _without_role(bootstrap_snapshot, "roles/cloudkms.admin")
    lines = _lines("prod", snapshots["prod"], planted)
    assert any(
        line.startswith("stack prod: gcp:kms/keyRing:KeyRing: ")
        and "lacks cloudkms.keyRings.create" in line
        for line in lines
    ), lines


@pytest.mark.parametrize(
    "role",
    [r for r in DEFAULT_DEPLOYER_ROLES if r != "roles/serviceusage.serviceUsageConsumer"],
)
def test_every_deployer_role_is_needed_by_some_stack(snapshots, bootstrap_snapshot, role):
    planted = _without_role(bootstrap_snapshot, role)
    lines = [line for s in STACKS for line in _lines(s, snapshots[s], planted)]
    assert lines, f"removing {role} breaks no stack: it is not needed"


def test_service_usage_consumer_is_kept_only_for_a_possible_need(snapshots, bootstrap_snapshot):
    planted = _without_role(bootstrap_snapshot, "roles/serviceusage.serviceUsageConsumer")
    report = check_stack("prod", snapshots["prod"], _project("prod"), deployers(planted))
    assert report.findings == []
    assert any("serviceusage.services.use" in note for note in report.notes)


def test_project_grant_outside_the_condition_is_reported(snapshots, bootstrap_snapshot):
    planted = copy.deepcopy(snapshots["dev"])
    grant = next(r for r in planted["resources"] if r["type"] == PROJECT_IAM_MEMBER)
    grant["inputs"]["role"] = "roles/iam.securityAdmin"
    lines = _lines("dev", planted, bootstrap_snapshot)
    assert lines == [
        f"stack dev: {PROJECT_IAM_MEMBER}: {grant['name']} grants roles/iam.securityAdmin, which "
        "the deployer's project IAM condition does not allow: add it to grantableRoles in "
        "bootstrap/Pulumi.org.yaml"
    ]


def test_without_the_conditional_grant_project_grants_fail(snapshots, bootstrap_snapshot):
    planted = _without_role(bootstrap_snapshot, "roles/resourcemanager.projectIamAdmin")
    lines = _lines("dev", snapshots["dev"], planted)
    assert any("holds no project IAM administration" in line for line in lines), lines


def test_an_unknown_gcp_type_fails_closed(snapshots, bootstrap_snapshot):
    planted = copy.deepcopy(snapshots["dev"])
    planted["resources"].append(
        {"type": "gcp:compute/instance:Instance", "name": "vm", "inputs": {}}
    )
    lines = _lines("dev", planted, bootstrap_snapshot)
    assert lines == [
        "stack dev: gcp:compute/instance:Instance: no entry in preflight/permissions/"
        "type_permissions.json: add the permissions its create, read, update and delete calls "
        "need, with Google's page as source"
    ]


def test_a_stack_whose_project_has_no_deployer_is_reported(snapshots, bootstrap_snapshot):
    report = check_stack("dev", snapshots["dev"], "acme-elsewhere", deployers(bootstrap_snapshot))
    assert [f.line() for f in report.findings] == [
        "stack dev: gcp:project: the bootstrap grants no deployer roles on acme-elsewhere "
        "(projects with a deployer: acme-cp-dev, acme-cp-prod, acme-cp-staging); add the "
        "environment to bootstrap/Pulumi.org.yaml or fix gcp:project"
    ]


def test_two_deployers_on_one_project_are_refused(bootstrap_snapshot):
    planted = copy.deepcopy(bootstrap_snapshot)
    extra = copy.deepcopy(
        next(
            r
            for r in planted["resources"]
            if r["type"] == PROJECT_IAM_MEMBER and r["inputs"]["project"] == "acme-cp-dev"
        )
    )
    extra["inputs"]["member"] = "serviceAccount:other@acme-cp-bootstrap.iam.gserviceaccount.com"
    planted["resources"].append(extra)
    with pytest.raises(PermissionDataError, match="one deployer per environment project"):
        deployers(planted)


def test_every_declared_gcp_type_has_permission_data(snapshots, bootstrap_snapshot):
    declared = {
        r["type"]
        for snap in [*snapshots.values(), bootstrap_snapshot]
        for r in snap["resources"]
        if r["type"].startswith("gcp:")
    }
    assert declared - set(type_permissions()) == set()
    for token, entry in type_permissions().items():
        assert entry["source"].startswith("https://cloud.google.com/"), token


def test_every_needed_permission_exists_in_some_role():
    known = set().union(*role_permissions().values())
    needed = needed_permissions(type_permissions())
    unknown = {p for perms in needed.values() for p in perms} - known
    assert unknown == set()


def test_the_roles_the_project_grants_are_in_the_vendored_data():
    assert set(DEFAULT_DEPLOYER_ROLES) | set(DEFAULT_GRANTABLE_ROLES) <= set(role_permissions())


def test_vendored_roles_match_their_recorded_hash():
    readme = (ROLES_PATH.parent / "README.md").read_text()
    digest = hashlib.sha256(ROLES_PATH.read_bytes()).hexdigest()
    assert f"`{digest}`" in readme


def test_cli_exit_status_and_text(capsys):
    assert main(["permissions", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stack prod (acme-cp-prod, deployer serviceAccount:acme-prod-deployer@")
    assert ": can apply\n" in out
    assert "cloudkms.admin 9/71" in out


def test_cli_refuses_an_unknown_stack(capsys):
    assert main(["permissions", "--stack", "qa"]) == 2
    assert "no Pulumi.qa.yaml" in capsys.readouterr().err


def _role_file(directory: Path, name: str, perms: list[str]) -> None:
    path = directory / f"{name.removeprefix('roles/')}.json"
    path.write_text(json.dumps({"name": name, "includedPermissions": perms}))


def test_refresh_writes_sorted_roles(tmp_path, monkeypatch):
    monkeypatch.setattr(refresh_iam_roles, "ROLES", ("roles/a.b", "roles/c.d"))
    _role_file(tmp_path, "roles/a.b", ["x.y.z", "a.b.c", "x.y.z"])
    _role_file(tmp_path, "roles/c.d", [])
    _role_file(tmp_path, "roles/unwanted", ["q.q.q"])
    out = tmp_path / "out.json"
    assert refresh_iam_roles.main([str(tmp_path), "--out", str(out)]) == 0
    assert (
        out.read_text()
        == '{\n  "roles/a.b": [\n    "a.b.c",\n    "x.y.z"\n  ],\n  "roles/c.d": []\n}\n'
    )


def test_refresh_stops_when_a_role_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(refresh_iam_roles, "ROLES", ("roles/a.b", "roles/gone"))
    _role_file(tmp_path, "roles/a.b", ["a.b.c"])
    out = tmp_path / "out.json"
    assert refresh_iam_roles.main([str(tmp_path), "--out", str(out)]) == 1
    assert not out.exists()
    assert "lacks roles/gone" in capsys.readouterr().err
