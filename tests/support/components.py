"""Run components under Pulumi mocks and look at what they registered.

``run_program(fn)`` executes ``fn`` (which declares resources) under the preflight recording
monitor, so each registration carries its type, logical name, parent, camelCase inputs (secrets
as ``[secret]``), options and dependencies, exactly as in the synth snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from controlplane.naming import Environment, Naming
from preflight.mocks import ControlPlaneMocks, Normaliser, RecordingMonitor, Registration

PROJECT = "acme-cp-test"
REGION = "europe-west1"
PROJECT_NUMBER = "210000000009"
DATA_CLASS = {"dev": "synthetic", "staging": "anonymized", "prod": "live"}


@dataclass
class Registered:
    """The registrations of one program run, in registration order, and the ids the mocks gave
    each resource (by URN)."""

    resources: list[Registration]
    ids: dict[str, str] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> Registration:
        found = self.of_type(type_token)
        assert len(found) == 1, f"expected one {type_token}, found {[r.urn for r in found]}"
        return found[0]

    def named(self, name: str) -> Registration:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name!r}, found {len(found)}"
        return found[0]

    def id_of(self, registration: Registration) -> str:
        return self.ids[registration.urn]

    def dump(self) -> str:
        """Everything registered, as JSON text (to assert that a value never appears)."""
        return json.dumps([r.to_json() for r in self.resources], sort_keys=True)


def run_program(
    program: Callable[[], None],
    *,
    stack: str = "dev",
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    mocks: ControlPlaneMocks | None = None,
) -> Registered:
    """Run ``program`` under ``mocks`` (default: the preflight mocks) with the given flat Pulumi
    config; return the registrations."""
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    runtime_config.set_all_config(config or {}, secret_keys or [])
    monitor = RecordingMonitor(mocks or ControlPlaneMocks(PROJECT, PROJECT_NUMBER), Normaliser())
    settings.ROOT.set(None)
    pulumi_mocks.set_mocks(
        monitor.mocks, project="controlplane", stack=stack, preview=False, monitor=monitor
    )
    try:
        _sync_await(run_pulumi_func(program))
    finally:
        runtime_config.set_all_config({}, [])
    return Registered(
        [r for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"],
        ids={urn: reg.id for urn, reg in monitor.resources.items()},
    )


def naming_for(env: Environment) -> Naming:
    return Naming(org="acme", env=env, data_class=DATA_CLASS[env])  # type: ignore[arg-type]
