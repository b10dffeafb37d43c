"""Every command the docs show is run, or checked against the real command line it names.

CONVENTIONS (for README.md, docs/**/*.md and changes/README.md)

- Commands live in fenced ``sh``, ``bash`` or ``console`` blocks. In ``console`` blocks a
  command starts with ``$ ``, and the lines under it are an excerpt of its output: each must
  appear in what it prints. In ``sh`` blocks every line is a command; ``#`` starts a comment,
  ``\\`` continues a line. ``text``, ``json``, ``mermaid`` blocks are shown output or data.
  A ``yaml`` block whose keys are all ``controlplane:<key>`` is an excerpt of a stack file: it
  is merged into the doc's working copy of the selected stack's file (a mapping that holds only
  values replaces the one in the file, others merge). Other ``yaml`` blocks are data.
- ``<!-- exit: N -->`` on the line before a block: every command run from it must exit N
  (default 0).
- ``<word>`` and upper-case words (``FILE``, ``VERSION``) are placeholders: such a command is
  parsed, never run.
- An inline code span that starts with a command (``pulumi``, ``python``, ``make``, ...) and
  has arguments is checked like a block line, never run; a bare ``pulumi up`` is a mention.
- Each command is classified by its program (``PROGRAMS``); a program not listed there fails
  the test. ``python -m preflight`` commands run in this process (one synthesis per stack
  file, shared by every command), with their exit code and output checked, unless
  ``PREFLIGHT_NOT_RUN`` says why not; ``make`` targets must exist, cheap ones run (``MAKE``);
  ``python scripts/<name>.py`` lines parse with the script's own parser; ``pulumi`` lines are
  checked against the flags of the Pulumi CLI vendored in ``tools/vendor/pulumi-cli``, and
  ``pulumi config set`` is applied to a temporary copy of the stack file, which must then
  validate.
- Rules over all docs: every ``pulumi up`` of prod carries ``--policy-pack policies
  --policy-pack-config policies/config/prod-deploy.json`` (or a copy of it written by
  ``scripts/change_notice.py policy-config`` earlier in the same doc); every ``pulumi preview``
  of prod carries the pack and one of prod's configs; the bootstrap program's ``preview`` and
  ``up`` carry the pack and ``policies/config/org.json``; a ``preflight check`` of prod said to
  include the change freeze names its ``--policy-config``; every repository path a command or a
  code span names exists (or was written earlier in the doc); a resource count in a doc is one
  a test checks.
"""

from __future__ import annotations

import contextlib
import copy
import io
import itertools
import json
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight import synth as synth_mod
from preflight.__main__ import build_parser as preflight_parser
from preflight.__main__ import main as preflight_main
from preflight.cli import ROOT
from tests.support.config import bad_stack_file
from tests.support.doc_commands import Block, Segment, Span, blocks, logical_lines, segments
from tests.support.doc_commands import spans as inline_spans
from tests.support.operator_scripts import load_script

DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "changes" / "README.md",
]
GENERATED = {"docs/architecture.md", "docs/checkov.md", "docs/config.md", "docs/traceability.md"}
"""Generated in whole (their own tests keep them current): their figures are not re-counted."""
STACKS = ("dev", "staging", "prod")
FLAGS = json.loads((ROOT / "tools" / "vendor" / "pulumi-cli" / "flags.json").read_text())

COMMAND_LANGS = {"sh", "bash", "console"}
DATA_LANGS = {"text", "json", "mermaid", "yaml", ""}

PROGRAMS = {
    "pulumi": "the Pulumi CLI: flags checked against tools/vendor/pulumi-cli",
    "python": "python -m preflight | scripts/<name>.py | -m policies._lib.reference",
    "make": "a Makefile target",
    "gcloud": "needs Google Cloud credentials: not run",
    "jq": "reads what a cloud command wrote: not run",
    "openssl": "makes a random passphrase: not run",
    "git": "git plumbing around a rollback check: not run",
    "grep": "a filter in a pipeline of cloud commands",
    "sort": "a filter in a pipeline of cloud commands",
    "tail": "a filter in a pipeline of cloud commands",
    "head": "a filter in a pipeline of cloud commands",
    "echo": "prints a pass line",
    "cd": "changes the directory later lines run in (tracked)",
    "export": "sets a variable",
    "unset": "unsets a variable",
    "mkdir": "makes a scratch directory",
    "mktemp": "makes a scratch directory",
    "rm": "removes scratch files",
    "printf": "writes a scratch file",
    "for": "shell loop",
    "do": "shell loop",
    "done": "shell loop",
}
"""How each program a doc runs is handled; any other program fails the test."""

