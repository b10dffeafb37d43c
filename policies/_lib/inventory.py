"""The resource types the program declares, and the sensitive families of type tokens.

``declared_types.json`` (beside this file) is generated from the program by
``python -m preflight.declared_types --write``: every type of every stack (dev, staging, prod),
synthesized as an update and as a preview, plus the default provider of each package. The pack
reads the file, never the program (it runs without ``stacks`` or ``components`` on its path);
``tests/preflight/test_declared_types.py`` fails when the file is stale.

A family is matched by a pattern on the whole type token, so that a type nobody has listed yet,
from any provider or module, is still recognised (``gcp:bigquery/datasetIamMember:...`` is IAM,
``gcp:storage/hmacKey:HmacKey`` a key). The first family that matches names the type.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

DECLARED_TYPES_FILE = Path(__file__).resolve().parent / "declared_types.json"

FAMILIES: dict[str, re.Pattern[str]] = {
    "IAM": re.compile(r"(?i)iam|polic(?:y|ies)|binding|member|customrole|role:|auditconfig"),
    "keys": re.compile(r"(?i)hmac|apikey|accesskey|serviceaccount/key|key:|keys?$"),
    "ACL": re.compile(r"(?i)acl|accesscontrol"),
    "log sinks": re.compile(r"(?i)sink"),
    "log exclusions": re.compile(r"(?i)exclusion"),
    "downtimes": re.compile(r"(?i)downtime|mute|silence"),
    "event orchestrations": re.compile(r"(?i)orchestration|eventrule|ruleset"),
    "secrets": re.compile(r"(?i)secret|credential|token"),
    "providers": re.compile(r"^pulumi:providers:"),
    "dynamic resources": re.compile(r"(?i)^pulumi-\w+:dynamic"),
}
"""Family -> pattern on the type token: the kinds of resource that grant access, hold or mint a
credential, silence an alert or drop logs. Checked in this order."""


def family(type_token: str) -> str | None:
    """The sensitive family of ``type_token``, or None."""
    for name, pattern in FAMILIES.items():
        if pattern.search(type_token):
            return name
    return None


@cache
def declared_types() -> frozenset[str]:
    """The type tokens the program declares (from ``declared_types.json``)."""
    document = json.loads(DECLARED_TYPES_FILE.read_text(encoding="utf-8"))
    return frozenset(str(t) for t in document["types"])
