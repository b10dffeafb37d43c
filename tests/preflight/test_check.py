"""``python -m preflight check``: the command over snapshots, stacks and the policy corpus.

Most tests share one pack process (``host``); the end-to-end tests launch their own, the way
the command does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import preflight.analyzer.host as analyzer_host
from policies._lib.inventory import declared_types
from preflight import check
from preflight.analyzer.host import PolicyPackHost
from preflight.snapshot import UNKNOWN
from tests.support.preflight import pack_host

ROOT = Path(__file__).resolve().parents[2]
POLICY_TESTS = ROOT / "tests" / "policies"
BASELINE = POLICY_TESTS / "baseline"
CORPUS = sorted((POLICY_TESTS / "corpus").glob("*.json"))
CORPUS_CONFIGS = POLICY_TESTS / "corpus" / "config"
"""Corpus entries with their own policy config (the freeze); the rest are checked with prod's."""
LITERAL = POLICY_TESTS / "corpus" / "credentials-cloudrun-disallow-literal-secrets.json"
CANARY = "canary-corpus-literal-0b7e"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    check.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture(scope="module")
def host() -> Iterator[PolicyPackHost]:
    yield from pack_host()


def run(capsys, *argv: str, host: PolicyPackHost | None = None) -> tuple[int, str, str]:
    code = check.run(parse(*argv), host=host)
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("preflight: error:")]
    assert len(lines) == 1, err
    return lines[0]


# -- the command -------------------------------------------------------------------------------

SECURITY_EXEMPT = (
    "  pack info: alerting-escalation-enforce-playbook-order: acme-prod-security-escalation is "
    "exempt: excluded by pattern '*-security-escalation' (urn:pulumi:prod::controlplane::"
    "pagerduty:index/escalationPolicy:EscalationPolicy::acme-prod-security-escalation)"
)
"""The baselines carry the security route, which prod.json exempts from the operations order."""


def test_compliant_snapshot_passes(capsys, host):
    code, out, _ = run(capsys, "--snapshot", str(BASELINE / "prod.json"), host=host)
    assert code == 0
    assert out == (
        "prod: 48 resources checked by controlplane-policies@0.1.0 with policies/config/prod.json\n"
        f"{SECURITY_EXEMPT}\n"
        "prod: ok: 0 mandatory, 0 advisory violation(s)\n"
    )


def test_violation_is_printed_with_policy_level_resource_and_message(capsys, host):
    code, out, err = run(capsys, "--snapshot", str(LITERAL), host=host)
    assert code == 1
    assert out.splitlines() == [
        "prod: 48 resources checked by controlplane-policies@0.1.0 with policies/config/prod.json",
        "  mandatory (critical): credentials-cloudrun-disallow-literal-secrets",
        "    resource: "
        "urn:pulumi:prod::controlplane::gcp:cloudrunv2/service:Service::agent-service",
        "    Ensure Cloud Run environment variables whose names look like credentials take their "
        "value from Secret Manager (valueSource.secretKeyRef), never from a literal value.",
        "    template.containers[0].envs[1] GEMINI_API_KEY has a literal value: reference a Secret "
        "Manager secret with valueSource.secretKeyRef instead",
        SECURITY_EXEMPT,
        "prod: FAIL: 1 mandatory, 0 advisory violation(s)",
    ]
    assert CANARY in LITERAL.read_text()
    assert CANARY not in out + err


def test_json_output_has_the_same_results(capsys, host):
    code, out, err = run(capsys, "--snapshot", str(LITERAL), "--json", host=host)
    assert code == 1
    document = json.loads(out)
    assert document["passed"] is False
    assert document["policyPack"] == {"name": "controlplane-policies", "version": "0.1.0"}
    [stack] = document["stacks"]
    assert (stack["stack"], stack["mandatory"], stack["advisory"], stack["resources"]) == (
        "prod",
        1,
        0,
        48,
    )
    [violation] = stack["violations"]
    assert violation["policyName"] == "credentials-cloudrun-disallow-literal-secrets"
    assert violation["enforcementLevel"] == "mandatory"
    assert violation["severity"] == "critical"
    assert violation["urn"].endswith("gcp:cloudrunv2/service:Service::agent-service")
    assert violation["message"].endswith(
        "GEMINI_API_KEY has a literal value: reference a Secret Manager secret with "
        "valueSource.secretKeyRef instead"
    )
    assert CANARY not in out + err