PREFLIGHT_NOT_RUN = {
    "diff": "synthesizes every stack at two revisions in a git worktree (minutes); "
    "tests/preflight/test_diff.py runs it",
    "evidence": "builds bundles with checkov's scan (minutes); tests/preflight/test_evidence.py",
    "scan": "checkov in its own virtualenv (minutes); tests/preflight/checkov",
    "docs": "rewrites the generated files; tests/preflight/test_docs.py checks them current",
}
MAKE = {
    "help": "run",
    "preview": "run",  # its recipe, from `make -n`, in this process
    "check": "run",
    "test": "the whole suite, this test included",
    "venv": "installs the virtualenv this test runs in",
    "scan": "checkov in its own virtualenv (minutes)",
    "audit": "needs the PyPI advisory service",
    "docs": "rewrites the generated files",
    "bench": "benchmarks (minutes)",
    "permissions": "the permissions check; tests/preflight/test_permissions.py",
    "clean": "deletes the virtualenvs",
    "typecheck": "mypy over everything, SDK types included (minutes)",
    "lint": "ruff and bandit over the tree (part of make test)",
    "unit": "the whole suite, this test included",
    "graphviz": "installs Graphviz with apt-get",
}
SCRIPTS = {
    "change_notice.py policy-config": "run",
    "change_notice.py check": "its answer depends on today's date and the committed records",
    "change_notice.py classify": "reads the report of the `preflight diff` before it",
    "rollback.py": "needs the Pulumi CLI and the state backend",
    "rollback_drill.py": "needs the Pulumi CLI and the state backend",
    "monthly_scan.py": "needs the cloud",
    "gen_tfmapping.py": "rewrites preflight/checkov/mapping.json; tests/preflight/checkov check it "
    "against the installed SDK",
}
SAMPLES = {"VERSION": "41", "N": "20"}
"""Values a placeholder takes where a parser checks its type (``--to VERSION`` is an int)."""
PATH_FLAGS = {
    "--policy-pack",
    "--policy-pack-config",
    "--policy-config",
    "--snapshot",
    "--project",
    "--diff-json",
    "--cwd",
    "-C",
    "--verify",
    "--file",
}
WRITES = {"--out", "--out-dir", "--evidence", "--json-out"}
REPO_DIRS = (
    "bench/",
    "bootstrap/",
    "changes/",
    "components/",
    "config/",
    "controlplane/",
    "docs/",
    "policies/",
    "preflight/",
    "scripts/",
    "stacks/",
    "tests/",
    "tools/",
    ".github/",
)
QUOTED = {"docs/operations-playbook.md"}
"""The playbook as the operators wrote it: its paths are those of the product's repository."""
COUNT = re.compile(r"\b(\d+) (?:resources|resource)\b")


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- running the offline commands, one synthesis per stack file ---------------------------------


class Runner:
    """Runs ``python -m preflight`` in this process; every synthesis is cached by the stack file's
    content, so the docs' many commands share one synthesis per stack and mode."""

    def __init__(self, seed: dict[tuple[str, ...], dict[str, Any]]) -> None:
        self.snapshots = seed
        self.results: dict[tuple[str, ...], tuple[int, str, str]] = {}
        self.real = synth_mod.synthesize

    def key(self, project: Path, stack: str, mode: str) -> tuple[str, str, str]:
        path = Path(project).resolve() / f"Pulumi.{stack}.yaml"
        content = path.read_text() if path.is_file() else ""
        return (str(Path(project).resolve()), content, mode)

    def synthesize(
        self,
        stacks: Any,
        project_dir: Path = ROOT,
        fingerprint_key: bytes | None = None,
        progress: Any = None,
        mode: str = "update",
    ) -> dict[str, dict[str, Any]]:
        out = {}
        for stack in stacks:
            key = (*self.key(project_dir, stack, mode), stack)
            if fingerprint_key is not None or key not in self.snapshots:
                made = self.real([stack], project_dir, fingerprint_key, progress, mode)[stack]
                if fingerprint_key is not None:
                    out[stack] = made
                    continue
                self.snapshots[key] = made
            out[stack] = copy.deepcopy(self.snapshots[key])
        return out

    def preflight(self, argv: list[str], cwd: Path) -> tuple[int, str]:
        """Exit code and everything printed (stdout, then stderr)."""
        code, out, err = self.streams(argv, cwd)
        return code, out + err

    def streams(self, argv: list[str], cwd: Path) -> tuple[int, str, str]:
        key = (str(cwd), *argv)
        if key not in self.results:
            out, err = io.StringIO(), io.StringIO()
            here = Path.cwd()
            os.chdir(cwd)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    code = preflight_main(argv)
            finally:
                os.chdir(here)
            self.results[key] = (code, out.getvalue(), err.getvalue())
        return self.results[key]


