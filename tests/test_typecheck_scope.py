"""The type check Pulumi runs before each deploy covers the program's own modules, nothing else.

Pulumi.yaml's ``typechecker: mypy`` runs mypy over the project directory with pyproject.toml's
``[tool.mypy]``; its ``exclude`` decides what a deploy waits for. A stray script, the tests or
the tooling must not be able to block (or slow) a deploy; every module the program imports must
be checked.
"""

from __future__ import annotations

import re
import subprocess  # nosec B404
import tomllib

import pytest
import yaml

from preflight.cli import ROOT

PROGRAM = ("__main__.py", "controlplane/", "config/", "components/", "stacks/")


def _mypy(path: str) -> dict:
    return tomllib.loads((ROOT / path).read_text())["tool"]["mypy"]


def _excluded(path: str) -> bool:
    return any(re.search(p, path) for p in _mypy("pyproject.toml")["exclude"])


def _tracked() -> list[str]:
    out = subprocess.run(  # nosec B603 B607
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return out.split()


def test_pulumi_runs_mypy_with_the_pyproject_config():
    options = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["options"]
    assert options["typechecker"] == "mypy"


def test_every_program_module_is_checked():
    program = [p for p in _tracked() if p.startswith(PROGRAM)]
    assert len(program) > 40
    assert [p for p in program if _excluded(p)] == []


@pytest.mark.parametrize(
    "path",
    [
        "scratch.py",
        "tests/test_layers.py",
        "preflight/check.py",
        "scripts/rollback.py",
        "bench/synth_bench.py",
        "bootstrap/program.py",
        "policies/__main__.py",
        "notes/x.py",
        "configs/x.py",
        "components_old/x.py",
        "__main__.py.bak/x.py",
    ],
)
def test_everything_else_is_left_out(path):
    assert _excluded(path)


def test_every_other_tracked_module_is_left_out():
    others = [p for p in _tracked() if not p.startswith(PROGRAM)]
    assert [p for p in others if not _excluded(p)] == []


def test_only_the_generated_provider_sdks_are_not_followed():
    skipped = [
        o for o in _mypy("pyproject.toml").get("overrides", []) if o.get("follow_imports") == "skip"
    ]
    assert [sorted(o["module"]) for o in skipped] == [["pulumi_datadog", "pulumi_gcp"]]


def test_the_full_check_covers_tests_and_tooling_with_sdk_types():
    full = _mypy("tools/mypy/full.toml")
    assert not any(o.get("follow_imports") for o in full.get("overrides", []))
    for path in ("tests/test_layers.py", "preflight/check.py", "scripts/rollback.py"):
        assert not any(re.search(p, path) for p in full["exclude"]), path
