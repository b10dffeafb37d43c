"""The pickled providers in deployed stacks' state keep loading (the state contract).

Pulumi stores each dynamic resource's provider in the state as a dill pickle that names the
provider class by module path, and the provider host (``python -m pulumi.dynamic``, run in the
project directory) unpickles it for every ``pulumi refresh`` and ``pulumi destroy``. These tests
load the pickles recorded from release 0.1.0 as that host does, and check that the providers the
program builds today name only the stable paths.
"""

from __future__ import annotations

import base64
import json
import pickletools
import subprocess  # nosec B404
import sys
from pathlib import Path
from typing import Any

from pulumi.dynamic.dynamic import serialize_provider

from components.supabase.api import DEFAULT_BASE_URL
from components.supabase_provider import SupabaseKeysProvider, SupabaseSettingsProvider
from tests.support.supabase_component import KEYS, PROD, SETTINGS, Mocks, project, run

ROOT = Path(__file__).resolve().parents[2]
RECORDED = Path(__file__).parent / "data" / "provider-pickles-v0.1.0.json"

# Every global a provider pickle may name. Moving a provider class off its stable path, or giving
# a provider an attribute that pickles by reference to some other module, fails here.
STABLE_GLOBALS = {
    ("components.supabase_provider", "SupabaseSettingsProvider"),
    ("components.supabase_provider", "SupabaseKeysProvider"),
    ("time", "sleep"),
}

# Run by the provider host's rules: a fresh interpreter in the project directory with only the
# project on sys.path besides the installed packages (no PYTHONPATH, no tests/ on the path).
HOST = """
import base64, json, sys
sys.path.insert(0, sys.argv[1])
import dill
from components import supabase_provider as stable
recorded = json.load(open(sys.argv[2], encoding="utf-8"))["providers"]
report = {}
for path, pickled in sorted(recorded.items()):
    provider = dill.loads(base64.b64decode(pickled))
    current = getattr(stable, path.rsplit(".", 1)[1])
    checked = provider.check({}, {"projectRef": "abcdefghijklmnopqrst", "accessToken": "t"})
    report[path] = {
        "class": f"{type(provider).__module__}.{type(provider).__qualname__}",
        "instance_of_current": isinstance(provider, current),
        "base_url": provider.base_url,
        "check_failures": [f.reason for f in checked.failures],
    }
print(json.dumps(report))
"""


def globals_named(pickled: str) -> set[tuple[str, str]]:
    """The (module, name) pairs a base64 pickle refers to (GLOBAL and STACK_GLOBAL opcodes)."""
    found: set[tuple[str, str]] = set()
    strings: list[str] = []
    for opcode, arg, _ in pickletools.genops(base64.b64decode(pickled)):
        if opcode.name == "GLOBAL":
            module, name = str(arg).split(" ", 1)
            found.add((module, name))
        elif opcode.name == "STACK_GLOBAL":
            found.add((strings[-2], strings[-1]))
        elif isinstance(arg, str):
            strings.append(arg)
    return found


def test_the_recorded_pickles_load_as_the_current_providers_in_the_provider_host() -> None:
    done = subprocess.run(  # nosec B603: fixed argument list
        [sys.executable, "-I", "-c", HOST, str(ROOT), str(RECORDED)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert report == {
        f"components.supabase_provider.{name}": {
            "class": f"components.supabase_provider.{name}",
            "instance_of_current": True,
            "base_url": DEFAULT_BASE_URL,
            "check_failures": [],
        }
        for name in ("SupabaseKeysProvider", "SupabaseSettingsProvider")
    }


def test_the_recorded_pickles_name_only_stable_paths_and_hold_no_token() -> None:
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))["providers"]

    for path, pickled in recorded.items():
        assert globals_named(pickled) <= STABLE_GLOBALS, path
        assert b"sbp_" not in base64.b64decode(pickled), path


def test_the_providers_the_component_registers_name_only_stable_paths() -> None:
    mocks = Mocks()

    async def program() -> None:
        project(PROD)

    run(program, mocks)

    assert sorted(mocks.providers) == [KEYS, SETTINGS]
    for type_, pickled in mocks.providers.items():
        assert globals_named(pickled) <= STABLE_GLOBALS, type_


def test_the_providers_the_component_registers_pickle_as_in_release_0_1_0() -> None:
    """Same bytes as deployed state: if a change means to alter them, record a new file."""
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))["providers"]
    mocks = Mocks()

    async def program() -> None:
        project(PROD)

    run(program, mocks)

    assert mocks.providers == {
        SETTINGS: recorded["components.supabase_provider.SupabaseSettingsProvider"],
        KEYS: recorded["components.supabase_provider.SupabaseKeysProvider"],
    }


def test_each_provider_class_pickles_under_its_own_stable_name() -> None:
    for cls in (SupabaseSettingsProvider, SupabaseKeysProvider):
        pickled = serialize_provider(cls(DEFAULT_BASE_URL))

        assert globals_named(pickled) == {
            ("components.supabase_provider", cls.__qualname__),
            ("time", "sleep"),
        }, cls
