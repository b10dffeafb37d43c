"""The example runtime config the component tests start from, the planted canary, and a vault
for the tests of its readers."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from components.secret_vault import SecretVault, SecretVaultArgs
from config.runtime import RuntimeSections, SecretSpec
from controlplane.naming import Naming
from tests.support.components import PROJECT

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
    "vault": {"nextRotationTime": "2030-01-07T09:00:00Z"},
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


def vault_of(naming: Naming, cfg: RuntimeSections, catalogue: Sequence[SecretSpec]) -> SecretVault:
    """An unprotected vault named ``secrets`` holding ``catalogue`` of ``cfg``, for the readers'
    tests (declare it inside the program under test)."""
    return SecretVault(
        "secrets",
        SecretVaultArgs(
            naming=naming, project=PROJECT, catalogue=catalogue, vault=cfg.vault, protect=False
        ),
    )
