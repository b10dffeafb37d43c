"""Reading the installed provider SDKs as text: their type tokens and their inputs' names.

The pack never imports a provider SDK; its shape tests compare what it reads with these.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path


def sdk_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def tokens(package: str) -> frozenset[str]:
    found: set[str] = set()
    for path in sdk_dir(package).rglob("*.py"):
        found |= set(
            re.findall(r'@pulumi\.type_token\("([^"]+)"\)', path.read_text(encoding="utf-8"))
        )
    return frozenset(found)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@cache
def getters(package: str, module: str, class_name: str) -> frozenset[str]:
    """camelCase property names of ``class_name`` (an ``...Args`` class) in ``package/module``."""
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in (sdk_dir(package) / module).glob("*.py")
    )
    match = re.search(rf"^class {class_name}\b.*?(?=^class |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{package}.{module}.{class_name} not found"
    body = match.group(0)
    named = set(re.findall(r'@pulumi\.getter\(name="(\w+)"\)', body))
    plain = {camel(n) for n in re.findall(r"@pulumi\.getter\n\s+def (\w+)\(", body)}
    return frozenset(named | plain)