@pytest.fixture(scope="module")
def runner(snapshots, preview_snapshots, bootstrap_snapshot) -> Iterator[Runner]:
    """The session's snapshots (conftest) seed the cache: the whole suite synthesizes once."""
    seed: dict[tuple[str, ...], dict[str, Any]] = {}
    made = Runner({})
    for stack in STACKS:
        seed[(*made.key(ROOT, stack, "update"), stack)] = snapshots[stack]
        seed[(*made.key(ROOT, stack, "preview"), stack)] = preview_snapshots[stack]
    seed[(*made.key(ROOT / "bootstrap", "org", "update"), "org")] = bootstrap_snapshot
    run = Runner(seed)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synth_mod, "synthesize", run.synthesize)
        yield run


# --- the stack files a doc changes ------------------------------------------------------------


def _merge(into: dict[str, Any], excerpt: dict[str, Any]) -> None:
    for key, value in excerpt.items():
        holds_mappings = isinstance(value, dict) and any(
            isinstance(v, dict) for v in value.values()
        )
        if holds_mappings and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _set_path(config: dict[str, Any], key: str, path: list[str], value: Any) -> None:
    node = config.setdefault(key, {}) if path else config
    if not path:
        config[key] = value
        return
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def validate_stack_file(doc: dict[str, Any], stack: str) -> str | None:
    """The config error of a stack file (its text), or None when it validates."""
    from config.errors import ConfigError
    from config.stack import validate

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(doc))
        project = synth_mod.Project(Path(tmp), "controlplane", ROOT / "__main__.py")
        raw, secret_keys = synth_mod.stack_config(project, stack)
    try:
        validate(stack, raw, set(secret_keys))
    except ConfigError as err:
        return str(err)
    return None


# --- walking one doc --------------------------------------------------------------------------


