"""`preflight tfplan`: the snapshot as a Terraform plan JSON for checkov, with its traps guarded.

The snapshot builders (`secure_snapshot`, `insecure_snapshot`) are in tests/support/tfplan_plans.py,
shared with test_scan.py, which runs the real checkov over their exports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from preflight.checkov import tfplan
from preflight.checkov.tfplan import export_plan
from preflight.cli import ROOT
from preflight.snapshot import UNKNOWN
from tests.support.preflight import tiny_project
from tests.support.tfplan_plans import (
    BUCKET,
    KEY_RING,
    SA,
    insecure_snapshot,
    platform,
    resource,
    secure_snapshot,
    snapshot,
    urn,
)


def planned(export: tfplan.Export, address: str) -> dict[str, Any]:
    for res in export.plan["planned_values"]["root_module"]["resources"]:
        if res["address"] == address:
            return res
    raise AssertionError(f"{address} not in the plan")


def change(export: tfplan.Export, address: str) -> dict[str, Any]:
    return next(c for c in export.plan["resource_changes"] if c["address"] == address)["change"]


def config_of(export: tfplan.Export, address: str) -> dict[str, Any]:
    resources = export.plan["configuration"]["root_module"]["resources"]
    return next(r for r in resources if r["address"] == address)


# --- format: what checkov needs to see anything at all --------------------------------------


def test_plan_has_the_fields_without_which_checkov_sees_nothing() -> None:
    export = export_plan(secure_snapshot())
    plan = export.plan
    assert plan["terraform_version"] and plan["format_version"]
    resources = plan["planned_values"]["root_module"]["resources"]
    assert len(resources) == export.resource_count == 12
    for res in resources:
        assert res["mode"] == "managed", res
        assert res["address"] == f"{res['type']}.{res['name']}", res
    assert [c["address"] for c in plan["resource_changes"]] == [r["address"] for r in resources]
    assert all(c["change"]["actions"] == ["create"] for c in plan["resource_changes"])


def test_each_address_maps_back_to_its_urn() -> None:
    snap = secure_snapshot()
    export = export_plan(snap)
    custom = [r for r in snap["resources"] if r["custom"]]
    assert export.plan["pulumi"]["resources"] == export.addresses
    assert sorted(export.addresses.values()) == sorted(r["urn"] for r in custom)
    assert export.addresses["google_storage_bucket.archive"] == urn("secure", BUCKET, "archive")


def test_names_are_terraform_identifiers_and_unique_per_type() -> None:
    snap = snapshot(
        "dev",
        [
            resource("dev", KEY_RING, "9keys", {"location": "eu", "name": "a"}),
            resource("dev", KEY_RING, "keys:eu/west", {"location": "eu", "name": "b"}),
            resource("dev", KEY_RING, "keys_eu_west", {"location": "eu", "name": "c"}),
        ],
    )
    assert list(export_plan(snap).addresses) == [
        "google_kms_key_ring.r_9keys",
        "google_kms_key_ring.keys_eu_west",
        "google_kms_key_ring.keys_eu_west_2",
    ]


# --- names: the bridge's renames, recursively ----------------------------------------------


def test_bucket_blocks_are_renamed_and_one_element_blocks_become_lists() -> None:
    values = planned(export_plan(secure_snapshot()), "google_storage_bucket.archive")["values"]
    assert values["lifecycle_rule"] == [
        {
            "action": [{"type": "SetStorageClass", "storage_class": "ARCHIVE"}],
            "condition": [{"age": 30}],
        },
        {"action": [{"type": "Delete"}], "condition": [{"age": 180}]},
    ]
    assert values["versioning"] == [{"enabled": True}]
    assert values["retention_policy"] == [{"is_locked": True, "retention_period": 15552000}]
    assert values["uniform_bucket_level_access"] is True
    assert "lifecycleRules" not in values and "lifecycle_rules" not in values


def test_map_keys_are_user_data_and_never_renamed() -> None:
    labels = {"dataClass": "x", "cost-center": "y", "Team_Name": "z"}
    snap = snapshot("dev", [resource("dev", BUCKET, "b", {"location": "EU", "labels": labels})])
    values = planned(export_plan(snap), "google_storage_bucket.b")["values"]
    assert values["labels"] == labels


def test_cloud_run_plural_blocks_map_to_their_terraform_singular() -> None:
    service = {
        "location": "europe-west1",
        "name": "agent",
        "template": {
            "containers": [
                {
                    "image": "europe-docker.pkg.dev/acme/agent@sha256:abc",
                    "commands": ["uvicorn"],
                    "envs": [
                        {"name": "LOG_FORMAT", "value": "json"},
                        {
                            "name": "GEMINI_API_KEY",
                            "valueSource": {
                                "secretKeyRef": {"secret": "gemini", "version": "latest"}
                            },
                        },
                    ],
                    "startupProbe": {"httpGet": {"path": "/healthz"}},
                }
            ],
            "timeout": "3600s",
        },
        "traffics": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
    }
    snap = snapshot("dev", [resource("dev", "gcp:cloudrunv2/service:Service", "agent", service)])
    values = planned(export_plan(snap), "google_cloud_run_v2_service.agent")["values"]
    assert values["traffic"] == [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}]
    container = values["template"][0]["containers"][0]
    assert container["command"] == ["uvicorn"]
    assert container["env"][1] == {
        "name": "GEMINI_API_KEY",
        "value_source": [{"secret_key_ref": [{"secret": "gemini", "version": "latest"}]}],
    }
    assert container["startup_probe"] == [{"http_get": [{"path": "/healthz"}]}]


# --- traps: values that would make checks pass falsely -------------------------------------


def test_unknown_sentinel_is_dropped_everywhere_and_marked_unknown() -> None:
    inputs = {
        "location": UNKNOWN,
        "labels": {"environment": "dev", "owner": UNKNOWN},
        "logging": {"logBucket": UNKNOWN},
        "cors": [{"origins": ["https://a.example", UNKNOWN], "methods": ["GET"]}],
        "name": "b",
    }
    export = export_plan(snapshot("dev", [resource("dev", BUCKET, "b", inputs)]))
    assert UNKNOWN not in tfplan.render(export.plan)
    values = planned(export, "google_storage_bucket.b")["values"]
    assert values == {
        "labels": {"environment": "dev"},
        "cors": [{"origin": ["https://a.example"], "method": ["GET"]}],
        "name": "b",
    }
    assert change(export, "google_storage_bucket.b")["after_unknown"] == {
        "location": True,
        "labels": {"owner": True},
        "logging": [{"log_bucket": True}],
        "cors": [{"origin": [False, True]}],
    }


def test_secret_markers_are_dropped_and_marked_sensitive() -> None:
    canary = "canary-value-7f3e"  # what the program held; the snapshot only has the marker
    snap = snapshot(
        "dev",
        [
            resource(
                "dev",
                "gcp:secretmanager/secretVersion:SecretVersion",
                "gemini-v1",
                {"secret": "projects/1/secrets/gemini", "secretData": "[secret]"},
            ),
            resource(
                "dev",
                "gcp:secretmanager/secretVersion:SecretVersion",
                "gemini-v2",
                {"secret": "projects/1/secrets/gemini", "secretData": "[secret:0a1b2c3d4e5f]"},
            ),
        ],
    )
    export = export_plan(snap)
    text = tfplan.render(export.plan)
    assert "[secret" not in text and "0a1b2c3d4e5f" not in text and canary not in text
    address = "google_secret_manager_secret_version.gemini-v1"
    assert planned(export, address)["values"] == {"secret": "projects/1/secrets/gemini"}
    assert planned(export, address)["sensitive_values"] == {"secret_data": True}
    assert change(export, address)["after_sensitive"] == {"secret_data": True}


def test_empty_maps_and_empty_blocks_are_omitted() -> None:
    inputs = {
        "location": "EU",
        "labels": {},
        "versioning": {},
        "logging": {"logBucket": UNKNOWN},
        "lifecycleRules": [],
    }
    export = export_plan(snapshot("dev", [resource("dev", BUCKET, "b", inputs)]))
    assert planned(export, "google_storage_bucket.b")["values"] == {"location": "EU"}


# --- dependencies: configuration references for checkov's graph checks ----------------------


def test_dependencies_become_configuration_references() -> None:
    export = export_plan(insecure_snapshot())
    member = "google_kms_crypto_key_iam_member.data-key-user"
    assert config_of(export, member)["expressions"] == {
        "crypto_key_id": {
            "references": [
                "google_kms_crypto_key.data-key.id",
                "google_kms_crypto_key.data-key",
            ]
        }
    }
    # Computed from a resource created in the same plan: unknown, as Terraform plans it, so
    # that checkov puts the reference in its place and connects the two resources.
    assert "crypto_key_id" not in planned(export, member)["values"]
    assert change(export, member)["after_unknown"] == {"crypto_key_id": True}
    assert planned(export, member)["values"]["member"] == "allUsers"


def test_principals_computed_from_another_resource_keep_their_value() -> None:
    export = export_plan(insecure_snapshot())
    address = "google_project_iam_member.agent-storage"
    assert planned(export, address)["values"]["member"] == SA
    assert config_of(export, address)["expressions"] == {
        "member": {
            "references": [
                "google_service_account.agent.id",
                "google_service_account.agent",
            ]
        }
    }


def test_no_references_without_property_dependencies() -> None:
    export = export_plan(platform("noref", secure=False, references=False))
    member = "google_kms_crypto_key_iam_member.data-key-user"
    assert config_of(export, member)["expressions"] == {}
    assert planned(export, member)["values"]["crypto_key_id"].endswith("/cryptoKeys/data-key")


# --- what cannot be exported is said, not dropped silently -----------------------------------


def test_unmapped_types_and_properties_are_listed() -> None:
    snap = snapshot(
        "dev",
        [
            resource("dev", "datadog:index/monitor:Monitor", "m1", {"name": "m1"}),
            resource("dev", "datadog:index/monitor:Monitor", "m2", {"name": "m2"}),
            resource("dev", "gcp:compute/network:Network", "net", {"name": "net"}),
            resource("dev", BUCKET, "b", {"location": "EU", "notAProperty": 1}),
            resource("dev", "pulumi:providers:gcp", "default", {"project": "p"}),
        ],
    )
    export = export_plan(snap)
    assert export.resource_count == 1
    assert export.notices() == [
        "tfplan: 3 resources have no Terraform mapping and are not scanned by checkov:",
        "  datadog:index/monitor:Monitor (2)",
        "  gcp:compute/network:Network (1)",
        "tfplan: properties missing from preflight/checkov/mapping.json (not exported; "
        "regenerate it with scripts/gen_tfmapping.py):",
        f"  {urn('dev', BUCKET, 'b')} notAProperty",
    ]
    assert tfplan.unmapped_gcp_types(export) == ["gcp:compute/network:Network"]


def test_not_a_snapshot_is_one_clear_error() -> None:
    with pytest.raises(tfplan.TfplanError) as err:
        export_plan({"stack": "dev"})
    assert str(err.value) == (
        "not a snapshot: expected a JSON object with a 'resources' list "
        "(the output of `python -m preflight synth --stack NAME`)"
    )


# --- the program itself ---------------------------------------------------------------------


def test_every_stack_exports_with_no_unmapped_gcp_type_or_property(snapshots) -> None:
    for stack, snap in snapshots.items():
        export = export_plan(snap)
        assert tfplan.unmapped_gcp_types(export) == [], stack
        assert export.unmapped_properties == [], stack
        gcp = [r for r in snap["resources"] if r["custom"] and r["type"].startswith("gcp:")]
        assert export.resource_count == len(gcp), stack


def test_registered_inputs_of_the_real_sdk_export_under_terraform_names(tmp_path: Path) -> None:
    """A tiny program under the same mocks as synth: the engine's property names, not ours."""
    tiny_project(
        tmp_path,
        "tfplan-probe",
        "import pulumi_gcp as gcp\n"
        "bucket = gcp.storage.Bucket('logs', location='EU', name='acme-logs',\n"
        "    labels={'data-class': 'synthetic'},\n"
        "    versioning=gcp.storage.BucketVersioningArgs(enabled=True),\n"
        "    lifecycle_rules=[gcp.storage.BucketLifecycleRuleArgs(\n"
        "        action=gcp.storage.BucketLifecycleRuleActionArgs(type='Delete'),\n"
        "        condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=180,\n"
        "            matches_prefixes=['raw/']))])\n"
        "gcp.storage.BucketIAMMember('logs-reader', bucket=bucket.name,\n"
        "    role='roles/storage.objectViewer', member='group:eng@example.com')\n",
    )
    from preflight.synth import synthesize

    snap = synthesize(["dev"], tmp_path)["dev"]
    export = export_plan(snap)
    assert export.unmapped_properties == [] and export.unmapped_types == {}
    values = planned(export, "google_storage_bucket.logs")["values"]
    assert values["lifecycle_rule"] == [
        {"action": [{"type": "Delete"}], "condition": [{"age": 180, "matches_prefix": ["raw/"]}]}
    ]
    assert values["versioning"] == [{"enabled": True}]
    member = "google_storage_bucket_iam_member.logs-reader"
    assert config_of(export, member)["expressions"]["bucket"]["references"][1] == (
        "google_storage_bucket.logs"
    )