def test_dev_config_makes_violations_advisory(capsys, host):
    code, out, _ = run(
        capsys,
        "--snapshot",
        str(LITERAL),
        "--policy-config",
        str(check.CONFIG_DIR / "dev.json"),
        host=host,
    )
    assert code == 0
    assert "  advisory (critical): credentials-cloudrun-disallow-literal-secrets" in out
    assert not [line for line in out.splitlines() if line.startswith("  mandatory")]
    assert out.splitlines()[-1].startswith("prod: ok: 0 mandatory, ")


def test_exemptions_and_pack_logs_are_printed(capsys, host, tmp_path):
    config = json.loads((check.CONFIG_DIR / "prod.json").read_text())
    config["credentials-cloudrun-disallow-literal-secrets"] = {"exclude": ["agent-*"]}
    path = tmp_path / "prod-exempt.json"
    path.write_text(json.dumps(config))
    code, out, _ = run(capsys, "--snapshot", str(LITERAL), "--policy-config", str(path), host=host)
    urn = "urn:pulumi:prod::controlplane::gcp:cloudrunv2/service:Service::agent-service"
    assert code == 0
    assert (
        f"  exempt: credentials-cloudrun-disallow-literal-secrets on {urn}: "
        "excluded by pattern 'agent-*'" in out
    )
    assert (
        "  pack info: credentials-cloudrun-disallow-literal-secrets: agent-service is exempt: "
        f"excluded by pattern 'agent-*' ({urn})"
    ) in out


def test_whole_corpus_in_one_pack_process_per_mode(capsys, monkeypatch):
    # The CLI starts the pack once per deployment with PULUMI_DRY_RUN set for it: the updates
    # share one process and the previews another, whatever the order of the files.
    launched: list[list[str]] = []
    real_popen = subprocess.Popen

    def popen(command, **kwargs):
        launched.append(list(command))
        return real_popen(command, **kwargs)

    monkeypatch.setattr(analyzer_host.subprocess, "Popen", popen)
    corpus = [path for path in CORPUS if not (CORPUS_CONFIGS / path.name).is_file()]
    argv = [arg for path in corpus for arg in ("--snapshot", str(path))]
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 1
    assert len(launched) == 2
    document = json.loads(out)
    previews = [path for path in corpus if json.loads(path.read_text()).get("dryRun")]
    updates = [path for path in corpus if path not in previews]
    stacks = document["stacks"]
    assert len(stacks) == len(updates)
    for path, stack in zip(updates, stacks, strict=True):
        expected = {(path.stem.split("--")[0], "mandatory")}
        # A type the program does not declare is also refused by the type allowlist.
        if {r["type"] for r in json.loads(path.read_text())["resources"]} - declared_types():
            expected.add(("inventory-resource-disallow-undeclared-types", "mandatory"))
        assert {(v["policyName"], v["enforcementLevel"]) for v in stack["violations"]} == expected
    # A preview entry is reported beside, with the one policy that cannot decide.
    assert len(document["preview"]["stacks"]) == len(previews) >= 1
    for path, stack in zip(previews, document["preview"]["stacks"], strict=True):
        expected = path.stem.split("--")[0]
        assert [(v["policyName"], v["enforcementLevel"]) for v in stack["violations"]] == [
            (expected, "advisory")
        ]
        assert stack["undecided"] == 1


