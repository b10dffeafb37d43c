"""CP-CHG-002: a high-impact change reaches the stack only 48 hours after it was announced.

Playbook §9: "notify stakeholders 48 hours prior to high-impact updates". A stack policy sees
the stack as it will be, not what changes, nor the change records in git. So both facts come
from the deploy, through this policy's config, the way the freeze override does:

* ``classification``: ``{"highImpact": true|false, "reasons": [...]}``, the classification of
  ``python -m preflight diff`` (``preflight/diff/impact.py``) against the commit the stack runs.
  Without one the change counts as high-impact: a deploy that skipped the diff never skips the
  notice.
* ``announcement``: ``{"announcedAt": "<RFC 3339>", "record": "changes/<file>.yaml"}``, the
  committed change record that announces it.

``python scripts/change_notice.py policy-config`` writes both into a copy of
``policies/config/prod-deploy.json`` for ``pulumi up`` (docs/runbooks/change-notice.md). The
policy then checks the time itself, at ``pulumi up``: the announcement must be 48 hours to 14
days old. For an emergency, ``override: {"reason": "...", "until": "YYYY-MM-DD"}`` lets the
change through, with the reason logged as a warning; it must end within 14 days. Mandatory only
in the prod deploy config; disabled in the configs that previews and pull-request checks use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib import engine_log
from policies._lib.config import Schema
from policies._lib.meta import Meta
from policies._lib.override import override_problem, override_schema
from policies._lib.playbook import CHANGE_NOTICE_HOURS, CHANGE_NOTICE_MAX_AGE_DAYS
from policies._lib.policy import stack_policy
from policies._lib.quarters import parse_now

META = Meta(
    id="CP-CHG-002",
    name="changes-stack-enforce-change-notice",
    description=(
        "Ensure a high-impact change to the stack was announced to stakeholders at least 48 "
        "hours before it is deployed, unless an emergency override with a reason is configured."
    ),
    severity="high",
    section="§9 Change Calendar: notify stakeholders 48 hours prior to high-impact updates",
    remediation=(
        "Commit a change record in changes/ 48 hours before deploying and pass it with "
        "scripts/change_notice.py policy-config; for an emergency set override "
        '{"reason": "...", "until": "YYYY-MM-DD"} on this policy.'
    ),
    on_missing="violation",
    missing_rationale=(
        "without a classification the change counts as high-impact, and without an "
        "announcement or an applicable override it is refused"
    ),
)

_TIME_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
NOTICE = timedelta(hours=CHANGE_NOTICE_HOURS)
MAX_AGE = timedelta(days=CHANGE_NOTICE_MAX_AGE_DAYS)
SHOWN_REASONS = 3
"""Reasons quoted in a violation; the rest are counted."""

CONFIG: Schema = {
    "now": {
        "type": "string",
        "pattern": f"^$|^{_TIME_PATTERN}$",
        "default": "",
        "description": (
            "The time to check, ISO 8601 with Z or an offset; empty: the current time. For tests "
            "and dry runs; leave it unset in committed configs."
        ),
    },
    "classification": {
        "type": "object",
        "properties": {
            "highImpact": {"type": "boolean"},
            "reasons": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": False,
        "default": {},
        "description": (
            "Whether the change is high-impact and why, from `preflight diff` (written by "
            "scripts/change_notice.py policy-config); empty: treated as high-impact."
        ),
    },
    "announcement": {
        "type": "object",
        "properties": {
            "announcedAt": {"type": "string", "pattern": f"^{_TIME_PATTERN}$"},
            "record": {"type": "string"},
        },
        "additionalProperties": False,
        "default": {},
        "description": (
            "The committed change record announcing the change: when stakeholders were told "
            "(RFC 3339) and its file (written by scripts/change_notice.py policy-config)."
        ),
    },
    "override": override_schema(
        "Emergency: lets a high-impact change through without the 48 hours: why (an "
        f"incident), and the last day (UTC, inclusive, at most {CHANGE_NOTICE_MAX_AGE_DAYS} "
        "days ahead) it applies."
    ),
}


def applies(_resource_type: str, _props: Mapping[str, Any], _config: Mapping[str, Any]) -> bool:
    return True


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _why(classification: Mapping[str, Any]) -> str:
    if not classification:
        return (
            "the change was not classified (no classification in this policy's config): "
            "treated as high-impact"
        )
    reasons = [str(r) for r in classification.get("reasons") or []] or ["classified high-impact"]
    shown = "; ".join(reasons[:SHOWN_REASONS])
    more = len(reasons) - SHOWN_REASONS
    return f"high-impact change ({shown}{f'; and {more} more' if more > 0 else ''})"


def _override_problem(override: Mapping[str, Any], today: date) -> str | None:
    """Why ``override`` does not apply now, or None when it does."""
    return override_problem(
        override,
        today,
        no_reason="it has no reason: name the incident that cannot wait 48 hours",
        latest=today + MAX_AGE,
        too_late=f"until {{until}} is more than {MAX_AGE.days} days ahead: end it sooner",
    )


def _announcement_problem(announcement: Mapping[str, Any], now: datetime) -> str | None:
    """Why ``announcement`` does not cover a change at ``now``, or None when it does."""
    if not announcement.get("announcedAt"):
        return "no announcement was passed"
    record = str(announcement.get("record") or "the change record")
    announced = parse_now(str(announcement["announcedAt"]))
    age = now - announced
    if age < timedelta(0):
        return f"{record} is announced at {_stamp(announced)}, after now"
    if age < NOTICE:
        hours = int(age.total_seconds() // 3600)
        return (
            f"{record} was announced {_stamp(announced)}, only {hours}h before now: deploy "
            f"from {_stamp(announced + NOTICE)}"
        )
    if age > MAX_AGE:
        return (
            f"{record} was announced {_stamp(announced)}, more than {MAX_AGE.days} days ago: "
            "announce the change again"
        )
    return None


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    try:
        now: datetime = parse_now(str(config["now"]))
    except ValueError as err:
        yield f"now {config['now']!r} is not a time ({err}): write e.g. 2026-12-20T10:00:00Z", None
        return
    classification: Mapping[str, Any] = config["classification"]
    if not resources or classification.get("highImpact") is False:
        return
    why = _why(classification)
    problem = _announcement_problem(config["announcement"], now)
    if problem is None:
        return
    override: Mapping[str, Any] = config["override"]
    refused = f"{why}: playbook §9 wants it announced 48 hours before it is deployed, and {problem}"
    if not override:
        yield (
            f"{refused}; commit a change record in changes/ (docs/runbooks/change-notice.md), "
            'or for an emergency set override {"reason": "...", "until": "YYYY-MM-DD"} in this '
            "policy's config",
            None,
        )
        return
    not_applied = _override_problem(override, now.date())
    if not_applied is not None:
        yield f"{refused}; the override is not applied: {not_applied}", None
        return
    engine_log.log(
        "warning",
        f"{META.name}: 48-hour notice overridden until {override['until']}: "
        f"{str(override['reason']).strip()}",
    )


POLICY = stack_policy(META, applies_to=applies, check=check, config=CONFIG)
