"""preflight/checkov/mapping.json: generated from the bridge metadata, true to the installed SDK.

The drift check here walks the installed pulumi_gcp SDK independently of the generator: every
input property of every mapped type (recursively) must be in the mapping with a matching shape,
and every mapped property must exist in the SDK. An SDK upgrade that renames, adds or reshapes a
property fails here until the mapping is regenerated.
"""

from __future__ import annotations

import importlib
import json
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi._types as pulumi_types
import pytest

from preflight.cli import ROOT
from tests.support.scripts import load_script

MAPPING = json.loads((ROOT / "preflight" / "checkov" / "mapping.json").read_text())
METADATA = ROOT / "tools" / "vendor" / "pulumi-gcp" / "bridge-metadata.json"


gen = load_script("gen_tfmapping")


def _metadata_bytes() -> bytes:
    assert METADATA.is_file(), (
        f"bridge metadata missing at {METADATA}: the repository vendors it there"
    )
    return METADATA.read_bytes()


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Union:
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def _shape(tp: Any) -> tuple[str, type | None]:
    """The SDK's own view of a property: (kind as the mapping names it, nested input class)."""
    tp = _strip(tp)
    origin = typing.get_origin(tp)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return "map", None
    if isinstance(origin, type) and issubclass(origin, Sequence):
        elem = _strip(typing.get_args(tp)[0])
        if isinstance(elem, type) and pulumi_types.is_input_type(elem):
            return "blocks", elem
        return "values", None
    if isinstance(tp, type) and pulumi_types.is_input_type(tp):
        return "block", tp
    return "value", None


def sdk_drift(resources: Mapping[str, Any]) -> list[str]:
    """Every way the mapping disagrees with the installed SDK (empty when it does not)."""
    classes = gen.sdk_classes()
    problems: list[str] = []

    def walk(where: str, props: Mapping[str, Any], mapped: Mapping[str, Any]) -> None:
        for name in sorted(set(props) - set(mapped)):
            problems.append(f"{where}.{name}: in the SDK, not in the mapping")
        for name, entry in sorted(mapped.items()):
            if entry.get("output"):
                continue
            if name not in props:
                problems.append(f"{where}.{name}: in the mapping, not in the SDK")
                continue
            kind, nested = _shape(props[name])
            if kind != entry["kind"]:
                problems.append(f"{where}.{name}: SDK shape {kind}, mapping says {entry['kind']}")
            elif nested is not None:
                walk(f"{where}.{name}", pulumi_types.input_type_types(nested), entry["fields"])

    for token, spec in sorted(resources.items()):
        if token not in classes:
            problems.append(f"{token}: not in the installed SDK")
            continue
        module_name, class_name = classes[token]
        module = importlib.import_module(module_name)
        args = pulumi_types.input_type_types(getattr(module, class_name + "Args"))
        walk(token, args, spec["properties"])
        outputs = pulumi_types.resource_py_to_pulumi_names(getattr(module, class_name)).values()
        for name, entry in spec["properties"].items():
            if entry.get("output") and name not in outputs:
                problems.append(f"{token}.{name}: output not in the SDK")
    return problems


def test_mapping_matches_the_installed_sdk() -> None:
    assert sdk_drift(MAPPING["resources"]) == []


def test_drift_is_reported_property_by_property() -> None:
    resources = json.loads(json.dumps(MAPPING["resources"]))
    bucket = resources["gcp:storage/bucket:Bucket"]["properties"]
    bucket["lifecycleRule"] = bucket.pop("lifecycleRules")
    del bucket["versioning"]
    bucket["labels"]["kind"] = "values"
    service = resources["gcp:cloudrunv2/service:Service"]["properties"]
    del service["template"]["fields"]["containers"]["fields"]["envs"]
    assert sdk_drift(resources) == [
        "gcp:cloudrunv2/service:Service.template.containers.envs: in the SDK, not in the mapping",
        "gcp:storage/bucket:Bucket.lifecycleRules: in the SDK, not in the mapping",
        "gcp:storage/bucket:Bucket.versioning: in the SDK, not in the mapping",
        "gcp:storage/bucket:Bucket.labels: SDK shape map, mapping says values",
        "gcp:storage/bucket:Bucket.lifecycleRule: in the mapping, not in the SDK",
    ]


def test_committed_mapping_is_what_the_generator_writes() -> None:
    text, _notes = gen.render(_metadata_bytes())
    assert (ROOT / "preflight" / "checkov" / "mapping.json").read_text() == text, (
        "preflight/checkov/mapping.json is stale: run `python scripts/gen_tfmapping.py`"
    )


