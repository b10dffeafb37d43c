"""The snapshot contract every part of ``preflight`` reads (DESIGN.md, "Contracts").

A snapshot is what ``preflight synth`` prints: ``stack``, ``project`` and ``resources``, each
resource with ``urn``, ``type``, ``name``, ``parent``, ``inputs`` (camelCase, as the engine
sees them), ``protect`` and ``dependencies``. Two kinds of placeholder value stand in it:

- Pulumi's own unknown-value sentinel, for a value not known until apply;
- the secret marker, ``[secret]``, or ``[secret:<fingerprint>]`` when ``diff`` asks for an
  HMAC fingerprint of the value so that a changed secret shows as changed without its value.
"""

from __future__ import annotations

import re

from pulumi.runtime.rpc import UNKNOWN as PULUMI_UNKNOWN

UNKNOWN: str = PULUMI_UNKNOWN
"""Pulumi's sentinel for a value not known until apply (``pulumi.runtime.rpc.UNKNOWN``)."""

# The redaction marker is not a secret.
SECRET_MARKER = "[secret]"  # noqa: S105  # nosec B105
"""How a secret value shows in a snapshot when no fingerprint is asked for."""

SECRET_RE = re.compile(r"^\[secret(?::([0-9a-f]+))?\]$")
"""A secret marker, with or without its fingerprint (group 1)."""

FINGERPRINT_ENV = "PREFLIGHT_SECRET_FINGERPRINT_KEY"
"""When set, secrets show as ``[secret:<hmac>]`` keyed by its value (used by ``preflight diff``)."""


OPS = ("delete", "replace", "update", "create")
"""What a change does to one resource, in the order reviews list them (losses first)."""
OP_ORDER = {op: i for i, op in enumerate(OPS)}
OP_SIGNS = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
"""The sign ``pulumi preview`` shows before a resource for each operation."""


def secret_marker(fingerprint: str | None = None) -> str:
    """``[secret]``, or ``[secret:<fingerprint>]`` when a fingerprint is given."""
    return f"[secret:{fingerprint}]" if fingerprint else SECRET_MARKER


def is_secret_marker(value: object) -> bool:
    """Whether ``value`` is a secret marker (with or without fingerprint)."""
    return isinstance(value, str) and SECRET_RE.match(value) is not None
