"""CP-ALR-001: every alert of playbook §4 has a Datadog monitor in the stack."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema, choice_list
from policies._lib.meta import Meta
from policies._lib.observability import DATADOG_MONITOR, tags
from policies._lib.playbook import ALERT_TAG_KEY, ALERTS, ALERTS_BY_SLUG
from policies._lib.policy import stack_policy, types

META = Meta(
    id="CP-ALR-001",
    name="alerting-monitor-missing-playbook-alerts",
    description=(
        "Ensure the stack declares a Datadog monitor for every alert of playbook §4, tagged "
        "alert:<slug>."
    ),
    severity="high",
    section="§4 Alerts: critical, high and informational alerts",
    remediation=(
        "Declare the missing monitor (components.monitoring.Monitoring declares all eight) and "
        "tag it alert:<slug>; the slugs are listed in requiredAlerts."
    ),
    on_missing="violation",
    missing_rationale=(
        "an alert without a monitor never fires; a monitor without its alert:<slug> tag cannot "
        "be told apart from any other, so it counts as missing"
    ),
)

CONFIG: Schema = {
    "requiredAlerts": choice_list(
        [alert.slug for alert in ALERTS],
        [alert.slug for alert in ALERTS],
        "Slugs of the §4 alerts whose monitors the stack must declare (each monitor tagged "
        "alert:<slug>).",
    ),
}


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    declared = {
        slug for monitor in resources for slug in tags(monitor.props).get(ALERT_TAG_KEY, [])
    }
    for slug in config["requiredAlerts"]:
        if slug in declared:
            continue
        alert = ALERTS_BY_SLUG[slug]
        yield (
            f"no monitor tagged {ALERT_TAG_KEY}:{slug} for the {alert.severity} alert "
            f"'{alert.quote}': declare one on {alert.measure}",
            None,
        )


POLICY = stack_policy(META, applies_to=types(DATADOG_MONITOR), check=check, config=CONFIG)
