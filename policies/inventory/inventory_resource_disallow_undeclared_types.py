"""CP-INV-001: every resource is of a type the program declares, or excepted in config.

The other policies judge the types they know; a capability reached through another type (a
regional secret, a Cloud Run v1 service, an HMAC key, a bucket ACL, another service's IAM) would
pass them all by being unknown to them. This policy closes that gap: a type the program does not
declare (``policies/_lib/declared_types.json``, generated from the program) is a violation unless
the environment's policy config lists it in ``allowedTypes`` with a reason.

Sensitive families (``policies/_lib/inventory.py``: IAM, keys, ACLs, log sinks and exclusions,
downtimes, event orchestrations, secrets, providers, dynamic resources) are recognised by a
pattern on the type token, so the message names the family even for a type nobody listed yet.
Exceptions name one exact type token (the schema refuses ``*``, ``?`` and ``[``), never a
pattern, and need a non-empty reason; an exception for a sensitive-family type is logged as a
warning on every run, so a reviewer sees it in the ``preflight check`` and ``pulumi preview``
output of every change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib import engine_log
from policies._lib.config import Schema
from policies._lib.inventory import declared_types, family
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy

META = Meta(
    id="CP-INV-001",
    name="inventory-resource-disallow-undeclared-types",
    description=(
        "Ensure every resource is of a type the program declares or one the environment's policy "
        "config excepts by its exact type with a reason, so that no capability reaches the "
        "stack through a type the other policies do not judge."
    ),
    severity="critical",
    section="§6 Access Control: principle of least privilege",
    remediation=(
        "Declare the resource in the program (a component in components/, then run "
        "python -m preflight.declared_types --write), or, for a type the pack need not judge, "
        "add {type, reason} to allowedTypes of this policy in policies/config/<env>.json."
    ),
    on_missing="violation",
    missing_rationale="the type is the resource's identity: an unknown type is itself the finding",
)

CONFIG: Schema = {
    "allowedTypes": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "type": {
                    "type": "string",
                    "minLength": 1,
                    "pattern": "^[^*?\\[\\]\\s]+$",
                    "description": "One exact type token (no wildcard).",
                },
                "reason": {
                    "type": "string",
                    "pattern": "\\S",
                    "description": "Why the stack needs it (shown on every run for families).",
                },
            },
            "required": ["type", "reason"],
            "additionalProperties": False,
        },
        "default": [],
        "description": (
            "Types the program does not declare that this environment accepts: each an exact "
            "type token with a non-empty reason."
        ),
    },
}


def _excepted(resource_type: str, config: Mapping[str, Any]) -> str | None:
    """The config's reason for accepting ``resource_type`` (exact match, non-empty reason)."""
    for entry in config.get("allowedTypes") or []:
        if not isinstance(entry, Mapping):
            continue
        reason = str(entry.get("reason") or "").strip()
        if entry.get("type") == resource_type and reason:
            return reason
    return None


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    resource_type = args.resource_type
    if resource_type in declared_types():
        return
    kind = family(resource_type)
    reason = _excepted(resource_type, config)
    if reason is not None:
        if kind is not None:
            engine_log.log(
                "warning",
                f"{META.name}: {resource_type} ({kind} family) is allowed by the policy config: "
                f"{reason}",
                args.urn,
            )
        return
    family_note = f" (sensitive family: {kind})" if kind is not None else ""
    yield (
        f"{resource_type}{family_note} is not a type the program declares: declare it in the "
        "program or except it in allowedTypes with a reason"
    )


POLICY = resource_policy(
    META, applies_to=lambda _type, _props, _config: True, check=check, config=CONFIG
)
