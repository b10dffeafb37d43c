"""``docs/traceability.md``: one row per playbook rule, from the rule to its tests.

Generated from the rule catalogue (``controlplane/rules.py``), the config model (each config
path must resolve to a field), the policy pack (each policy name must exist; every policy of the
pack must enforce some rule) and the tests (the ``playbook`` marker names the rules a test
proves). :func:`problems` lists what does not hold; the docs test fails on any.
"""

from __future__ import annotations

import ast
import importlib
import types
import typing
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel

from config.stack import StackConfig
from controlplane.rules import PROCEDURE_RUNBOOKS, RULES, Rule
from preflight.cli import ROOT

DOC = Path("docs/traceability.md")
MARKER = "playbook"
"""The pytest marker that names the rules a test proves: ``pytest.mark.playbook("<slug>")``."""


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through Optional, list, dict values...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def resolves(path: str, model: type[BaseModel] = StackConfig) -> bool:
    """Whether ``a.b.c`` (camelCase, as in the stack file) names fields of ``model``."""
    head, _, rest = path.partition(".")
    for name, field in model.model_fields.items():
        if head not in {field.alias, name}:
            continue
        if not rest:
            return True
        annotation = field.annotation
        if typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        return any(resolves(rest, sub) for sub in _models_in(annotation))
    return False


def pack_policies() -> dict[str, str]:
    """Policy name -> repository path of the module that defines it."""
    from policies._lib.registry import policy_modules

    found = {}
    for name in policy_modules():
        module: types.ModuleType = importlib.import_module(name)
        path = Path(str(module.__file__)).resolve().relative_to(ROOT)
        found[module.POLICY.meta.name] = path.as_posix()
    return found


def _marker_slugs(node: ast.AST) -> list[str]:
    """Slugs of every ``pytest.mark.playbook(...)`` call under ``node``."""
    slugs = []
    for call in ast.walk(node):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == MARKER
            and isinstance(call.func.value, ast.Attribute)
            and call.func.value.attr == "mark"
        ):
            slugs += [a.value for a in call.args if isinstance(a, ast.Constant)]
    return [s for s in slugs if isinstance(s, str)]


def policy_test(module_path: str) -> str:
    """The test of ``policies/<area>/<m>.py``: ``tests/policies/<area>/test_<m>.py``."""
    path = Path(module_path)
    return (Path("tests") / path.parent / f"test_{path.name}").as_posix()


def tests_by_rule(root: Path = ROOT) -> dict[str, list[str]]:
    """Slug -> the test files that prove it.

    Those whose ``playbook`` markers name the rule, and the tests of the policies that enforce
    it (the pack's meta-test keeps each policy's test beside its module's name).
    """
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted((root / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for slug in _marker_slugs(tree):
            found[slug].add(path.relative_to(root).as_posix())
    policies = pack_policies()
    for rule in RULES:
        for name in rule.enforced_by:
            if name in policies and (root / policy_test(policies[name])).is_file():
                found[rule.slug].add(policy_test(policies[name]))
    return {slug: sorted(files) for slug, files in found.items()}


def is_gap(rule: Rule) -> bool:
    """A rule nothing in the project declares or enforces yet."""
    return not (rule.config or rule.declared_by or rule.enforced_by)


def problems(root: Path = ROOT) -> list[str]:
    """Everything the table would claim that is not so; empty when it all holds."""
    out: list[str] = []
    policies = pack_policies()
    tests = tests_by_rule(root)
    slugs = [rule.slug for rule in RULES]
    out += [f"{s}: slug listed twice" for s in sorted({s for s in slugs if slugs.count(s) > 1})]
    for rule in RULES:
        out += [
            f"{rule.slug}: config path {p!r} is no field" for p in rule.config if not resolves(p)
        ]
        out += [
            f"{rule.slug}: {p} does not exist" for p in rule.declared_by if not (root / p).exists()
        ]
        out += [
            f"{rule.slug}: no policy named {p!r}" for p in rule.enforced_by if p not in policies
        ]
        if not is_gap(rule) and not tests.get(rule.slug):
            out.append(f"{rule.slug}: no test carries pytest.mark.{MARKER}({rule.slug!r})")
    enforced = {p for rule in RULES for p in rule.enforced_by}
    out += [
        f"policy {p} enforces no rule of the catalogue" for p in sorted(set(policies) - enforced)
    ]
    out += [
        f"tests name an unknown rule {s!r}: {tests[s]}" for s in sorted(set(tests) - set(slugs))
    ]
    for runbook in sorted((root / "docs" / "runbooks").glob("*.md")):
        if runbook.stem not in slugs and runbook.stem not in PROCEDURE_RUNBOOKS:
            out.append(f"docs/runbooks/{runbook.name} is named after no rule's slug")
    return out


def _code(items: typing.Iterable[str]) -> str:
    return ", ".join(f"`{item}`" for item in items) or "—"


def render(root: Path = ROOT) -> str:
    """The whole document."""
    policies = pack_policies()
    tests = tests_by_rule(root)
    lines = [
        "# From the playbook to the test",
        "",
        "One row per rule of the operations playbook: its slug (the runbook's file name, the",
        "monitor's `alert:` tag, the key of the playbook tables and the tests' `playbook`",
        "marker), the config that sets it, the code that declares it, the policies that enforce",
        "it and the tests that prove it. Generated from `controlplane/rules.py` by",
        "`python -m preflight docs`; `tests/test_traceability.py` fails when it is stale or",
        "names something that is not so.",
        "",
        "| § | rule | slug | config | declared by | enforced by | proved by |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rule in RULES:
        if is_gap(rule):
            continue
        runbook = root / "docs" / "runbooks" / f"{rule.slug}.md"
        slug = f"[`{rule.slug}`](runbooks/{rule.slug}.md)" if runbook.exists() else f"`{rule.slug}`"
        config = _code(f"controlplane:{p}" for p in rule.config)
        enforced = ", ".join(
            f"[`{p}`](../{policies[p]})" for p in rule.enforced_by if p in policies
        )
        lines.append(
            f"| §{rule.section} | {rule.quote} | {slug} | {config} | {_code(rule.declared_by)} | "
            f"{enforced or '—'} | {_code(tests.get(rule.slug, []))} |"
        )
    gaps = [rule for rule in RULES if is_gap(rule)]
    if gaps:
        lines += [
            "",
            "## Not declared yet",
            "",
            "Rules of the playbook that nothing in the project declares or enforces today.",
            "",
            "| § | rule | slug |",
            "| --- | --- | --- |",
        ]
        lines += [f"| §{r.section} | {r.quote} | `{r.slug}` |" for r in gaps]
    return "\n".join(lines) + "\n"
