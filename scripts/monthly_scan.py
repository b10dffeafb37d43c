#!/usr/bin/env python3
"""The monthly vulnerability scan (playbook §6): main and every revision an environment runs.

    python3 scripts/monthly_scan.py revisions --repo OWNER/NAME --main-sha SHA
    python3 scripts/monthly_scan.py run --label prod --revision SHA --checkout DIR --out DIR

``revisions`` finds the commit each environment last deployed. The deploy workflow's jobs run in
the GitHub environments dev, staging and prod, and GitHub records each such job as a deployment
of its commit with a status; the revision an environment runs is the newest deployment whose
latest status is ``success`` (``gh api``, with the job's token and ``deployments: read``). It
prints ``matrix=<json>`` for ``$GITHUB_OUTPUT``: one entry per distinct commit, labelled with
everything that runs it (``main``, ``staging-prod``). A rollback run by hand
(scripts/rollback.py) is not a deployment of the workflow: the stack history
(``python scripts/rollback.py --stack prod``) stays the authority.

``run`` scans one checked-out revision with that revision's own tooling: ``make venv``, ``make
audit`` (pip-audit of the locked dependencies), ``make scan`` (checkov over the plans, the
repository's secrets and the workflows) and the evidence bundle of every stack
(``python -m preflight evidence --all``). Each step's output goes to ``<out>/<step>.log`` and
``<out>/summary.json`` records the revision, each step's command, exit code and log hash, and the
time. A step the revision does not have yet is recorded as unavailable. Exit 1 when any step
did not pass, so the workflow opens an issue; 2 for bad arguments.

Only the standard library: it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess  # nosec B404  # gh, make and python with fixed argument lists, no shell
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _usage import UsageError, fixed_clock, parser_class

PROG = "monthly scan"
FORMAT = "controlplane-monthly-scan/1"
ENVIRONMENTS = ("dev", "staging", "prod")
DEPLOYMENTS_PAGE = 30
STEP_TIMEOUT = 3600


class GhError(Exception):
    """The GitHub CLI failed: one line, exit code 1."""


# --- which revisions ---------------------------------------------------------------------------

Api = Callable[[str], Any]


def gh_api(path: str) -> Any:
    """``gh api PATH`` as JSON (``GH_TOKEN`` in the environment authenticates it)."""
    gh = shutil.which("gh")
    if gh is None:
        raise UsageError("the GitHub CLI (gh) is not on PATH")
    done = subprocess.run(  # noqa: S603  # nosec B603  # fixed argument list, no shell
        [gh, "api", path], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise GhError(f"gh api {path} failed: {last}")
    return json.loads(done.stdout or "null")


def deployed_revision(api: Api, repo: str, environment: str) -> str | None:
    """The commit of the newest deployment to ``environment`` whose latest status is success."""
    deployments = api(
        f"repos/{repo}/deployments?environment={environment}&per_page={DEPLOYMENTS_PAGE}"
    )
    for deployment in deployments or []:  # newest first
        statuses = api(f"repos/{repo}/deployments/{deployment['id']}/statuses?per_page=1")
        if statuses and statuses[0].get("state") == "success":
            return str(deployment["sha"])
    return None


def scan_matrix(api: Api, repo: str, main_sha: str, environments: Sequence[str]) -> dict[str, Any]:
    """One matrix entry per distinct commit: main first, then the environments in order."""
    labels: dict[str, list[str]] = {main_sha: ["main"]}
    for environment in environments:
        sha = deployed_revision(api, repo, environment)
        if sha is None:
            print(f"{PROG}: {environment}: no successful deployment found", file=sys.stderr)
            continue
        print(f"{PROG}: {environment} runs {sha[:12]}", file=sys.stderr)
        labels.setdefault(sha, []).append(environment)
    return {"include": [{"label": "-".join(names), "ref": sha} for sha, names in labels.items()]}


# --- one revision -------------------------------------------------------------------------------


def make_targets(checkout: Path) -> set[str]:
    makefile = checkout / "Makefile"
    if not makefile.is_file():
        return set()
    return set(re.findall(r"^([\w-]+):", makefile.read_text(encoding="utf-8"), re.MULTILINE))


def steps_of(checkout: Path, out: Path) -> list[tuple[str, list[str], str | None]]:
    """(name, command, why it is unavailable or None) for each step, in order."""
    targets = make_targets(checkout)
    make = shutil.which("make") or "make"
    steps: list[tuple[str, list[str], str | None]] = []
    for target in ("venv", "audit", "scan"):
        missing = None if target in targets else f"this revision's Makefile has no `{target}`"
        steps.append((target, [make, target], missing))
    python = checkout / ".venv" / "bin" / "python"
    evidence = [str(python), "-m", "preflight", "evidence", "--all", "--out", str(out / "bundle")]
    has_evidence = (checkout / "preflight" / "evidence.py").is_file()
    steps.append(
        ("evidence", evidence, None if has_evidence else "this revision has no preflight evidence")
    )
    return steps


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scan_revision(
    label: str, revision: str, checkout: Path, out: Path, clock: Callable[[], datetime]
) -> tuple[int, dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "format": FORMAT,
        "label": label,
        "revision": revision,
        "startedAt": _time(clock()),
        "steps": [],
    }
    setup_failed = False
    for name, argv, unavailable in steps_of(checkout, out):
        command = " ".join([Path(argv[0]).name, *argv[1:]])
        step: dict[str, Any] = {"name": name, "command": command}
        if unavailable:
            step.update(status="unavailable", reason=unavailable)
        elif setup_failed:
            step.update(status="skipped", reason="make venv failed")
        else:
            print(f"{PROG}: {label}: {command}", file=sys.stderr, flush=True)
            log = out / f"{name}.log"
            with log.open("w", encoding="utf-8") as handle:
                done = subprocess.run(  # noqa: S603  # nosec B603  # fixed argument list
                    argv,
                    cwd=checkout,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    timeout=STEP_TIMEOUT,
                    check=False,
                )
            step.update(
                status="passed" if done.returncode == 0 else "failed",
                exitCode=done.returncode,
                log=log.name,
                sha256=_sha256(log),
            )
            setup_failed = name == "venv" and done.returncode != 0
        summary["steps"].append(step)
    failed = [step["name"] for step in summary["steps"] if step["status"] != "passed"]
    summary["result"] = "failed" if failed else "passed"
    summary["finishedAt"] = _time(clock())
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return (1 if failed else 0), summary


# --- CLI ------------------------------------------------------------------------------------------


_Parser = parser_class(PROG)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="scripts/monthly_scan.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("revisions", help="the scan matrix: main and each deployed revision")
    p.add_argument("--repo", required=True, help="OWNER/NAME")
    p.add_argument("--main-sha", required=True, help="the commit of main to scan")
    p.add_argument("--environments", nargs="+", default=list(ENVIRONMENTS))
    p = sub.add_parser("run", help="audit, checkov, secrets and evidence of one checkout")
    p.add_argument("--label", required=True, help="what runs this revision, e.g. staging-prod")
    p.add_argument("--revision", required=True, help="the commit checked out")
    p.add_argument("--checkout", type=Path, required=True, help="the checked-out revision")
    p.add_argument("--out", type=Path, required=True, help="where the logs and summary go")
    p.add_argument("--now", help="the time to record, RFC 3339 (default: the current time)")
    return parser


def main(argv: Sequence[str] | None = None, api: Api = gh_api) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "revisions":
            if not re.fullmatch(r"[\w.-]+/[\w.-]+", args.repo):
                raise UsageError(f"--repo {args.repo!r} is not OWNER/NAME")
            matrix = scan_matrix(api, args.repo, args.main_sha, args.environments)
            print(f"matrix={json.dumps(matrix, separators=(',', ':'))}")
            return 0
        if not args.checkout.is_dir():
            raise UsageError(f"--checkout {args.checkout} is not a directory")
        code, summary = scan_revision(
            args.label,
            args.revision,
            args.checkout.resolve(),
            args.out.resolve(),
            fixed_clock(args.now),
        )
    except UsageError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except GhError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    for step in summary["steps"]:
        print(f"{PROG}: {args.label}: {step['name']}: {step['status']}")
    print(f"{PROG}: {args.label} ({args.revision[:12]}): {summary['result']}")
    return code


if __name__ == "__main__":
    sys.exit(main())
