"""Tampering with the check: unknown values written into an update snapshot to hide a property.

An update snapshot (no ``dryRun``) never holds the unknown sentinel; one planted there must be a
mandatory violation, not the preview's "can't decide". (A snapshot pinned to another stack is
exit 2, tested in tests/preflight/test_check.py.)"""

from __future__ import annotations

from collections.abc import Callable

from preflight.snapshot import UNKNOWN
from tests.support.adversary import Case, Snapshot, first

Change = Callable[[Snapshot], None]

UNKNOWNS = "inventory-resource-disallow-unknown-values"


def _hide(type_token: str, key: str, name_contains: str = "") -> Change:
    def change(snapshot: Snapshot) -> None:
        first(snapshot, type_token, name_contains)["inputs"][key] = UNKNOWN

    return change


def _case(id_: str, policy: str, message: str, change: Change) -> Case:
    return Case(id_, "tampering", policy, message, change)


CASES = [
    _case(
        "unknown-accessor-member",
        UNKNOWNS,
        "cannot verify: member unknown",
        _hide("gcp:secretmanager/secretIamMember:SecretIamMember", "member"),
    ),
    _case(
        "unknown-project-role",
        "iam-binding-disallow-primitive-roles",
        "cannot verify: string value at .role is unknown in an update",
        _hide("gcp:projects/iAMMember:IAMMember", "role"),
    ),
    _case(
        "unknown-log-retention",
        UNKNOWNS,
        "cannot verify: retentionDays unknown",
        _hide("gcp:logging/projectBucketConfig:ProjectBucketConfig", "retentionDays"),
    ),
    _case(
        "unknown-secret-rotation",
        UNKNOWNS,
        "cannot verify: rotation unknown",
        _hide("gcp:secretmanager/secret:Secret", "rotation"),
    ),
    _case(
        "unknown-bucket-public-access",
        UNKNOWNS,
        "cannot verify: publicAccessPrevention unknown",
        _hide("gcp:storage/bucket:Bucket", "publicAccessPrevention"),
    ),
    _case(
        "unknown-downtime-schedule",
        UNKNOWNS,
        "cannot verify: recurringSchedule unknown",
        _hide("datadog:index/downtimeSchedule:DowntimeSchedule", "recurringSchedule"),
    ),
]
