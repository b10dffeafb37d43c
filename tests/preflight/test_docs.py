"""Generated docs are current and say what the config models say (the commands the docs show
are run by tests/test_docs_commands.py)."""

from __future__ import annotations

from preflight.__main__ import main
from preflight.cli import ROOT


def test_generated_docs_are_not_stale(capsys) -> None:
    assert main(["docs", "--check"]) == 0, capsys.readouterr().err


def test_stale_docs_are_reported(tmp_path, monkeypatch, capsys) -> None:
    import preflight.docs as docs

    stale = tmp_path / "config.md"
    stale.write_text("# old\n")
    monkeypatch.setattr(docs, "CONFIG_DOC", stale)
    assert main(["docs", "--check"]) == 2
    assert "stale generated docs:" in capsys.readouterr().err
    assert stale.read_text() == "# old\n"


def test_every_config_field_is_in_the_reference() -> None:
    from config.stack import StackConfig

    reference = (ROOT / "docs" / "config.md").read_text()
    for name, field in StackConfig.model_fields.items():
        key = field.alias or name
        assert f"controlplane:{key}`" in reference or key == "gcp", key


def test_a_required_field_of_a_defaulted_section_says_so() -> None:
    """The section's default fills no single field of a section the stack file holds."""
    reference = (ROOT / "docs" / "config.md").read_text()
    for field in ("threshold", "window"):
        [row] = [
            line
            for line in reference.splitlines()
            if line.startswith(f"| `controlplane:monitoring.alerts.plannerRetrySpikes.{field}` |")
        ]
        assert "required in `monitoring.alerts.plannerRetrySpikes`" in row, row
