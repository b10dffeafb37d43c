"""The layers of the repository and the one direction their imports may point (DESIGN.md).

Each tracked Python file belongs to a layer by its top-level folder; the table says which of
the project's own packages that layer may import. Third-party imports are not constrained here.
A failure names the file, the line, the import and what the layer may import instead.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from preflight.cli import ROOT

PROJECT_PACKAGES = frozenset(
    {
        "controlplane",
        "config",
        "components",
        "stacks",
        "bootstrap",
        "policies",
        "preflight",
        "scripts",
        "bench",
        "tests",
    }
)
"""Top-level names that are the project's own code (anything else is a library)."""

ALLOWED: dict[str, frozenset[str]] = {
    # the kernel: naming, the playbook's constants, shared field types
    "controlplane": frozenset({"controlplane"}),
    # pydantic models only, on the kernel
    "config": frozenset({"controlplane", "config"}),
    # one component per file, on the kernel and the config
    "components": frozenset({"controlplane", "config", "components"}),
    # composition of one environment: the only layer that imports components
    "stacks": frozenset({"controlplane", "config", "components", "stacks"}),
    # the environment program's entry point: config in, environment out
    "__main__": frozenset({"config", "stacks"}),
    # the bootstrap program: the kernel and the config base only (see BOOTSTRAP_CONFIG)
    "bootstrap": frozenset({"controlplane", "config", "bootstrap"}),
    # the policy pack imports nothing of the program
    "policies": frozenset({"policies"}),
    # offline tooling runs the program as a program (runpy), never imports its components;
    # it reads the policy pack's metadata for the generated docs
    "preflight": frozenset({"controlplane", "config", "preflight", "policies"}),
    # operator scripts; the role-data refresh reads which roles the bootstrap grants
    "scripts": frozenset({"controlplane", "config", "preflight", "bootstrap", "scripts"}),
    "bench": frozenset({"controlplane", "config", "preflight", "bench"}),
    "tests": PROJECT_PACKAGES | {"__main__"},
}
BOOTSTRAP_CONFIG = frozenset({"config.base", "config.errors"})
"""The parts of ``config`` the bootstrap program may use: the model base and the error format."""


def layer_of(path: Path) -> str:
    """The layer of a repository-relative path: its top folder, or ``__main__`` at the root."""
    return path.parts[0] if len(path.parts) > 1 else path.stem


def project_imports(tree: ast.AST, module: str) -> Iterator[tuple[int, str]]:
    """``(line, dotted name)`` of every import of a project package in ``tree``.

    ``module`` is the dotted name of the file itself, to resolve relative imports.
    """
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [f"{prefix}.{alias.name}" if prefix else alias.name for alias in node.names]
        for name in names:
            top = name.split(".")[0]
            if top in PROJECT_PACKAGES or name == "__main__":
                yield getattr(node, "lineno", 0), name


def violations(root: Path, files: list[str]) -> list[str]:
    """One line per import that points the wrong way."""
    found = []
    for rel in files:
        path = Path(rel)
        layer = layer_of(path)
        if layer not in ALLOWED:
            continue
        module = ".".join(path.with_suffix("").parts)
        tree = ast.parse((root / path).read_text(encoding="utf-8"), filename=rel)
        for line, name in project_imports(tree, module):
            top = name.split(".")[0]
            allowed = ALLOWED[layer]
            ok = top in allowed
            if ok and layer == "bootstrap" and top == "config":
                ok = any(name == m or name.startswith(f"{m}.") for m in BOOTSTRAP_CONFIG)
            if ok and layer == "tests" and top == "tests":
                ok = name == "tests" or name.startswith(("tests.support", "tests.conftest"))
                ok = ok and not name.startswith("tests.conftest")
            if not ok:
                what = sorted(allowed)
                if layer == "tests":
                    what = ["tests.support (shared builders), not another test module"]
                found.append(f"{rel}:{line}: {layer} imports {name}; it may import {what}")
    return found


def tracked_python_files() -> list[str]:
    out = subprocess.run(  # fixed argument list
        ["git", "ls-files", "*.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if (ROOT / line).is_file()]


def test_every_import_points_down_the_layers() -> None:
    files = tracked_python_files()
    assert len(files) > 50
    assert violations(ROOT, files) == []


PLANTED = [
    ("config/planted.py", "from components.monitoring import Monitoring\n", "config imports"),
    ("controlplane/planted.py", "import config.base\n", "controlplane imports config.base"),
    ("components/planted.py", "from stacks import environment\n", "components imports stacks"),
    ("bootstrap/planted.py", "from config.stack import StackConfig\n", "config.stack"),
    ("bootstrap/planted.py", "from components import on_call\n", "bootstrap imports"),
    ("policies/iam/planted.py", "from controlplane.naming import slug\n", "policies imports"),
    ("preflight/planted.py", "import stacks.environment\n", "preflight imports stacks"),
    ("preflight/diff/planted.py", "from ...components import x\n", "preflight imports comp"),
    ("tests/config/test_planted.py", "from tests.config.test_stack import x\n", "tests imports"),
    ("__main__.py", "from components.on_call import OnCall\n", "__main__ imports components"),
]


@pytest.mark.parametrize(("rel", "source", "expected"), PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_wrong_import_is_reported(tmp_path: Path, rel: str, source: str, expected: str):
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text(source)
    found = violations(tmp_path, [rel])
    assert len(found) == 1, found
    assert found[0].startswith(f"{rel}:1: ") and expected in found[0], found


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        ("stacks/planted.py", "from components.on_call import OnCall\n"),
        ("bootstrap/planted.py", "from config.errors import ConfigError\n"),
        ("tests/config/test_planted.py", "from tests.support.config import bad_stack_file\n"),
        ("preflight/planted.py", "from .cli import UsageError\n"),
    ],
)
def test_imports_down_the_layers_are_accepted(tmp_path: Path, rel: str, source: str) -> None:
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text(source)
    assert violations(tmp_path, [rel]) == []


SIZE_LIMITED = ("preflight", "components", "stacks", "config", "controlplane")
MAX_LINES = 600


def test_no_module_of_the_program_or_preflight_is_over_600_lines() -> None:
    long = {
        rel: n
        for rel in tracked_python_files()
        if rel.split("/")[0] in SIZE_LIMITED
        and (n := len((ROOT / rel).read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these modules (one job each, at most {MAX_LINES} lines): {long}"
