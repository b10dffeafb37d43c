"""CP-CRD-002: every Secret Manager secret rotates at least quarterly and notifies a topic.

Regional secrets take the same ``rotation`` and ``topics`` inputs and are held to the same rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema
from policies._lib.gcp import REGIONAL_SECRET, SECRET
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types
from policies._lib.props import as_list, fmt, get, is_missing, present

META = Meta(
    id="CP-CRD-002",
    name="credentials-secret-configure-rotation",
    description=(
        "Ensure every Secret Manager secret has a rotation period of at most 90 days and a "
        "rotation notification topic."
    ),
    severity="high",
    section="§6 Access Control: rotating credentials quarterly",
    remediation=(
        "Set rotation.rotation_period to at most '7776000s' with a next_rotation_time, and add "
        "the environment's rotation Pub/Sub topic to topics."
    ),
    on_missing="violation",
    missing_rationale=(
        "a secret without rotation never rotates and one without a topic rotates silently; "
        "the playbook requires quarterly rotation"
    ),
)

CONFIG: Schema = {
    "maxRotationPeriodSeconds": {
        "type": "number",
        "exclusiveMinimum": 0,
        "default": 7776000,
        "description": "Longest allowed rotation.rotationPeriod in seconds (90 days).",
    },
}

_DURATION = re.compile(r"^(?P<seconds>\d+(?:\.\d+)?)s$")
_DAY = 86400


def _days(seconds: float) -> str:
    return fmt(round(seconds / _DAY, 1))


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    limit = float(config["maxRotationPeriodSeconds"])
    period = get(args.props, "rotation.rotationPeriod")
    if is_missing(period):
        yield (
            f"rotation.rotationPeriod is not set: rotate at most every {fmt(limit)}s "
            f"({_days(limit)} days)"
        )
    else:
        match = _DURATION.match(str(period))
        if match is None:
            yield f"rotation.rotationPeriod {period!r} is not a duration in seconds like '7776000s'"
        elif float(match.group("seconds")) > limit:
            seconds = float(match.group("seconds"))
            yield (
                f"rotation.rotationPeriod is {fmt(seconds)}s ({_days(seconds)} days), longer "
                f"than {fmt(limit)}s ({_days(limit)} days)"
            )
    topics = [t for t in as_list(get(args.props, "topics")) if present(t, "name")]
    if not topics:
        yield "topics is empty: add the rotation notification Pub/Sub topic"


POLICY = resource_policy(
    META, applies_to=types(SECRET, REGIONAL_SECRET), check=check, config=CONFIG
)
