"""CP-ENC-004: every store of logs, secrets and state is encrypted with the environment's own key.

"Own" means a Cloud KMS key the stack itself declares (a ``gcp:kms/cryptoKey:CryptoKey`` on a
``gcp:kms/keyRing:KeyRing`` of the stack's projects): not a key of another project, which the
environment can neither rotate nor audit, and not Google's default encryption. The key must sit
where the data is: a Cloud Storage bucket's key in the bucket's location, a log bucket's in the log
bucket's location (https://cloud.google.com/logging/docs/routing/managed-encryption-storage), a
user-managed secret replica's in the replica's location; GCP refuses the others, or the store is
not what it seems.

The stores, by family, so another type for the same data is checked the same way: Secret Manager
secrets (global and regional), Cloud Storage buckets, Pub/Sub topics, log buckets and BigQuery
datasets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.meta import Meta
from policies._lib.policy import stack_policy, types
from policies._lib.props import Unknown, as_list, get, is_missing, peek

META = Meta(
    id="CP-ENC-004",
    name="encryption-store-enforce-own-keys",
    description=(
        "Ensure every secret, storage bucket, Pub/Sub topic, log bucket and BigQuery dataset of "
        "the stack is encrypted with a Cloud KMS key the stack declares in its own project, in "
        "the location of the data, never with Google's default encryption or another project's "
        "key."
    ),
    severity="high",
    section="§6 Data Protection: encrypt at rest",
    remediation=(
        "Point the store's key setting (replication...customer_managed_encryption, "
        "customer_managed_encryption, encryption.default_kms_key_name, kms_key_name, "
        "cmek_settings.kms_key_name, default_encryption_configuration.kms_key_name) at the id of "
        "a gcp.kms.CryptoKey the stack declares in the store's location."
    ),
    on_missing="violation",
    missing_rationale=(
        "without a key name Google's default encryption applies, not the environment's key "
        "(an unset key on a secret or a bucket is CP-ENC-001's and CP-ENC-002's report)"
    ),
)

SECRET = "gcp:secretmanager/secret:Secret"  # noqa: S105  # nosec B105 - a type token
REGIONAL_SECRET = "gcp:secretmanager/regionalSecret:RegionalSecret"  # noqa: S105  # nosec B105
BUCKET = "gcp:storage/bucket:Bucket"
TOPIC = "gcp:pubsub/topic:Topic"
LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
DATASET = "gcp:bigquery/dataset:Dataset"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
KEY_RING = "gcp:kms/keyRing:KeyRing"
STORES = (SECRET, REGIONAL_SECRET, BUCKET, TOPIC, LOG_BUCKET, DATASET)
UNSET_REPORTED_ELSEWHERE = (SECRET, BUCKET)
"""Types whose unset key CP-ENC-001 and CP-ENC-002 report; this policy judges the key they name."""

KEY_NAME = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/keyRings/[^/]+/cryptoKeys/[^/]+$"
)
# Cloud Storage's multi-regions and the Cloud KMS locations their keys sit in.
_KMS_MULTI_REGIONS = {"eu": "europe", "us": "us", "asia": "asia"}


@dataclass(frozen=True)
class Use:
    """One key setting of a store: where it is written, the key, the data's location."""

    where: str
    key: Any
    location: str | None
    """The Cloud KMS location the key must be in (None: any)."""


def _kms_location(location: Any) -> str | None:
    if is_missing(location):
        return None
    text = str(location).lower()
    return _KMS_MULTI_REGIONS.get(text, text)


def _uses(resource: PolicyResource) -> list[Use]:
    props, kind = resource.props, resource.resource_type
    if kind == SECRET:
        replicas = as_list(get(props, "replication.userManaged.replicas"))
        if replicas:
            return [
                Use(
                    f"replication.userManaged.replicas[{i}].customerManagedEncryption.kmsKeyName",
                    peek(replica, "customerManagedEncryption.kmsKeyName"),
                    _kms_location(get(replica, "location")),
                )
                for i, replica in enumerate(replicas)
            ]
        where = "replication.auto.customerManagedEncryption.kmsKeyName"
        return [Use(where, peek(props, where), None)]
    if kind == REGIONAL_SECRET:
        where = "customerManagedEncryption.kmsKeyName"
        return [Use(where, peek(props, where), _kms_location(get(props, "location")))]
    if kind == BUCKET:
        where = "encryption.defaultKmsKeyName"
        return [Use(where, peek(props, where), _kms_location(get(props, "location")))]
    if kind == TOPIC:
        return [Use("kmsKeyName", peek(props, "kmsKeyName"), None)]
    if kind == LOG_BUCKET:
        where = "cmekSettings.kmsKeyName"
        return [Use(where, peek(props, where), _kms_location(get(props, "location")))]
    where = "defaultEncryptionConfiguration.kmsKeyName"
    return [Use(where, peek(props, where), _kms_location(get(props, "location")))]


