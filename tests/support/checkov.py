"""checkov for the scan tests: it lives in its own virtualenv, which `make test` builds.

A plain ``pytest`` without ``.venv-checkov`` skips the tests that run checkov, saying how to get
it, instead of erroring; ``make test`` builds the virtualenv first, so there they run.
"""

from __future__ import annotations

import os

import pytest

from preflight.checkov.config import CHECKOV

MISSING = (
    f"checkov is not installed at {CHECKOV.parent.parent.name}/bin/checkov: "
    "`make test` builds it (or `make .venv-checkov/bin/checkov`)"
)


def installed() -> bool:
    return os.access(CHECKOV, os.X_OK)


requires_checkov = pytest.mark.skipif(not installed(), reason=MISSING)
"""Mark a test that runs checkov (directly, or through a fixture that does)."""
