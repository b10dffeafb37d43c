"""Fixtures of the component tests; the builders they use live in :mod:`tests.support`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.runtime import CANARY


@pytest.fixture
def secret_config() -> dict[str, Any]:
    """Config (and its secret keys) holding the canary as the Composio API key."""
    return {
        "config": {"controlplane:composioApiKey": CANARY},
        "secret_keys": ["controlplane:composioApiKey"],
    }
