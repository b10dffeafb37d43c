"""Policy tests go through the same Analyzer path as ``preflight check``.

The pack is launched once per session the way the Pulumi CLI launches it
(``python -u -m pulumi.policy <engine> .``); each test builds a small snapshot, reconciles a
policy-pack config exactly as ``preflight check`` does, and reads the diagnostics the pack sends
back over gRPC. Nothing here calls a policy function directly.

Fixtures:

* ``make(type, name, inputs, protect=False)``: a snapshot resource (urn built from the name);
* ``analyze(resources, env="prod", config=None, overrides=None, preview=None)``: the ``Checked``
  result of the resources (plus the root stack) under ``policies/config/<env>.json``, or under
  ``config`` (a policy-pack config dict), with ``overrides`` merged over the file per policy;
  analyzed as a preview (``"dryRun": true``) when ``preview`` says so, by default when a resource
  holds the unknown sentinel (only a preview can), else as an update.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from preflight.analyzer.config import parse_policy_pack_config, reconcile
from preflight.analyzer.host import PolicyPackHost
from preflight.snapshot import DRY_RUN_KEY, UNKNOWN, validate
from tests.support.policies import (
    PACK_DIR,
    PROJECT,
    Checked,
    load_config,
    make_resource,
    merge,
    snapshot,
)


@pytest.fixture(scope="session")
def pack_host() -> Iterator[PolicyPackHost]:
    host = PolicyPackHost(PACK_DIR, project=PROJECT).start().ready()
    yield host
    host.close()


Analyze = Callable[..., Checked]


@pytest.fixture(scope="session")
def analyze(pack_host: PolicyPackHost) -> Analyze:
    def run(
        resources: list[dict[str, Any]],
        env: str = "prod",
        config: dict[str, Any] | None = None,
        overrides: dict[str, Any] | None = None,
        stack: str | None = None,
        preview: bool | None = None,
    ) -> Checked:
        document = merge(config if config is not None else load_config(env), overrides)
        given = parse_policy_pack_config(json.dumps(document))
        reconciled = reconcile(pack_host.info(), given)
        snap = snapshot(resources, stack or env)
        if preview is None:  # only a preview can hold a value unknown until apply
            preview = UNKNOWN in json.dumps(resources)
        if preview:
            snap[DRY_RUN_KEY] = True
        return Checked(pack_host.analyze(snap, validate(snap, "test"), reconciled))

    return run


@pytest.fixture(scope="session")
def make() -> Callable[..., dict[str, Any]]:
    return make_resource
