"""Which changes are high-impact: playbook §9, "notify stakeholders 48 hours prior to
high-impact updates".

This is the one classification. ``diff`` puts it in its JSON report (``highImpact`` and
``highImpactReasons`` per stack) and its Markdown comment; ``scripts/change_notice.py classify``
reads it from the report and the prod deploy hands it to the policy pack
(``changes-stack-enforce-change-notice``), so nothing re-derives it.

A stack's change is high-impact for each of these reasons (``kind``):

* ``data-loss``: a stateful resource would be deleted or replaced and its data lost;
* ``stateful``: a stateful resource would be deleted or replaced but ``retainOnDelete`` keeps it;
* ``iam``: any change to a resource whose type names IAM (``*IAM*``, ``*iAM*``, ``*Iam*``:
  project IAM members, audit configs, per-resource IAM members, custom roles);
* ``paging``: who is paged: PagerDuty escalation policies, services, schedules;
* ``routing``: where and whether alerts go: PagerDuty event orchestrations, Datadog's PagerDuty
  service objects, a Datadog monitor added or removed with notification handles, or whose
  handles (``@...`` in ``message`` or ``escalationMessage``) or ``priority`` change, and Datadog
  downtimes;
* ``freeze``: the stack changes while the change freeze holds for it, as the freeze policy
  (``changes-stack-disallow-freeze-changes``) decides: enabled in the stack's deploy config
  (``policies/config/<stack>-deploy.json``, else ``<stack>.json``), with its weeks and quarters.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from preflight.diff.model import Reason, ResourceChange, StackDiff

CONFIG_DIR = Path(__file__).resolve().parents[2] / "policies" / "config"
FREEZE_POLICY = "changes-stack-disallow-freeze-changes"

PAGING_TYPES = frozenset(
    {
        "pagerduty:index/escalationPolicy:EscalationPolicy",
        "pagerduty:index/service:Service",
        "pagerduty:index/schedule:Schedule",
    }
)
"""Who is paged (pulumi-pagerduty type tokens)."""
ROUTING_TYPES = frozenset(
    {
        "pagerduty:index/eventOrchestration:EventOrchestration",
        "pagerduty:index/eventOrchestrationGlobal:EventOrchestrationGlobal",
        "pagerduty:index/eventOrchestrationRouter:EventOrchestrationRouter",
        "pagerduty:index/eventOrchestrationService:EventOrchestrationService",
        "pagerduty:index/eventOrchestrationUnrouted:EventOrchestrationUnrouted",
        "pagerduty:index/serviceIntegration:ServiceIntegration",
        "datadog:pagerduty/serviceObject:ServiceObject",
        "datadog:index/downtime:Downtime",
        "datadog:index/downtimeSchedule:DowntimeSchedule",
    }
)
"""Where alerts go and whether they go (pulumi-pagerduty and pulumi-datadog type tokens)."""
MONITOR = "datadog:index/monitor:Monitor"
NOTIFYING = ("message", "escalationMessage")
"""Monitor properties whose ``@`` handles say whom Datadog notifies."""
HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_.+\-@]+")
"""A Datadog notification handle: ``@pagerduty-<service>``, ``@slack-<channel>``, an e-mail."""


def handles(text: Any) -> set[str]:
    return set(HANDLE.findall(text)) if isinstance(text, str) else set()


def is_iam(rtype: str) -> bool:
    """Any type whose module or name says IAM, in any case (``gcp:projects/iAMMember:IAMMember``,
    ``gcp:secretmanager/secretIamMember:SecretIamMember``, ``...iAMAuditConfig...``)."""
    return "iam" in rtype.split(":", 1)[-1].lower()


def _inputs(snapshot: dict[str, Any] | None, urn: str) -> dict[str, Any]:
    for resource in (snapshot or {}).get("resources") or []:
        if resource.get("urn") == urn:
            inputs = resource.get("inputs")
            return inputs if isinstance(inputs, dict) else {}
    return {}


def _monitor_reason(
    r: ResourceChange, base: dict[str, Any] | None, head: dict[str, Any] | None
) -> str | None:
    if r.op in ("create", "delete"):
        inputs = _inputs(head if r.op == "create" else base, r.urn)
        found = sorted(set().union(*(handles(inputs.get(p)) for p in NOTIFYING)))
        if not found:
            return None
        verb = "added" if r.op == "create" else "removed"
        return f"monitor {verb}, notifying {', '.join(found)}"
    parts = []
    for change in r.changes:
        top = change.path.split(".", 1)[0].split("[", 1)[0]
        if top in NOTIFYING and not change.option:
            before, after = handles(change.old), handles(change.new)
            if before != after:
                gone, new = sorted(before - after), sorted(after - before)
                detail = "; ".join(
                    part
                    for part in (
                        f"notifies {', '.join(new)}" if new else "",
                        f"stops notifying {', '.join(gone)}" if gone else "",
                    )
                    if part
                )
                parts.append(f"`{change.path}` {detail}")
        elif top == "priority" and not change.option:
            parts.append(f"priority {change.old} → {change.new}")
    return "monitor " + "; ".join(parts) if parts else None


def resource_reasons(
    r: ResourceChange, base: dict[str, Any] | None, head: dict[str, Any] | None
) -> list[Reason]:
    """The reasons one resource change is high-impact (empty when it is not)."""
    reasons = []
    if r.data_loss:
        reasons.append(Reason("data-loss", r.urn, f"{r.op} of a stateful resource: {r.stateful}"))
    elif r.op in ("delete", "replace") and r.stateful:
        reasons.append(
            Reason("stateful", r.urn, f"{r.op} of a stateful resource (retained): {r.stateful}")
        )
    if is_iam(r.type):
        reasons.append(Reason("iam", r.urn, f"IAM change: {r.op} `{r.type}`"))
    if r.type in PAGING_TYPES:
        reasons.append(Reason("paging", r.urn, f"paging change: {r.op} `{r.type}`"))
    if r.type in ROUTING_TYPES:
        reasons.append(Reason("routing", r.urn, f"routing change: {r.op} `{r.type}`"))
    if r.type == MONITOR:
        text = _monitor_reason(r, base, head)
        if text:
            reasons.append(Reason("routing", r.urn, f"routing change: {text}"))
    return reasons


def deploy_config_path(stack: str, config_dir: Path = CONFIG_DIR) -> Path:
    """The policy config the stack is deployed with: ``<stack>-deploy.json``, else
    ``<stack>.json``."""
    deploy = config_dir / f"{stack}-deploy.json"
    return deploy if deploy.is_file() else config_dir / f"{stack}.json"


def freeze_reason(stack: str, now: datetime, config_dir: Path = CONFIG_DIR) -> Reason | None:
    """Why a change to ``stack`` at ``now`` falls in the change freeze, or None.

    The freeze policy's own reading: its level and settings in the stack's deploy config (the
    pack's defaults otherwise), its calendar (``policies._lib.quarters``)."""
    from policies._lib.quarters import freeze_at
    from policies.changes.changes_stack_disallow_freeze_changes import CONFIG

    path = deploy_config_path(stack, config_dir)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        document = {}  # no config: the pack's default, every policy mandatory
    entry = document.get(FREEZE_POLICY, document.get("all", "mandatory"))
    settings: dict[str, Any] = entry if isinstance(entry, dict) else {"enforcementLevel": entry}
    level = settings.get("enforcementLevel", document.get("all", "mandatory"))
    if level == "disabled":
        return None
    weeks: list[Any] = settings.get("freezeWeeks") or list(CONFIG["freezeWeeks"]["default"] or [])
    quarters: list[Any] = settings.get("freezeQuarters") or list(
        CONFIG["freezeQuarters"]["default"] or []
    )
    freeze = freeze_at(now.date(), [int(w) for w in weeks], [int(q) for q in quarters])
    if freeze is None:
        return None
    return Reason(
        "freeze",
        "",
        f"the change lands in the change freeze ({freeze.describe()}, {path.name}): critical "
        "fixes only",
    )


def classify(d: StackDiff, base: dict[str, Any] | None, head: dict[str, Any] | None) -> None:
    """Fill ``d.high_impact`` with every resource's reasons, in the diff's resource order."""
    d.high_impact = [reason for r in d.resources for reason in resource_reasons(r, base, head)]


def classify_freeze(d: StackDiff, now: datetime, config_dir: Path = CONFIG_DIR) -> None:
    """Add the freeze reason to ``d.high_impact`` when the stack changes inside its freeze."""
    if d.resources:
        frozen = freeze_reason(d.stack, now, config_dir)
        if frozen is not None:
            d.high_impact.append(frozen)
