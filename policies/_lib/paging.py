"""What happens to a Datadog alert on its way to a person: the message's mentions, PagerDuty's
event rules and the service that opens the incident.

Datadog sends a notification to the handles its message mentions for the state being notified;
a handle inside a conditional block (``{{#is_warning}}...{{/is_warning}}``) is notified only in
that block's state (Datadog, "Notification variables: conditional variables"). A mention pages
on alert when it stands outside every block, or only inside blocks that hold in the alert state
(:data:`ALERT_BLOCKS`).

On PagerDuty's side (pulumi-pagerduty 4.x), event orchestrations and the older rulesets and
service event rules can suppress an alert, suspend it, drop it, resolve it, lower its severity
(with ``severity_based`` urgency, ``warning`` and ``info`` are low urgency), send it to another
escalation policy or route it to another service or set. :func:`actions_harm` names what an action
block does to an alert; :func:`may_match` tells whether a rule's conditions can match an alert
of a given severity, read through the ``[<severity>]`` marker that the program writes at the
start of every monitor name (components/datadog_common.py ``monitor_name``) and matches with
``event.summary matches part '[<severity>]'``. Any other condition might match anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policies._lib.observability import Handle, pagerduty_handles
from policies._lib.props import as_list, get, is_missing, number

PAGERDUTY_SERVICE = "pagerduty:index/service:Service"
PAGERDUTY_SERVICE_INTEGRATION = "pagerduty:index/serviceIntegration:ServiceIntegration"
PAGERDUTY_MAINTENANCE_WINDOW = "pagerduty:index/maintenanceWindow:MaintenanceWindow"
PAGERDUTY_ORCHESTRATION_SERVICE = (
    "pagerduty:index/eventOrchestrationService:EventOrchestrationService"
)
PAGERDUTY_ORCHESTRATION_GLOBAL = "pagerduty:index/eventOrchestrationGlobal:EventOrchestrationGlobal"
PAGERDUTY_ORCHESTRATION_ROUTER = "pagerduty:index/eventOrchestrationRouter:EventOrchestrationRouter"
PAGERDUTY_ORCHESTRATION_UNROUTED = (
    "pagerduty:index/eventOrchestrationUnrouted:EventOrchestrationUnrouted"
)
PAGERDUTY_RULESET_RULE = "pagerduty:index/rulesetRule:RulesetRule"
PAGERDUTY_SERVICE_EVENT_RULE = "pagerduty:index/serviceEventRule:ServiceEventRule"
PAGERDUTY_EVENT_RULE = "pagerduty:index/eventRule:EventRule"
DATADOG_DOWNTIME = "datadog:index/downtime:Downtime"
"""The Downtime API v1 type, deprecated in pulumi-datadog 5.x for ``DowntimeSchedule``."""

ALERT_BLOCKS = frozenset(
    {
        "#is_alert",
        "^is_recovery",
        "^is_alert_recovery",
        "^is_warning",
        "^is_warning_recovery",
        "^is_no_data",
        "^is_renotify",
    }
)
"""Datadog conditional blocks whose content is sent when the monitor goes to alert."""

_BLOCK = re.compile(r"\{\{\s*(?P<sigil>[#^/])\s*(?P<name>[a-z_]+)(?P<args>[^}]*)\}\}")


@dataclass(frozen=True)
class Mention:
    """One ``@pagerduty`` handle and the conditional blocks around it (outermost first)."""

    handle: Handle
    blocks: tuple[str, ...]

    @property
    def on_alert(self) -> bool:
        return all(block in ALERT_BLOCKS for block in self.blocks)

    def where(self) -> str:
        return " ".join("{{" + b + "}}" for b in self.blocks) or "the message"


def mentions(message: str) -> list[Mention]:
    """The PagerDuty mentions of ``message`` with their enclosing blocks. A block left open runs
    to the end of the message (Datadog would reject it; the pack does not count on that)."""
    found: list[Mention] = []
    open_blocks: list[str] = []
    position = 0
    for match in [*_BLOCK.finditer(message), None]:
        end = match.start() if match is not None else len(message)
        for handle in pagerduty_handles(message[position:end]):
            found.append(Mention(handle, tuple(open_blocks)))
        if match is None:
            break
        position = match.end()
        name = match.group("name")
        if match.group("sigil") == "/":
            for index in range(len(open_blocks) - 1, -1, -1):
                if open_blocks[index][1:] == name:
                    del open_blocks[index:]
                    break
        else:
            open_blocks.append(match.group("sigil") + name)
    return found


MARKER = re.compile(r"^event\.summary\s+matches\s+part\s+'\[(?P<severity>[a-z]+)\]'$")
"""The one condition the pack can read: the program's ``[<severity>]`` marker."""