def test_pack_is_launched_as_the_cli_launches_it(capsys, monkeypatch):
    seen: dict[str, Any] = {}
    real_popen = subprocess.Popen

    def popen(command, **kwargs):
        seen.update(command=list(command), cwd=kwargs["cwd"], env=kwargs["env"])
        return real_popen(command, **kwargs)

    monkeypatch.setattr(analyzer_host.subprocess, "Popen", popen)
    monkeypatch.setenv("PULUMI_STACK", "leaked-from-the-shell")
    code, _, _ = run(capsys, "--snapshot", str(BASELINE / "staging.json"))
    assert code == 0
    command = seen["command"]
    assert command[:4] == [sys.executable, "-u", "-m", "pulumi.policy"]
    assert command[4].startswith("127.0.0.1:") and command[5] == "."
    assert Path(seen["cwd"]) == check.PACK_DIR
    env = seen["env"]
    # An update snapshot: the CLI runs the update's pack with PULUMI_DRY_RUN=false.
    assert (env["PULUMI_PROJECT"], env["PULUMI_STACK"], env["PULUMI_DRY_RUN"]) == (
        "controlplane",
        "staging",
        "false",
    )


def test_several_stacks_share_a_pack_without_pulumi_stack(capsys, monkeypatch):
    envs: list[dict[str, str]] = []
    real_popen = subprocess.Popen

    def popen(command, **kwargs):
        envs.append(kwargs["env"])
        return real_popen(command, **kwargs)

    monkeypatch.setattr(analyzer_host.subprocess, "Popen", popen)
    monkeypatch.setenv("PULUMI_STACK", "leaked-from-the-shell")
    argv = [
        a
        for env in ("dev", "staging", "prod")
        for a in ("--snapshot", str(BASELINE / f"{env}.json"))
    ]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert len(envs) == 1 and "PULUMI_STACK" not in envs[0]
    assert [line for line in out.splitlines() if ": ok:" in line] == [
        "dev: ok: 0 mandatory, 0 advisory violation(s)",
        "staging: ok: 0 mandatory, 0 advisory violation(s)",
        "prod: ok: 0 mandatory, 0 advisory violation(s)",
    ]


def test_stacks_are_synthesized_then_checked(capsys, monkeypatch, host):
    from preflight import synth

    calls: list[tuple[list[str], Path]] = []

    def synthesize(stacks, project_dir, progress=None):
        calls.append((list(stacks), project_dir))
        return {s: json.loads((BASELINE / f"{s}.json").read_text()) for s in stacks}

    monkeypatch.setattr(synth, "synthesize", synthesize)
    code, out, _ = run(capsys, "--all", "--json", "--mode", "update", host=host)
    assert calls == [(["dev", "staging", "prod"], check.ROOT)]
    assert code == 0
    assert [s["stack"] for s in json.loads(out)["stacks"]] == ["dev", "staging", "prod"]
    code, out, _ = run(capsys, "--stack", "staging", "--mode", "update", host=host)
    assert calls[-1] == (["staging"], check.ROOT)
    assert out.startswith("staging: 48 resources checked")


def test_program_stacks_are_checked(capsys, host, snapshots, monkeypatch):
    """`check --all` over the program as it declares dev, staging and prod today."""
    from preflight import synth

    monkeypatch.setattr(synth, "synthesize", lambda stacks, project_dir, progress=None: snapshots)
    code, out, _ = run(capsys, "--all", "--json", "--mode", "update", host=host)
    document = json.loads(out)
    assert [s["stack"] for s in document["stacks"]] == ["dev", "staging", "prod"]
    for stack in document["stacks"]:
        assert stack["resources"] == len(snapshots[stack["stack"]]["resources"])
        assert stack["policyConfig"] == f"policies/config/{stack['stack']}.json"
    assert code == (0 if document["passed"] else 1)


