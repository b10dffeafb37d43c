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
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from preflight.checkov import tfplan
from preflight.checkov.config import (
    CHECKOV,
    CHECKOV_ENV,
    CHECKOV_TIMEOUT,
    CONFIG,
    DOC,
    PLAN_SUFFIX,
    REPO,
    CheckovError,
    ScanConfig,
    ScanError,
    Skip,
    load_config,
    pinned_version,
    require_checkov,
)
from preflight.checkov.coverage import README, build_docs, readme_with
from preflight.checkov.report import Finding, ScanReport
from preflight.cli import (
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATIONS,
    UsageError,
    error,
    output_file,
    progress,
)
from preflight.generated import Outcome, shown, write_or_check


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


HEARTBEAT_SECONDS = 15.0
"""How often a scan that is still running says so (checkov over the repository takes minutes)."""


def _communicate(proc: subprocess.Popen[str], what: str) -> tuple[str, str]:
    """The process's output, with a progress line every ``HEARTBEAT_SECONDS`` while it runs
    (``communicate`` may be retried after a timeout without losing output)."""
    started = time.monotonic()
    deadline = started + CHECKOV_TIMEOUT
    while True:
        left = deadline - time.monotonic()
        try:
            return proc.communicate(timeout=max(0.01, min(HEARTBEAT_SECONDS, left)))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                proc.kill()
                proc.communicate()
                raise CheckovError(
                    f"checkov did not finish {what} in {CHECKOV_TIMEOUT} s"
                ) from None
            elapsed = time.monotonic() - started
            progress(f"checkov is still scanning {what} ({elapsed:.0f} s)", command="scan")


def _finish(proc: subprocess.Popen[str], what: str) -> list[dict[str, Any]]:
    stdout, stderr = _communicate(proc, what)
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
    require_checkov(checkov)
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


_progress = partial(progress, command="scan")


def run(args: argparse.Namespace) -> int:
    from preflight.synth import Project, synthesize

    try:
        if args.json is not None:
            output_file(args.json, "--json")
        stacks = [args.stack] if args.stack else Project.load().stacks()
        snapshots = synthesize(stacks, progress=_progress)
        if args.docs:
            doc = build_docs(snapshots)
            _wrote(DOC, write_or_check(DOC, doc, check=False))
            report = scan(snapshots, complete=not args.stack)
            readme = readme_with(README.read_text(encoding="utf-8"), doc, report.render())
            _wrote(README, write_or_check(README, readme, check=False))
            return EXIT_OK
        _progress(f"checkov over {', '.join(stacks)}, the repository and the workflows")
        report = scan(snapshots, complete=not args.stack)
    except (ScanError, UsageError, tfplan.TfplanError) as exc:
        error(str(exc), command="scan")
        return EXIT_USAGE
    sys.stdout.write(report.render())
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


def _wrote(path: Path, outcome: Outcome) -> None:
    _progress(f"wrote {shown(path)}" if outcome is Outcome.WRITTEN else f"{shown(path)} is current")
