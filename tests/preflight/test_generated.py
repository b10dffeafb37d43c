"""preflight.generated: the one write-or-check of every generated doc, and README blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.cli import ROOT, UsageError
from preflight.generated import Outcome, markers, replace_block, shown, write_or_check


def test_write_or_check_reports_current_stale_and_written(tmp_path: Path) -> None:
    path = tmp_path / "docs" / "x.md"
    assert write_or_check(path, "new\n", check=True) is Outcome.STALE
    assert not path.exists()
    assert write_or_check(path, "new\n", check=False) is Outcome.WRITTEN
    assert path.read_text() == "new\n"
    assert write_or_check(path, "new\n", check=True) is Outcome.CURRENT
    path.write_text("old\n")
    assert write_or_check(path, "new\n", check=True) is Outcome.STALE
    assert path.read_text() == "old\n"


def test_replace_block_keeps_the_markers_and_what_surrounds_them() -> None:
    block = markers("x")
    assert block == ("<!-- x:start -->", "<!-- x:end -->")
    text = "a\n<!-- x:start -->\nold\n<!-- x:end -->\nb\n"
    assert replace_block(text, block, "new\n") == "a\n<!-- x:start -->\nnew\n<!-- x:end -->\nb\n"


def test_replace_block_without_markers_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as err:
        replace_block("no markers\n", markers("x"), "body\n")
    assert str(err.value) == "README.md lacks the <!-- x:start --> ... <!-- x:end --> markers"


def test_paths_are_shown_relative_to_the_repository(tmp_path: Path) -> None:
    assert shown(ROOT / "docs" / "config.md") == "docs/config.md"
    assert shown(tmp_path / "x.md") == str(tmp_path / "x.md")