def test_program_stacks_previewed_as_new_stacks_leave_no_policy_undecided(
    capsys, host, snapshots, preview_snapshots, monkeypatch
):
    """The first `pulumi preview` of each stack: every principal policy can decide."""
    from preflight import synth

    def synthesize(stacks, project_dir, progress=None, mode="update"):
        return preview_snapshots if mode == "preview" else snapshots

    monkeypatch.setattr(synth, "synthesize", synthesize)
    code, out, _ = run(capsys, "--all", "--json", host=host)
    document = json.loads(out)
    assert [s["stack"] for s in document["stacks"]] == ["dev", "staging", "prod"]
    previews = document["preview"]["stacks"]
    assert [(s["stack"], s["undecided"], s["advisory"]) for s in previews] == [
        ("dev", 0, 0),
        ("staging", 0, 0),
        ("prod", 0, 0),
    ]
    assert document["passed"] is document["preview"]["passed"] is True
    assert code == 0
    code, out, _ = run(capsys, "--stack", "prod", host=host)
    assert out.splitlines()[-1] == (
        "prod (preview): ok: 0 mandatory, 0 advisory violation(s), 0 undecided until apply"
    )


def test_update_mode_json_keeps_its_layout(capsys, host, snapshots, monkeypatch):
    from preflight import synth

    monkeypatch.setattr(synth, "synthesize", lambda stacks, project_dir, progress=None: snapshots)
    _, out, _ = run(capsys, "--all", "--json", "--mode", "update", host=host)
    assert set(json.loads(out)) == {"policyPack", "passed", "stacks"}


# -- usage and config errors: exit 2, one line ------------------------------------------------


def test_unreadable_snapshot(capsys, host, tmp_path):
    code, _, err = run(capsys, "--snapshot", str(tmp_path / "nope.json"), host=host)
    assert code == 2
    assert (
        error_line(err)
        == f"preflight: error: {tmp_path / 'nope.json'}: cannot read it (No such file or directory)"
    )


def test_snapshot_that_is_not_json(capsys, host, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{oops")
    code, _, err = run(capsys, "--snapshot", str(path), host=host)
    assert code == 2
    assert error_line(err) == (
        f"preflight: error: {path}: not valid JSON (line 1): Expecting property name enclosed in "
        "double quotes; write it with `python -m preflight synth --stack NAME`"
    )


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "not a snapshot; expected a JSON object with 'resources'"),
        (
            {"stack": "prod"},
            "not a snapshot; expected an object with a 'resources' list (the output of "
            "`python -m preflight synth --stack NAME`)",
        ),
        (
            {"stack": "prod", "resources": [{"type": "x"}]},
            "resources[0] needs a non-empty string 'urn'",
        ),
        (
            {"stack": "prod", "resources": [{"urn": "u", "type": "x"}]},
            "resources[0]: urn must start with 'urn:pulumi:'",
        ),
        (
            {"stack": "prod", "resources": [{"urn": "urn:pulumi:a", "type": "x", "inputs": []}]},
            "resources[0]: 'inputs' must be an object",
        ),
        (
            {
                "stack": "prod",
                "resources": [{"urn": "urn:pulumi:a", "type": "x", "protect": "yes"}],
            },
            "resources[0]: 'protect' must be true or false",
        ),
    ],
)
def test_malformed_snapshot(capsys, host, tmp_path, document, problem):
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(document))
    code, _, err = run(capsys, "--snapshot", str(path), host=host)
    assert code == 2
    assert error_line(err) == f"preflight: error: {path}: {problem}"


def test_stack_without_a_config_file(capsys, host, tmp_path):
    text = (BASELINE / "prod.json").read_text().replace("urn:pulumi:prod::", "urn:pulumi:qa::")
    snapshot = json.loads(text)
    snapshot["stack"] = "qa"
    path = tmp_path / "qa.json"
    path.write_text(json.dumps(snapshot))
    code, _, err = run(capsys, "--snapshot", str(path), host=host)
    assert code == 2
    assert error_line(err) == (
        "preflight: error: no policy config for stack 'qa' (policies/config/qa.json; have: dev, "
        "org, prod, prod-deploy, staging): pass --policy-config FILE"
    )


