"""The corpus of bad stack configs: each fails with its one clear message and exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from preflight.__main__ import main
from preflight.cli import ROOT
from tests.support.config import CORPUS, bad_stack_file

P = "config error in stack 'prod': "

EXPECTED: dict[str, list[str]] = {
    "wrong_type": [
        P + 'controlplane:access.operations.roles: found "roles/run.developer", '
        "expected a list, e.g. [a, b]"
    ],
    "missing_key": [
        P + "controlplane:org: missing, expected a value: Short organisation prefix of every "
        "physical name: `<org>-<env>-...`."
    ],
    "unknown_key": [P + "controlplane:access.operations.role: unknown key; did you mean 'roles'?"],
    "unknown_top_key": [P + "controlplane:dataclass: unknown key; did you mean 'dataClass'?"],
    "unknown_provider_key": [P + "gcp:regoin: unknown key; did you mean 'gcp:region'?"],
    "unknown_namespace": [
        P + "controlpane:containment: unknown namespace 'controlpane'; "
        "keys are `controlplane:<key>`; did you mean 'controlplane:containment'?"
    ],
    "prod_synthetic_data": [
        P + "controlplane:dataClass: found 'synthetic', expected 'live' for prod "
        "(playbook §2 environment matrix)"
    ],
    "prod_wrong_access": [
        P + "controlplane:access: found groups ['engineering', 'operations'], expected exactly "
        "['on-call', 'operations'] for prod (playbook §2 environment matrix)"
    ],
    "primitive_role": [
        P + 'controlplane:access.operations.roles: found ["roles/editor"], expected predefined '
        "roles instead of the primitive roles/editor (e.g. roles/run.developer, "
        "roles/logging.viewer)"
    ],
    "user_member": [
        P + 'controlplane:access.operations.member: found "user:alice@example.com", '
        "expected a group as an IAM member, e.g. group:sre@example.com"
    ],
    "bad_project_id": [
        P + 'gcp:project: found "Acme_Prod", expected a GCP project id: 6-30 lowercase '
        "letters, digits or '-', starting with a letter"
    ],
    "wrong_environment": [
        P + "controlplane:environment: found 'staging', expected 'prod': the stack 'prod' "
        "must be named after its environment ('<env>' or '<env>-<suffix>')"
    ],
    "cleartext_secret": [
        P + "pagerduty:token: is in clear text in the stack file; remove it and run "
        "`pulumi config set --secret pagerduty:token` (then rotate the exposed value)"
    ],
    "not_yaml": ["Pulumi.prod.yaml line 3: not valid YAML; fix the indentation or quoting"],
    "out_of_range_number": [
        P + "controlplane:supabase.api.maxRows: found -5, expected at least 1",
    ],
    "prod_ssl_off": [
        P + "controlplane:supabase.sslEnforcement.database: found false, expected true in every "
        "environment (playbook §6, TLS in transit); write `database: true` or leave the key out"
    ],
    "prod_network_open": [
        P + "controlplane:supabase.network.restrictions: found 0.0.0.0/0, which lets every "
        "address connect; prod must list only the CIDRs that need the database"
    ],
}


def test_corpus_and_expectations_match() -> None:
    assert sorted(p.stem for p in CORPUS.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_config_fails_with_its_message(case, project_with, capsys) -> None:
    project = project_with("prod", bad_stack_file(case))
    code = main(["synth", "--stack", "prod", "--project", str(project)])
    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("preflight: error: ")]
    assert code == 2, err
    assert errors == [f"preflight: error: {line}" for line in EXPECTED[case]]
    assert out == ""
    assert "Traceback" not in err


def test_cleartext_secret_value_is_never_echoed(project_with, capsys) -> None:
    project = project_with("prod", bad_stack_file("cleartext_secret"))
    main(["synth", "--stack", "prod", "--project", str(project)])
    out, err = capsys.readouterr()
    assert "canary-7f3a9c1e" not in out + err


def test_bad_config_exit_code_through_the_real_cli(project_with) -> None:
    project = project_with("prod", bad_stack_file("primitive_role"))
    proc = subprocess.run(
        [sys.executable, "-m", "preflight", "synth", "--stack", "prod", "--project", project],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "roles/editor" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_checked_in_stack_files_are_valid(stack, snapshots) -> None:
    assert snapshots[stack]["stack"] == stack


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("controlplan:monitoring", "; did you mean 'controlplane:monitoring'?"),
        ("datdog:apiKey", "; did you mean 'datadog:apiKey'?"),
        ("aws:region", ""),
    ],
)
def test_a_misspelt_namespace_gets_a_suggestion(key: str, hint: str) -> None:
    from config.errors import ConfigError
    from config.stack import raw_to_model_input

    with pytest.raises(ConfigError) as err:
        raw_to_model_input("prod", {key: "x"})
    namespace = key.partition(":")[0]
    assert str(err.value) == (
        P + f"{key}: unknown namespace {namespace!r}; keys are `controlplane:<key>`{hint}"
    )
