"""What a bundle holds (config, snapshot, plan export, policy and checkov reports, diff,
history), its manifest, and its verification."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import importlib.metadata
import io
import json
import re
import shutil
import subprocess  # nosec B404  # git and the Pulumi CLI, fixed argument lists
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from preflight.checkov import scan as scan_mod
from preflight.checkov import tfplan
from preflight.diff.model import APPLY_FAILURE_EXIT, DATA_LOSS_EXIT
from preflight.evidence.stores import FORMAT, MANIFEST, EvidenceError, Store, check_name
from preflight.snapshot import SECRET_MARKER


def _dump_json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def redact_config(text: str) -> bytes:
    """A Pulumi stack file with every ``secure:`` value replaced by ``[secret]``."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"secure"}:
                return SECRET_MARKER
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    doc = walk(yaml.safe_load(text) or {})
    return yaml.safe_dump(doc, sort_keys=True, allow_unicode=True).encode()


def _git(repo: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    done = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
        [git, *args], cwd=repo, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(repo: Path) -> dict[str, Any]:
    """The commit the bundle was made from, and whether the working tree differed from it."""
    commit = _git(repo, "rev-parse", "HEAD")
    status = _git(repo, "status", "--porcelain")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def pulumi_history(pulumi: str | None, stack: str, project_dir: Path) -> tuple[Any, str | None]:
    """(history JSON, None) from the Pulumi CLI, or (None, why not)."""
    if pulumi is None:
        return None, "the Pulumi CLI is not installed: no update history"
    done = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
        [pulumi, "stack", "history", "--stack", stack, "--json"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None, f"`pulumi stack history` failed (exit {done.returncode}): run `pulumi login`"
    try:
        return json.loads(done.stdout), None
    except json.JSONDecodeError:
        return None, "`pulumi stack history --json` printed no JSON"


def deployed_commit_from(history: Any) -> str | None:
    """git.head of the newest successful update in ``pulumi stack history --json`` output."""
    if not isinstance(history, list):
        return None
    for update in history:  # newest first
        if not isinstance(update, dict):
            continue
        if update.get("kind") == "update" and update.get("result") == "succeeded":
            head = (update.get("environment") or {}).get("git.head")
            return str(head) if head else None
    return None


@dataclass
class Bundle:
    """One stack's evidence: file name -> bytes, plus what is missing and why."""

    project: str
    stack: str
    git: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    omitted: dict[str, str] = field(default_factory=dict)
    deployed_commit: str | None = None
    tools: dict[str, str] = field(default_factory=dict)

    def manifest(self) -> bytes:
        return _dump_json(
            {
                "format": FORMAT,
                "project": self.project,
                "stack": self.stack,
                "git": self.git,
                "deployedCommit": self.deployed_commit,
                "tools": self.tools,
                "files": {
                    name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                    for name, data in sorted(self.files.items())
                },
                "omitted": dict(sorted(self.omitted.items())),
            }
        )


def _call(module: Any, argv: list[str]) -> tuple[int, str]:
    """Run a preflight subcommand (add_arguments/run) in-process; (exit code, stdout)."""
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = int(module.run(parser.parse_args(argv)))
    return code, out.getvalue()


def deploy_policy_config(config_dir: Path, stack: str) -> Path:
    """The config a stack is deployed with: its `-deploy` config (prod: the change freeze
    mandatory) when it has one, as the deploy workflow and scripts/rollback.py use."""
    deploy = config_dir / f"{stack}-deploy.json"
    return deploy if deploy.is_file() else config_dir / f"{stack}.json"


def policy_reports(snapshots: Mapping[str, Mapping[str, Any]]) -> dict[str, bytes | str]:
    """Per stack: the policy report JSON, or why it is missing."""
    try:
        from preflight import check
    except ImportError:
        return dict.fromkeys(snapshots, "preflight check is not available")
    from preflight.synth import dumps

    result: dict[str, bytes | str] = {}
    with tempfile.TemporaryDirectory(prefix="preflight-evidence-") as tmp:
        for stack, snap in snapshots.items():
            path = Path(tmp) / f"{stack}.json"
            path.write_text(dumps(dict(snap)), encoding="utf-8")
            config = deploy_policy_config(check.CONFIG_DIR, stack)
            argv = ["--snapshot", str(path), "--json"]
            if config.is_file():
                argv += ["--policy-config", str(config)]
            code, out = _call(check, argv)
            if code not in (0, 1):
                result[stack] = f"`preflight check` failed (exit {code})"
                continue
            doc = json.loads(out)
            entries = [s for s in doc.get("stacks", []) if s.get("stack") == stack]
            result[stack] = _dump_json(
                {
                    "policyPack": doc.get("policyPack"),
                    "passed": all(s.get("passed") for s in entries),
                    "stacks": entries,
                }
            )
    return result


def checkov_reports(
    snapshots: Mapping[str, Mapping[str, Any]], repo: Path
) -> dict[str, bytes | str]:
    """Per stack: the checkov report (its plan's results and the repository's), or why not."""
    try:
        report = scan_mod.scan(snapshots, repo=repo)
    except scan_mod.ScanError as exc:
        return dict.fromkeys(snapshots, str(exc))
    doc = report.to_json()
    result: dict[str, bytes | str] = {}
    for stack in snapshots:
        results = [r for r in doc["results"] if r.get("stack") in (None, stack)]
        result[stack] = _dump_json({**doc, "results": results})
    return result


DiffRunner = Callable[[str, str, Path], tuple[int, str]]


def run_diff(commit: str, stack: str, project_dir: Path) -> tuple[int, str]:
    """``preflight diff --base COMMIT --stack STACK --format json`` in-process."""
    from preflight import diff

    argv = ["--base", commit, "--stack", stack, "--format", "json", "--skip-policy"]
    return _call(diff, [*argv, "--project", str(project_dir)])


def build_bundles(
    stacks: list[str],
    project_dir: Path | None = None,
    deployed_commit: str | None = None,
    pulumi: str | None = None,
    diff_runner: DiffRunner = run_diff,
    progress: Callable[[str], None] | None = None,
    snapshots: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Bundle]:
    """The evidence of ``stacks``: one synthesis, one checkov run and one pack run for all.

    ``snapshots``, when given, are used instead of synthesizing (they must be of this project).
    """
    from preflight.cli import ROOT
    from preflight.synth import Project, dumps, synthesize

    project_dir = ROOT if project_dir is None else project_dir
    project = Project.load(project_dir)
    say = progress or (lambda _m: None)
    if snapshots is None:
        snapshots = synthesize(stacks, project_dir, progress=progress)
    snapshots = {stack: snapshots[stack] for stack in stacks}
    git = git_state(project_dir)
    say("policy pack")
    policies = policy_reports(snapshots)
    say("checkov")
    checkov = checkov_reports(snapshots, ROOT)
    tools = {
        "pulumi": importlib.metadata.version("pulumi"),
        "pulumi_gcp": importlib.metadata.version("pulumi_gcp"),
    }
    bundles = {}
    for stack in stacks:
        b = Bundle(project=project.name, stack=stack, git=git, tools=tools)
        b.files["config/Pulumi.yaml"] = (project_dir / "Pulumi.yaml").read_bytes()
        b.files[f"config/Pulumi.{stack}.yaml"] = redact_config(
            (project_dir / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
        )
        policy_config = deploy_policy_config(project_dir / "policies" / "config", stack)
        if policy_config.is_file():
            b.files["config/policy-config.json"] = policy_config.read_bytes()
        b.files["snapshot.json"] = dumps(dict(snapshots[stack])).encode()
        b.files["tfplan.json"] = tfplan.render(tfplan.export_plan(snapshots[stack]).plan).encode()
        for name, produced in (
            ("policy-report.json", policies[stack]),
            ("checkov-report.json", checkov[stack]),
        ):
            if isinstance(produced, bytes):
                b.files[name] = produced
            else:
                b.omitted[name] = produced
        history, why = pulumi_history(pulumi, stack, project_dir)
        if history is None:
            b.omitted["history.json"] = str(why)
        else:
            b.files["history.json"] = _dump_json(history)
        b.deployed_commit = deployed_commit or deployed_commit_from(history)
        if b.deployed_commit is None:
            b.omitted["diff.json"] = (
                "no deployed commit known: pass --deployed-commit REV or install the Pulumi CLI"
            )
        else:
            say(f"diff of {stack} against {b.deployed_commit}")
            code, out = diff_runner(b.deployed_commit, stack, project_dir)
            # The report is complete for a data-loss risk (3) and a change refused at apply (4).
            if code in (0, DATA_LOSS_EXIT, APPLY_FAILURE_EXIT):
                b.files["diff.json"] = out.encode()
            else:
                b.omitted["diff.json"] = f"`preflight diff` failed (exit {code})"
        bundles[stack] = b
    return bundles


def write_bundle(bundle: Bundle, store: Store) -> None:
    """Every file, then the manifest last (an interrupted write leaves no valid bundle)."""
    for name, data in sorted(bundle.files.items()):
        store.put(name, data)
    store.put(MANIFEST, bundle.manifest())


MAX_MANIFEST_BYTES = 1024 * 1024
"""The largest manifest read (a bundle's lists a dozen files)."""
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def manifest_files(raw: bytes, where: str) -> dict[str, dict[str, Any]]:
    """The ``files`` of a manifest, each name checked (:func:`stores.check_name`) before any file
    is read, or one ``EvidenceError`` naming what is wrong; nothing of the file is echoed."""
    shape = (
        f"{where}: not a bundle manifest; expected a JSON object whose 'files' maps each "
        "file name to {'sha256': <64 hex digits>, 'bytes': <size>}"
    )
    if len(raw) > MAX_MANIFEST_BYTES:
        raise EvidenceError(f"{where}: larger than any bundle manifest ({len(raw)} bytes)")
    try:
        manifest = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested beyond the parser
        raise EvidenceError(f"{where}: not JSON; a bundle manifest is a JSON object") from None
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict):
        raise EvidenceError(shape)
    for name, entry in listed.items():
        check_name(name)
        if name == MANIFEST:
            raise EvidenceError(f"{where}: lists itself; a manifest lists the other files")
        if not isinstance(entry, dict) or not _SHA256_RE.match(str(entry.get("sha256", ""))):
            raise EvidenceError(shape)
        size = entry.get("bytes", 0)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise EvidenceError(shape)
    return listed


def verify(store: Store) -> list[str]:
    """Problems with a bundle: tampered, missing or unlisted files (empty when it verifies)."""
    raw = store.get(MANIFEST)
    if raw is None:
        raise EvidenceError(f"{store.location}: no {MANIFEST}: not an evidence bundle")
    listed = manifest_files(raw, f"{store.location}/{MANIFEST}")
    problems = []
    for name, entry in sorted(listed.items()):
        data = store.get(name)
        if data is None:
            problems.append(f"missing: {name}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            problems.append(f"tampered: {name} (sha256 {digest}, manifest {entry.get('sha256')})")
    for name in store.names():
        if name != MANIFEST and name not in listed:
            problems.append(f"not in the manifest: {name}")
    return problems