@dataclass
class Walk:
    """What one doc's commands do, in document order, and every rule they break."""

    doc: Path
    runner: Runner | None
    cwd: Path = ROOT
    stack: str | None = None
    written: set[str] = field(default_factory=set)
    derived_configs: dict[str, str] = field(default_factory=dict)
    """Policy configs written by ``change_notice.py policy-config --out``: path to stack."""
    stack_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    scripts: list[list[str]] = field(default_factory=list)

    def where(self, line: int) -> str:
        return f"{rel(self.doc)}:{line}"

    def fail(self, line: int, text: str, why: str) -> None:
        self.problems.append(f"{self.where(line)}: `{text}`: {why}")

    # paths

    def path_ok(self, value: str) -> bool:
        if not value or value.startswith(("$", "~", "/tmp", "/dev", "-")) or "://" in value:
            return True
        if value in self.written or any(ch in value for ch in "<*{") or _is_placeholder(value):
            return True
        if "/" not in value.rstrip("/"):
            return True  # a file name of the working directory, e.g. prod-diff.json: not the repo's
        return (self.cwd / value).exists() or (ROOT / value).exists()

    def check_paths(self, line: int, text: str, argv: list[str]) -> None:
        for flag, value in itertools.pairwise(argv):
            name = flag.split("=", 1)[0]
            if name in WRITES:
                self.written.add(value)
            elif name in PATH_FLAGS and not self.path_ok(value):
                self.fail(line, text, f"{flag} {value}: no such file in the repository")

    # one simple command

    def command(
        self, line: int, text: str, seg: Segment, block: Block | None, output: list[str]
    ) -> None:
        argv = seg.argv
        for target in seg.redirects:
            self.written.add(target)
        if not argv:
            return
        program = argv[0].rsplit("/", 1)[-1]
        if program.startswith("python"):
            program = "python"
        if program not in PROGRAMS:
            self.fail(line, text, f"unclassified program {argv[0]!r}: add it to PROGRAMS")
            return
        if program == "cd":
            target = argv[1] if len(argv) > 1 else "~"
            if not target.startswith(("$", "~")):
                self.cwd = (self.cwd / target).resolve()
                if not self.cwd.is_dir():
                    self.fail(line, text, f"no directory {target}")
            return
        if program == "mkdir":
            self.written.update(a for a in argv[1:] if not a.startswith("-"))
        if program == "python":
            self.python(line, text, seg, block, output)
        elif program == "make":
            self.make(line, text, argv, block)
        elif program == "pulumi":
            self.pulumi(line, text, seg)

    def python(
        self, line: int, text: str, seg: Segment, block: Block | None, output: list[str]
    ) -> None:
        argv = seg.argv[1:]
        if argv[:2] == ["-m", "preflight"]:
            self.preflight(line, text, argv[2:], seg, block, output)
        elif argv[:2] in (["-m", "policies._lib.reference"], ["-m", "preflight.declared_types"]):
            if argv[2:] not in (["--write"], ["--check"]):
                self.fail(line, text, f"{argv[1]} takes --write or --check")
        elif "pulumi.policy" in argv:
            self.checked.append(f"{text} (how the Pulumi CLI launches the pack: not run)")
        elif argv and argv[0].startswith("scripts/"):
            self.script(line, text, argv, seg)
        else:
            self.fail(line, text, "unclassified python command")

    def preflight(
        self,
        line: int,
        text: str,
        argv: list[str],
        seg: Segment,
        block: Block | None,
        output: list[str],
    ) -> None:
        argv = [a.replace("$PWD", str(self.cwd)) for a in argv]
        argv = [a for a in argv if not a.startswith("[")]  # optional flags shown as [--check]
        command = next((a for a in argv if not a.startswith("-")), None)
        try:
            with contextlib.redirect_stderr(io.StringIO()) as err:
                preflight_parser(command).parse_args(argv)
        except SystemExit:
            self.fail(line, text, f"does not parse: {err.getvalue().strip().splitlines()[-1:]}")
            return
        self.check_paths(line, text, argv)
        placeholder = seg.placeholders or any(_is_placeholder(a) for a in argv)
        if block is None or self.runner is None:
            return
        if placeholder:
            self.checked.append(f"{text} (placeholder)")
            return
        if command in PREFLIGHT_NOT_RUN:
            self.checked.append(f"{text} (not run: {PREFLIGHT_NOT_RUN[command]})")
            return
        if [r for r in seg.redirects if r != "/dev/null"]:
            self.fail(line, text, "writes a file: give it a --out flag or classify it")
            return
        code, printed = self.runner.preflight(argv, self.cwd)
        self.ran.append(text)
        if code != block.exit:
            self.fail(line, text, f"exit {code}, the doc expects {block.exit}:\n{printed[-2000:]}")
        shown = [ln.rstrip() for ln in printed.splitlines()]
        for expected in output:
            if expected.rstrip() not in shown:
                self.fail(line, text, f"does not print the line shown: {expected.strip()!r}")

    def script(self, line: int, text: str, argv: list[str], seg: Segment) -> None:
        name = argv[0].removeprefix("scripts/")
        sub = next((a for a in argv[1:] if not a.startswith("-")), "")
        key = f"{name} {sub}" if f"{name} {sub}" in SCRIPTS else name
        if key not in SCRIPTS:
            self.fail(line, text, f"unclassified script command {key!r}: add it to SCRIPTS")
            return
        self.scripts.append(argv)
        args = ["prod" if a in ("<stack>", "<env>") else SAMPLES.get(a, a) for a in argv[1:]]
        if "def build_parser" not in (ROOT / "scripts" / name).read_text():
            self.checked.append(f"{text} ({SCRIPTS[key]})")
            return
        module = load_script(name.removesuffix(".py"))
        try:
            with contextlib.redirect_stderr(io.StringIO()) as err:
                module.build_parser().parse_args(args)
        except SystemExit:
            self.fail(line, text, f"does not parse: {err.getvalue().strip()}")
            return
        self.check_paths(line, text, args)
        if key == "change_notice.py policy-config" and "--out" in args:
            stack = _flag_value(args, "--stack") or "prod"
            self.derived_configs[args[args.index("--out") + 1]] = stack
        self.checked.append(f"{text} ({SCRIPTS[key]})")

    def make(self, line: int, text: str, argv: list[str], block: Block | None) -> None:
        targets = makefile_targets()
        for target in argv[1:]:
            if target not in targets:
                self.fail(line, text, f"no Makefile target {target!r}")
            elif target not in MAKE:
                self.fail(line, text, f"unclassified make target {target!r}: add it to MAKE")
            elif MAKE[target] == "run" and block is not None and self.runner is not None:
                self.ran.append(text)
                if target == "help":
                    continue  # test_make_help_lists_every_target runs it
                for recipe in make_recipe(target):
                    words = shlex.split(recipe)
                    if words[:3] != [".venv/bin/python", "-m", "preflight"]:
                        self.fail(line, text, f"recipe line not run offline: {recipe}")
                        continue
                    code, printed = self.runner.preflight(words[3:], ROOT)
                    if code != block.exit:
                        self.fail(line, text, f"{recipe}: exit {code}:\n{printed[-2000:]}")

    # pulumi

    def pulumi(self, line: int, text: str, seg: Segment) -> None:
        argv = seg.argv[1:]
        cwd = self.cwd
        words: list[str] = []
        i = 0
        while i < len(argv):
            if argv[i] in ("-C", "--cwd") and i + 1 < len(argv):
                if not self.path_ok(argv[i + 1]):
                    self.fail(line, text, f"-C {argv[i + 1]}: no such directory")
                cwd = (self.cwd / argv[i + 1]).resolve()
                i += 2
                continue
            words.append(argv[i])
            i += 1
        positional = [w for w in words if not w.startswith("-")]
        name = _pulumi_command(positional)
        if name is None:
            self.fail(line, text, "unknown pulumi subcommand (add it to tools/vendor/pulumi-cli)")
            return
        allowed = _pulumi_flags(name)
        for w in words:
            if w.startswith("-") and w != "-":
                flag = w.lstrip("-").split("=", 1)[0]
                if flag not in allowed:
                    self.fail(line, text, f"`pulumi {name}` has no flag {w.split('=')[0]}")
        stack = _flag_value(words, "--stack", "-s") or self.stack
        here = self.cwd
        self.cwd = cwd
        try:
            self.check_paths(line, text, words)
        finally:
            self.cwd = here
        if name in ("stack init", "stack select") and len(positional) > 2:
            self.stack = positional[2]
        elif name in ("stack init", "stack select"):
            self.stack = stack
        if name == "config set":
            self.config_set(line, text, words, stack, cwd)
        if name in ("up", "preview"):
            self.policy_rule(line, text, name, words, stack, cwd)
            self.validate_changes(line, text)
        if name == "preview" and seg.comment:
            self.count_rule(line, text, seg.comment, stack, cwd)

    def policy_rule(
        self, line: int, text: str, name: str, words: list[str], stack: str | None, cwd: Path
    ) -> None:
        pack = _flag_value(words, "--policy-pack")
        config = _flag_value(words, "--policy-pack-config")
        if cwd == ROOT / "bootstrap":
            want = {str(ROOT / "policies" / "config" / "org.json")}
            targets = ["org"]
        else:
            targets = [stack] if stack in STACKS else list(STACKS)
            inferred = self.derived_configs.get(config or "") or Path(
                config or ""
            ).stem.removesuffix("-deploy")
            if stack is None and inferred in STACKS:
                targets = [inferred]
            want = set()
        for target in targets:
            if pack is None or (cwd / pack).resolve() != ROOT / "policies":
                self.fail(
                    line, text, f"`pulumi {name}` of {target} without `--policy-pack policies`"
                )
                return
            if config is None:
                self.fail(line, text, f"`pulumi {name}` of {target} without --policy-pack-config")
                return
            config_path = str(
                (cwd / config.replace("<stack>", target).replace("<env>", target)).resolve()
            )
            if target == "org":
                ok = config_path in want
                needed = "policies/config/org.json"
            elif target == "prod" and name == "up":
                ok = (
                    config_path == str(ROOT / "policies/config/prod-deploy.json")
                    or config in self.derived_configs
                )
                needed = (
                    "policies/config/prod-deploy.json (or a change_notice.py policy-config copy)"
                )
            elif target == "prod":
                ok = (
                    config_path
                    in {
                        str(ROOT / "policies/config/prod.json"),
                        str(ROOT / "policies/config/prod-deploy.json"),
                    }
                    or config in self.derived_configs
                )
                needed = "policies/config/prod.json or prod-deploy.json"
            else:
                ok = config_path == str(ROOT / f"policies/config/{target}.json")
                needed = f"policies/config/{target}.json"
            if not ok:
                self.fail(
                    line,
                    text,
                    f"`pulumi {name}` of {target} must carry --policy-pack-config {needed}",
                )

    def config_set(
        self, line: int, text: str, words: list[str], stack: str | None, cwd: Path
    ) -> None:
        args = [w for w in words[2:] if not w.startswith("-")]
        flags = {w for w in words if w.startswith("-")}
        for value_flag in ("--stack", "-s", "--type"):
            v = _flag_value(words, value_flag)
            if v in args:
                args.remove(v)
        if "--secret" in flags and len(args) == 1:
            from config.stack import SECRET_KEYS

            if args[0] not in SECRET_KEYS and not args[0].startswith("<"):
                self.fail(line, text, f"{args[0]} is not a secret key the program reads")
            return
        if len(args) != 2 or cwd != ROOT or any(a.startswith("<") for a in args):
            return
        key, value = args
        parts = key.split(".") if "--path" in flags else [key]
        head = parts[0] if ":" in parts[0] else f"controlplane:{parts[0]}"
        parsed = yaml.safe_load(value) if "--path" in flags else value
        for target in [stack] if stack in STACKS else list(STACKS):
            doc = self.stack_file(target)
            _set_path(doc.setdefault("config", {}), head, parts[1:], parsed)
            self.changed.add(target)

    def stack_file(self, stack: str) -> dict[str, Any]:
        if stack not in self.stack_files:
            self.stack_files[stack] = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        return self.stack_files[stack]

    def excerpt(self, block: Block) -> None:
        data = yaml.safe_load(block.body)
        if not isinstance(data, dict) or not all(str(k).startswith("controlplane:") for k in data):
            return
        for target in [self.stack] if self.stack in STACKS else list(STACKS):
            _merge(self.stack_file(target).setdefault("config", {}), data)
            self.changed.add(target)
        self.validate_changes(block.line, "yaml excerpt")

    def validate_changes(self, line: int, text: str) -> None:
        for target in sorted(self.changed):
            problem = validate_stack_file(self.stack_files[target], target)
            if problem:
                self.fail(line, text, f"the stack file of {target} no longer validates: {problem}")
        self.changed.clear()

    def count_rule(self, line: int, text: str, comment: str, stack: str | None, cwd: Path) -> None:
        m = re.search(r"(\d+) resources to create", comment)
        if not m or self.runner is None:
            return
        _, printed = self.runner.preflight(
            ["preview", "--project", str(cwd), "--stack", stack or "prod"], ROOT
        )
        total = re.search(r"\+ (\d+) to create", printed)
        self.counts.append(int(m.group(1)))
        if total is None or int(total.group(1)) != int(m.group(1)):
            self.fail(
                line,
                text,
                f"says {m.group(1)} resources to create; the preview: {total and total.group(0)}",
            )

    # the freeze claim of a preflight check

    def freeze_rule(self, span: Span, seg: Segment) -> None:
        argv = seg.argv
        if argv[1:4] != ["-m", "preflight", "check"] or "--policy-config" in argv:
            return
        stack = _flag_value(argv, "--stack")
        if stack in ("prod", "<stack>", "<env>") and "freeze" in span.paragraph:
            self.fail(
                span.line,
                span.text,
                "a prod check said to hold the change freeze needs "
                "--policy-config policies/config/prod-deploy.json (prod.json keeps it advisory)",
            )

    # driving it

    def run(self) -> Walk:
        text = self.doc.read_text()
        events: list[tuple[int, Block | Span]] = [(b.start, b) for b in blocks(self.doc, text)]
        events += [(s.start, s) for s in inline_spans(self.doc, text)]
        for _, item in sorted(events, key=lambda e: e[0]):
            if isinstance(item, Block):
                self.block(item)
            else:
                self.span(item)
        self.validate_changes(0, "end of doc")
        self.prose_paths(text)
        return self

    def prose_paths(self, text: str) -> None:
        """Repository files named in the prose, outside code: ``docs/runbooks/rollback.md``."""
        if rel(self.doc) in QUOTED:
            return
        prose = re.sub(r"```.*?```|`[^`\n]*`|\]\([^)]*\)", " ", text, flags=re.S)
        dirs = "|".join(re.escape(d) for d in REPO_DIRS)
        for m in re.finditer(rf"(?<![\w./-])((?:{dirs})[\w./-]*\.[a-z]+)\b", prose):
            if not (ROOT / m.group(1)).exists():
                line = text.count("\n", 0, text.find(m.group(1))) + 1
                self.fail(line, m.group(1), "names a file the repository does not have")

    def block(self, block: Block) -> None:
        if block.lang == "yaml":
            self.excerpt(block)
            return
        if block.lang not in COMMAND_LANGS:
            if block.lang not in DATA_LANGS:
                self.fail(block.line, block.lang, "unclassified block language")
            return
        for line_text, output in logical_lines(block.body, block.lang == "console"):
            for seg in segments(line_text):
                self.command(block.line, line_text, seg, block, output)
        self.validate_changes(block.line, "end of block")

    def span(self, span: Span) -> None:
        first = span.text.split(" ", 1)[0]
        if first not in ("pulumi", "python", ".venv/bin/python", "make") or " " not in span.text:
            self.span_path(span)
            return
        try:
            segs = segments(span.text)
        except ValueError:
            return  # an unbalanced quote: prose, not a command
        if first == "pulumi" and segs and len(segs[0].argv) <= 2 and len(segs) == 1:
            return  # `pulumi up`: a mention
        words = span.text.split()
        if (
            "..." in words
            or words[-1] == "--policy-pack"
            or all(_is_placeholder(w) for w in words[2:])
        ):
            return  # `python -m preflight ...`, `pulumi up <stack>`: mentions
        if words[1:3] == ["-m", "preflight"] and len(words) <= 4:
            return  # `python -m preflight check`: a mention of the command
        pack = [
            s.text[s.text.index("--policy-pack ") :]
            for s in inline_spans(self.doc, span.paragraph)
            if "--policy-pack " in s.text and s.text != span.text
        ]
        for seg in segs:
            up_or_preview = seg.argv[:1] == ["pulumi"] and seg.argv[1:2] in (["up"], ["preview"])
            if up_or_preview and "--policy-pack" not in seg.argv and pack:
                seg.argv += shlex.split(pack[0])  # "both with `--policy-pack ...`" in the sentence
            if seg.argv and seg.argv[0] in ("pulumi", "python", ".venv/bin/python", "make"):
                self.command(span.line, span.text, seg, None, [])
                self.freeze_rule(span, seg)

    def span_path(self, span: Span) -> None:
        value = span.text.split(" ", 1)[0].rstrip(".,:;")
        if (
            rel(self.doc) in QUOTED
            or not value.startswith(REPO_DIRS)
            or "e.g. `" + span.text in span.paragraph.replace("\n", " ")
        ):
            return
        looks_like_file = value.endswith("/") or re.search(r"\.\w+$", value)
        exists = (ROOT / value).exists() or (self.doc.parent / value).exists()
        if looks_like_file and not any(ch in value for ch in "<*{$") and not exists:
            self.fail(span.line, span.text, "names a file the repository does not have")


