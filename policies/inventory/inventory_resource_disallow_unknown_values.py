"""CP-INV-002: no value is unknown in an update.

During a preview an input built from an output that does not exist yet is unknown, and the
policies that need it answer "can't run during preview". During an update the engine resolves
every input before it analyzes and creates the resource, so an unknown value there did not come
from the engine: it hides a property from the checks (a member, a secret reference, a retention).
Several policies leave an unknown principal to the stack policy that resolves it from what it
was built of; this policy makes sure such a value cannot pass an update at all. The mode comes
from ``PULUMI_DRY_RUN`` (``policies/_lib/mode.py``); anything but ``true`` counts as an update.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib import mode
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy
from policies._lib.props import unknown_paths

META = Meta(
    id="CP-INV-002",
    name="inventory-resource-disallow-unknown-values",
    description=(
        "Ensure no resource input is unknown during an update, so that no property can be "
        "hidden from the checks behind a value only known after apply."
    ),
    severity="critical",
    section="§6 Access Control: principle of least privilege",
    remediation=(
        "Check the change with the values it really has: an update resolves every input before "
        "the resource is created, so an unknown input means the snapshot was edited."
    ),
    on_missing="pass",
    missing_rationale="an absent input is judged by the policy that needs it; only unknowns are",
)

_SHOWN = 5


def check(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    if mode.is_preview():
        return
    paths = list(unknown_paths(args.props))
    if paths:
        more = f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else ""
        yield (
            f"cannot verify: {', '.join(paths[:_SHOWN])}{more} unknown in an update, where every "
            "input is known before the resource is created"
        )


POLICY = resource_policy(
    META, applies_to=lambda _type, _props, _config: True, check=check, config=None
)
