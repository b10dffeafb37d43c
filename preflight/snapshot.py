"""The snapshot contract every part of ``preflight`` reads (DESIGN.md, "Contracts").

A snapshot is what ``preflight synth`` prints: ``stack``, ``project`` and ``resources``, each
resource with ``urn``, ``type``, ``name``, ``parent``, ``inputs`` (camelCase, as the engine
sees them), ``protect`` and ``dependencies``; the Stack resource (first) also has ``outputs``,
what the program exports, as the engine records them on it. Two kinds of placeholder value
stand in it:

- Pulumi's own unknown-value sentinel, for a value not known until apply;
- the secret marker, ``[secret]``, or ``[secret:<fingerprint>]`` when ``diff`` asks for an
  HMAC fingerprint of the value so that a changed secret shows as changed without its value.

``synth --mode update`` (the default) runs the program as an update of a stack whose resources
all exist: every output the mocks compute is a concrete value, so no unknown reaches an input
and each custom resource has its mock ``id``. ``synth --mode preview`` runs it as the dry run of
a brand-new stack: the snapshot carries ``"dryRun": true``, every custom resource's ``id`` is
``null`` (not assigned yet) and each input built from a provider-computed output (a service
account's e-mail, a secret's full name, a service's URL) is the unknown sentinel. Which input
came from which resource stays in ``propertyDependencies``, as the engine records it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pulumi.runtime.rpc import UNKNOWN as PULUMI_UNKNOWN

UNKNOWN: str = PULUMI_UNKNOWN
"""Pulumi's sentinel for a value not known until apply (``pulumi.runtime.rpc.UNKNOWN``)."""

# The redaction marker is not a secret.
SECRET_MARKER = "[secret]"  # noqa: S105  # nosec B105
"""How a secret value shows in a snapshot when no fingerprint is asked for."""

SECRET_RE = re.compile(r"^\[secret(?::([0-9a-f]+))?\]$")
"""A secret marker, with or without its fingerprint (group 1)."""

MODES = ("update", "preview")
"""How ``synth`` runs the program: as an update of existing resources, or as the preview of a
brand-new stack."""

DRY_RUN_KEY = "dryRun"
"""Top-level key of a snapshot synthesized as a preview of a new stack (absent for an update)."""

FINGERPRINT_ENV = "PREFLIGHT_SECRET_FINGERPRINT_KEY"
"""When set, secrets show as ``[secret:<hmac>]`` keyed by its value (used by ``preflight diff``)."""


# Pulumi's wire signatures (``pulumi.runtime.rpc``): markers, not secrets.
SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
"""The key that marks a special value (secret, resource reference, asset) on the wire."""
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105  # nosec B105
"""The signature of a secret value on the wire."""

STACK_TYPE = "pulumi:pulumi:Stack"
"""The type of the root resource every snapshot starts with."""

# Stateful resources: deleting or replacing one destroys what it holds. Value: what is lost.
STATEFUL_TYPES: dict[str, str] = {
    "gcp:secretmanager/secret:Secret": "the secret and every version of its value",
    "gcp:kms/keyRing:KeyRing": "the key ring (key rings cannot be deleted; a new one is made)",
    "gcp:kms/cryptoKey:CryptoKey": "the key: data encrypted with it can no longer be decrypted",
    "gcp:storage/bucket:Bucket": "the bucket and its objects",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": "the log bucket and its retained logs",
    "pulumi-python:dynamic/supabase:SupabaseSettings": (
        "the managed Supabase settings (backups and PITR, network restrictions, SSL, auth)"
    ),
}

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


class SnapshotError(Exception):
    """A snapshot that does not follow the contract of ``preflight synth``."""


MAX_BYTES = 64 * 1024 * 1024
"""The largest snapshot file read (the program's snapshots are well under a megabyte)."""


def load(path: Path) -> dict[str, Any]:
    """The snapshot in the file at ``path`` (a JSON object); errors name the file.

    The file is input like any other: a directory, a file larger than :data:`MAX_BYTES`, text
    that is not UTF-8 and JSON nested deeper than the parser's recursion limit are each one
    ``SnapshotError`` (nothing of the file is echoed).
    """
    try:
        if path.is_dir():
            raise SnapshotError(f"{path}: is a directory; name a snapshot file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SnapshotError(
                f"{path}: {size} bytes is larger than any snapshot ({MAX_BYTES} at most)"
            )
        document = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as err:
        raise SnapshotError(f"{path}: cannot read it ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise SnapshotError(f"{path}: not UTF-8 text (byte {err.start})") from None
    except RecursionError:
        raise SnapshotError(f"{path}: nests too deeply to be a snapshot") from None
    except json.JSONDecodeError as err:
        raise SnapshotError(
            f"{path}: not valid JSON (line {err.lineno}): {err.msg}; "
            "write it with `python -m preflight synth --stack NAME`"
        ) from None
    if not isinstance(document, dict):
        raise SnapshotError(f"{path}: not a snapshot; expected a JSON object with 'resources'")
    if depth(document) > MAX_DEPTH:
        raise SnapshotError(f"{path}: nests deeper than {MAX_DEPTH} levels; no snapshot does")
    return document


MAX_DEPTH = 64
"""The deepest nesting a snapshot file may have (the program's reach about a dozen levels; the
policy runtime's protobuf Struct refuses 100)."""


def depth(document: Any) -> int:
    """How deeply ``document`` nests lists and objects (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in node)
    return deepest


def validate(snapshot: Any, source: str) -> list[dict[str, Any]]:
    """The resources of ``snapshot``, checked against the synth contract; errors name ``source``."""
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("resources"), list):
        raise SnapshotError(
            f"{source}: not a snapshot; expected an object with a 'resources' list "
            "(the output of `python -m preflight synth --stack NAME`)"
        )
    resources: list[dict[str, Any]] = snapshot["resources"]
    seen: set[str] = set()
    for index, resource in enumerate(resources):
        where = f"{source}: resources[{index}]"
        if not isinstance(resource, dict):
            raise SnapshotError(f"{where} is not an object")
        for key in ("urn", "type"):
            if not isinstance(resource.get(key), str) or not resource[key]:
                raise SnapshotError(f"{where} needs a non-empty string {key!r}")
        if not resource["urn"].startswith("urn:pulumi:"):
            raise SnapshotError(f"{where}: urn must start with 'urn:pulumi:'")
        if resource["urn"] in seen:
            raise SnapshotError(f"{where}: duplicate urn {resource['urn']}")
        seen.add(resource["urn"])
        if not isinstance(resource.get("inputs", {}), dict):
            raise SnapshotError(f"{where}: 'inputs' must be an object")
        for key in ("dependencies", "ignoreChanges", "additionalSecretOutputs"):
            if not isinstance(resource.get(key, []), list):
                raise SnapshotError(f"{where}: {key!r} must be a list")
        if not isinstance(resource.get("propertyDependencies", {}), dict):
            raise SnapshotError(f"{where}: 'propertyDependencies' must be an object")
        if not isinstance(resource.get("protect", False), bool):
            raise SnapshotError(f"{where}: 'protect' must be true or false")
    return resources
