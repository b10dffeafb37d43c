"""Run one component under Pulumi mocks and look at what it registered.

``run_program(fn)`` executes ``fn`` (which declares resources) under the preflight recording
monitor, so each registration carries its type, logical name, parent, camelCase inputs (secrets
as ``[secret]``), options and dependencies, exactly as in the synth snapshot. Also here: the
example runtime config the component tests start from (one per environment).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from config.runtime import RuntimeSections
from controlplane.naming import Environment, Naming
from preflight.mocks import ControlPlaneMocks, Normaliser, RecordingMonitor, Registration

PROJECT = "acme-cp-test"
REGION = "europe-west1"
PROJECT_NUMBER = "210000000009"
DATA_CLASS = {"dev": "synthetic", "staging": "anonymized", "prod": "live"}


@dataclass
class Registered:
    """The registrations of one program run, in registration order."""

    resources: list[Registration]

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> Registration:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name!r}, found {len(found)}"
        return found[0]

    def children_of(self, parent: Registration) -> list[Registration]:
        return [r for r in self.resources if r.parent == parent.urn]

    def dump(self) -> str:
        """Everything registered, as JSON text (to assert that a value never appears)."""
        return json.dumps([r.to_json() for r in self.resources], sort_keys=True)


def run_program(
    program: Callable[[], None],
    *,
    stack: str = "dev",
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
) -> Registered:
    """Run ``program`` under mocks with the given flat Pulumi config; return the registrations."""
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    runtime_config.set_all_config(config or {}, secret_keys or [])
    monitor = RecordingMonitor(ControlPlaneMocks(PROJECT), Normaliser())
    settings.ROOT.set(None)
    mocks.set_mocks(
        monitor.mocks, project="controlplane", stack=stack, preview=False, monitor=monitor
    )
    try:
        _sync_await(run_pulumi_func(program))
    finally:
        runtime_config.set_all_config({}, [])
    return Registered([r for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"])


def naming_for(env: Environment) -> Naming:
    return Naming(org="acme", env=env, data_class=DATA_CLASS[env])  # type: ignore[arg-type]


_DIGEST = "@sha256:" + "e" * 64
_REGISTRY = "europe-west1-docker.pkg.dev/acme-cp-test/controlplane"

EXAMPLE: dict[str, Any] = {
    "services": {
        "agent": {
            "image": f"{_REGISTRY}/agent{_DIGEST}",
            "revision": "v2",
            "minInstances": 0,
            "maxInstances": 4,
            "concurrency": 40,
            "startupProbe": {"path": "/healthz", "periodSeconds": 5, "failureThreshold": 24},
            "livenessProbe": {"path": "/healthz/live", "periodSeconds": 15},
            "env": {"LOG_FORMAT": "json"},
            "rollout": {"strategy": "canary", "stableRevision": "v1", "candidatePercent": 10},
        },
        "frontend": {
            "image": f"{_REGISTRY}/frontend:1.4.2",
            "revision": "v1",
            "port": 3000,
            "public": True,
            "startupProbe": {"path": "/api/health"},
            "livenessProbe": {"path": "/api/health"},
            "rollout": {"strategy": "blue_green"},
        },
    },
    "secrets": [
        {
            "name": "composio-api-key",
            "description": "Composio API key",
            "envVar": "COMPOSIO_API_KEY",
            "readers": ["agent", "maintenance"],
            "fromConfig": "composioApiKey",
        },
        {
            "name": "supabase-jwt-secret",
            "description": "Supabase JWT secret",
            "envVar": "SUPABASE_JWT_SECRET",
            "readers": ["agent", "frontend"],
        },
        {
            "name": "datadog-api-key",
            "description": "Datadog API key",
            "envVar": "DD_API_KEY",
            "readers": ["frontend"],
            "local": False,
        },
    ],
    "vault": {"projectNumber": PROJECT_NUMBER, "nextRotationTime": "2030-01-07T09:00:00Z"},
    "maintenance": {
        "image": f"{_REGISTRY}/maintenance:0.9.0",
        "jobs": {
            "telemetry-vacuum": {"schedule": "15 2 * * *", "args": ["vacuum"], "retries": 2},
            "library-reembedding": {"schedule": "0 3 * * 0", "deadlineSeconds": 14400},
            "composio-sync": {"schedule": "30 3 * * 0"},
            "backup-verification": {"schedule": "0 4 * * 0", "retries": 0, "memory": "4Gi"},
        },
    },
    "logging": {},
    "containment": False,
}
"""A valid runtime config; tests copy it and change one thing."""

PROD_CHANGES: dict[str, Any] = {
    "vault": {
        "projectNumber": PROJECT_NUMBER,
        "nextRotationTime": "2030-01-07T09:00:00Z",
        "replicaLocations": ["europe-west1", "europe-west4"],
        "cmek": {"enabled": True},
    },
    "logging": {"archiveLocation": "europe-west1", "cmek": {"enabled": True}},
}

CANARY = "canary-2f9d41b7-not-a-real-secret"
"""A value planted as a secret; it must never appear in anything registered."""


def example(**changes: Any) -> dict[str, Any]:
    """A deep copy of :data:`EXAMPLE` with top-level keys replaced."""
    data = copy.deepcopy(EXAMPLE)
    data.update(copy.deepcopy(changes))
    return data


def sections(**changes: Any) -> RuntimeSections:
    return RuntimeSections.model_validate(example(**changes))


@pytest.fixture
def secret_config() -> dict[str, Any]:
    """Config (and its secret keys) holding the canary as the Composio API key."""
    return {
        "config": {"controlplane:composioApiKey": CANARY},
        "secret_keys": ["controlplane:composioApiKey"],
    }
