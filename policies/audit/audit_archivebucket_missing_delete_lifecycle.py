"""CP-AUD-002: a log archive bucket deletes objects after the playbook's 180 days."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema
from policies._lib.gcp import BUCKET
from policies._lib.meta import Meta
from policies._lib.policy import stack_policy, types
from policies._lib.props import as_list, fmt, get, number

META = Meta(
    id="CP-AUD-002",
    name="audit-archivebucket-missing-delete-lifecycle",
    description=(
        "Ensure a Cloud Storage bucket of the stack deletes archived logs after 180 days."
    ),
    severity="medium",
    section="§4 Logs: retention 180 days cold storage",
    remediation=(
        "Give the log archive bucket lifecycle_rules=[{action: {type: 'Delete'}, "
        "condition: {age: 180}}] and route the log sink to it."
    ),
    on_missing="violation",
    missing_rationale=(
        "a bucket without the delete rule keeps logs forever, one with a shorter rule loses "
        "evidence; either breaks the playbook's 180 days"
    ),
)

CONFIG: Schema = {
    "ageDays": {
        "type": "number",
        "exclusiveMinimum": 0,
        "default": 180,
        "description": "Age in days at which archived logs are deleted.",
    },
}


def deletes_at(bucket: PolicyResource, age: float) -> bool:
    for rule in as_list(get(bucket.props, "lifecycleRules")):
        if get(rule, "action.type") == "Delete" and number(get(rule, "condition.age")) == age:
            return True
    return False


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], _stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    age = float(config["ageDays"])
    if any(deletes_at(bucket, age) for bucket in resources):
        return
    yield (
        f"no storage bucket has a lifecycle rule that deletes objects at age {fmt(age)} days: "
        "add it to the log archive bucket",
        None,
    )


POLICY = stack_policy(META, applies_to=types(BUCKET), check=check, config=CONFIG)
