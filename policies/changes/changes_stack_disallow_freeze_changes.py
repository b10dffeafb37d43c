"""CP-CHG-001: no changes during the end-of-quarter change freeze, unless overridden with a reason.

Playbook §9: "Freeze Periods: End-of-quarter (Q4 weeks 12-13) — critical fixes only". The pack
reads it as weeks 12 and 13 of every quarter (``freezeWeeks``, ``freezeQuarters``; set
``freezeQuarters`` to ``[4]`` for the reading "December only"); weeks are counted from the
quarter's first day, week 13 running to its last (``policies._lib.quarters``), in UTC.

A stack policy sees the stack, not the diff: during a freeze it fails every update and preview
of the stack it is enabled for, which is why it is mandatory only in the deploy config of prod
(``policies/config/prod-deploy.json``) and disabled in the configs that pull-request checks use.
A critical fix goes through with ``override: {"reason": "...", "until": "YYYY-MM-DD"}``; the
override must name a reason and must end within the current freeze, so it never outlives it.
``now`` (ISO 8601 with an offset) pins the time the policy checks; unset, it is the current time.
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
from policies._lib.playbook import FREEZE_QUARTERS, FREEZE_WEEKS
from policies._lib.policy import stack_policy
from policies._lib.quarters import WEEKS_PER_QUARTER, Freeze, freeze_at, parse_now

META = Meta(
    id="CP-CHG-001",
    name="changes-stack-disallow-freeze-changes",
    description=(
        "Ensure the stack is not changed during the end-of-quarter change freeze (weeks 12-13 "
        "of the quarter) unless an override with a reason and an end date is configured."
    ),
    severity="high",
    section="§9 Freeze Periods: end-of-quarter (Q4 weeks 12-13), critical fixes only",
    remediation=(
        'Deploy after the freeze; for a critical fix set override {"reason": "...", '
        '"until": "YYYY-MM-DD"} on this policy in policies/config/prod-deploy.json, deploy, '
        "and remove the override again."
    ),
    on_missing="violation",
    missing_rationale=(
        "without an override the freeze holds; an override without a reason or an end date "
        "(or ending after the freeze) is not applied"
    ),
)

_NOW_PATTERN = (
    r"^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)

CONFIG: Schema = {
    "now": {
        "type": "string",
        "pattern": _NOW_PATTERN,
        "default": "",
        "description": (
            "The time to check, ISO 8601 with Z or an offset (e.g. 2026-12-20T10:00:00Z); "
            "empty: the current time. For tests and dry runs; leave it unset in committed configs."
        ),
    },
    "freezeWeeks": {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": WEEKS_PER_QUARTER},
        "default": list(FREEZE_WEEKS),
        "description": "Weeks of the quarter (1-13, counted from its first day) that are frozen.",
    },
    "freezeQuarters": {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 4},
        "default": list(FREEZE_QUARTERS),
        "description": "Quarters whose freeze weeks are frozen ([4]: only the year's last).",
    },
    "override": override_schema(
        "Lets changes through during the freeze: why (a critical fix), and the last day "
        "(UTC, inclusive, within the current freeze) it applies."
    ),
}


def applies(_resource_type: str, _props: Mapping[str, Any], _config: Mapping[str, Any]) -> bool:
    return True


def _override_problem(override: Mapping[str, Any], today: date, freeze: Freeze) -> str | None:
    """Why ``override`` does not apply now, or None when it does."""
    return override_problem(
        override,
        today,
        no_reason="it has no reason: say which critical fix needs the change",
        latest=freeze.end,
        too_late=f"until {{until}} is after the freeze ends ({freeze.end}): end it by then",
    )


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    try:
        now: datetime = parse_now(str(config["now"]))
    except ValueError as err:
        yield f"now {config['now']!r} is not a time ({err}): write e.g. 2026-12-20T10:00:00Z", None
        return
    freeze = freeze_at(
        now.date(),
        [int(w) for w in config["freezeWeeks"]],
        [int(q) for q in config["freezeQuarters"]],
    )
    if freeze is None or not resources:
        return
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    frozen = (
        f"{stamp} is in the change freeze ({freeze.describe()}, playbook §9: critical fixes "
        f"only): deploy from {freeze.end + timedelta(days=1)}"
    )
    override: Mapping[str, Any] = config["override"]
    if not override:
        yield (
            f"{frozen}, or for a critical fix set override "
            '{"reason": "...", "until": "YYYY-MM-DD"} in this policy\'s config',
            None,
        )
        return
    problem = _override_problem(override, now.date(), freeze)
    if problem is not None:
        yield f"{frozen}; the override is not applied: {problem}", None
        return
    engine_log.log(
        "warning",
        f"{META.name}: change freeze {freeze.describe()} overridden until "
        f"{override['until']}: {str(override['reason']).strip()}",
    )


POLICY = stack_policy(META, applies_to=applies, check=check, config=CONFIG)
