"""The policy reference in docs/policies.md, generated from the policies' metadata.

    .venv/bin/python -m policies._lib.reference --write   # regenerate docs/policies.md's tables
    .venv/bin/python -m policies._lib.reference --check   # exit 1 when they are stale

Only the text between the two marker comments is generated; the rest of the page is prose.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from policies._lib.policy import ControlPlanePolicy, ControlPlaneStackPolicy
from policies._lib.registry import PACK_DIR, collect

DOC = PACK_DIR.parent / "docs" / "policies.md"
BEGIN = "<!-- BEGIN GENERATED POLICY REFERENCE (python -m policies._lib.reference --write) -->"
END = "<!-- END GENERATED POLICY REFERENCE -->"
ENVIRONMENTS = ("dev", "staging", "prod", "prod-deploy", "org")
"""The config files shown as columns: the environments (pull-request checks and previews), prod's
deploy config (the change freeze on) and the bootstrap program's stack ``org``."""
COLUMNS = {"prod-deploy": "prod deploy", "org": "bootstrap (org)"}
PACK_DEFAULT_LEVEL = "mandatory"


def levels(env: str, names: list[str]) -> dict[str, str]:
    """Each policy's enforcement level under ``policies/config/<env>.json``."""
    config: dict[str, Any] = json.loads((PACK_DIR / "config" / f"{env}.json").read_text())
    default = config.get("all", PACK_DEFAULT_LEVEL)
    result = {}
    for name in names:
        value = config.get(name)
        if isinstance(value, str):
            result[name] = value
        elif isinstance(value, dict) and "enforcementLevel" in value:
            result[name] = str(value["enforcementLevel"])
        else:
            result[name] = str(default)
    return result


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(value: Any) -> str:
    return "`" + json.dumps(value, separators=(", ", ": ")) + "`"


def render(policies: list[ControlPlanePolicy]) -> str:
    names = [p.name for p in policies]
    by_env = {env: levels(env, names) for env in ENVIRONMENTS}
    lines = [
        BEGIN,
        "",
        "| ID | Policy | Kind | Severity | Playbook | Ensures | Property absent | "
        + " | ".join(COLUMNS.get(env, env) for env in ENVIRONMENTS)
        + " |",
        "| --- | --- | --- | --- | --- | --- | --- | "
        + " | ".join("---" for _ in ENVIRONMENTS)
        + " |",
    ]
    for policy in policies:
        meta = policy.meta
        kind = "stack" if isinstance(policy, ControlPlaneStackPolicy) else "resource"
        cells = [
            meta.id,
            f"`{meta.name}`",
            kind,
            meta.severity,
            meta.section,
            meta.description,
            f"{meta.on_missing}: {meta.missing_rationale}",
            *(by_env[env][meta.name] for env in ENVIRONMENTS),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += [
        "",
        "### Remediation and settings",
        "",
        'Every policy also takes `include` (default `["*"]`) and `exclude` (default `[]`): '
        "patterns matched against the resource's logical name (see Exemptions above).",
        "",
    ]
    for policy in policies:
        meta = policy.meta
        lines.append(f"#### {meta.id} `{meta.name}`")
        lines.append("")
        lines.append(f"Fix: {meta.remediation}")
        own = {k: v for k, v in policy.schema.items() if k not in ("include", "exclude")}
        if own:
            lines.append("")
            lines.append("| Setting | Default | Meaning |")
            lines.append("| --- | --- | --- |")
            for key, spec in own.items():
                lines.append(
                    f"| `{key}` | {_cell(_default(spec.get('default')))} | "
                    f"{_cell(str(spec.get('description', '')))} |"
                )
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def updated(text: str, block: str) -> str:
    """``text`` with its generated block replaced by ``block``."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{DOC} has no generated block: keep the lines {BEGIN!r} ... {END!r}")
    return text[:start] + block + text[end + len(END) :]


def main(argv: list[str]) -> int:
    if argv not in (["--write"], ["--check"]):
        print("usage: python -m policies._lib.reference --write | --check", file=sys.stderr)
        return 2
    current = DOC.read_text(encoding="utf-8")
    fresh = updated(current, render(collect()))
    if argv == ["--check"]:
        if fresh != current:
            print(f"{DOC} is stale: run python -m policies._lib.reference --write", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
