"""The resource types the program declares, vendored in the policy pack.

    python -m preflight.declared_types --write   # regenerate policies/_lib/declared_types.json
    python -m preflight.declared_types --check   # exit 1 when it is stale

Synthesizes every stack (dev, staging, prod) as an update and as the preview of a new stack and
writes the sorted set of their resource types, plus ``pulumi:providers:<package>`` for each
package they use (the engine registers a default provider per package), to the file the
policy ``inventory-resource-disallow-undeclared-types`` reads. The pack never imports the
program; this file is how it knows what the program declares. Run it whenever the program
starts declaring a new type (a new component, another provider resource).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from preflight.cli import ROOT
from preflight.generated import Outcome, shown, write_or_check
from preflight.snapshot import MODES

PATH = ROOT / "policies" / "_lib" / "declared_types.json"
STACKS = ("dev", "staging", "prod")
COMMAND = "python -m preflight.declared_types --write"


def provider_type(type_token: str) -> str | None:
    """The default provider type of a custom resource type (None for providers and the stack)."""
    package = type_token.split(":", 1)[0]
    if package == "pulumi":
        return None
    return f"pulumi:providers:{package}"


def render(snapshots: Iterable[dict[str, Any]]) -> str:
    """The file's text for the given snapshots."""
    types: set[str] = set()
    for snapshot in snapshots:
        for resource in snapshot["resources"]:
            types.add(resource["type"])
            if resource.get("custom", True):
                provider = provider_type(resource["type"])
                if provider is not None:
                    types.add(provider)
    document = {
        "generatedBy": COMMAND,
        "stacks": list(STACKS),
        "modes": list(MODES),
        "types": sorted(types),
    }
    return json.dumps(document, indent=2) + "\n"


def generate() -> str:
    from preflight import synth

    snapshots: list[dict[str, Any]] = []
    for mode in MODES:
        snapshots += synth.synthesize(list(STACKS), mode=mode).values()
    return render(snapshots)


def main(argv: list[str]) -> int:
    if argv not in (["--write"], ["--check"]):
        print("usage: python -m preflight.declared_types --write | --check", file=sys.stderr)
        return 2
    outcome = write_or_check(PATH, generate(), check=argv == ["--check"])
    if outcome is Outcome.STALE:
        print(f"preflight: {shown(PATH)} is stale: run `{COMMAND}`", file=sys.stderr)
        return 1
    if outcome is Outcome.WRITTEN:
        print(f"preflight: wrote {shown(PATH)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