def _condition_texts(rule: Any) -> list[str] | None:
    """The expressions of a rule's conditions (any of them matches); None for a rule without
    conditions, which matches every event."""
    conditions = as_list(get(rule, "conditions"))
    if not conditions:
        return None
    return [
        str(get(c, "expression")) if not is_missing(get(c, "expression")) else ""
        for c in conditions
    ]


def may_match(rule: Any, severity: str) -> bool:
    """Whether the rule can match an alert of ``severity`` (only the marker of another severity,
    and nothing else, rules it out)."""
    texts = _condition_texts(rule)
    if texts is None:
        return True
    for text in texts:
        marker = MARKER.match(text.strip())
        if marker is None or marker.group("severity") == severity:
            return True
    return False


def surely_matches(rule: Any, severity: str) -> bool:
    """Whether the rule matches every alert of ``severity`` (one condition is its marker)."""
    texts = _condition_texts(rule)
    if texts is None:
        return True
    return any(
        (marker := MARKER.match(text.strip())) is not None and marker.group("severity") == severity
        for text in texts
    )


HIGH_URGENCY_SEVERITIES = ("critical", "error")
"""PagerDuty alert severities that ``severity_based`` urgency pages at high urgency."""


def actions_harm(
    actions: Any,
    *,
    keep_severities: tuple[str, ...] | None,
    chains: frozenset[str],
    services: frozenset[str],
    max_suspend_seconds: float,
) -> Iterator[str]:
    """What ``actions`` (a rule's or catch-all's, any orchestration kind) do to an alert that
    must page: suppress, drop, resolve, suspend, lower the severity below ``keep_severities``,
    hand it to an escalation policy outside ``chains`` or route it to a service outside
    ``services`` (ids)."""
    if get(actions, "suppress") is True:
        yield "suppresses it (no incident)"
    if get(actions, "dropEvent") is True:
        yield "drops it"
    if str(get(actions, "eventAction")) == "resolve":
        yield "turns it into a resolve"
    suspend = number(get(actions, "suspend"))
    if suspend is not None and suspend > max_suspend_seconds:
        yield f"suspends it {suspend:g} s before it may page"
    severity = get(actions, "severity")
    if (
        keep_severities is not None
        and not is_missing(severity)
        and str(severity) not in keep_severities
    ):
        yield f"sets its severity to {severity} (low urgency)"
    policy = get(actions, "escalationPolicy")
    if not is_missing(policy) and str(policy) not in chains:
        yield f"hands it to escalation policy {policy}, not the playbook's chain"
    route = get(actions, "routeTo")
    if not is_missing(route) and route != "unrouted" and services and str(route) not in services:
        # Service orchestrations route to sets of their own (checked by following them);
        # routers and unrouted orchestrations route to services.
        yield f"routes it to {route}"
    for key in ("suppresses", "suspends", "routes", "severities", "eventActions"):
        for item in as_list(get(actions, key)):
            value = get(item, "value")
            if key == "suppresses" and value is True:
                yield "suppresses it (ruleset)"
            elif key == "suspends" and (number(value) or 0) > max_suspend_seconds:
                yield f"suspends it {number(value):g} s (ruleset)"
            elif key == "routes" and not is_missing(value) and str(value) not in services:
                yield f"routes it to {value} (ruleset)"
            elif key == "severities" and keep_severities is not None and not is_missing(value):
                if str(value) not in keep_severities:
                    yield f"sets its severity to {value} (ruleset)"
            elif key == "eventActions" and str(value) == "resolve":
                yield "turns it into a resolve (ruleset)"


def rule_sets(orchestration: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The orchestration's rule sets by id (a router has one ``set``, the others ``sets``)."""
    found: dict[str, list[Any]] = {}
    for item in [*as_list(get(orchestration, "sets")), *as_list([get(orchestration, "set")])]:
        if is_missing(item):
            continue
        ident = get(item, "id")
        found[str(ident) if not is_missing(ident) else "start"] = as_list(get(item, "rules"))
    return found
