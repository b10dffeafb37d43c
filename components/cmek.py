"""Customer-managed encryption keys (playbook §6), as the vault and the log archive declare them.

A component that encrypts with its own key declares a key ring ``<org>-<env>-<component>`` and
a key ``<org>-<env>-<component>-<role>`` in the location of the data, both protected where the
data is, and grants encrypt/decrypt on the key to the Google service agent that uses it. The
agent's member comes from the provider (a ``ServiceIdentity`` or a lookup that creates it), never
from a typed-in project number: a service agent GCP creates lazily does not exist yet on a new
project, and a wrong number would grant a stranger's agent.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp

from controlplane.naming import DAY_SECONDS, KMS_ENCRYPTER_DECRYPTER, Naming

KMS_ROLE = KMS_ENCRYPTER_DECRYPTER

# Cloud Storage's multi-regions and the Cloud KMS locations a bucket's CMEK key must sit in.
_KMS_MULTI_REGIONS = {"EU": "europe", "US": "us", "ASIA": "asia"}


def kms_location(bucket_location: str) -> str:
    """The Cloud KMS location for a bucket location (``EU`` -> ``europe``, a region as is)."""
    return _KMS_MULTI_REGIONS.get(bucket_location.upper(), bucket_location.lower())


def crypto_key(
    parent: pulumi.Resource,
    *,
    ring_name: str,
    key_name: str,
    naming: Naming,
    component: str,
    role: str,
    project: str,
    location: str,
    rotation_days: int,
    protect: bool,
) -> gcp.kms.CryptoKey:
    """A key ring and its encrypt/decrypt key for ``component``, children of ``parent``.

    ``ring_name`` and ``key_name`` are the logical names; the physical ones come from
    ``naming``. Both are protected when ``protect`` is set: a lost key loses the data.
    """
    ring = key_ring(
        parent,
        ring_name,
        naming=naming,
        component=component,
        project=project,
        location=location,
        protect=protect,
    )
    return ring_key(
        parent,
        key_name,
        ring,
        naming=naming,
        component=component,
        role=role,
        rotation_days=rotation_days,
        protect=protect,
    )


def key_ring(
    parent: pulumi.Resource,
    name: str,
    *,
    naming: Naming,
    component: str,
    project: str,
    location: str,
    protect: bool,
) -> gcp.kms.KeyRing:
    """The key ring ``<org>-<env>-<component>`` of ``component`` in ``location``."""
    return gcp.kms.KeyRing(
        name,
        name=naming.physical(component),
        project=project,
        location=location,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )


def ring_key(
    parent: pulumi.Resource,
    name: str,
    ring: gcp.kms.KeyRing,
    *,
    naming: Naming,
    component: str,
    role: str,
    rotation_days: int,
    protect: bool,
) -> gcp.kms.CryptoKey:
    """The encrypt/decrypt key ``<org>-<env>-<component>-<role>`` on ``ring``."""
    return gcp.kms.CryptoKey(
        name,
        name=naming.physical(component, role),
        key_ring=ring.id,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=f"{rotation_days * DAY_SECONDS}s",
        labels=naming.labels(component=component),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )


def grant_key(
    parent: pulumi.Resource,
    name: str,
    key: gcp.kms.CryptoKey,
    member: pulumi.Input[str],
    depends_on: Sequence[pulumi.Resource] = (),
) -> gcp.kms.CryptoKeyIAMMember:
    """Encrypt/decrypt on ``key`` for ``member`` (a service agent), a child of ``parent``."""
    return gcp.kms.CryptoKeyIAMMember(
        name,
        crypto_key_id=key.id,
        role=KMS_ROLE,
        member=member,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )
