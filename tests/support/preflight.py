"""Builders for the tests of ``preflight``: one running policy pack for a module's tests."""

from __future__ import annotations

from collections.abc import Iterator

from preflight import check
from preflight.analyzer.host import PolicyPackHost


def pack_host() -> Iterator[PolicyPackHost]:
    """The project's policy pack, started and ready; closed when the generator is."""
    running = PolicyPackHost(check.PACK_DIR, project=check.PROJECT).start().ready()
    yield running
    running.close()
