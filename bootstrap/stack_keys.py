"""StackKeys: the key ring, the state bucket's CMEK key and one secrets key per stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from bootstrap.layout import crypto_key_id, key_ring_id, policy_data

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class KeySpec:
    """One crypto key and exactly who may use it."""

    role: str
    """Logical role of the key, e.g. ``state-cmek`` or ``prod-stack-secrets``."""
    name: str
    """Physical key name."""
    labels: dict[str, str]
    """Labels of the key."""
    iam: Mapping[str, Sequence[pulumi.Input[str]]]
    """``{role: [members]}``: the key's whole IAM policy (authoritative). A member may be an
    output (a service agent the provider looks up); the policy text is then rendered once it is
    known, with the same sorting as a policy of plain strings."""
    members_from: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Resources that must exist before their members can be granted (service accounts)."""


@dataclass(frozen=True)
class StackKeysArgs:
    """Inputs of :class:`StackKeys`."""

    project: str
    """The bootstrap project."""
    location: str
    """Region of the key ring (the state bucket's region, as CMEK requires)."""
    ring: str
    """Key ring name."""
    rotation_days: int
    """Days between automatic rotations (a new primary version; old versions still decrypt)."""
    protection_level: str
    """``HSM`` or ``SOFTWARE``."""
    keys: Sequence[KeySpec]
    """The keys of the ring."""


class StackKeys(pulumi.ComponentResource):
    """Cloud KMS keys for the state bucket and the stacks' ``gcpkms://`` secrets providers.

    Keys are protected and refuse deletion: destroying one would make the state or every stack
    secret encrypted with it unreadable.
    """

    ids: dict[str, str]
    """Full key IDs by key role."""
    policies: dict[str, gcp.kms.CryptoKeyIAMPolicy]
    """The IAM policy resource of each key, by key role."""

    def __init__(
        self, name: str, args: StackKeysArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:bootstrap:StackKeys", name, None, opts)
        ring = gcp.kms.KeyRing(
            f"{name}-ring",
            project=args.project,
            location=args.location,
            name=args.ring,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.ids = {}
        self.policies = {}
        for spec in args.keys:
            key_id = crypto_key_id(args.project, args.location, args.ring, spec.name)
            key = gcp.kms.CryptoKey(
                f"{name}-{spec.role}",
                name=spec.name,
                key_ring=key_ring_id(args.project, args.location, args.ring),
                purpose="ENCRYPT_DECRYPT",
                rotation_period=f"{args.rotation_days * SECONDS_PER_DAY}s",
                version_template=gcp.kms.CryptoKeyVersionTemplateArgs(
                    algorithm="GOOGLE_SYMMETRIC_ENCRYPTION",
                    protection_level=args.protection_level,
                ),
                # A version scheduled for destruction can be restored for 90 days.
                destroy_scheduled_duration=f"{90 * SECONDS_PER_DAY}s",
                labels=spec.labels,
                deletion_policy="PREVENT",
                opts=pulumi.ResourceOptions(parent=self, protect=True, depends_on=[ring]),
            )
            self.policies[spec.role] = gcp.kms.CryptoKeyIAMPolicy(
                f"{name}-{spec.role}-iam",
                crypto_key_id=key_id,
                policy_data=key_policy(spec.iam),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[key, *spec.members_from]),
            )
            self.ids[spec.role] = key_id
        self.register_outputs({"keys": dict(sorted(self.ids.items()))})


def key_policy(iam: Mapping[str, Sequence[pulumi.Input[str]]]) -> pulumi.Output[str]:
    """The authoritative policy document of ``{role: [members]}``, members possibly outputs.

    Deterministic: :func:`policy_data` sorts roles and members, whatever order the outputs
    resolve in.
    """
    roles = sorted(iam)
    sizes = [len(iam[role]) for role in roles]

    def render(members: list[str]) -> str:
        rest = iter(members)
        return policy_data(
            (role, [next(rest) for _ in range(size)], None)
            for role, size in zip(roles, sizes, strict=True)
        )

    return pulumi.Output.all(*(m for role in roles for m in iam[role])).apply(render)