def _is_placeholder(word: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][A-Z_]+", word)) or "<" in word or "PLACEHOLDER" in word


def _flag_value(words: list[str], *names: str) -> str | None:
    for i, w in enumerate(words):
        for name in names:
            if w == name and i + 1 < len(words):
                return words[i + 1]
            if w.startswith(name + "="):
                return w.split("=", 1)[1]
    return None


def _pulumi_command(positional: list[str]) -> str | None:
    commands = FLAGS["commands"]
    aliases = {
        f"stack {alias}": name
        for name, entry in commands.items()
        for alias in entry.get("aliases", [])
    }
    for size in (2, 1):
        candidate = " ".join(positional[:size])
        if candidate in commands:
            return candidate
        if candidate in aliases:
            return aliases[candidate]
    return None


def _pulumi_flags(name: str) -> set[str]:
    commands = FLAGS["commands"]
    allowed = set(commands[name]["flags"]) | set(commands[name]["persistent"])
    parts = name.split()
    for i in range(len(parts)):
        parent = " ".join(parts[:i]) or "pulumi"
        allowed |= set(commands.get(parent, {}).get("persistent", []))
    return allowed


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):(?!=)", text, flags=re.M))


def make_recipe(target: str) -> list[str]:
    """What ``make <target>`` runs, with the virtualenv taken as built."""
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-o",
            ".venv/.synced",
            "-o",
            ".venv-checkov/bin/checkov",
            target,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [ln for ln in done.stdout.splitlines() if ln.strip()]


