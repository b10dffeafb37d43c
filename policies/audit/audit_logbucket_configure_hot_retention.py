"""CP-AUD-001: the project log bucket keeps logs hot for exactly the playbook's 30 days."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema
from policies._lib.gcp import PROJECT_LOG_BUCKET
from policies._lib.meta import Meta
from policies._lib.policy import stack_policy, types
from policies._lib.props import fmt, get, is_missing, number

META = Meta(
    id="CP-AUD-001",
    name="audit-logbucket-configure-hot-retention",
    description="Ensure the stack declares a project log bucket that keeps logs for 30 days.",
    severity="medium",
    section="§4 Logs: retention 30 days hot",
    remediation=(
        "Declare a gcp.logging.ProjectBucketConfig with retention_days=30 and route the "
        "project's logs to it."
    ),
    on_missing="violation",
    missing_rationale=(
        "without a declared bucket (or retentionDays) the retention is whatever the project "
        "happens to have, which the playbook does not allow"
    ),
)

CONFIG: Schema = {
    "retentionDays": {
        "type": "number",
        "exclusiveMinimum": 0,
        "default": 30,
        "description": "Required retentionDays of the hot log bucket.",
    },
}


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    wanted = float(config["retentionDays"])
    if not resources:
        yield (
            f"no {PROJECT_LOG_BUCKET} is declared: add one with retentionDays {fmt(wanted)}",
            None,
        )
        return
    for resource in resources:
        days = number(get(resource.props, "retentionDays"))
        if days == wanted:
            return
    for resource in resources:
        value = get(resource.props, "retentionDays")
        shown = "not set" if is_missing(value) else f"{value!r}"
        yield (
            f"retentionDays is {shown}: the hot log bucket keeps logs for {fmt(wanted)} days",
            resource.urn,
        )


POLICY = stack_policy(META, applies_to=types(PROJECT_LOG_BUCKET), check=check, config=CONFIG)
