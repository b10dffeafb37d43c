#!/usr/bin/env python3
"""The 48-hour notice before a high-impact change (playbook §9, Change Calendar).

    python scripts/change_notice.py check --stack prod --high-impact [--now RFC3339]
                                          [--override "<reason>"] [--changes DIR]
    python scripts/change_notice.py classify --stack prod --diff-json FILE

Stakeholders are told about a high-impact change at least 48 hours before it reaches them. The
announcement is a change record committed under ``changes/`` (one YAML file per change, named
``<yyyy-mm-dd>-<slug>.yaml``; format in ``changes/README.md``). ``check`` exits 0 when a
committed record marked ``high_impact: true`` names the stack and was announced between
48 hours and 14 days before now; otherwise 1, with one line saying what is missing. A change
that is not high-impact (no ``--high-impact``) needs no notice.

Emergencies: ``--override "<reason>"`` on the command line, or ``emergency: "<reason>"`` in a
committed record, lets the change through without the 48 hours; the reason is printed as a
warning and is required (an empty reason is a usage error, exit 2).

``classify`` reads the JSON report of ``python -m preflight diff --format json`` and prints
``high-impact=true`` or ``high-impact=false`` (a line for ``$GITHUB_OUTPUT``), with the reasons
on stderr. Today the diff classifies deletions and replacements of stateful resources; a report
that is missing or unreadable counts as high-impact, so a broken classification never skips the
notice. Runbook: docs/runbooks/change-notice.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess  # nosec B404  # git with fixed argument lists, no shell
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from _usage import UsageError, parser_class, rfc3339

PROG = "change notice"
NOTICE = timedelta(hours=48)
"""Playbook §9: notify stakeholders 48 hours prior to high-impact updates."""
MAX_AGE = timedelta(days=14)
"""An announcement older than this no longer covers a change: announce it again."""
CHANGES_DIR = Path(__file__).resolve().parent.parent / "changes"
REQUIRED = ("announced_at", "stacks", "summary", "high_impact")
OPTIONAL = ("announced_to", "emergency")


@dataclass(frozen=True)
class ChangeRecord:
    path: Path
    announced_at: datetime
    stacks: tuple[str, ...]
    summary: str
    high_impact: bool
    emergency: str | None = None


def load_record(path: Path) -> ChangeRecord:
    """One change record; a UsageError names the file and what to write instead."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"{path.name}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path.name}: a change record is a mapping of {', '.join(REQUIRED)}")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise UsageError(f"{path.name}: missing {', '.join(missing)} (see changes/README.md)")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise UsageError(
            f"{path.name}: unknown key {', '.join(unknown)}: the keys are "
            f"{', '.join(REQUIRED + OPTIONAL)}"
        )
    stacks = data["stacks"]
    if not (isinstance(stacks, list) and stacks and all(isinstance(s, str) for s in stacks)):
        raise UsageError(f"{path.name}: stacks is a list of stack names, e.g. [prod]")
    if not isinstance(data["summary"], str) or not data["summary"].strip():
        raise UsageError(f"{path.name}: summary is one line saying what changes and for whom")
    if not isinstance(data["high_impact"], bool):
        raise UsageError(f"{path.name}: high_impact is true or false")
    emergency = data.get("emergency")
    if emergency is not None and (not isinstance(emergency, str) or not emergency.strip()):
        raise UsageError(f"{path.name}: emergency is the reason the notice is skipped, in words")
    return ChangeRecord(
        path=path,
        announced_at=rfc3339(data["announced_at"], f"{path.name}: announced_at"),
        stacks=tuple(stacks),
        summary=data["summary"].strip(),
        high_impact=data["high_impact"],
        emergency=emergency.strip() if emergency else None,
    )


def load_records(directory: Path) -> list[ChangeRecord]:
    if not directory.is_dir():
        return []
    return [load_record(p) for p in sorted(directory.glob("*.yaml"))]


def _git(directory: Path, *args: str) -> int:
    git = shutil.which("git")
    if git is None:
        raise UsageError("git not found: the check needs it to tell committed records apart")
    done = subprocess.run(  # noqa: S603  # nosec B603  # fixed argument list, no shell
        [git, *args], cwd=directory, capture_output=True, check=False
    )
    return done.returncode


def is_committed(path: Path) -> bool:
    """Tracked by git and unchanged since the last commit."""
    where = path.parent
    tracked = _git(where, "ls-files", "--error-unmatch", "--", path.name) == 0
    return tracked and _git(where, "diff", "--quiet", "HEAD", "--", path.name) == 0


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hours(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 3600)}h"  # whole hours, rounded down


@dataclass(frozen=True)
class Verdict:
    ok: bool
    line: str
    warning: bool = False


def _newest(records: list[ChangeRecord]) -> ChangeRecord:
    """The most recently announced of ``records``."""
    return max(records, key=lambda r: r.announced_at)


