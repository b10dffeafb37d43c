"""``python -m preflight scan``: checkov's checks over the program, the repository and CI workflows.

Three scans, two checkov processes run side by side:

- ``terraform_plan`` over the plan export (``preflight/tfplan.py``) of each stack, one directory
  for all of them. checkov reports 0 resources and exit 0 for a plan it cannot read, so the scan
  asserts that checkov's resource count equals the number of exported resources;
- ``secrets`` over the repository and ``github_actions`` over ``.github/workflows`` (the workflow
  files are also passed by name, since checkov's secrets scan skips hidden directories).

checkov lives in its own virtualenv (``.venv-checkov``, from ``tools/checkov/requirements.txt``)
and always runs with ``--skip-download``. Failed checks can only be skipped with a written reason
in ``tools/checkov/config.yaml``; the report lists every skip with it. Plan findings are located
by Pulumi URN, file findings by repository path and line. Code blocks and checkov's secret
fingerprints are never copied into the report.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess  # nosec B404  # checkov runs as a subprocess, with a fixed argument list
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from preflight import tfplan

REPO = Path(__file__).resolve().parent.parent
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
CONFIG = REPO / "tools" / "checkov" / "config.yaml"
REQUIREMENTS = REPO / "tools" / "checkov" / "requirements.txt"
DOC = REPO / "docs" / "checkov.md"
PLAN_SUFFIX = ".tfplan.json"
BOOTSTRAP = (
    "python3 -m venv .venv-checkov && .venv-checkov/bin/pip install --no-deps "
    "--require-hashes -r tools/checkov/requirements.txt"
)
CHECKOV_TIMEOUT = 900
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "True", "PYTHONDONTWRITEBYTECODE": "1"}


class ScanError(Exception):
    """Setup or configuration problem: one line, exit code 2."""


class CheckovError(Exception):
    """checkov failed to run or its output could not be read."""


class Skip(BaseModel):
    """One justified skip: a failed check that is accepted, where, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str = Field(pattern=r"^CKV2?_[A-Z0-9]+_\d+$")
    urns: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    line: str | None = None
    """For file findings: a regular expression the flagged line must match, so that the skip
    covers one known false positive and not every future finding in the file."""
    reason: str = Field(min_length=20)

    @model_validator(mode="after")
    def _one_scope(self) -> Skip:
        if bool(self.urns) == bool(self.paths):
            raise ValueError("give either `urns` (plan findings) or `paths` (file findings)")
        if self.line is not None:
            if self.urns:
                raise ValueError("`line` applies to `paths` skips only")
            re.compile(self.line)
        return self

    def matches(self, finding: Finding, repo: Path | None) -> bool:
        if finding.check_id != self.check:
            return False
        if finding.urn is not None:
            return any(fnmatchcase(finding.urn, pattern) for pattern in self.urns)
        if not any(fnmatchcase(finding.file, pattern) for pattern in self.paths):
            return False
        if self.line is None:
            return True
        if repo is None:
            return False
        try:
            lines = (repo / finding.file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return False
        number = finding.lines[0]
        return 0 < number <= len(lines) and re.search(self.line, lines[number - 1]) is not None

    def label(self) -> str:
        return f"{self.check} {', '.join(self.urns or self.paths)}"


class ScanConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    skips: tuple[Skip, ...] = ()


def load_config(path: Path = CONFIG) -> ScanConfig:
    """The justified skips; a bad file is a ScanError naming the entry and what to write."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return ScanConfig()
    except yaml.YAMLError as exc:
        raise ScanError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    try:
        return ScanConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScanError(
            f"{path}: {where}: {first['msg']} "
            "(each skip needs check: CKV_..., urns: or paths:, and a reason of 20+ characters)"
        ) from None


@dataclass(frozen=True)
class Finding:
    """One checkov result, located in Pulumi terms."""

    framework: str
    check_id: str
    check_name: str
    result: str
    """passed, failed or skipped (a failed check accepted by a justified skip)."""
    file: str
    """Repository-relative path, or ``<stack>.tfplan.json`` for plan findings."""
    lines: tuple[int, int]
    urn: str | None = None
    stack: str | None = None
    address: str | None = None
    resource: str | None = None
    """checkov's resource for workflow findings (e.g. ``jobs(test).steps[2]``)."""
    guideline: str | None = None
    reason: str | None = None

    @property
    def where(self) -> str:
        if self.urn is not None:
            return self.urn
        suffix = f" {self.resource}" if self.resource else ""
        return f"{self.file}:{self.lines[0]}{suffix}"

    def sort_key(self) -> tuple[str, ...]:
        return (self.framework, self.where, self.check_id, self.result)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "framework": self.framework,
            "check_id": self.check_id,
            "check_name": self.check_name,
            "result": self.result,
            "file": self.file,
            "lines": list(self.lines),
        }
        for key in ("urn", "stack", "address", "resource", "guideline", "reason"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class ScanReport:
    """Everything one scan found; ``ok`` is what the exit code says."""

    checkov_version: str = ""
    stacks: list[str] = field(default_factory=list)
    exported: dict[str, int] = field(default_factory=dict)
    checkov_resources: int | None = None
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def results(self, check_id: str, result: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.check_id == check_id and result in (None, f.result)]

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.result == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.problems

    def summary(self) -> dict[str, dict[str, int]]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for f in self.findings:
            counts[f.framework][f.result] += 1
        return {
            fw: {k: counts[fw][k] for k in ("passed", "failed", "skipped")} for fw in sorted(counts)
        }

    def to_json(self) -> dict[str, Any]:
        """Deterministic: the same program and repository give the same document."""
        return {
            "checkov_version": self.checkov_version,
            "stacks": self.stacks,
            "resources": {"exported": self.exported, "checkov": self.checkov_resources},
            "summary": self.summary(),
            "problems": self.problems,
            "notices": self.notices,
            "results": [f.to_json() for f in sorted(self.findings, key=Finding.sort_key)],
        }

    def render(self) -> str:
        lines = []
        exported = sum(self.exported.values())
        lines.append(
            f"checkov {self.checkov_version or '?'}: terraform_plan over "
            f"{', '.join(self.stacks) or 'no stack'}: {self.checkov_resources} resources "
            f"(exported: {exported})"
        )
        for framework, counts in self.summary().items():
            lines.append(
                f"  {framework}: {counts['passed']} passed, {counts['failed']} failed, "
                f"{counts['skipped']} skipped"
            )
        skipped: dict[tuple[str, str], list[str]] = defaultdict(list)
        for f in sorted(self.findings, key=Finding.sort_key):
            if f.result == "skipped":
                skipped[(f.check_id, f.reason or "")].append(f.where)
        if skipped:
            lines.append(f"skipped with a justification ({CONFIG.relative_to(REPO)}):")
            for (check_id, reason), where in sorted(skipped.items()):
                lines.append(f"  {check_id} ({len(where)}): {reason}")
                lines += [f"    {w}" for w in where]
        if self.failed:
            lines.append("failed:")
            for f in sorted(self.failed, key=Finding.sort_key):
                lines.append(f"  {f.check_id} {f.check_name}")
                lines.append(f"    {f.where}")
                if f.guideline:
                    lines.append(f"    {f.guideline}")
        lines += [f"notice: {n}" for n in self.notices]
        lines += [f"error: {p}" for p in self.problems]
        lines.append("scan: OK" if self.ok else "scan: FAILED")
        return "\n".join(lines) + "\n"


def _require_checkov(checkov: Path) -> None:
    if not os.access(checkov, os.X_OK):
        raise ScanError(f"checkov is not installed at {checkov}: create it with `{BOOTSTRAP}`")


def _start(checkov: Path, args: list[str], cwd: Path) -> subprocess.Popen[str]:
    cmd = [str(checkov), *args, "--skip-download", "--compact", "-o", "json"]
    env = {**os.environ, **CHECKOV_ENV}
    return subprocess.Popen(  # noqa: S603  # nosec B603  # fixed argv, no shell
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def parse_output(text: str) -> list[dict[str, Any]]:
    """checkov's JSON output: one report, a list of reports, several documents, or a summary."""
    reports: list[dict[str, Any]] = []
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return reports
        doc, pos = decoder.raw_decode(text, pos)
        for item in doc if isinstance(doc, list) else [doc]:
            if isinstance(item, dict) and "check_type" in item:
                reports.append(item)


def _finish(proc: subprocess.Popen[str], what: str) -> list[dict[str, Any]]:
    try:
        stdout, stderr = proc.communicate(timeout=CHECKOV_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise CheckovError(f"checkov did not finish {what} in {CHECKOV_TIMEOUT} s") from None
    tail = next((ln for ln in reversed(stderr.splitlines()) if ln.strip()), "no message")
    if proc.returncode not in (0, 1):
        raise CheckovError(f"checkov failed on {what} (exit {proc.returncode}): {tail}")
    try:
        return parse_output(stdout)
    except json.JSONDecodeError:
        raise CheckovError(f"checkov printed no JSON report for {what}: {tail}") from None


def _version(reports: Iterable[Mapping[str, Any]]) -> str:
    for report in reports:
        version = report.get("summary", {}).get("checkov_version")
        if version:
            return str(version)
    return ""


def _results(report: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    results = report.get("results", {})
    for key, result in (("passed_checks", "passed"), ("failed_checks", "failed")):
        for item in results.get(key, []):
            yield result, item


def _lines(item: Mapping[str, Any]) -> tuple[int, int]:
    rng = item.get("file_line_range") or [0, 0]
    return int(rng[0]), int(rng[-1])


def plan_findings(
    reports: Iterable[Mapping[str, Any]], plans: Mapping[str, Mapping[str, Any]]
) -> tuple[list[Finding], int]:
    """terraform_plan results located by URN, and checkov's resource count."""
    findings: list[Finding] = []
    count = 0
    for report in reports:
        if report.get("check_type") != "terraform_plan":
            continue
        count += int(report.get("summary", {}).get("resource_count", 0))
        for result, item in _results(report):
            file = Path(str(item.get("file_path", ""))).name
            stack = file[: -len(PLAN_SUFFIX)] if file.endswith(PLAN_SUFFIX) else file
            address = str(item.get("resource", ""))
            urns = plans.get(stack, {}).get("pulumi", {}).get("resources", {})
            findings.append(
                Finding(
                    framework="terraform_plan",
                    check_id=str(item["check_id"]),
                    check_name=str(item.get("check_name", "")),
                    result=result,
                    file=file,
                    lines=_lines(item),
                    urn=urns.get(address, f"(no URN for {address})"),
                    stack=stack,
                    address=address,
                    guideline=item.get("guideline"),
                )
            )
    return findings, count


def file_findings(reports: Iterable[Mapping[str, Any]], repo: Path) -> list[Finding]:
    """secrets and github_actions results located by repository path; duplicates merged."""
    seen: set[tuple[Any, ...]] = set()
    findings: list[Finding] = []
    for report in reports:
        framework = str(report.get("check_type"))
        if framework == "terraform_plan":
            continue
        for result, item in _results(report):
            abs_path = Path(str(item.get("file_abs_path") or item.get("file_path", "")))
            try:
                file = abs_path.resolve().relative_to(repo.resolve()).as_posix()
            except ValueError:
                file = str(item.get("file_path", "")).lstrip("/")
            # checkov's `resource` for a secret is a fingerprint of its value: not reported.
            resource = None if framework == "secrets" else item.get("resource")
            key = (framework, item["check_id"], file, _lines(item), resource, result)
            if key in seen:
                continue
            seen.add(key)
            findings.append(
                Finding(
                    framework=framework,
                    check_id=str(item["check_id"]),
                    check_name=str(item.get("check_name", "")),
                    result=result,
                    file=file,
                    lines=_lines(item),
                    resource=str(resource) if resource else None,
                    guideline=item.get("guideline"),
                )
            )
    return findings


def apply_skips(
    findings: list[Finding], skips: Iterable[Skip], repo: Path | None = None
) -> tuple[list[Finding], list[Skip]]:
    """Failed findings matched by a skip become 'skipped' with its reason; unused skips."""
    skips = list(skips)
    used: set[Skip] = set()
    out = []
    for finding in findings:
        skip = next(
            (s for s in skips if finding.result == "failed" and s.matches(finding, repo)), None
        )
        if skip is not None:
            used.add(skip)
            finding = Finding(**{**finding.__dict__, "result": "skipped", "reason": skip.reason})
        out.append(finding)
    return out, [s for s in skips if s not in used]


def ignored_paths(repo: Path) -> list[str]:
    """Paths git ignores (build output, evidence bundles), so the secrets scan skips them.
    Hidden ones (.venv, caches) checkov skips by itself."""
    git = shutil.which("git")
    if git is None:
        return []
    done = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
        [git, "ls-files", "--others", "--ignored", "--exclude-standard", "--directory"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return []
    return sorted(
        p
        for p in done.stdout.splitlines()
        if p and not any(part.startswith(".") for part in Path(p).parts)
    )


def workflow_files(repo: Path) -> list[Path]:
    wf = repo / ".github" / "workflows"
    return sorted(p for p in wf.glob("*") if p.suffix in (".yml", ".yaml")) if wf.is_dir() else []


def scan_plans_and_repo(
    plans: Mapping[str, Mapping[str, Any]],
    repo: Path | None = REPO,
    config: ScanConfig | None = None,
    checkov: Path = CHECKOV,
    complete: bool = False,
) -> ScanReport:
    """Run checkov over the given plans (stack -> plan JSON) and, unless repo is None, the repo.

    The expected resource count of each plan is its ``pulumi.resources`` section, i.e. what the
    export wrote; a hand-broken plan (tests) keeps that section and so shows the mismatch.
    ``complete`` (every stack and the repository) reports skips that matched nothing.
    """
    _require_checkov(checkov)
    config = load_config() if config is None else config
    report = ScanReport(stacks=list(plans))
    report.exported = {s: len(p.get("pulumi", {}).get("resources", {})) for s, p in plans.items()}
    with tempfile.TemporaryDirectory(prefix="preflight-scan-") as tmp:
        plan_dir = Path(tmp)
        for stack, plan in plans.items():
            (plan_dir / f"{stack}{PLAN_SUFFIX}").write_text(tfplan.render(plan), encoding="utf-8")
        procs = {}
        if plans:
            args = ["-d", str(plan_dir), "--framework", "terraform_plan"]
            procs["the plan export"] = _start(checkov, args, plan_dir)
        if repo is not None:
            args = ["-d", str(repo)]
            for path in workflow_files(repo):
                args += ["-f", str(path)]
            for ignored in ignored_paths(repo):
                args += ["--skip-path", re.escape(ignored)]
            args += ["--framework", "secrets", "github_actions"]
            procs["the repository"] = _start(checkov, args, repo)
        outputs: dict[str, list[dict[str, Any]]] = {}
        for what, proc in procs.items():
            try:
                outputs[what] = _finish(proc, what)
            except CheckovError as exc:
                report.problems.append(str(exc))
    plan_reports = outputs.get("the plan export", [])
    repo_reports = outputs.get("the repository", [])
    report.checkov_version = _version(plan_reports + repo_reports) or pinned_version()
    findings, report.checkov_resources = plan_findings(plan_reports, plans)
    if repo is not None:
        findings += file_findings(repo_reports, repo)
    report.findings, unused = apply_skips(findings, config.skips, repo)
    exported = sum(report.exported.values())
    if report.checkov_resources != exported:
        per_stack = ", ".join(f"{s} {n}" for s, n in report.exported.items())
        report.problems.append(
            f"checkov counted {report.checkov_resources} resources in the plans, the export has "
            f"{exported} ({per_stack}): a plan lacks terraform_version, a resource's mode or "
            "address, or checkov could not read it"
        )
    if complete:
        report.notices += [
            f"skip {s.label()} matched no failed check: remove it from {CONFIG.relative_to(REPO)}"
            for s in unused
        ]
    return report


def scan(
    snapshots: Mapping[str, Mapping[str, Any]],
    repo: Path | None = REPO,
    config: ScanConfig | None = None,
    checkov: Path = CHECKOV,
    complete: bool = False,
) -> ScanReport:
    """Export each snapshot and scan it (and the repository)."""
    exports = {stack: tfplan.export_plan(snap) for stack, snap in snapshots.items()}
    plans = {stack: e.plan for stack, e in exports.items()}
    report = scan_plans_and_repo(plans, repo, config, checkov, complete)
    others: dict[str, set[str]] = defaultdict(set)
    for stack, export in exports.items():
        for token in tfplan.unmapped_gcp_types(export):
            report.problems.append(
                f"{stack}: {token} has no Terraform mapping, so checkov does not see it: add it "
                "to TYPES in scripts/gen_tfmapping.py and run the script"
            )
        for token in export.unmapped_types:
            if not token.startswith("gcp:"):
                others[token.split(":", 1)[0]].add(token)
        report.problems += [
            f"{stack}: property missing from the mapping: {p}" for p in export.unmapped_properties
        ]
    if others:
        counts = ", ".join(f"{pkg} ({len(types)} types)" for pkg, types in sorted(others.items()))
        report.notices.append(
            f"no checkov coverage (no Terraform mapping; the policy pack covers them): {counts}; "
            "`preflight tfplan` lists them"
        )
    return report


# --- coverage table (docs/checkov.md) -------------------------------------------------------


def checkov_checks(checkov: Path = CHECKOV) -> dict[str, set[str]]:
    """Terraform type -> ids of the checkov checks (resource and graph) that cover it."""
    _require_checkov(checkov)
    cmd = [str(checkov), "--list", "--framework", "terraform", "--skip-download"]
    proc = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
        cmd, capture_output=True, text=True, env={**os.environ, **CHECKOV_ENV}, check=False
    )
    if proc.returncode != 0:
        raise ScanError(f"`checkov --list` failed (exit {proc.returncode})")
    out: dict[str, set[str]] = defaultdict(set)
    for line in proc.stdout.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) >= 6 and cells[3] == "resource" and cells[2].startswith("CKV"):
            out[cells[4]].add(cells[2])
    return dict(out)


def crossguard_policies(
    snapshots: Mapping[str, Mapping[str, Any]], types: Iterable[str]
) -> dict[str, set[str]] | None:
    """Type token -> names of the pack's policies that apply to it (None: pack has no
    ``applies_to`` on its policies to ask)."""
    from policies._lib.config import settings
    from policies._lib.registry import collect

    policies = collect()
    if not all(hasattr(p, "applies_to") for p in policies):
        return None
    samples: dict[str, list[Mapping[str, Any]]] = {t: [] for t in types}
    for snap in snapshots.values():
        for res in snap["resources"]:
            if res["type"] in samples:
                samples[res["type"]].append(res.get("inputs") or {})
    out: dict[str, set[str]] = {}
    for token, props_list in samples.items():
        out[token] = set()
        for policy in policies:
            applies = policy.applies_to
            defaults = settings({}, policy.schema)
            if any(applies(token, props, defaults) for props in (props_list or [{}])):
                out[token].add(policy.meta.name)
    return out


def declared_types(snapshots: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Custom resource types the stacks declare, plus the GCP types the mapping covers."""
    found = {
        r["type"]
        for snap in snapshots.values()
        for r in snap["resources"]
        if r.get("custom") and not r["type"].startswith("pulumi:providers:")
    }
    return sorted(found | set(tfplan.load_mapping()))


def coverage_markdown(
    snapshots: Mapping[str, Mapping[str, Any]],
    checks: Mapping[str, set[str]],
    policies: Mapping[str, set[str]] | None,
    version: str,
    config: ScanConfig,
) -> str:
    """docs/checkov.md: per declared type, the checkov checks and CrossGuard policies."""
    mapping = tfplan.load_mapping()
    declared = {
        r["type"] for snap in snapshots.values() for r in snap["resources"] if r.get("custom")
    }
    lines = [
        "# checkov coverage",
        "",
        "Generated by `python -m preflight scan --docs` from checkov's check list, the policy",
        "pack and the stacks' snapshots; a test fails when this file is stale.",
        "",
        f"checkov {version} (pinned in `tools/checkov/requirements.txt`, its own virtualenv",
        "`.venv-checkov`) scans the Terraform plan export of each stack (`python -m preflight",
        "tfplan --stack NAME`, names from `preflight/tfmapping.json`). Types with no checkov check",
        "rely on the CrossGuard pack in `policies/`. *in stacks* says whether a stack declares the",
        "type today; the other GCP rows are mapped ahead of use.",
        "",
        "| resource type | Terraform type | in stacks | checkov checks | CrossGuard policies |",
        "| --- | --- | --- | --- | --- |",
    ]
    for token in declared_types(snapshots):
        tf_type = mapping.get(token, {}).get("terraform_type")
        ids = sorted(checks.get(tf_type, set())) if tf_type else []
        checkov_cell = f"{len(ids)}: {', '.join(ids)}" if ids else "0"
        if policies is None:
            policy_cell = "n/a"
        else:
            names = sorted(policies.get(token, set()))
            policy_cell = f"{len(names)}: {', '.join(names)}" if names else "0"
        lines.append(
            f"| `{token}` | {f'`{tf_type}`' if tf_type else '(none)'} | "
            f"{'yes' if token in declared else 'no'} | {checkov_cell} | {policy_cell} |"
        )
    lines += ["", "## Justified skips", ""]
    if config.skips:
        lines += ["| check | where | reason |", "| --- | --- | --- |"]
        for s in config.skips:
            where = ", ".join(f"`{w}`" for w in (s.urns or s.paths))
            lines.append(f"| {s.check} | {where} | {' '.join(s.reason.split())} |")
    else:
        lines.append("None.")
    if policies is None:
        lines += [
            "",
            "*n/a*: the policy pack's policies do not expose `applies_to`, so the table cannot",
            "ask which types each one covers.",
        ]
    return "\n".join(lines) + "\n"


def build_docs(
    snapshots: Mapping[str, Mapping[str, Any]],
    checks: Mapping[str, set[str]] | None = None,
    checkov: Path = CHECKOV,
) -> str:
    """docs/checkov.md for these snapshots (``checks``: a ``checkov_checks()`` result to reuse)."""
    checks = checkov_checks(checkov) if checks is None else checks
    types = declared_types(snapshots)
    return coverage_markdown(
        snapshots, checks, crossguard_policies(snapshots, types), pinned_version(), load_config()
    )


README = REPO / "README.md"
SUMMARY_MARKERS = ("<!-- checkov-summary:start -->", "<!-- checkov-summary:end -->")
COVERAGE_MARKERS = ("<!-- checkov-coverage:start -->", "<!-- checkov-coverage:end -->")


def summary_lines(rendered: str) -> str:
    """The head of a scan report: checkov's version, the resource count and one line per
    framework (what the README shows)."""
    lines = rendered.splitlines()
    end = next((i for i, line in enumerate(lines) if not line.startswith(("checkov", "  "))), 0)
    return "\n".join(lines[:end]) + "\n"


def coverage_table(doc: str) -> str:
    """The table of docs/checkov.md."""
    return "\n".join(line for line in doc.splitlines() if line.startswith("|")) + "\n"


def _replace_block(text: str, markers: tuple[str, str], body: str) -> str:
    start, end = text.find(markers[0]), text.find(markers[1])
    if start < 0 or end < start:
        raise ScanError(f"README.md lacks the {markers[0]} ... {markers[1]} markers")
    return text[: start + len(markers[0])] + "\n" + body + text[end:]


def readme_with(readme: str, doc: str, rendered: str) -> str:
    """The README with the scan summary and the coverage table of this run."""
    summary = f"```text\n$ make scan\n{summary_lines(rendered)}```\n"
    readme = _replace_block(readme, SUMMARY_MARKERS, summary)
    return _replace_block(readme, COVERAGE_MARKERS, coverage_table(doc))


def pinned_version(requirements: Path = REQUIREMENTS) -> str:
    """The checkov version the lock pins (what the bootstrap installs, hash-checked)."""
    match = re.search(r"^checkov==(\S+)", requirements.read_text(encoding="utf-8"), re.M)
    if match is None:
        raise ScanError(f"{requirements} does not pin checkov: regenerate it from requirements.in")
    return match.group(1)


# --- CLI ---------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--stack", help="scan one stack's plan (and the repository)")
    which.add_argument("--all", action="store_true", help="every stack (the default)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    parser.add_argument(
        "--docs",
        action="store_true",
        help=f"regenerate {DOC.relative_to(REPO)} and the README's checkov blocks, and exit",
    )


def _progress(message: str) -> None:
    print(f"scan: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from preflight.cli import UsageError
    from preflight.synth import Project, synthesize

    try:
        stacks = [args.stack] if args.stack else Project.load().stacks()
        snapshots = synthesize(stacks, progress=_progress)
        if args.docs:
            doc = build_docs(snapshots)
            DOC.write_text(doc, encoding="utf-8")
            _progress(f"wrote {DOC.relative_to(REPO)}")
            report = scan(snapshots, complete=not args.stack)
            README.write_text(
                readme_with(README.read_text(encoding="utf-8"), doc, report.render()),
                encoding="utf-8",
            )
            _progress(f"wrote {README.relative_to(REPO)}")
            return 0
        _progress(f"checkov over {', '.join(stacks)}, the repository and the workflows")
        report = scan(snapshots, complete=not args.stack)
    except (ScanError, UsageError, tfplan.TfplanError) as exc:
        print(f"scan: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(report.render())
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    return 0 if report.ok else 1
