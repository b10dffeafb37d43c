"""Run the real Pulumi program in-process under mocks and return its resource graph.

This is the offline path of DESIGN.md ("Two ways to run"): the same ``__main__.py`` that
``pulumi up`` runs, with the stack's config read from ``Pulumi.<stack>.yaml`` the way the CLI
passes it (scalars as strings, structured values as JSON, ``secure:`` values as secrets), and a
recording mock monitor in place of the engine. Several stacks are synthesized in one process so
the provider SDKs are imported once.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preflight.cli import ROOT, UsageError, stack_ref
from preflight.snapshot import DRY_RUN_KEY, FINGERPRINT_ENV, MODES, STACK_TYPE
from preflight.yamlfile import load_mapping

STACKS = ("dev", "staging", "prod")


@dataclass(frozen=True)
class Project:
    """A Pulumi project directory and what the offline path needs to know about it."""

    directory: Path
    name: str
    main: Path

    @classmethod
    def load(cls, directory: Path = ROOT) -> Project:
        directory = directory.resolve()
        manifest = directory / "Pulumi.yaml"
        if not manifest.is_file():
            raise UsageError(f"no Pulumi.yaml in {directory}: pass a Pulumi project directory")
        data = load_mapping(manifest)
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise UsageError(f"{manifest}: needs `name: <project>` (a Pulumi project file)")
        main = directory / str(data.get("main", "."))
        main = main / "__main__.py" if main.is_dir() else main
        return cls(directory=directory, name=name, main=main)

    def stacks(self) -> list[str]:
        """Stack names with a ``Pulumi.<stack>.yaml`` file, in the order dev, staging, prod."""
        found = [
            p.name[len("Pulumi.") : -len(".yaml")] for p in self.directory.glob("Pulumi.*.yaml")
        ]
        order = {name: i for i, name in enumerate(STACKS)}
        return sorted(found, key=lambda s: (order.get(s, len(order)), s))


def stack_config(project: Project, stack: str) -> tuple[dict[str, str], list[str]]:
    """The flat config map and secret keys of a stack file, as the CLI passes them to a program.

    Secret values cannot be decrypted offline: each ``secure:`` value, and each secret key the
    program declares but the file does not hold, gets a placeholder that is marked secret, so
    it only ever shows as ``[secret]``.
    """
    if stack_ref(stack).stack != stack:
        raise UsageError(
            f"stack {stack!r}: name the stack without its organization and project "
            f"(the offline path reads Pulumi.{stack_ref(stack).stack}.yaml)"
        )
    path = project.directory / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise UsageError(f"unknown stack {stack!r}: no {path.name} (stacks: {known})")
    doc = load_mapping(path)
    raw = doc.get("config") or {}
    if not isinstance(raw, dict):
        raise UsageError(f"{path.name}: `config:` must be a mapping of `<namespace>:<key>: value`")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        key = str(key)
        if ":" not in key:
            raise UsageError(
                f"{path.name}: config key {key!r} needs a namespace, e.g. {project.name}:{key}"
            )
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = f"offline-placeholder-{key}"
            secret_keys.append(key)
        elif isinstance(value, dict | list):
            if "secure" in json.dumps(value):
                raise UsageError(
                    f"{path.name}: {key} holds a nested secure value; keep secrets in their own "
                    "top-level key (pulumi config set --secret <key>)"
                )
            config[key] = json.dumps(value)
        elif isinstance(value, bool):
            config[key] = "true" if value else "false"
        elif value is None:
            config[key] = ""
        else:
            config[key] = str(value)
    for key in declared_secret_keys(project):
        if key not in config:
            config[key] = f"offline-placeholder-{key}"
            secret_keys.append(key)
    return config, sorted(secret_keys)


def _is_environment_program(project: Project) -> bool:
    return project.main.resolve() == (ROOT / "__main__.py").resolve()


def declared_secret_keys(project: Project) -> list[str]:
    """Secret config keys the program reads with ``require_secret`` (see config/stack.py)."""
    if not _is_environment_program(project):
        return []
    from config.stack import SECRET_KEYS

    return sorted(SECRET_KEYS)


def check_inputs(project: Project, stacks: Iterable[str]) -> None:
    """Every stack's file read and, for the environment program, its config validated, before
    any work starts: bad input is one ``UsageError`` and nothing has been printed yet.

    The program validates the same config again when it runs (config/stack.py ``load``); this
    early pass only makes the error come first.
    """
    for stack in stacks:
        config, secret_keys = stack_config(project, stack)
        if _is_environment_program(project):
            from config.errors import ConfigError
            from config.stack import validate

            try:
                validate(stack, config, set(secret_keys))
            except ConfigError as err:
                raise UsageError(str(err)) from None


CONFIG_ENV = "PULUMI_CONFIG"
"""How the Pulumi CLI hands config to a program it runs: ``PULUMI_CONFIG`` (a JSON map),
``PULUMI_CONFIG_SECRET_KEYS`` and one ``PULUMI_CONFIG_<KEY>`` per key, which
``pulumi.runtime.config.get_config`` reads whenever a key is not in the in-process map
(.venv/lib/python3.11/site-packages/pulumi/runtime/config.py). The offline path reads the stack
file only, so these are hidden from the program while it runs."""


@contextmanager
def _without_config_env() -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith(CONFIG_ENV)}
    for key in saved:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(saved)


def _run_program(
    project: Project, stack: str, fingerprint_key: bytes | None, mode: str = "update"
) -> dict[str, Any]:
    import pulumi
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from preflight.mocks import ControlPlaneMocks, Normaliser, RecordingMonitor

    config, secret_keys = stack_config(project, stack)
    runtime_config.set_all_config(config, secret_keys)
    gcp_project = config.get("gcp:project", "offline-project")
    preview = mode == "preview"
    monitor = RecordingMonitor(
        ControlPlaneMocks(gcp_project, preview=preview), Normaliser(fingerprint_key)
    )
    settings.ROOT.set(None)
    mocks.set_mocks(
        monitor.mocks, project=project.name, stack=stack, preview=preview, monitor=monitor
    )
    error: BaseException | None = None

    def program() -> None:
        runpy.run_path(str(project.main), run_name="__main__")

    try:
        _sync_await(run_pulumi_func(program))
    except pulumi.RunError as err:
        error = err
    if error is not None:
        raise UsageError(str(error)) from None
    resources = sorted(
        (r.to_json() for r in monitor.registrations),
        key=lambda r: (r["type"] != STACK_TYPE, r["urn"]),
    )
    if resources and resources[0]["type"] == STACK_TYPE:
        resources[0]["outputs"] = _stack_outputs(monitor)
    snapshot: dict[str, Any] = {"project": project.name, "stack": stack, "resources": resources}
    if preview:
        snapshot[DRY_RUN_KEY] = True
    return snapshot


def _stack_outputs(monitor: Any) -> dict[str, Any]:
    """What the program exported, as the engine records it on the Stack resource.

    Under mocks the root Stack registers its (then empty) outputs when ``set_mocks`` makes it, so
    ``pulumi.export`` only fills ``Stack.outputs``: they are serialized here the way
    ``Stack._finish`` would (``massage``, then the wire form), and normalised like inputs: a secret
    output is ``[secret]``, a value not known until apply is the unknown sentinel.
    """
    from google.protobuf import json_format
    from pulumi.runtime import rpc
    from pulumi.runtime.settings import get_root_resource
    from pulumi.runtime.stack import massage
    from pulumi.runtime.sync_await import _sync_await

    root = get_root_resource()
    exported = dict(getattr(root, "outputs", None) or {})
    if not exported:
        return {}
    struct = _sync_await(rpc.serialize_properties(massage(exported, []), {}))
    outputs: dict[str, Any] = monitor.normalise(json_format.MessageToDict(struct))
    return outputs


def synthesize(
    stacks: Iterable[str],
    project_dir: Path = ROOT,
    fingerprint_key: bytes | None = None,
    progress: Any = None,
    mode: str = "update",
) -> dict[str, dict[str, Any]]:
    """Snapshots of ``stacks`` of the project in ``project_dir``, all in this one process.

    ``progress``, when given, is called with a short message before each stack. ``mode`` is one
    of ``MODES``; a ``preview`` snapshot carries ``"dryRun": true`` (an update snapshot has no
    such key, so its JSON is the same as before modes existed).
    """
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    project = Project.load(project_dir)
    if fingerprint_key is None and os.environ.get(FINGERPRINT_ENV):
        fingerprint_key = os.environ[FINGERPRINT_ENV].encode()
    for path in (str(ROOT), str(project.directory)):
        if path not in sys.path:
            sys.path.insert(0, path)
    stacks = list(stacks)
    check_inputs(project, stacks)
    snapshots = {}
    cwd = Path.cwd()
    os.chdir(project.directory)
    try:
        with _without_config_env():
            for stack in stacks:
                if progress is not None:
                    suffix = f" ({mode})" if mode != "update" else ""
                    progress(f"synthesizing {project.name}/{stack}{suffix}")
                snapshots[stack] = _run_program(project, stack, fingerprint_key, mode)
    finally:
        os.chdir(cwd)
    return snapshots


def dumps(snapshot: dict[str, Any]) -> str:
    """The snapshot as deterministic JSON text."""
    return json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
