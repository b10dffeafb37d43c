"""Which changes replace a resource and which resources hold data: the rules ``diff`` applies.

``REPLACE_ON_CHANGE`` lists, per resource type, the properties the provider cannot update in
place; a resource's own ``replaceOnChanges`` option adds to them. ``STATEFUL_TYPES`` names what
deleting or replacing a resource of that type destroys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from preflight.snapshot import STATEFUL_TYPES

_BRACKETS = re.compile(r"\[[^\]]*\]")

# Properties whose change makes the provider replace the resource instead of updating it.
# pulumi-gcp and pulumi-datadog are bridged from the Terraform providers: these are the fields
# the Terraform schema marks ForceNew, written with Pulumi's camelCase names and one-element
# blocks flattened (Terraform `rotation.0.rotation_period` is `rotation.rotationPeriod`).
# Read from terraform-provider-google's resource schemas (google/services/<product>/
# resource_*.go): cloudrunv2 service and job, secretmanager secret and secret version,
# storage bucket, kms crypto key, logging bucket config, resourcemanager service account;
# from terraform-provider-datadog's resource_datadog_monitor.go (`type`). Key ring, Pub/Sub
# topic and Cloud Scheduler job follow the same rule for their identity fields (name, location
# or region, project). Every `*IamMember` resource has no updatable field: any change replaces.
# The Supabase resources replace when their diff() says so (components/supabase_provider.py).
REPLACE_ON_CHANGE: dict[str, tuple[str, ...]] = {
    "gcp:cloudrunv2/service:Service": ("location", "name", "project"),
    "gcp:cloudrunv2/job:Job": ("location", "name", "project"),
    "gcp:serviceaccount/account:Account": ("accountId", "project"),
    "gcp:secretmanager/secret:Secret": (
        "project",
        "replication",
        "rotation.rotationPeriod",
        "secretId",
        "ttl",
    ),
    "gcp:secretmanager/secretVersion:SecretVersion": ("isSecretDataBase64", "secret", "secretData"),
    "gcp:storage/bucket:Bucket": (
        "customPlacementConfig.dataLocations",
        "enableObjectRetention",
        "hierarchicalNamespace",
        "location",
        "name",
        "project",
    ),
    "gcp:kms/keyRing:KeyRing": ("location", "name", "project"),
    "gcp:kms/cryptoKey:CryptoKey": (
        "cryptoKeyBackend",
        "destroyScheduledDuration",
        "importOnly",
        "keyRing",
        "name",
        "purpose",
        "versionTemplate.protectionLevel",
    ),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": ("bucketId", "location", "project"),
    "gcp:pubsub/topic:Topic": ("name", "project"),
    "gcp:cloudscheduler/job:Job": ("name", "project", "region"),
    "datadog:index/monitor:Monitor": ("type",),
    # the project's own dynamic provider (components/supabase_provider.py, its diff())
    "pulumi-python:dynamic/supabase:SupabaseSettings": ("projectRef",),
    "pulumi-python:dynamic/supabase:SupabaseProjectKeys": ("projectRef",),
}
OPTIONS = (
    "protect",
    "retainOnDelete",
    "deleteBeforeReplace",
    "ignoreChanges",
    "replaceOnChanges",
    "additionalSecretOutputs",
    "provider",
)
"""Resource options compared besides the inputs (a change shows as ``option `<name>` ``)."""


def _rule_keys(rule: str) -> tuple[str, ...]:
    return tuple(part for part in _BRACKETS.sub("", rule).split(".") if part)


def _prefix_match(parts: tuple[str, ...], keys: tuple[str, ...], n: int) -> bool:
    return all(p in ("*", k) for p, k in zip(parts[:n], keys[:n], strict=True))


def matching_rule(rules: Sequence[str], keys: tuple[str, ...]) -> str | None:
    """The first rule that is a prefix of ``keys`` or that ``keys`` is a prefix of (a ``*``
    segment matches any key, as in Pulumi's ``replaceOnChanges``)."""
    for rule in rules:
        if rule == "*":
            return rule
        parts = _rule_keys(rule)
        n = min(len(parts), len(keys))
        if n and _prefix_match(parts, keys, n):
            return rule
    return None


def ignored(rules: Sequence[str], keys: tuple[str, ...]) -> bool:
    """Whether ``ignoreChanges`` covers the whole of the changed property."""
    for rule in rules:
        parts = _rule_keys(rule)
        if rule == "*" or (
            parts and len(keys) >= len(parts) and _prefix_match(parts, keys, len(parts))
        ):
            return True
    return False


def replace_rules(resource: dict[str, Any]) -> tuple[str, ...]:
    """Properties whose change replaces ``resource``: the provider's ForceNew fields plus the
    resource's own ``replaceOnChanges`` option."""
    rtype = str(resource.get("type", ""))
    rules = list(REPLACE_ON_CHANGE.get(rtype, ()))
    if rtype.split(":")[-1].lower().endswith("iammember"):
        rules.append("*")
    rules.extend(str(r) for r in resource.get("replaceOnChanges") or ())
    return tuple(rules)


def stateful_kind(resource: dict[str, Any]) -> str | None:
    """What deleting ``resource`` would destroy, or None when it holds no data."""
    return STATEFUL_TYPES.get(str(resource.get("type", "")))
