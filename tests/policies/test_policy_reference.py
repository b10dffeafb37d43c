"""docs/policies.md: the generated reference is current, and its examples are real."""

from __future__ import annotations

import argparse
import json
import re
import shlex

import pytest

import policies._lib.reference as reference
from policies._lib.registry import collect
from preflight import check
from preflight.analyzer.config import parse_policy_pack_config, reconcile

DOC_TEXT = reference.DOC.read_text()


def test_reference_is_not_stale(capsys):
    assert reference.main(["--check"]) == 0, capsys.readouterr().err


def test_stale_reference_is_reported_and_left_alone(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "policies.md"
    old = f"# Policies\n\n{reference.BEGIN}\n| old |\n{reference.END}\n"
    stale.write_text(old)
    monkeypatch.setattr(reference, "DOC", stale)
    assert reference.main(["--check"]) == 1
    assert "is stale: run python -m policies._lib.reference --write" in capsys.readouterr().err
    assert stale.read_text() == old
    assert reference.main(["--write"]) == 0
    assert "| CP-IAM-001 | `iam-binding-disallow-primitive-roles` |" in stale.read_text()


def test_doc_without_markers_is_an_error(tmp_path, monkeypatch):
    bare = tmp_path / "policies.md"
    bare.write_text("# Policies\n")
    monkeypatch.setattr(reference, "DOC", bare)
    with pytest.raises(ValueError, match="has no generated block"):
        reference.main(["--check"])


def test_usage_error(capsys):
    assert reference.main([]) == 2
    assert capsys.readouterr().err.startswith("usage:")


def test_every_policy_is_in_the_reference():
    for policy in collect():
        assert f"| {policy.meta.id} | `{policy.name}` |" in DOC_TEXT


def test_reference_levels_agree_with_the_reconciled_config(pack_host):
    names = [p.name for p in collect()]
    for env in reference.ENVIRONMENTS:
        document = json.loads((reference.PACK_DIR / "config" / f"{env}.json").read_text())
        reconciled = reconcile(pack_host.info(), parse_policy_pack_config(json.dumps(document)))
        assert reference.levels(env, names) == {n: reconciled[n].enforcement_level for n in names}


def test_documented_check_commands_parse():
    parser = argparse.ArgumentParser()
    check.add_arguments(parser)
    commands = re.findall(
        r"^\$ python -m preflight check (.+?)(?:\s+#.*)?$", DOC_TEXT, re.MULTILINE
    )
    assert len(commands) >= 5
    for command in commands:
        parser.parse_args(shlex.split(command.replace("FILE", "x.json")))


JSON_EXAMPLES = re.findall(r"```json\n(.+?)```", DOC_TEXT, re.DOTALL)


def test_documented_exemption_example_is_a_valid_config(pack_host):
    [example] = [e for e in JSON_EXAMPLES if "legacy-export" in e]
    config = reconcile(pack_host.info(), parse_policy_pack_config(example))
    assert config["iam-binding-disallow-primitive-roles"].properties["exclude"] == [
        "legacy-export-*"
    ]


def test_documented_example_output_is_the_real_output(pack_host, capsys):
    [(command, expected)] = re.findall(
        r"```console\n\$ python -m preflight check (--snapshot \S+)\n(.+?)```", DOC_TEXT, re.DOTALL
    )
    parser = argparse.ArgumentParser()
    check.add_arguments(parser)
    args = parser.parse_args(shlex.split(command))
    args.snapshot = [reference.PACK_DIR.parent / path for path in args.snapshot]
    assert check.run(args, host=pack_host) == 1
    assert capsys.readouterr().out == expected


def test_documented_freeze_override_lets_a_deploy_through(analyze, make):
    [example] = [e for e in JSON_EXAMPLES if '"override"' in e]
    override = json.loads(example)
    name = "changes-stack-disallow-freeze-changes"
    deploy = json.loads((reference.PACK_DIR / "config" / "prod-deploy.json").read_text())
    bucket = make("gcp:storage/bucket:Bucket", "logs-archive", {"name": "x"})
    frozen = {name: {"now": "2026-12-20T10:00:00Z"}}
    assert analyze([bucket], config=deploy, overrides=frozen).of(name) != []
    deploy.update(override)
    assert analyze([bucket], config=deploy, overrides=frozen).of(name) == []