@pytest.mark.parametrize(
    ("stack", "urn_stack", "expected"),
    [
        (
            "dev",
            "prod",
            "says stack 'dev' but its resources belong to prod: check it with that stack's "
            "config (--policy-config policies/config/<stack>.json)",
        ),
        (
            "dev",
            "dev",
            "says stack 'dev' but its resources belong to prod: check it with that stack's "
            "config (--policy-config policies/config/<stack>.json)",
        ),
        (
            "/tmp/lax",
            "prod",
            "its 'stack' '/tmp/lax' is not a stack name: pass --policy-config FILE",
        ),
        (
            "../config/dev",
            "prod",
            "its 'stack' '../config/dev' is not a stack name: pass --policy-config FILE",
        ),
    ],
    ids=["stack-field", "urns-too-labels-say-prod", "absolute-path", "relative-path"],
)
def test_a_snapshot_cannot_pick_a_laxer_config(capsys, host, tmp_path, stack, urn_stack, expected):
    """The snapshot file is input: its own 'stack' field must not steer which config judges it
    (dev makes the security policies advisory; a path would load any JSON as the config). Even
    with its URNs rewritten too, the environment labels of a prod snapshot give it away."""
    text = (
        (BASELINE / "prod.json")
        .read_text()
        .replace("urn:pulumi:prod::", f"urn:pulumi:{urn_stack}::")
    )
    snapshot = json.loads(text)
    snapshot["stack"] = stack
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    code, out, err = run(capsys, "--snapshot", str(path), host=host)
    assert code == 2
    assert out == ""
    assert error_line(err) == f"preflight: error: {path}: {expected}"


def test_missing_policy_config_file(capsys, tmp_path):
    code, _, err = run(
        capsys, "--snapshot", str(LITERAL), "--policy-config", str(tmp_path / "x.json")
    )
    assert code == 2
    assert (
        error_line(err) == f"preflight: error: --policy-config {tmp_path / 'x.json'}: no such file"
    )


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ("{", "not valid JSON (line 1): Expecting property name enclosed in double quotes"),
        (
            '{"all": "blocking"}',
            "all: 'blocking' is not a valid enforcement level "
            "(advisory, mandatory, remediate, disabled)",
        ),
        ('{"all": 3}', "all: 3 is not a valid value; must be a string or object"),
        (
            '{"iam-binding-disallow-primitive-roles": {"enforcementLevel": true}}',
            "iam-binding-disallow-primitive-roles: enforcementLevel True must be a string",
        ),
    ],
)
def test_unparseable_policy_config(capsys, host, tmp_path, config, problem):
    path = tmp_path / "cfg.json"
    path.write_text(config)
    code, _, err = run(capsys, "--snapshot", str(LITERAL), "--policy-config", str(path), host=host)
    assert code == 2
    assert error_line(err) == f"preflight: error: policy config {path}: {problem}"


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (
            {"iam-binding-forbid-roles": "mandatory"},
            "iam-binding-forbid-roles: the pack has no such policy "
            "(see docs/policies.md for the names)",
        ),
        (
            {"iam-binding-disallow-primitive-roles": {"exlude": ["x"]}},
            "iam-binding-disallow-primitive-roles: unknown property exlude "
            "(known: exclude, include, roles)",
        ),
        (
            {"iam-binding-disallow-primitive-roles": {"exclude": "x*"}},
            "iam-binding-disallow-primitive-roles: exclude: 'x*' is not of type 'array'",
        ),
        (
            {"credentials-secret-configure-rotation": {"maxRotationPeriodSeconds": 0}},
            "credentials-secret-configure-rotation: maxRotationPeriodSeconds: 0 is less "
            "than or equal to the minimum of 0.0",
        ),
    ],
)
def test_invalid_policy_config(capsys, host, tmp_path, config, problem):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(config))
    code, _, err = run(capsys, "--snapshot", str(LITERAL), "--policy-config", str(path), host=host)
    assert code == 2
    assert error_line(err) == f"preflight: error: policy config {path}: {problem}"


def test_directory_that_is_not_a_pack(capsys, tmp_path):
    code, _, err = run(capsys, "--snapshot", str(LITERAL), "--policy-pack", str(tmp_path))
    assert code == 2
    assert error_line(err).startswith(
        f"preflight: error: {tmp_path / 'PulumiPolicy.yaml'}: cannot read the policy pack manifest"
    )