# --- CLI --------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys, argparse\nfrom preflight.checkov import tfplan\n" + (
        "p = argparse.ArgumentParser(); tfplan.add_arguments(p)\n"
        "sys.exit(tfplan.run(p.parse_args(sys.argv[1:])))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_cli_writes_the_plan_and_lists_unmapped_types_on_stderr(tmp_path: Path) -> None:
    snap = insecure_snapshot()
    snap["resources"].append(resource("insecure", "pagerduty:index/service:Service", "pd", {}))
    src = tmp_path / "snap.json"
    src.write_text(json.dumps(snap))
    out = tmp_path / "plans" / "insecure.tfplan.json"
    proc = _cli("--snapshot", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "tfplan: 1 resources have no Terraform mapping and are not scanned by checkov:",
        "  pagerduty:index/service:Service (1)",
        f"tfplan: wrote 13 resources to {out}",
    ]
    assert json.loads(out.read_text()) == export_plan(snap).plan


def test_cli_bad_snapshot_file_is_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = _cli("--snapshot", str(bad))
    assert proc.returncode == 2
    assert proc.stderr == (
        f"tfplan: {bad}: not valid JSON (line 1): Expecting property name enclosed in double "
        "quotes; write it with `python -m preflight synth --stack NAME`\n"
    )
    missing = _cli("--snapshot", str(tmp_path / "nope.json"))
    assert (missing.returncode, missing.stderr) == (
        2,
        f"tfplan: {tmp_path / 'nope.json'}: cannot read it (No such file or directory)\n",
    )


def test_cli_exports_a_synthesized_stack(snapshots, monkeypatch, tmp_path: Path, capsys) -> None:
    import argparse

    import preflight.synth

    asked = []

    def synthesize(stacks: list[str], *_a: Any, **_kw: Any) -> dict[str, Any]:
        asked.append(stacks)
        return {s: snapshots[s] for s in stacks}

    monkeypatch.setattr(preflight.synth, "synthesize", synthesize)
    parser = argparse.ArgumentParser()
    tfplan.add_arguments(parser)
    assert tfplan.run(parser.parse_args(["--stack", "prod"])) == 0
    assert asked == [["prod"]]
    assert json.loads(capsys.readouterr().out) == export_plan(snapshots["prod"]).plan
