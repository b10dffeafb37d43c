"""CP-STO-003: a bucket the logs are archived in deletes nothing before the playbook's 180 days.

Which buckets: every Cloud Storage bucket an enabled project sink routes logs to (see
``policies/_lib/logrouting.py``), whatever its name or labels. CP-AUD-002 asks for the delete
rule at 180 days; this one makes sure no other rule or setting deletes earlier.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib import logrouting as lr
from policies._lib.config import Schema
from policies._lib.meta import Meta
from policies._lib.policy import stack_policy, types
from policies._lib.props import fmt, get

META = Meta(
    id="CP-STO-003",
    name="storage-logarchive-disallow-early-deletion",
    description=(
        "Ensure no object of a Cloud Storage bucket that a log sink writes to can be deleted "
        "before 180 days, by a lifecycle rule (an earlier age, a date or custom-time condition, "
        "no age at all) or by forceDestroy."
    ),
    severity="high",
    section="§4 Logs: retention 180 days cold storage",
    remediation=(
        "Keep one Delete rule on live objects, at age 180 (rules with withState ARCHIVED or a "
        "noncurrent condition only touch overwritten versions), and force_destroy=False on "
        "every bucket a log sink writes to."
    ),
    on_missing="pass",
    missing_rationale=(
        "a bucket without lifecycle rules deletes nothing; whether logs reach an archive at "
        "all is CP-AUD-005's question"
    ),
)

CONFIG: Schema = {
    "archiveDays": {
        "type": "number",
        "exclusiveMinimum": 0,
        "default": 180,
        "description": "Days an archived log object is kept before any deletion, at least.",
    },
}


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    days = float(config["archiveDays"])
    by_name = {str(get(b.props, "name")): b for b in resources}
    reported: set[str] = set()
    for project in {
        str(get(s.props, "project")) for s in stack if s.resource_type == lr.PROJECT_SINK
    }:
        for sink in lr.project_sinks(stack, project):
            name = sink.storage_bucket
            if sink.disabled or name is None or name in reported or name not in by_name:
                continue
            reported.add(name)
            bucket = by_name[name]
            for problem in lr.early_deletion(bucket, days):
                yield (
                    f"log archive bucket {name}: {problem}, before the {fmt(days)} days of "
                    "playbook §4",
                    bucket.urn,
                )


POLICY = stack_policy(META, applies_to=types(lr.STORAGE_BUCKET), check=check, config=CONFIG)
