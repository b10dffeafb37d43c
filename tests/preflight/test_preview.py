"""`preflight preview`: the tree, policy results and outputs as `pulumi preview --policy-pack`
prints them, plain when piped; its JSON; --target; PULUMI_STACK."""

from __future__ import annotations

import argparse
import copy
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preflight import preview, synth
from preflight.__main__ import _stacks, build_parser, main
from preflight.analyzer.host import PolicyPackHost
from preflight.cli import ROOT, UsageError
from preflight.preview import render
from preflight.snapshot import SECRET_MARKER, UNKNOWN
from tests.support.preflight import pack_host, tiny_project

SCHEMA = json.loads((Path(__file__).parent / "data" / "preview.schema.json").read_text())
LITERAL = (
    ROOT / "tests" / "policies" / "corpus" / "credentials-cloudrun-disallow-literal-secrets.json"
)
"""A prod snapshot with one mandatory violation: a literal credential in a Cloud Run env var."""
AGENT = "urn:pulumi:prod::controlplane::gcp:cloudrunv2/service:Service::agent-service"
FRONTEND = "urn:pulumi:prod::controlplane::gcp:cloudrunv2/service:Service::frontend-service"
CANARY = "canary-corpus-literal-0b7e"


@pytest.fixture(scope="module")
def host() -> Iterator[PolicyPackHost]:
    yield from pack_host()


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["preview", *argv])


def preview_of(
    capsys, monkeypatch, host, snapshots: dict[str, dict[str, Any]], *argv: str
) -> tuple[int, str, str]:
    """``preview`` over ``snapshots`` in place of the program's synthesis."""
    calls: list[list[str]] = []

    def synthesize(stacks, project_dir, fingerprint_key=None, progress=None, mode="update"):
        calls.append(list(stacks))
        return {s: snapshots[s] for s in stacks}

    monkeypatch.setattr(synth, "synthesize", synthesize)
    args = parse(*argv)
    code = preview.run(args, _stacks(args), host=host)
    out, err = capsys.readouterr()
    assert len(calls) == 1, "one synthesis for the tree and the policies"
    return code, out, err


def planted() -> dict[str, Any]:
    return json.loads(LITERAL.read_text())


# -- the tree ----------------------------------------------------------------------------------


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
    # pulumi preview counts the Stack among the creates.
    assert f"+ {len(snap['resources'])} to create" in text


def test_the_bootstrap_total_is_the_one_the_docs_give(bootstrap_snapshot) -> None:
    documented = re.search(
        r"pulumi preview[^\n#]*# (\d+) resources to create",
        (ROOT / "docs" / "bootstrap.md").read_text(),
    )
    assert documented is not None
    total = int(documented.group(1))
    assert len(bootstrap_snapshot["resources"]) == total
    text = render(bootstrap_snapshot, colour=False)
    assert f"    + {total} to create (" in text
    assert text.rstrip().endswith("1 stack)")


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
    # One pass: the policies of every stack come with its tree.
    assert (
        proc.stdout.count("Policies:\n    ✅ controlplane-policies@v0.1.0 (local: policies)") == 3
    )
    assert proc.stdout.count("\nOutputs:\n") == 3


# -- policies ----------------------------------------------------------------------------------


def test_compliant_stack_passes_with_the_pack_line(capsys, monkeypatch, host, snapshots) -> None:
    code, out, err = preview_of(capsys, monkeypatch, host, snapshots, "--stack", "prod")
    assert code == 0, err
    lines = out.splitlines()
    at = lines.index("Policies:")
    assert lines[at + 1] == "    ✅ controlplane-policies@v0.1.0 (local: policies)"
    assert lines[at + 2] == ""
    assert "preflight: checking prod with policies/config/prod.json" in err


@pytest.mark.parametrize("mode", ["update", "preview"])
def test_the_pack_starts_once_in_the_mode_of_the_snapshots(
    capsys, monkeypatch, snapshots, preview_snapshots, mode
) -> None:
    # The pack boots while the program runs; started in the other mode it would be stopped
    # and started again for the first snapshot (PULUMI_DRY_RUN is read once, as it starts).
    starts: list[bool] = []
    real_start = PolicyPackHost.start

    def start(self: PolicyPackHost) -> PolicyPackHost:
        if not self.started:
            starts.append(self.dry_run)
        return real_start(self)

    monkeypatch.setattr(PolicyPackHost, "start", start)
    chosen = preview_snapshots if mode == "preview" else snapshots
    monkeypatch.setattr(
        synth, "synthesize", lambda stacks, *_, **__: {s: chosen[s] for s in stacks}
    )
    args = parse("--stack", "dev", "--mode", mode)
    code = preview.run(args, _stacks(args))
    capsys.readouterr()
    assert (code, starts) == (0, [mode == "preview"])


