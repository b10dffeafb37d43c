#!/usr/bin/env python3
"""The 48-hour notice before a high-impact change (playbook §9, Change Calendar).

    python scripts/change_notice.py check --stack prod --high-impact [--now RFC3339]
                                          [--override "<reason>"] [--changes DIR]
    python scripts/change_notice.py classify --stack prod --diff-json FILE
    python scripts/change_notice.py policy-config --stack prod [--diff-json FILE] --out FILE
                                          [--now RFC3339] [--override "<reason>"] [--advisory]

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
on stderr. The classification is the diff's own (``highImpactReasons``, made by
``preflight/diff/impact.py``: data loss, stateful replacements, IAM, paging, routing, the change
freeze); this script never re-derives it. A report that is missing or unreadable, or carries no
classification, counts as high-impact, so a broken classification never skips the notice.

``policy-config`` writes the policy config ``pulumi up`` takes: ``<stack>-deploy.json`` with the
pack's notice policy (``changes-stack-enforce-change-notice``) given what a policy cannot see:
the diff's classification, the committed record that announces the change, and an emergency
(``--override`` or a record's ``emergency``) as the policy's override. The policy checks the 48
hours itself when ``pulumi up`` runs. Runbook: docs/runbooks/change-notice.md.
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


def _reason_line(reason: Any) -> str:
    if not isinstance(reason, dict):
        return f"unreadable reason {reason!r}: treated as high-impact"
    urn = str(reason.get("urn") or "")
    where = f" ({urn.rsplit('::', 1)[-1]})" if urn else ""
    return f"{reason.get('kind', 'unknown')}: {reason.get('reason', '')}{where}"


def classify(report: dict[str, Any] | None, stack: str) -> list[str]:
    """Why the change to ``stack`` in a ``preflight diff --format json`` report is high-impact
    (empty when it is not), as the diff classified it (``highImpactReasons``,
    ``preflight/diff/impact.py``). No report, no entry for the stack, or an entry without the
    classification (a report from an older diff) count as high-impact."""
    if report is None:
        return ["the infrastructure diff is not available: treated as high-impact"]
    entries = [s for s in report.get("stacks") or [] if s.get("stack") == stack]
    if not entries:
        return [f"the infrastructure diff has no entry for {stack}: treated as high-impact"]
    reasons = []
    for entry in entries:
        found = entry.get("highImpactReasons")
        if not isinstance(found, list) or not isinstance(entry.get("highImpact"), bool):
            reasons.append(
                f"the infrastructure diff of {stack} carries no high-impact classification: "
                "treated as high-impact"
            )
            continue
        reasons += [_reason_line(r) for r in found]
        if entry["highImpact"] and not found:
            reasons.append("classified high-impact without a reason: treated as high-impact")
    return reasons


def read_report(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


# --- the policy pack's config for the deploy -----------------------------------------------------

POLICY = "changes-stack-enforce-change-notice"
"""The pack's notice policy (policies/changes/changes_stack_enforce_change_notice.py)."""
CONFIG_DIR = Path(__file__).resolve().parent.parent / "policies" / "config"


def announcement_for(
    records: list[ChangeRecord],
    stack: str,
    now: datetime,
    committed: Callable[[Path], bool] = is_committed,
) -> tuple[ChangeRecord | None, ChangeRecord | None]:
    """The record that announces a change to ``stack`` at ``now`` (the newest 48 hours to 14
    days old, else the newest younger one, which the policy refuses with its age), and the
    newest emergency record, as ``check`` reads them."""
    candidates = [
        r
        for r in records
        if stack in r.stacks and r.high_impact and r.announced_at <= now and committed(r.path)
    ]
    announced = [r for r in candidates if NOTICE <= now - r.announced_at <= MAX_AGE]
    recent = [r for r in candidates if now - r.announced_at < NOTICE]
    emergencies = [r for r in candidates if r.emergency and now - r.announced_at <= MAX_AGE]
    record = _newest(announced) if announced else (_newest(recent) if recent else None)
    return record, (_newest(emergencies) if emergencies else None)


