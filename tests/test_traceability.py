"""docs/traceability.md: every path it names exists, and it lists every policy of the pack."""

from __future__ import annotations

import re

from preflight.cli import ROOT

DOC = (ROOT / "docs" / "traceability.md").read_text()


def test_every_path_in_the_table_exists() -> None:
    paths = set(
        re.findall(
            r"`((?:components|policies|tests|stacks|bootstrap|preflight|scripts|"
            r"tools|docs)/[\w/.-]+)`",
            DOC,
        )
    )
    assert paths
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []


def test_every_policy_module_is_traced_to_the_playbook() -> None:
    modules = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "policies").glob("*/*.py")
        if p.name != "__init__.py" and p.parent.name != "_lib"
    }
    assert modules
    assert sorted(m for m in modules if f"`{m}`" not in DOC) == []