_WALKS: dict[tuple[Path, bool], Walk] = {}


def walk(doc: Path, runner: Runner | None) -> Walk:
    """The walk of ``doc`` (once per test module run: the docs do not change under it)."""
    key = (doc, runner is not None)
    if key not in _WALKS:
        _WALKS[key] = Walk(doc, runner).run()
    return _WALKS[key]


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_every_command_of_the_doc_runs_or_checks(doc: Path, runner: Runner) -> None:
    done = walk(doc, runner)
    assert not done.problems, "\n".join(done.problems)


def test_offline_commands_are_run(runner: Runner) -> None:
    ran = [cmd for doc in DOCS for cmd in walk(doc, runner).ran]
    assert any("preflight check --all" in c for c in ran), ran
    assert any("preflight preview --project" in c for c in ran), ran
    assert any("make preview" in c for c in ran), ran
    assert any("check --snapshot tests/policies/corpus" in c for c in ran), ran


def test_every_script_command_in_the_docs_parses() -> None:
    found = [argv[0] for doc in DOCS for argv in walk(doc, None).scripts]
    assert {"scripts/change_notice.py", "scripts/rollback_drill.py", "scripts/rollback.py"} <= set(
        found
    )


def test_resource_counts_in_docs_are_checked(runner: Runner) -> None:
    """A figure like "95 resources" outside generated text is one a test compares with a run."""
    checked = {rel(doc): walk(doc, runner).counts for doc in DOCS}
    for doc in DOCS:
        if rel(doc) in GENERATED:
            continue
        text = doc.read_text()
        for name in ("check", "checkov-summary", "checkov-coverage"):
            text = re.sub(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", "", text, flags=re.S)
        for block in blocks(doc, text):
            if block.lang == "console":  # output excerpts under a command are compared
                text = text.replace(block.body, "")
        figures = [int(n) for n in COUNT.findall(text)]
        unchecked = [n for n in figures if n not in checked[rel(doc)]]
        assert not unchecked, f"{rel(doc)}: resource counts no test checks: {unchecked}"


def test_make_help_lists_every_target() -> None:
    done = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, check=True)
    listed = set(re.findall(r"^make (\S+)", done.stdout, flags=re.M))
    declared = re.search(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert declared, "the Makefile declares its targets in .PHONY"
    phony = set(declared.group(1).split())
    assert phony <= makefile_targets()
    assert listed == phony, (
        f"missing from make help: {sorted(phony - listed)}; unknown: {sorted(listed - phony)}"
    )


@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_relative_links_resolve(doc: Path) -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", doc.read_text()):
        assert (doc.parent / target).exists(), f"{rel(doc)}: {target}"


README = (ROOT / "README.md").read_text()


def test_readme_commands_are_real_subcommands() -> None:
    parser = preflight_parser()
    commands = re.findall(r"`python -m preflight ([^`]+)`", README)
    assert commands
    for command in commands:
        argv = [a for a in shlex.split(command) if not a.startswith("[")]
        parser.parse_args(argv)


def test_readme_error_example_is_the_real_message(project_with, capsys) -> None:
    [example] = re.findall(r"```text\n(preflight: error: config error[^\n]+)\n```", README)
    project = project_with("prod", bad_stack_file("prod_synthetic_data"))
    assert preflight_main(["synth", "--stack", "prod", "--project", str(project)]) == 2
    assert example in capsys.readouterr().err.splitlines()


def test_readme_shows_the_real_check_output(runner: Runner) -> None:
    block = README[README.index("<!-- check:start -->") : README.index("<!-- check:end -->")]
    shown = block.split("$ python -m preflight check --all\n", 1)[1].split("```", 1)[0]
    code, printed, _ = runner.streams(["check", "--all"], ROOT)
    assert code == 0
    assert printed == shown


def test_the_documented_record_example_is_a_valid_record(tmp_path: Path) -> None:
    notice = load_script("change_notice")
    readme = (ROOT / "changes" / "README.md").read_text()
    (example,) = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    path = tmp_path / "2025-06-06-kms-key-ring.yaml"
    path.write_text(example)
    record = notice.load_record(path)
    assert (record.stacks, record.high_impact) == (("prod",), True)
    for key in notice.REQUIRED + notice.OPTIONAL:
        assert f"| `{key}` |" in readme, key
