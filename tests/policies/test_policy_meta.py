"""Meta-test over every policy: metadata, naming, layout, and what the engine sees of it."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
import sys
from pathlib import Path

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from policies._lib.config import EXEMPTION_SCHEMA
from policies._lib.meta import AREAS, PLAYBOOK_SECTIONS, VERBS, Meta
from policies._lib.policy import ControlPlaneStackPolicy
from policies._lib.registry import PACK_DIR, PACK_NAME, collect, policy_modules

POLICIES = collect()
FORBIDDEN_IMPORTS = (
    "pulumi_gcp",
    "pulumi_datadog",
    "pulumi_pagerduty",
    "stacks",
    "components",
    "preflight",
    "tests",
)
PLAYBOOK = PACK_DIR.parent / "docs" / "operations-playbook.md"


def test_the_pack_holds_every_policy_of_the_playbook_rules():
    assert len(POLICIES) == 42
    assert {p.meta.area for p in POLICIES} == set(AREAS)
    by_area: dict[str, int] = {}
    for policy in POLICIES:
        by_area[policy.meta.area] = by_area.get(policy.meta.area, 0) + 1
    assert by_area == {
        "iam": 8,
        "credentials": 5,
        "encryption": 4,
        "storage": 3,
        "datasafety": 1,
        "audit": 6,
        "labels": 2,
        "alerting": 9,
        "changes": 2,
        "inventory": 2,
    }


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.meta.id)
def test_metadata_follows_the_conventions(policy):
    meta = policy.meta
    assert meta.problems() == []
    assert re.match(rf"^[a-z0-9]+-[a-z0-9]+-({'|'.join(VERBS)})-[a-z0-9-]+$", meta.name)
    assert meta.description.startswith("Ensure ")
    assert meta.severity in ("low", "medium", "high", "critical")
    assert meta.section_number in PLAYBOOK_SECTIONS
    assert policy.name == meta.name and policy.description == meta.description


def test_ids_and_names_are_unique():
    ids = [p.meta.id for p in POLICIES]
    names = [p.meta.name for p in POLICIES]
    assert len(set(ids)) == len(ids)
    assert len(set(names)) == len(names)


def test_one_policy_per_module_in_its_area_package():
    for module_name in policy_modules():
        module = importlib.import_module(module_name)
        area = module_name.split(".")[1]
        defined = [v for v in vars(module).values() if v is getattr(module, "POLICY", None)]
        assert defined, f"{module_name} defines no POLICY"
        assert module.POLICY.meta.area == area, (
            f"{module_name}: {module.POLICY.meta.name} is not in area {area}"
        )
        assert module.META is module.POLICY.meta


def test_each_policy_lives_in_the_file_named_after_it_with_its_test_beside():
    # A violation names the policy; its file and its test are found from that name alone.
    tests_dir = Path(__file__).resolve().parent
    for module_name in policy_modules():
        module = importlib.import_module(module_name)
        policy = module.POLICY
        file = Path(module.__file__ or "")
        expected = policy.name.replace("-", "_")
        assert file.stem == expected, (
            f"{policy.name} is defined in {file.name}: rename it to {expected}.py"
        )
        assert file.parent == PACK_DIR / policy.meta.area, f"{policy.name}: {file}"
        test = tests_dir / policy.meta.area / f"test_{expected}.py"
        assert test.is_file(), f"{policy.name} has no test at {test.relative_to(tests_dir)}"


def test_every_policy_takes_the_shared_exemption_shape():
    for policy in POLICIES:
        for key, spec in EXEMPTION_SCHEMA.items():
            assert policy.schema[key] == spec, f"{policy.name}: {key}"


def test_schema_defaults_are_valid_for_their_schema():
    import jsonschema

    for policy in POLICIES:
        defaults = {k: v["default"] for k, v in policy.schema.items()}
        jsonschema.Draft7Validator({"type": "object", "properties": policy.schema}).validate(
            defaults
        )


def test_area_packages_do_not_shadow_the_standard_library():
    # The engine runs the pack with its directory first on sys.path.
    for entry in PACK_DIR.iterdir():
        assert entry.stem not in sys.stdlib_module_names, entry.name


def test_pack_imports_neither_provider_sdks_nor_the_program():
    for path in PACK_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_IMPORTS, f"{path}: imports {name}"


def test_engine_sees_the_metadata(pack_host):
    info = pack_host.info()
    assert info.name == PACK_NAME
    assert info.supportsConfig
    by_name = {p.name: p for p in info.policies}
    assert set(by_name) == {p.name for p in POLICIES}
    severities = {
        "low": analyzer_pb2.POLICY_SEVERITY_LOW,
        "medium": analyzer_pb2.POLICY_SEVERITY_MEDIUM,
        "high": analyzer_pb2.POLICY_SEVERITY_HIGH,
        "critical": analyzer_pb2.POLICY_SEVERITY_CRITICAL,
    }
    for policy in POLICIES:
        seen = by_name[policy.name]
        meta = policy.meta
        assert seen.description == meta.description
        assert seen.displayName == f"{meta.id} {meta.name}"
        assert seen.severity == severities[meta.severity]
        assert seen.enforcementLevel == analyzer_pb2.MANDATORY
        assert list(seen.tags) == [f"id:{meta.id}", f"area:{meta.area}"]
        assert seen.framework.reference == meta.section
        assert seen.remediation_steps == meta.remediation
        expected_type = (
            analyzer_pb2.POLICY_TYPE_STACK
            if isinstance(policy, ControlPlaneStackPolicy)
            else analyzer_pb2.POLICY_TYPE_RESOURCE
        )
        assert seen.policy_type == expected_type
        assert json_format.MessageToDict(seen.configSchema.properties) == json_format.MessageToDict(
            json_format.ParseDict(policy.schema, type(seen.configSchema.properties)())
        )


def test_playbook_sections_match_the_playbook():
    if not PLAYBOOK.is_file():
        pytest.skip(f"the playbook is not at {PLAYBOOK}")
    headings = dict(re.findall(r"^## (\d+)\. (.+)$", PLAYBOOK.read_text(), re.MULTILINE))
    assert {int(k): v.strip() for k, v in headings.items()} == PLAYBOOK_SECTIONS


GOOD = next(p.meta for p in POLICIES if p.meta.id == "CP-IAM-001")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"name": "iam-binding-forbid-primitive-roles"},
            "name must be <area>-<resource>-<verb>-<what>",
        ),
        ({"name": "IAM-binding-disallow-x"}, "name must be"),
        ({"name": "network-binding-disallow-x"}, "area 'network' is not one of"),
        ({"id": "CP-IAM-1"}, "must look like CP-IAM-001"),
        ({"id": "CP-ENC-001"}, "must use the prefix of area 'iam'"),
        ({"description": "No primitive roles."}, "description must start with 'Ensure '"),
        ({"description": "Ensure no primitive roles"}, "end with '.'"),
        ({"severity": "urgent"}, "severity 'urgent'"),
        ({"section": "§13 Appendix"}, "the playbook's sections 1-12"),
        ({"section": "Access Control"}, "must be '§<n> <topic>'"),
        ({"remediation": " "}, "remediation must say what to change"),
        ({"missing_rationale": ""}, "decide on_missing"),
    ],
)
def test_meta_problems_catch_each_defect(change, problem):
    bad = dataclasses.replace(GOOD, **change)
    found = bad.problems()
    assert any(problem in p for p in found), found


def test_a_policy_with_bad_metadata_cannot_be_built():
    from policies._lib.policy import resource_policy, types

    bad = dataclasses.replace(GOOD, name="iam-binding-forbid-roles")
    with pytest.raises(ValueError, match="name must be"):
        resource_policy(bad, applies_to=types("x"), check=lambda args, config: [])


def test_exemption_keys_are_reserved():
    from policies._lib.policy import resource_policy, types

    with pytest.raises(ValueError, match="'include' is reserved"):
        resource_policy(
            GOOD,
            applies_to=types("x"),
            check=lambda a, c: [],
            config={"include": {"type": "string"}},
        )


def test_meta_is_frozen():
    assert isinstance(GOOD, Meta)
    with pytest.raises(dataclasses.FrozenInstanceError):
        GOOD.name = "x"


def test_policy_modules_are_found_on_disk():
    on_disk = sorted(
        f"policies.{p.parent.name}.{p.stem}"
        for p in PACK_DIR.glob("*/*.py")
        if p.parent.name in AREAS and not p.stem.startswith("_")
    )
    assert sorted(policy_modules()) == on_disk


def test_a_module_without_policy_is_an_error(tmp_path, monkeypatch):
    import policies._lib.registry as registry

    monkeypatch.setattr(registry, "policy_modules", lambda: ["policies._lib.meta"])
    with pytest.raises(TypeError, match=r"policies\._lib\.meta must define POLICY"):
        registry.collect()


def test_registry_path_is_the_pack():
    assert Path(PACK_DIR / "PulumiPolicy.yaml").is_file()


def test_the_cli_runs_the_pack_in_the_projects_locked_virtualenv() -> None:
    import yaml

    manifest = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"virtualenv": "../.venv"}}
    assert (PACK_DIR / manifest["runtime"]["options"]["virtualenv"]).resolve() == (
        PACK_DIR.parent / ".venv"
    ).resolve()
