"""Generated docs are current, and what the README shows is what the commands do."""

from __future__ import annotations

import re
import shlex

from preflight.__main__ import build_parser, main
from preflight.cli import ROOT
from tests.support.config import bad_stack_file

README = (ROOT / "README.md").read_text()


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


def test_readme_commands_are_real_subcommands() -> None:
    parser = build_parser()
    commands = re.findall(r"`python -m preflight ([^`]+)`", README)
    assert commands
    for command in commands:
        argv = [a for a in shlex.split(command) if not a.startswith("[")]
        parser.parse_args(argv)


def test_readme_error_example_is_the_real_message(project_with, capsys) -> None:
    [example] = re.findall(r"```text\n(preflight: error: config error[^\n]+)\n```", README)
    project = project_with("prod", bad_stack_file("prod_synthetic_data"))
    assert main(["synth", "--stack", "prod", "--project", str(project)]) == 2
    assert example in capsys.readouterr().err.splitlines()


def test_readme_shows_the_real_check_output(capsys) -> None:
    block = README[README.index("<!-- check:start -->") : README.index("<!-- check:end -->")]
    shown = block.split("$ python -m preflight check --all\n", 1)[1].split("```", 1)[0]
    assert main(["check", "--all"]) == 0
    assert capsys.readouterr().out == shown
