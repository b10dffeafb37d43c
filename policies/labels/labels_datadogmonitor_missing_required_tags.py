"""CP-LBL-002: every Datadog monitor carries env and severity tags."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, allowed_values
from policies._lib.gcp import DATADOG_MONITOR
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types
from policies._lib.props import as_list, get

META = Meta(
    id="CP-LBL-002",
    name="labels-datadogmonitor-missing-required-tags",
    description=("Ensure every Datadog monitor carries env and severity tags with allowed values."),
    severity="medium",
    section="§4 Alerts: critical, high and informational severities",
    remediation=(
        "Add tags=['env:<environment>', 'severity:<critical|high|informational>'] to the "
        "monitor (naming.tags(severity=...))."
    ),
    on_missing="violation",
    missing_rationale=(
        "routing to PagerDuty and the operational scorecard filter monitors by env and "
        "severity; an untagged monitor is invisible to both"
    ),
)

CONFIG: Schema = {
    "requiredTags": allowed_values(
        {"env": [], "severity": ["critical", "high", "informational"]},
        "Tag key -> allowed values; an empty list allows any non-empty value.",
    ),
}


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    tags: dict[str, list[str]] = {}
    for tag in as_list(get(args.props, "tags")):
        key, _, value = str(tag).partition(":")
        tags.setdefault(key, []).append(value)
    required: Mapping[str, Any] = config["requiredTags"]
    missing = [key for key in sorted(required) if not any(tags.get(key, []))]
    if missing:
        yield f"tags lack {', '.join(missing)}: add '<key>:<value>' tags for them"
    for key, allowed in sorted(required.items()):
        for value in tags.get(key, []):
            if value and allowed and value not in allowed:
                yield f"tag {key}:{value} is not allowed; use one of: {', '.join(allowed)}"


POLICY = resource_policy(META, applies_to=types(DATADOG_MONITOR), check=check, config=CONFIG)