def test_known_bridge_renames() -> None:
    res = MAPPING["resources"]
    bucket = res["gcp:storage/bucket:Bucket"]
    assert bucket["terraform_type"] == "google_storage_bucket"
    props = bucket["properties"]
    assert props["lifecycleRules"]["tf"] == "lifecycle_rule"
    assert props["lifecycleRules"]["kind"] == "blocks"
    condition = props["lifecycleRules"]["fields"]["condition"]
    assert (condition["kind"], condition["fields"]["matchesPrefixes"]["tf"]) == (
        "block",
        "matches_prefix",
    )
    assert props["versioning"] == {
        "tf": "versioning",
        "kind": "block",
        "fields": {"enabled": {"tf": "enabled", "kind": "value"}},
    }
    assert props["labels"] == {"tf": "labels", "kind": "map"}
    assert props["pulumiLabels"] == {"tf": "terraform_labels", "kind": "map", "output": True}
    assert props["effectiveLabels"] == {"tf": "effective_labels", "kind": "map", "output": True}
    service = res["gcp:cloudrunv2/service:Service"]["properties"]
    assert service["traffics"]["tf"] == "traffic"
    container = service["template"]["fields"]["containers"]["fields"]
    assert (container["envs"]["tf"], container["commands"]["tf"], container["args"]["tf"]) == (
        "env",
        "command",
        "args",
    )
    job = res["gcp:cloudrunv2/job:Job"]["properties"]["template"]["fields"]["template"]
    assert job["fields"]["containers"]["fields"]["envs"]["tf"] == "env"
    audit = res["gcp:projects/iAMAuditConfig:IAMAuditConfig"]["properties"]["auditLogConfigs"]
    assert (audit["tf"], audit["kind"]) == ("audit_log_config", "blocks")
    provider = res["gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"]
    assert provider["properties"]["oidc"]["fields"]["allowedAudiences"]["tf"] == "allowed_audiences"


def test_terraform_names_of_list_fields_come_from_the_metadata() -> None:
    """Every list/set field the mapping names exists in the metadata at the same path."""
    meta = json.loads(_metadata_bytes())["auto-aliasing"]["resources"]
    missing: list[str] = []

    def walk(where: str, mapped: Mapping[str, Any], fields: Mapping[str, Any]) -> None:
        for entry in mapped.values():
            if entry["kind"] in ("values", "blocks") and entry["tf"] not in fields:
                missing.append(f"{where}.{entry['tf']}")
            if "fields" in entry:
                sub = fields.get(entry["tf"], {}).get("elem", {}).get("fields", {})
                walk(f"{where}.{entry['tf']}", entry["fields"], sub)

    for token, spec in MAPPING["resources"].items():
        tf_type = spec["terraform_type"]
        assert meta[tf_type]["current"] == token
        walk(tf_type, spec["properties"], meta[tf_type].get("fields", {}))
    assert missing == []


def test_every_declared_gcp_type_is_mapped(snapshots) -> None:
    declared = {
        r["type"]
        for snap in snapshots.values()
        for r in snap["resources"]
        if r["custom"] and r["type"].startswith("gcp:")
    }
    assert sorted(declared - set(MAPPING["resources"])) == []


def test_generator_refuses_a_list_property_it_cannot_name(tmp_path: Path) -> None:
    meta = json.loads(_metadata_bytes())
    del meta["auto-aliasing"]["resources"]["google_storage_bucket"]["fields"]["lifecycle_rule"]
    with pytest.raises(gen.MappingError) as err:
        gen.generate(meta)
    assert str(err.value) == (
        "gcp:storage/bucket:Bucket.lifecycleRules: list property with no list field in the "
        "bridge metadata; add the Terraform name to the metadata or extend this script"
    )


def test_generator_applies_max_items_one_overrides() -> None:
    meta = json.loads(_metadata_bytes())
    fields = meta["auto-aliasing"]["resources"]["google_storage_bucket"]["fields"]
    assert fields["versioning"]["maxItemsOne"] is True
    meta["auto-settings"]["resources"]["google_storage_bucket"] = {
        "maxItemsOneOverrides": {"versioning": False}
    }
    with pytest.raises(gen.MappingError) as err:
        gen.generate(meta)
    assert str(err.value) == (
        "gcp:storage/bucket:Bucket.versioning: object in the SDK but a list in Terraform"
    )


def test_vendored_metadata_is_the_trimmed_upstream_for_the_mapped_types() -> None:
    meta = json.loads(_metadata_bytes())
    assert gen.trim(meta) == meta
    tokens = {spec["current"] for spec in meta["auto-aliasing"]["resources"].values()}
    assert tokens == set(gen.TYPES)
    readme = (METADATA.parent / "README.md").read_text()
    for fact in ("pulumi/pulumi-gcp", "bridge-metadata.json", "ed6078aacc", "Apache License 2.0"):
        assert fact in readme
    licence = (METADATA.parent / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence


def test_generator_cli_check_and_missing_metadata(tmp_path: Path, capsys) -> None:
    assert gen.main(["--check", "--metadata", str(METADATA)]) == 0
    missing = tmp_path / "nope.json"
    assert gen.main(["--metadata", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"gen_tfmapping: bridge metadata not found at {missing}: "
        "the repository vendors it at tools/vendor/pulumi-gcp/bridge-metadata.json; "
        "pass --metadata FILE\n"
    )
