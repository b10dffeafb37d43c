"""The deployer permission check: the shipped bootstrap lets each deployer apply its stack, and
every planted gap (a role removed, a grant outside the condition, an unknown type) is reported
with the stack, the resource type and the permission. The previewer check: each previewer reads
everything its stack declares and holds nothing that changes it or reads secret payloads."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from bootstrap.config import (
    DEFAULT_DEPLOYER_ROLES,
    DEFAULT_GRANTABLE_ROLES,
    DEFAULT_PREVIEWER_ROLES,
)
from preflight.__main__ import main
from preflight.cli import ROOT
from preflight.permissions.analysis import (
    PROJECT_IAM_MEMBER,
    ROLES_PATH,
    PermissionDataError,
    check_preview,
    check_stack,
    deployers,
    is_read,
    needed_permissions,
    previewers,
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
    assert set(DEFAULT_PREVIEWER_ROLES) <= set(role_permissions())


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


# --- the previewers ---------------------------------------------------------------------------

PREVIEWER = "serviceAccount:acme-{env}-previewer@acme-cp-bootstrap.iam.gserviceaccount.com"


def _preview_lines(stack: str, snapshot: dict[str, Any], bootstrap: dict[str, Any]) -> list[str]:
    report = check_preview(stack, snapshot, _project(stack), previewers(bootstrap))
    return [f.line() for f in report.findings]


def _previewer_grants(bootstrap: dict[str, Any], env: str) -> list[dict[str, Any]]:
    return [
        r
        for r in bootstrap["resources"]
        if r["type"] == PROJECT_IAM_MEMBER and r["inputs"]["member"] == PREVIEWER.format(env=env)
    ]


def _previewer_with(bootstrap: dict[str, Any], env: str, role: str) -> dict[str, Any]:
    planted = copy.deepcopy(bootstrap)
    grant = copy.deepcopy(_previewer_grants(planted, env)[0])
    grant["inputs"]["role"] = role
    grant["name"] = f"planted-{role}"
    planted["resources"].append(grant)
    return planted


def _previewer_without(bootstrap: dict[str, Any], env: str, role: str) -> dict[str, Any]:
    planted = copy.deepcopy(bootstrap)
    drop = {id(r) for r in _previewer_grants(planted, env) if r["inputs"]["role"] == role}
    assert drop, role
    planted["resources"] = [r for r in planted["resources"] if id(r) not in drop]
    return planted


def test_each_project_has_its_deployer_and_its_previewer(bootstrap_snapshot):
    deps, prevs = deployers(bootstrap_snapshot), previewers(bootstrap_snapshot)
    assert sorted(prevs) == sorted(deps) == ["acme-cp-dev", "acme-cp-prod", "acme-cp-staging"]
    for env in STACKS:
        project = f"acme-cp-{env}"
        assert deps[project].member == PREVIEWER.format(env=env).replace("previewer", "deployer")
        assert deps[project].grantable is not None
        assert prevs[project].member == PREVIEWER.format(env=env)
        assert prevs[project].roles == set(DEFAULT_PREVIEWER_ROLES)


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_previewer_reads_its_stack_and_nothing_more(snapshots, bootstrap_snapshot, stack):
    report = check_preview(stack, snapshots[stack], _project(stack), previewers(bootstrap_snapshot))
    assert [f.line() for f in report.findings] == []
    # The one read it does not hold: a secret version's payload, which only --refresh reads.
    assert report.notes == [
        f"stack {stack}: gcp:secretmanager/secretVersion:SecretVersion: a --refresh would need "
        "secretmanager.versions.access (secret payloads), which a previewer never holds: "
        "previews run without --refresh"
    ]


def test_previewer_without_security_reviewer_lacks_the_iam_policy_reads(
    snapshots, bootstrap_snapshot
):
    planted = _previewer_without(bootstrap_snapshot, "prod", "roles/iam.securityReviewer")
    lines = _preview_lines("prod", snapshots["prod"], planted)
    who = PREVIEWER.format(env="prod")
    assert (
        f"stack prod: {PROJECT_IAM_MEMBER}: the previewer {who} lacks "
        "resourcemanager.projects.getIamPolicy (held by roles/browser, roles/iam.roleViewer, "
        "roles/iam.securityAdmin ...)"
    ) in lines, lines
    # Exactly the reads no other default previewer role holds, each with its type.
    prefix = f"the previewer {who} lacks "
    missing = sorted((line.split(": ")[1], line.split(prefix)[1].split(" ")[0]) for line in lines)
    assert missing == [
        ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "cloudkms.cryptoKeys.getIamPolicy"),
        ("gcp:projects/iAMAuditConfig:IAMAuditConfig", "resourcemanager.projects.getIamPolicy"),
        ("gcp:projects/iAMMember:IAMMember", "resourcemanager.projects.getIamPolicy"),
        (
            "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
            "pubsub.subscriptions.getIamPolicy",
        ),
        ("gcp:pubsub/topicIAMMember:TopicIAMMember", "pubsub.topics.getIamPolicy"),
        ("gcp:serviceaccount/account:Account", "iam.serviceAccounts.get"),
        ("gcp:storage/bucketIAMMember:BucketIAMMember", "storage.buckets.getIamPolicy"),
    ], lines


def test_previewer_with_run_admin_is_refused(snapshots, bootstrap_snapshot):
    planted = _previewer_with(bootstrap_snapshot, "prod", "roles/run.admin")
    lines = _preview_lines("prod", snapshots["prod"], planted)
    who = PREVIEWER.format(env="prod")
    assert (
        f"stack prod: gcp:cloudrunv2/service:Service: the previewer {who} holds "
        "run.services.create (through roles/run.admin), which changes this type's resources: "
        "a previewer only reads"
    ) in lines, lines
    assert (
        f"stack prod: gcp:cloudrunv2/serviceIamMember:ServiceIamMember: the previewer {who} "
        "holds run.services.setIamPolicy (through roles/run.admin), which changes this type's "
        "resources: a previewer only reads"
    ) in lines, lines
    [rest] = [line for line in lines if "more permission(s) that are not reads" in line]
    assert rest.startswith(
        f"stack prod: {PROJECT_IAM_MEMBER}: the previewer {who} holds roles/run.admin"
    )
    # The other stacks' previewers are untouched.
    assert _preview_lines("dev", snapshots["dev"], planted) == []


def test_previewer_that_can_read_secret_payloads_is_refused(snapshots, bootstrap_snapshot):
    planted = _previewer_with(bootstrap_snapshot, "dev", "roles/secretmanager.secretAccessor")
    lines = _preview_lines("dev", snapshots["dev"], planted)
    assert lines == [
        f"stack dev: {PROJECT_IAM_MEMBER}: the previewer {PREVIEWER.format(env='dev')} holds "
        "secretmanager.versions.access (through roles/secretmanager.secretAccessor), which "
        "reads secret payloads: a preview without --refresh needs none"
    ]


def test_previewer_role_without_vendored_data_fails_closed(snapshots, bootstrap_snapshot):
    planted = _previewer_with(bootstrap_snapshot, "dev", "roles/compute.viewer")
    assert _preview_lines("dev", snapshots["dev"], planted) == [
        f"stack dev: {PROJECT_IAM_MEMBER}: the previewer {PREVIEWER.format(env='dev')} holds "
        "roles/compute.viewer, whose permissions are not in the vendored data: add it to "
        "ALTERNATIVES in scripts/refresh_iam_roles.py and refresh"
    ]


def test_a_project_without_previewer_is_reported(snapshots, bootstrap_snapshot):
    planted = copy.deepcopy(bootstrap_snapshot)
    planted["resources"] = [
        r for r in planted["resources"] if r not in _previewer_grants(planted, "staging")
    ]
    assert _preview_lines("staging", snapshots["staging"], planted) == [
        "stack staging: gcp:project: the bootstrap gives acme-cp-staging no previewer, so the "
        "pull-request preview of this stack has no identity: add the environment to "
        "bootstrap/Pulumi.org.yaml or fix gcp:project"
    ]


def test_the_deployer_is_the_holder_of_the_conditional_grant_whatever_its_name(
    bootstrap_snapshot,
):
    planted = copy.deepcopy(bootstrap_snapshot)
    renamed = "serviceAccount:ci-one@acme-cp-bootstrap.iam.gserviceaccount.com"
    for res in planted["resources"]:
        if res["type"] == PROJECT_IAM_MEMBER and res["inputs"]["member"].startswith(
            "serviceAccount:acme-dev-deployer@"
        ):
            res["inputs"]["member"] = renamed
    assert deployers(planted)["acme-cp-dev"].member == renamed
    assert previewers(planted)["acme-cp-dev"].member == PREVIEWER.format(env="dev")


def test_without_the_conditional_grant_the_deployer_is_told_by_its_name(bootstrap_snapshot):
    planted = _without_role(bootstrap_snapshot, "roles/resourcemanager.projectIamAdmin")
    assert deployers(planted)["acme-cp-dev"].member.startswith("serviceAccount:acme-dev-deployer@")
    for res in planted["resources"]:
        if res["type"] == PROJECT_IAM_MEMBER and "acme-dev-deployer@" in res["inputs"]["member"]:
            res["inputs"]["member"] = (
                "serviceAccount:ci-one@acme-cp-bootstrap.iam.gserviceaccount.com"
            )
    with pytest.raises(PermissionDataError, match="none of them holds the conditional"):
        deployers(planted)


def test_a_previewer_given_the_conditional_grant_is_refused(bootstrap_snapshot):
    planted = copy.deepcopy(bootstrap_snapshot)
    [grant] = [
        r
        for r in planted["resources"]
        if r["type"] == PROJECT_IAM_MEMBER
        and r["inputs"]["project"] == "acme-cp-prod"
        and r["inputs"].get("condition")
    ]
    extra = copy.deepcopy(grant)
    extra["inputs"]["member"] = PREVIEWER.format(env="prod")
    planted["resources"].append(extra)
    with pytest.raises(PermissionDataError, match="one deployer per environment project"):
        previewers(planted)


@pytest.mark.parametrize(
    ("permission", "read"),
    [
        ("run.services.get", True),
        ("run.services.list", True),
        ("run.services.getIamPolicy", True),
        ("logging.queries.usePrivate", True),
        ("run.services.create", False),
        ("run.services.setIamPolicy", False),
        ("iam.serviceAccounts.actAs", False),
        # begins with "get" and mints credentials: verbs are matched whole
        ("iam.serviceAccounts.getAccessToken", False),
        ("run.services.sshRead", False),
        # a read by its verb, but of secret payloads
        ("secretmanager.versions.access", False),
    ],
)
def test_what_counts_as_a_read(permission, read):
    assert is_read(permission) is read


def test_every_default_previewer_role_only_reads():
    known = role_permissions()
    for role in DEFAULT_PREVIEWER_ROLES:
        assert [p for p in sorted(known[role]) if not is_read(p)] == [], role


def test_the_primitive_viewer_would_not_pass():
    # Why the previewer holds predefined viewer roles: roles/viewer misses reads and holds more.
    viewer = role_permissions()["roles/viewer"]
    assert "storage.buckets.get" not in viewer
    assert {"run.services.sshRead", "bigquery.jobs.create"} <= viewer


def test_cli_reports_each_previewer(capsys):
    assert main(["permissions", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert (
        "\nstack prod (acme-cp-prod, previewer serviceAccount:acme-prod-previewer@"
        "acme-cp-bootstrap.iam.gserviceaccount.com): can preview, read-only\n"
    ) in out
    assert main(["permissions", "--stack", "dev", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dev"]["previewer"] == PREVIEWER.format(env="dev")
    assert doc["dev"]["previewProblems"] == []