def test_pack_that_fails_to_start(capsys, tmp_path):
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text("raise SystemExit('broken pack: fix its import')\n")
    code, _, err = run(capsys, "--snapshot", str(LITERAL), "--policy-pack", str(tmp_path))
    assert code == 2
    assert (
        error_line(err)
        == f"preflight: error: policy pack {tmp_path} failed to start: broken pack: fix its import"
    )


def test_policy_that_crashes_is_an_error_not_a_pass(capsys, tmp_path):
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(
        "from pulumi_policy import PolicyPack, ResourceValidationPolicy\n"
        "def boom(args, report):\n"
        "    raise RuntimeError('policy bug: boom')\n"
        "PolicyPack(name='broken', policies=[ResourceValidationPolicy("
        "name='boom', description='Ensure nothing.', validate=boom)])\n"
    )
    empty = tmp_path / "config.json"
    empty.write_text("{}")
    argv = [
        "--snapshot",
        str(LITERAL),
        "--policy-pack",
        str(tmp_path),
        "--policy-config",
        str(empty),
    ]
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert error_line(err) == (
        "preflight: error: policy pack Analyze failed: Exception calling application: "
        "policy bug: boom"
    )


def test_unknown_stack_for_synth(capsys, host):
    code, _, err = run(capsys, "--stack", "qa", host=host)
    assert code == 2
    assert error_line(err).startswith("preflight: error: unknown stack 'qa': no Pulumi.qa.yaml")


def test_arguments_are_mutually_exclusive_and_required():
    with pytest.raises(SystemExit):
        parse()
    with pytest.raises(SystemExit):
        parse("--all", "--stack", "prod")


@pytest.mark.parametrize("flag", ["--stack", "-s"])
def test_a_snapshot_pinned_to_its_own_stack_is_checked(capsys, host, flag):
    code, out, _ = run(capsys, "--snapshot", str(BASELINE / "prod.json"), flag, "prod", host=host)
    assert code == 0
    assert "with policies/config/prod.json" in out


@pytest.mark.parametrize(
    ("stack", "urn_stack", "label", "found"),
    [("dev", "dev", "dev", "dev"), ("prod", "dev", "prod", None), ("prod", "prod", "dev", None)],
    ids=["stack-field", "urns", "labels"],
)
def test_a_snapshot_of_another_stack_is_refused_when_pinned(
    capsys, host, tmp_path, stack, urn_stack, label, found
):
    """``--stack prod`` pins the config: a snapshot whose stack field, URNs or environment labels
    say otherwise is refused (exit 2, one line), never checked with a laxer config."""
    text = (
        (BASELINE / "prod.json")
        .read_text()
        .replace("urn:pulumi:prod::", f"urn:pulumi:{urn_stack}::")
        .replace('"environment": "prod"', f'"environment": "{label}"')
    )
    snapshot = json.loads(text)
    snapshot["stack"] = stack
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    code, out, err = run(capsys, "--snapshot", str(path), "--stack", "prod", host=host)
    assert code == 2
    assert out == ""
    line = error_line(err)
    assert line.startswith(f"preflight: error: {path}: ")
    if found:
        assert line.endswith(
            f"is a snapshot of stack {found!r}, not 'prod': check it with --stack {found} or "
            "synthesize prod"
        )


def test_an_update_snapshot_with_an_unknown_value_cannot_pass(capsys, host, tmp_path):
    """Tampering: the unknown sentinel written into an update snapshot (no ``dryRun``) to hide a
    member from the principal policies is a mandatory violation, not a pass."""
    snapshot = json.loads((BASELINE / "prod.json").read_text())
    [grant] = [r for r in snapshot["resources"] if r["name"] == "vault-gemini-api-key-agent"]
    grant["inputs"]["member"] = UNKNOWN
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    code, out, _ = run(capsys, "--snapshot", str(path), host=host)
    assert code == 1
    assert "inventory-resource-disallow-unknown-values" in out
    assert "cannot verify: member unknown in an update" in out