def policy_config(
    base: dict[str, Any],
    stack: str,
    now: datetime,
    records: list[ChangeRecord],
    *,
    report: dict[str, Any] | None,
    classified: bool,
    override: str | None,
    pin_now: bool,
    advisory: bool = False,
    committed: Callable[[Path], bool] = is_committed,
) -> dict[str, Any]:
    """``base`` (the stack's deploy policy config) with the notice policy given what it cannot
    see for itself: the diff's classification, the announcing record, an emergency override."""
    config = json.loads(json.dumps(base))
    entry = config.get(POLICY, config.get("all", "mandatory"))
    settings: dict[str, Any] = (
        dict(entry) if isinstance(entry, dict) else {"enforcementLevel": entry}
    )
    if advisory and settings.get("enforcementLevel") != "disabled":
        settings["enforcementLevel"] = "advisory"
    if pin_now:
        settings["now"] = _when(now)
    if classified:
        reasons = classify(report, stack)
        settings["classification"] = {"highImpact": bool(reasons), "reasons": reasons}
    record, emergency = announcement_for(records, stack, now, committed)
    if record is not None:
        settings["announcement"] = {
            "announcedAt": _when(record.announced_at),
            "record": f"changes/{record.path.name}",
        }
    reason = override
    if reason is None and emergency is not None:
        reason = f"changes/{emergency.path.name}: {emergency.emergency}"
    if reason is not None:
        # until tomorrow (UTC): a deploy that crosses midnight keeps it, none after does
        settings["override"] = {
            "reason": reason,
            "until": (now + timedelta(days=1)).date().isoformat(),
        }
    config[POLICY] = settings
    return config


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
    p = sub.add_parser(
        "policy-config", help="the deploy's policy config, with what the notice policy needs"
    )
    p.add_argument("--stack", required=True, help="the stack the change goes to, e.g. prod")
    p.add_argument(
        "--diff-json",
        type=Path,
        help="preflight diff --format json (a missing file counts as high-impact; without the "
        "option the change is not classified, which the policy treats as high-impact)",
    )
    p.add_argument("--config", type=Path, help="the base config (default: <stack>-deploy.json)")
    p.add_argument("--out", type=Path, required=True, help="the policy config to write")
    p.add_argument("--now", help="the time to pin in the config, RFC 3339 (default: unpinned)")
    p.add_argument("--override", metavar="REASON", help="emergency: go ahead without the notice")
    p.add_argument(
        "--advisory", action="store_true", help="report the notice without refusing (early gates)"
    )
    p.add_argument("--changes", type=Path, default=CHANGES_DIR, help="the change records' folder")
    return parser


def _write_policy_config(args: argparse.Namespace) -> int:
    if args.override is not None and not args.override.strip():
        raise UsageError('--override needs the reason for the emergency, e.g. "INC-123"')
    base_path = args.config or CONFIG_DIR / f"{args.stack}-deploy.json"
    try:
        base = json.loads(base_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise UsageError(f"{base_path}: not a readable policy config ({err})") from None
    if not isinstance(base, dict):
        raise UsageError(f"{base_path}: a policy config is a JSON object")
    now = rfc3339(args.now, "--now") if args.now else datetime.now(UTC)
    config = policy_config(
        base,
        args.stack,
        now,
        load_records(args.changes),
        report=read_report(args.diff_json) if args.diff_json else None,
        classified=args.diff_json is not None,
        override=args.override.strip() if args.override else None,
        pin_now=args.now is not None,
        advisory=args.advisory,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    settings = config[POLICY]
    classification = settings.get("classification")
    impact = (
        "not classified (treated as high-impact)"
        if classification is None
        else ("high-impact" if classification["highImpact"] else "not high-impact")
    )
    announced = settings.get("announcement", {}).get("record", "no announcement")
    extra = "; emergency override" if "override" in settings else ""
    print(f"{PROG}: {args.stack}: wrote {args.out}: {impact}; {announced}{extra}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "policy-config":
            return _write_policy_config(args)
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