def test_mandatory_violation_fails_the_preview_and_is_printed(capsys, monkeypatch, host) -> None:
    code, out, err = preview_of(capsys, monkeypatch, host, {"prod": planted()}, "-s", "prod")
    assert code == 1
    lines = out.splitlines()
    at = lines.index("Policies:")
    assert lines[at + 1 : at + 6] == [
        "    ❌ controlplane-policies@v0.1.0 (local: policies)",
        "        - [mandatory]  credentials-cloudrun-disallow-literal-secrets  "
        "(gcp:cloudrunv2/service:Service: agent-service)",
        "          Ensure Cloud Run environment variables whose names look like credentials take "
        "their value from Secret Manager (valueSource.secretKeyRef), never from a literal value.",
        "          template.containers[0].envs[1] GEMINI_API_KEY has a literal value: reference a "
        "Secret Manager secret with valueSource.secretKeyRef instead",
        "",
    ]
    assert "preflight: error: preview failed: prod: 1 mandatory policy violation(s)" in err
    assert CANARY in LITERAL.read_text()
    assert CANARY not in out + err


def test_advisory_only_warns_and_passes(capsys, monkeypatch, host) -> None:
    dev = ROOT / "policies" / "config" / "dev.json"
    code, out, _ = preview_of(
        capsys,
        monkeypatch,
        host,
        {"prod": planted()},
        "--stack",
        "prod",
        "--policy-pack-config",
        str(dev),
    )
    assert code == 0
    assert "    ⚠️ controlplane-policies@v0.1.0 (local: policies)" in out
    assert "        - [advisory]  credentials-cloudrun-disallow-literal-secrets  (" in out
    assert "[mandatory]" not in out


