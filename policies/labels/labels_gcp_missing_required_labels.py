"""CP-LBL-001: every labelable GCP resource carries environment, data-class and managed-by."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, allowed_values
from policies._lib.labelable import LABELABLE_TYPES
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy
from policies._lib.props import as_mapping, get

META = Meta(
    id="CP-LBL-001",
    name="labels-gcp-missing-required-labels",
    description=(
        "Ensure every labelable GCP resource carries the environment, data-class and "
        "managed-by labels with the environment's values."
    ),
    severity="medium",
    section="§2 Environment Matrix: environment and data class per resource",
    remediation=(
        "Pass labels=naming.labels(...) (controlplane/naming.py) to the resource; it sets "
        "environment, data-class and managed-by for the stack's environment."
    ),
    on_missing="violation",
    missing_rationale=(
        "an unlabelled resource cannot be attributed to an environment or data class in "
        "billing, audits or incident triage"
    ),
)

CONFIG: Schema = {
    "requiredLabels": allowed_values(
        {"environment": [], "data-class": [], "managed-by": ["pulumi"]},
        "Label key -> allowed values; an empty list allows any non-empty value. The "
        "per-environment config pins environment and data-class.",
    ),
}


def labelable(resource_type: str, _props: Mapping[str, Any], _config: Mapping[str, Any]) -> bool:
    return resource_type in LABELABLE_TYPES


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    labels = as_mapping(get(args.props, "labels"))
    required: Mapping[str, Any] = config["requiredLabels"]
    missing = [key for key in sorted(required) if not str(labels.get(key) or "")]
    if missing:
        yield f"labels lack {', '.join(missing)}: pass labels=naming.labels(...)"
    for key, allowed in sorted(required.items()):
        value = str(labels.get(key) or "")
        if value and allowed and value not in allowed:
            yield (
                f"label {key} is {value!r}; this environment requires one of: {', '.join(allowed)}"
            )


POLICY = resource_policy(META, applies_to=labelable, check=check, config=CONFIG)
