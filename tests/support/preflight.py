"""Builders for the tests of ``preflight``: one running policy pack for a module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from preflight import check
from preflight.analyzer.host import PolicyPackHost


def pack_host() -> Iterator[PolicyPackHost]:
    """The project's policy pack, started and ready; closed when the generator is."""
    running = PolicyPackHost(check.PACK_DIR, project=check.PROJECT).start().ready()
    yield running
    running.close()


def tiny_project(
    directory: Path, name: str, program: str, stack_file: str = "config: {}\n"
) -> Path:
    """A Pulumi project of one ``__main__.py`` and a ``dev`` stack, for running a few lines of
    program through the offline synthesis exactly as the real program runs."""
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\nmain: __main__.py\n")
    (directory / "Pulumi.dev.yaml").write_text(stack_file)
    (directory / "__main__.py").write_text(program)
    return directory
