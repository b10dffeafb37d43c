"""Whether the pack runs in a preview or in an update.

The Pulumi CLI starts a policy pack for each deployment with ``PULUMI_DRY_RUN`` set to ``true``
(``pulumi preview``, and the preview step of ``pulumi up``) or ``false`` (the update itself); the
Python policy runtime reads the same variable to configure ``pulumi.runtime``
(``pulumi_policy/policy.py``, ``_configure_runtime_settings``). ``preflight check`` starts the pack
the same way, in the mode each snapshot was synthesized in.

During a preview a value built from an output that does not exist yet is unknown, and a policy
that needs it cannot decide (the runtime's "can't run policy ... during preview" advisory).
During an update every input is known before the resource is created: an unknown value there is
not the engine's doing but a property hidden from the checks, so the pack fails closed on it.
Only ``true`` means a preview: an unset or unexpected value counts as an update.
"""

from __future__ import annotations

import os

DRY_RUN_ENV = "PULUMI_DRY_RUN"


def is_preview() -> bool:
    """Whether the current deployment is a preview (values may be unknown until apply)."""
    return os.environ.get(DRY_RUN_ENV, "").strip().lower() == "true"


def cannot_verify(detail: str) -> str:
    """The violation for a value that is unknown in an update.

    ``detail`` is the runtime's description of the value (``string value at .member can't be
    known during preview``), reworded: in an update nothing may be unknown.
    """
    what = detail.replace(" can't be known during preview", "")
    return (
        f"cannot verify: {what} is unknown in an update, where every input is known before the "
        "resource is created; an unknown value here hides the property from the policy"
    )