def test_missing_policy_pack_config_is_a_usage_error(capsys) -> None:
    code = main(["preview", "--stack", "prod", "--policy-pack-config", "/nonexistent.json"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err == "preflight: error: --policy-pack-config /nonexistent.json: no such file\n"


# -- --target ----------------------------------------------------------------------------------


def test_target_shows_the_resource_its_parents_and_dependencies(snapshots) -> None:
    snap = snapshots["prod"]
    by_urn = {r["urn"]: r for r in snap["resources"]}
    target = next(r for r in snap["resources"] if r["dependencies"] and r["parent"] and r["custom"])
    shown = {r["urn"] for r in preview.select(snap, [target["urn"]])}
    assert target["urn"] in shown
    assert set(target["dependencies"]) <= shown
    parent = target["parent"]
    while parent:
        assert parent in shown
        parent = by_urn[parent]["parent"]
    assert len(shown) < len(snap["resources"])
    text = render(snap, colour=False, targets=[target["urn"]])
    rows = [line for line in text.splitlines() if line.startswith(" +   ")]
    assert len(rows) == len(shown)
    assert f"+ {len(shown)} to create (" in text
    untouched = next(r for r in snap["resources"] if r["urn"] not in shown)
    assert f" {untouched['name']} " not in text


def test_target_globs_follow_the_engine(snapshots) -> None:
    snap = snapshots["prod"]
    members = [
        r["urn"] for r in snap["resources"] if r["type"] == "gcp:projects/iAMMember:IAMMember"
    ]
    shown = {r["urn"] for r in preview.select(snap, ["**gcp:projects/iAMMember:IAMMember::*"])}
    assert set(members) <= shown
    # `*` stops at a colon: it cannot stand for the type.
    with pytest.raises(UsageError, match="no resource of stack prod has that URN"):
        preview.select(snap, ["urn:pulumi:prod::controlplane::*::nothing-named-so"])


def test_target_limits_which_violations_count(capsys, monkeypatch, host) -> None:
    code, out, _ = preview_of(
        capsys, monkeypatch, host, {"prod": planted()}, "--stack", "prod", "--target", FRONTEND
    )
    assert code == 0
    assert "agent-service" not in out
    assert "    ✅ controlplane-policies@v0.1.0 (local: policies)" in out
    code, out, _ = preview_of(
        capsys, monkeypatch, host, {"prod": planted()}, "--stack", "prod", "--target", AGENT
    )
    assert code == 1
    assert "        - [mandatory]  credentials-cloudrun-disallow-literal-secrets  (" in out


def test_unknown_target_is_a_usage_error(capsys, monkeypatch, host, snapshots) -> None:
    monkeypatch.setattr(synth, "synthesize", lambda stacks, *a, **k: {"prod": snapshots["prod"]})
    code = main(["preview", "--stack", "prod", "--target", "urn:pulumi:prod::nope::x::y"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.splitlines()[-1].startswith(
        "preflight: error: --target urn:pulumi:prod::nope::x::y: no resource of stack prod"
    )


# -- -s / PULUMI_STACK -------------------------------------------------------------------------


def test_pulumi_stack_picks_the_stack(capsys, monkeypatch, host, snapshots) -> None:
    monkeypatch.setenv("PULUMI_STACK", "staging")
    assert _stacks(parse()) == ["staging"]
    assert _stacks(parse("-s", "dev")) == ["dev"]
    assert _stacks(parse("--all")) == ["dev", "staging", "prod"]
    code, out, _ = preview_of(capsys, monkeypatch, host, snapshots)
    assert code == 0
    assert out.startswith("Previewing controlplane/staging (offline, no credentials)\n")


def test_no_stack_at_all_is_a_usage_error(capsys, monkeypatch) -> None:
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    code = main(["preview"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err == (
        "preflight: error: name a stack with --stack NAME (or set PULUMI_STACK), or pass --all\n"
    )


# -- outputs -----------------------------------------------------------------------------------


def test_outputs_are_the_exports_with_secrets_and_unknowns_marked(snapshots) -> None:
    snap = copy.deepcopy(snapshots["prod"])
    outputs = snap["resources"][0]["outputs"]
    assert outputs["environment"] == "prod"
    outputs["token"] = SECRET_MARKER
    outputs["url"] = UNKNOWN
    text = render(snap, colour=False)
    block = text.split("\nOutputs:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    width = max(len(k) for k in outputs)
    assert f'    {"environment":<{width}}: "prod"' in block
    assert f"    {'token':<{width}}: [secret]" in block
    assert f"    {'url':<{width}}: output<string>" in block
    top = [line for line in block if re.match(r"^    [A-Za-z]", line)]
    assert [line.split(":")[0].strip() for line in top] == sorted(outputs)


def test_synth_records_exports_on_the_stack_and_never_a_secret(tmp_path) -> None:
    tiny_project(
        tmp_path,
        "demo",
        "import pulumi\n"
        "pulumi.export('plain', 'visible')\n"
        "secret = pulumi.Output.secret('s3cr3t-canary')\n"
        "pulumi.export('nested', {'list': [1, True], 'key': secret})\n"
        "pulumi.export('token', pulumi.Output.secret('s3cr3t-canary'))\n",
    )
    snapshot = synth.synthesize(["dev"], project_dir=tmp_path)["dev"]
    stack = snapshot["resources"][0]
    assert stack["type"] == "pulumi:pulumi:Stack"
    assert stack["outputs"] == {
        "nested": {"key": SECRET_MARKER, "list": [1, True]},
        "plain": "visible",
        "token": SECRET_MARKER,
    }
    assert "s3cr3t-canary" not in synth.dumps(snapshot)
    assert "s3cr3t-canary" not in render(snapshot, colour=False)


# -- --json ------------------------------------------------------------------------------------


def test_json_follows_the_engine_preview_digest(capsys, monkeypatch, host, snapshots) -> None:
    code, out, _ = preview_of(capsys, monkeypatch, host, snapshots, "--stack", "prod", "--json")
    assert code == 0
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    snap = snapshots["prod"]
    assert document["changeSummary"] == {"create": len(snap["resources"])}
    assert [s["urn"] for s in document["steps"]] == [r["urn"] for r in snap["resources"]]
    stack_step = document["steps"][0]
    assert stack_step["newState"]["type"] == "pulumi:pulumi:Stack"
    assert stack_step["newState"]["outputs"]["environment"] == "prod"
    assert document["policyPacks"] == {"controlplane-policies": "0.1.0"}
    assert document["policyViolations"] == []
    secret_keys = synth.stack_config(synth.Project.load(ROOT), "prod")[1]
    assert secret_keys and all(document["config"][k] == SECRET_MARKER for k in secret_keys)
    assert "offline-placeholder" not in out


def test_json_carries_the_violation_and_fails(capsys, monkeypatch, host) -> None:
    code, out, _ = preview_of(
        capsys, monkeypatch, host, {"prod": planted()}, "--stack", "prod", "--json"
    )
    assert code == 1
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    [violation] = document["policyViolations"]
    assert violation["resourceUrn"] == AGENT
    assert violation["enforcementLevel"] == "mandatory"
    assert violation["policyName"] == "credentials-cloudrun-disallow-literal-secrets"


def test_json_of_several_stacks_is_keyed_by_stack(capsys, monkeypatch, host, snapshots) -> None:
    code, out, _ = preview_of(capsys, monkeypatch, host, snapshots, "--all", "--json")
    assert code == 0
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert list(document) == ["dev", "staging", "prod"]


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d["steps"][0].pop("urn"),
        lambda d: d["steps"][0].update(op="created"),
        lambda d: d.update(policyViolations=[{"message": "m"}]),
        lambda d: d["steps"][0]["newState"].update(inputs=[]),
        lambda d: d.update(changeSummary={"create": -1}),
    ],
)
def test_the_schema_rejects_a_document_off_the_shape(snapshots, break_it) -> None:
    document = preview.digest(snapshots["dev"])
    jsonschema.validate(document, SCHEMA)
    break_it(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_a_run_imports_only_its_own_subcommand() -> None:
    probe = (
        "import sys\n"
        "from preflight.__main__ import build_parser\n"
        "args = build_parser('check').parse_args(['check', '--all'])\n"
        "assert args.func.__module__ == 'preflight.check', args.func\n"
        "print(sorted(m for m in ('preflight.checkov.scan', 'preflight.graph', 'preflight.diff',"
        " 'preflight.evidence', 'preflight.check') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "['preflight.check']"
