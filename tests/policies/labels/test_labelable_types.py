"""The committed list of labelable GCP types matches the installed pulumi-gcp SDK.

"Labelable" means what the provider means by it: the resource takes a ``labels`` input and
reports ``effectiveLabels`` (GCP's label model, where the provider merges default labels). The
SDK is scanned as text, never imported (importing pulumi_gcp costs seconds). After an SDK
upgrade, regenerate with::

    .venv/bin/python tests/policies/labels/test_labelable_types.py --write
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TARGET = ROOT / "policies" / "_lib" / "labelable.py"
_CLASS_RE = re.compile(r'@pulumi\.type_token\("(gcp:[^"]+)"\)\nclass \w+\(pulumi\.CustomResource\)')
_PROP_RE = re.compile(r'__props__\.__dict__\["(\w+)"\] = (\w+)\n')


def sdk_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pulumi_gcp")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def scan(root: Path) -> list[str]:
    """Type tokens whose resource has a ``labels`` input and an ``effective_labels`` output."""
    found: set[str] = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in _CLASS_RE.finditer(text):
            start = text.find("def _internal_init", match.end())
            end = text.find("def get(", start)
            assigned = _PROP_RE.findall(text[start:end])
            inputs = {name for name, value in assigned if name == value}
            outputs = {name for name, value in assigned if value == "None"}
            if "labels" in inputs and "effective_labels" in outputs:
                found.add(match.group(1))
    return sorted(found)


def render(tokens: list[str], version: str) -> str:
    lines = "\n".join(f'        "{t}",' for t in tokens)
    return (
        f'"""GCP resource types that take GCP labels (generated from pulumi-gcp {version}).\n\n'
        "A type is labelable when its resource has a ``labels`` input and an ``effectiveLabels``\n"
        "output. Regenerate with\n"
        "``.venv/bin/python tests/policies/labels/test_labelable_types.py --write``; a test fails\n"
        'when this list and the installed SDK disagree.\n"""\n\n'
        f'SDK_VERSION = "{version}"\n\n'
        "LABELABLE_TYPES: frozenset[str] = frozenset(\n    (\n"
        f"{lines}\n    )\n)\n"
    )


def sdk_version() -> str:
    from importlib.metadata import version

    return version("pulumi_gcp")


def test_labelable_types_match_installed_sdk() -> None:
    expected = render(scan(sdk_dir()), sdk_version())
    assert TARGET.read_text() == expected, (
        "policies/_lib/labelable.py is stale for the installed pulumi-gcp: run "
        ".venv/bin/python tests/policies/labels/test_labelable_types.py --write"
    )


def test_scan_finds_the_types_the_program_labels() -> None:
    tokens = set(scan(sdk_dir()))
    for token in (
        "gcp:cloudrunv2/service:Service",
        "gcp:cloudrunv2/job:Job",
        "gcp:secretmanager/secret:Secret",
        "gcp:storage/bucket:Bucket",
        "gcp:kms/cryptoKey:CryptoKey",
        "gcp:pubsub/topic:Topic",
    ):
        assert token in tokens, token
    for token in ("gcp:serviceaccount/account:Account", "gcp:projects/iAMMember:IAMMember"):
        assert token not in tokens, token


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        print("usage: test_labelable_types.py --write", file=sys.stderr)
        sys.exit(2)
    TARGET.write_text(render(scan(sdk_dir()), sdk_version()))
    print(f"wrote {TARGET.relative_to(ROOT)}")