def check(
    records: list[ChangeRecord],
    stack: str,
    now: datetime,
    *,
    high_impact: bool,
    override: str | None,
    committed: Callable[[Path], bool] = is_committed,
) -> Verdict:
    """Whether a change to ``stack`` at ``now`` may go ahead, and the one line that says why."""
    if not high_impact:
        return Verdict(True, f"{stack}: not a high-impact change: no 48-hour notice needed")
    if override is not None:
        return Verdict(True, f"{stack}: 48-hour notice overridden: {override}", warning=True)
    candidates = [
        r for r in records if stack in r.stacks and r.high_impact and r.announced_at <= now
    ]
    candidates = [r for r in candidates if committed(r.path)]
    emergencies = [r for r in candidates if r.emergency and now - r.announced_at <= MAX_AGE]
    announced = [r for r in candidates if NOTICE <= now - r.announced_at <= MAX_AGE]
    if announced:
        record = _newest(announced)
        return Verdict(
            True,
            f"{stack}: announced {_when(record.announced_at)} "
            f"({_hours(now - record.announced_at)} before now) in changes/{record.path.name}: "
            f"{record.summary}",
        )
    if emergencies:
        record = _newest(emergencies)
        return Verdict(
            True,
            f"{stack}: 48-hour notice overridden by changes/{record.path.name}: {record.emergency}",
            warning=True,
        )
    recent = [r for r in candidates if now - r.announced_at < NOTICE]
    if recent:
        record = _newest(recent)
        return Verdict(
            False,
            f"{stack}: changes/{record.path.name} was announced {_when(record.announced_at)}, "
            f"only {_hours(now - record.announced_at)} before now: deploy from "
            f"{_when(record.announced_at + NOTICE)}, or override with a reason for an emergency",
        )
    return Verdict(
        False,
        f"{stack}: no committed change record in changes/ announces this high-impact change "
        f"48 hours (and at most {MAX_AGE.days} days) before {_when(now)}: add "
        "changes/<yyyy-mm-dd>-<slug>.yaml (docs/runbooks/change-notice.md), "
        'or pass --override "<reason>" for an emergency',
    )


# --- classification from the diff -------------------------------------------------------------


def classify(report: dict[str, Any] | None, stack: str) -> list[str]:
    """Why the change to ``stack`` in a ``preflight diff --format json`` report is high-impact
    (empty when it is not)."""
    if report is None:
        return ["the infrastructure diff is not available: treated as high-impact"]
    entries = [s for s in report.get("stacks") or [] if s.get("stack") == stack]
    if not entries:
        return [f"the infrastructure diff has no entry for {stack}: treated as high-impact"]
    reasons = []
    for entry in entries:
        risks = list(entry.get("dataLossRisks") or [])
        reasons += [f"data-loss risk: {urn}" for urn in risks]
        reasons += [
            f"stateful resource {r.get('op')}: {r.get('urn')}"
            for r in entry.get("resources") or []
            if r.get("op") in ("delete", "replace")
            and r.get("stateful")
            and r.get("urn") not in risks
        ]
    return reasons


def read_report(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


# --- CLI -----------------------------------------------------------------------------------------


_Parser = parser_class(PROG)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="scripts/change_notice.py",
        description="Refuse a high-impact change that was not announced 48 hours before.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("check", help="is the change announced 48 hours before now?")
    p.add_argument("--stack", required=True, help="the stack the change goes to, e.g. prod")
    p.add_argument("--high-impact", action="store_true", help="the change is high-impact")
    p.add_argument("--now", help="the time to check at, RFC 3339 (default: the current time)")
    p.add_argument("--override", metavar="REASON", help="emergency: go ahead without the notice")
    p.add_argument("--changes", type=Path, default=CHANGES_DIR, help="the change records' folder")
    p = sub.add_parser("classify", help="is the change in a diff report high-impact?")
    p.add_argument("--stack", required=True, help="the stack to classify")
    p.add_argument("--diff-json", type=Path, required=True, help="preflight diff --format json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "classify":
            reasons = classify(read_report(args.diff_json), args.stack)
            for reason in reasons:
                print(f"{PROG}: {args.stack}: {reason}", file=sys.stderr)
            print(f"high-impact={'true' if reasons else 'false'}")
            return 0
        if args.override is not None and not args.override.strip():
            raise UsageError('--override needs the reason for the emergency, e.g. "INC-123"')
        now = rfc3339(args.now, "--now") if args.now else datetime.now(UTC)
        verdict = check(
            load_records(args.changes),
            args.stack,
            now,
            high_impact=args.high_impact,
            override=args.override.strip() if args.override else None,
        )
    except UsageError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    if not verdict.ok:
        print(f"{PROG}: refused: {verdict.line}", file=sys.stderr)
        return 1
    print(f"{PROG}: {'warning: ' if verdict.warning else ''}{verdict.line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
