"""The commands in the operations runbooks and the change-record format exist: every
`scripts/<name>.py ...` line parses with that script's parser, every `python -m preflight ...`
line with the preflight CLI's, and the documented record example is a valid record."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from preflight.__main__ import build_parser as preflight_parser
from tests.support.operator_scripts import SCRIPTS, load_script

ROOT = SCRIPTS.parent
DOCS = [
    ROOT / "docs" / "runbooks" / "game-day.md",
    ROOT / "docs" / "runbooks" / "change-notice.md",
    ROOT / "changes" / "README.md",
]
OPERATIONS_SCRIPTS = ("change_notice", "rollback_drill", "rollback", "monthly_scan")


def commands(pattern: str) -> list[tuple[str, list[str]]]:
    found = []
    for doc in DOCS:
        text = doc.read_text().replace("\n  ", " ")  # commands wrapped inside list items
        for line in re.findall(pattern, text):
            argv = shlex.split(line.split("`")[0].split(">")[0].split(";")[0].split("&&")[0])
            found.append((doc.name, ["prod" if a == "<stack>" else a for a in argv]))
    return found


def test_every_script_command_in_the_runbooks_parses() -> None:
    found = commands(r"scripts/(\w+\.py [^\n`]+)")
    assert {argv[0] for _, argv in found} >= {"change_notice.py", "rollback_drill.py"}
    for doc, (script, *argv) in found:
        name = script.removesuffix(".py")
        assert name in OPERATIONS_SCRIPTS, (doc, script)
        load_script(name).build_parser().parse_args(argv)  # exits 2 on a drifted option


def test_every_preflight_command_in_the_runbooks_parses() -> None:
    found = commands(r"python -m preflight ([^\n`]+)")
    assert len(found) >= 4
    for _doc, argv in found:
        preflight_parser().parse_args([a for a in argv if a != "\\"])


def test_the_documented_record_example_is_a_valid_record(tmp_path: Path) -> None:
    notice = load_script("change_notice")
    readme = (ROOT / "changes" / "README.md").read_text()
    (example,) = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    path = tmp_path / "2025-06-06-kms-key-ring.yaml"
    path.write_text(example)
    record = notice.load_record(path)
    assert (record.stacks, record.high_impact) == (("prod",), True)
    for key in notice.REQUIRED + notice.OPTIONAL:
        assert f"| `{key}` |" in readme, key


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve(doc: Path) -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", doc.read_text()):
        assert (doc.parent / target).exists(), f"{doc.name}: {target}"
