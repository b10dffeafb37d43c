"""``python -m preflight dotenv``: .env.example from the secret catalogue, names only."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight import dotenv
from preflight.cli import ROOT, UsageError
from tests.support.runtime import CANARY, example

EXPECTED = """\
# Local environment (playbook §2): copy to .env and fill in your own development
# values. Never commit .env; shared environments read these from Secret Manager.
# Generated from controlplane:secrets in Pulumi.dev.yaml by
# `python -m preflight dotenv`; a test fails when this file and the catalogue disagree.

# Composio API key
# (secret composio-api-key; read by agent, maintenance)
COMPOSIO_API_KEY=

# Supabase JWT secret
# (secret supabase-jwt-secret; read by agent, frontend)
SUPABASE_JWT_SECRET=
"""


def _project(tmp_path: Path, runtime: dict[str, Any] | None = None) -> Path:
    config: dict[str, Any] = {
        "gcp:project": "acme-cp-dev",
        # a secure value in the file: it must never reach the generated file or the output
        "controlplane:composioApiKey": {"secure": CANARY},
    }
    for key, value in (example() if runtime is None else runtime).items():
        config[f"controlplane:{key}"] = value
    (tmp_path / "Pulumi.yaml").write_text("name: controlplane\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def _args(project: Path, *, check: bool = False) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    dotenv.add_arguments(parser)
    argv = ["--project", str(project)] + (["--check"] if check else [])
    return parser.parse_args(argv)


def test_writes_names_and_descriptions_without_values(tmp_path: Path, capsys) -> None:
    project = _project(tmp_path)
    assert dotenv.run(_args(project)) == 0
    text = (project / ".env.example").read_text()
    assert text == EXPECTED
    assert "DD_API_KEY" not in text  # local: false
    out = capsys.readouterr()
    assert out.out == f"preflight: wrote {project / '.env.example'}\n"
    assert CANARY not in text + out.out + out.err


def test_check_passes_when_current_and_fails_when_stale(tmp_path: Path, capsys) -> None:
    project = _project(tmp_path)
    (project / ".env.example").write_text(EXPECTED)
    assert dotenv.run(_args(project, check=True)) == 0
    assert capsys.readouterr().out == "preflight: .env.example matches the catalogue of stack dev\n"

    (project / ".env.example").write_text(EXPECTED.replace("COMPOSIO_API_KEY=", "COMPOSIO_KEY="))
    assert dotenv.run(_args(project, check=True)) == 1
    assert capsys.readouterr().err == (
        f"preflight: {project / '.env.example'} is out of date with the secret catalogue of "
        "stack dev: run `python -m preflight dotenv --stack dev` and commit the result\n"
    )
    assert "COMPOSIO_KEY=" in (project / ".env.example").read_text()  # --check never writes


def test_check_fails_when_the_file_is_missing(tmp_path: Path, capsys) -> None:
    project = _project(tmp_path)
    assert dotenv.run(_args(project, check=True)) == 1
    assert " is missing with the secret catalogue" in capsys.readouterr().err
    assert not (project / ".env.example").exists()


def test_a_bad_catalogue_exits_2_with_the_key_path(tmp_path: Path, capsys) -> None:
    runtime = example()
    runtime["secrets"][0]["readers"] = ["agnet"]
    project = _project(tmp_path, runtime)
    assert dotenv.main(["--project", str(project)]) == 2
    assert capsys.readouterr().err == (
        "preflight: error: Pulumi.dev.yaml: controlplane:secrets[0].readers[0]: a reader among "
        "agent, frontend, maintenance, synthetics, siem: secret 'composio-api-key' names 'agnet', "
        "which is not a "
        "service of this stack\n"
    )


def test_a_stack_without_a_catalogue_is_a_usage_error(tmp_path: Path) -> None:
    runtime = example()
    del runtime["secrets"]
    with pytest.raises(UsageError) as err:
        dotenv.run(_args(_project(tmp_path, runtime)))
    assert str(err.value) == (
        "Pulumi.dev.yaml has no controlplane:secrets: add the secret catalogue (see docs/config.md)"
    )


def test_two_local_secrets_with_one_env_var_cannot_share_a_dotenv(tmp_path: Path) -> None:
    runtime = example()
    runtime["secrets"][1]["readers"] = ["frontend"]
    runtime["secrets"][1]["envVar"] = "COMPOSIO_API_KEY"
    with pytest.raises(UsageError) as err:
        dotenv.run(_args(_project(tmp_path, runtime)))
    assert str(err.value) == (
        "Pulumi.dev.yaml: secrets 'composio-api-key' and 'supabase-jwt-secret' are both "
        "COMPOSIO_API_KEY in one .env: give one a distinct envVar or local: false"
    )


def test_the_checked_in_env_example_matches_the_dev_catalogue() -> None:
    stack_file = ROOT / "Pulumi.dev.yaml"
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    if "controlplane:secrets" not in config:
        pytest.skip("Pulumi.dev.yaml has no secret catalogue yet")
    expected = dotenv.render(dotenv.load_sections(ROOT, "dev"), "dev")
    current = (ROOT / ".env.example").read_text() if (ROOT / ".env.example").is_file() else ""
    assert current == expected, (
        ".env.example disagrees with controlplane:secrets in Pulumi.dev.yaml: "
        "run `python -m preflight dotenv` and commit the result"
    )