@dataclass(frozen=True)
class OwnKey:
    """A key the stack declares on a key ring of its own."""

    id: str | None
    """``<ring id>/cryptoKeys/<name>``; None while the ring's id is unknown (a preview)."""
    project: str
    location: str


def own_keys(stack: list[PolicyResource]) -> dict[str, OwnKey]:
    """The keys the stack declares on its own key rings, by URN.

    During a preview of a new ring its id is unknown; the key then belongs to the ring its
    ``keyRing`` input is built from (the engine's ``propertyDependencies``).
    """
    rings: dict[str, tuple[str, str, str]] = {}
    for ring in stack:
        if ring.resource_type == KEY_RING:
            project, location, name = (
                str(get(ring.props, k)) for k in ("project", "location", "name")
            )
            rings[ring.urn] = (
                project,
                location,
                f"projects/{project}/locations/{location}/keyRings/{name}",
            )
    by_id = {ring_id: (project, location) for project, location, ring_id in rings.values()}
    found: dict[str, OwnKey] = {}
    for key in stack:
        if key.resource_type != CRYPTO_KEY:
            continue
        ring_id, name = peek(key.props, "keyRing"), peek(key.props, "name")
        if not isinstance(ring_id, Unknown) and str(ring_id) in by_id:
            project, location = by_id[str(ring_id)]
            key_id = None if isinstance(name, Unknown) else f"{ring_id}/cryptoKeys/{name}"
            found[key.urn] = OwnKey(key_id, project, location)
            continue
        if isinstance(ring_id, Unknown):
            for source in key.property_dependencies.get("keyRing", []):
                if source.urn in rings:
                    project, location, _ = rings[source.urn]
                    found[key.urn] = OwnKey(None, project, location)
    return found


def _unknown_key(
    resource: PolicyResource, use: Use, key: Unknown, project: str, own: dict[str, OwnKey]
) -> str | None:
    """Judge a key name unknown until apply by the resources it is built from."""
    top = use.where.split(".", 1)[0].split("[", 1)[0]
    sources = [
        d for d in resource.property_dependencies.get(top, []) if d.resource_type == CRYPTO_KEY
    ]
    keys = [own[d.urn] for d in sources if d.urn in own]
    if not sources or len(keys) != len(sources):
        key.undecided()
    if project and any(k.project != project for k in keys):
        return f"{use.where} is built from a key of another project"
    if use.location is not None and all(k.location != use.location for k in keys):
        return f"{use.where} is built from a key outside {use.location}, where the data is"
    return None


def _google_bucket(resource: PolicyResource) -> bool:
    """The ``_Default`` and ``_Required`` log buckets Google creates in every project: a project
    cannot give them a key, they take the organization's default CMEK settings when created
    (https://cloud.google.com/logging/docs/routing/managed-encryption)."""
    return resource.resource_type == LOG_BUCKET and get(resource.props, "bucketId") in (
        "_Default",
        "_Required",
    )


def _problem(
    resource: PolicyResource, use: Use, project: str, own: dict[str, OwnKey]
) -> str | None:
    if isinstance(use.key, Unknown):
        return _unknown_key(resource, use, use.key, project, own)
    if is_missing(use.key) or not str(use.key):
        if resource.resource_type in UNSET_REPORTED_ELSEWHERE or _google_bucket(resource):
            return None
        return f"{use.where} is not set, so Google's default encryption applies"
    key = str(use.key)
    match = KEY_NAME.match(key)
    if match is None:
        return f"{use.where} {key!r} is not a Cloud KMS key name"
    if project and match["project"] != project:
        return f"{use.where} is a key of project {match['project']}, not of {project}"
    if key not in {k.id for k in own.values()}:
        return f"{use.where} {key} is not a key the stack declares"
    if use.location is not None and match["location"] != use.location:
        return (
            f"{use.where} is a key in {match['location']}, not where the data is ({use.location})"
        )
    return None


def check(
    resources: list[PolicyResource], _config: Mapping[str, Any], stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    own = own_keys(stack)
    for resource in resources:
        # A store without a project input is in the provider's project; its key must still be
        # one the stack declares.
        given = get(resource.props, "project")
        project = "" if is_missing(given) else str(given)
        for use in _uses(resource):
            problem = _problem(resource, use, project, own)
            if problem is not None:
                yield f"{resource.name}: {problem}", resource.urn


POLICY = stack_policy(META, applies_to=types(*STORES), check=check, config=None)
