"""CP-ALR-003: critical and high monitors page through PagerDuty, informational ones never do.

A monitor (or synthetic test) pages when its message mentions ``@pagerduty-<service>`` and
``<service>`` is a PagerDuty service Datadog knows: the ``serviceName`` of a
``datadog.pagerduty.ServiceObject`` in the stack, or one listed in ``pagerDutyServices``. The
severity and environment come from the monitor's ``severity`` and ``env`` tags (CP-LBL-002 makes
sure they are there and allowed). Mentions count wherever they stand in the message, also inside
Datadog's ``{{#is_...}}`` blocks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema, choice_list, string_list
from policies._lib.meta import Meta
from policies._lib.observability import (
    DATADOG_MONITOR,
    DATADOG_PAGERDUTY_SERVICE,
    DATADOG_SYNTHETICS_TEST,
    pagerduty_handles,
    tag,
)
from policies._lib.playbook import SEVERITIES
from policies._lib.policy import stack_policy
from policies._lib.props import get, is_missing

META = Meta(
    id="CP-ALR-003",
    name="alerting-monitor-enforce-pagerduty-routing",
    description=(
        "Ensure every critical and high monitor of a paging environment mentions a PagerDuty "
        "service that Datadog knows, and no informational monitor mentions PagerDuty at all."
    ),
    severity="critical",
    section="§4 Alerts: routing to the PagerDuty schedule",
    remediation=(
        "Route the severity to PagerDuty in controlplane:routing (critical and high: "
        "'pagerduty'; informational: Slack or e-mail only), so the message mentions "
        "@pagerduty-<service> of the stack's datadog.pagerduty.ServiceObject."
    ),
    on_missing="violation",
    missing_rationale=(
        "a paging monitor without a message (or without the mention) notifies nobody; a monitor "
        "without a severity tag is left to CP-LBL-002, and one without an env tag must page "
        "(fail closed)"
    ),
)

CONFIG: Schema = {
    "pagingEnvironments": string_list(
        ["staging", "prod"],
        "Values of the monitors' env tag whose paging severities must page (dev may route "
        "them to Slack).",
    ),
    "pagingSeverities": choice_list(
        list(SEVERITIES), ["critical", "high"], "Severities that page in the paging environments."
    ),
    "silentSeverities": choice_list(
        list(SEVERITIES),
        ["informational"],
        "Severities that never mention PagerDuty, in any environment.",
    ),
    "pagerDutyServices": string_list(
        [],
        "PagerDuty service names Datadog knows from outside the stack (the integration "
        "tile); the stack's datadog.pagerduty.ServiceObject names are always known.",
    ),
    "monitorTypes": string_list(
        [DATADOG_MONITOR, DATADOG_SYNTHETICS_TEST],
        "Resource types that notify through their message and severity tag.",
    ),
}


def applies(resource_type: str, _props: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    return resource_type in config["monitorTypes"]


def known_services(stack: list[PolicyResource], config: Mapping[str, Any]) -> list[str]:
    names = {str(p) for p in config["pagerDutyServices"]}
    for resource in stack:
        if resource.resource_type == DATADOG_PAGERDUTY_SERVICE:
            name = get(resource.props, "serviceName")
            if not is_missing(name):
                names.add(str(name))
    return sorted(names)


def _monitor(monitor: PolicyResource, config: Mapping[str, Any], known: list[str]) -> Iterator[str]:
    severity = tag(monitor.props, "severity")
    if severity is None:
        return
    message = get(monitor.props, "message")
    handles = pagerduty_handles("" if is_missing(message) else str(message))
    mentioned = ", ".join(h.text for h in handles)
    if severity in config["silentSeverities"]:
        if handles:
            yield f"severity {severity} must not page: remove {mentioned} from the message"
        return
    if severity not in config["pagingSeverities"]:
        return
    services = ", ".join(known) or "none in the stack"
    unknown = [h for h in handles if h.service not in known]
    for handle in unknown:
        yield (
            f"{handle.text} names no PagerDuty service that Datadog knows: use "
            f"@pagerduty-<service> with one of: {services} (a datadog.pagerduty.ServiceObject "
            "of the stack, or pagerDutyServices in the policy config)"
        )
    env = tag(monitor.props, "env")
    if env is not None and env not in config["pagingEnvironments"]:
        return
    if not handles:
        where = f"in {env}" if env is not None else "without an env tag"
        yield (
            f"severity {severity} {where} must page: mention @pagerduty-<service> in the "
            f"message (PagerDuty services: {services})"
        )


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    known = known_services(stack, config)
    for monitor in resources:
        for message in _monitor(monitor, config, known):
            yield message, monitor.urn


POLICY = stack_policy(META, applies_to=applies, check=check, config=CONFIG)
