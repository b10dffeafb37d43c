"""SecretVault: the secret catalogue in Secret Manager (playbook §3 and §6).

Each catalogue entry becomes one Secret Manager secret with quarterly rotation notices on a
Pub/Sub topic, replication from config and, where configured (prod), a customer-managed KMS
key. Readers get ``roles/secretmanager.secretAccessor`` on exactly the secrets that list them,
and see them as env vars by secret reference, never by value.

Readers are wired through :meth:`SecretVault.binding_for`: the reader component creates its own
service account, calls ``binding.grant(member)`` (the grants are created here, as children of
the vault), and makes its Cloud Run service or job depend on what ``grant`` returned, so a
revision never starts before it may read its secrets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pulumi
import pulumi_gcp as gcp

from components.cmek import crypto_key, grant_key
from config.secrets import SecretSpec
from config.vault import VaultSpec
from controlplane.naming import DAY_SECONDS, Naming, slug

ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"
PUBLISHER_ROLE = "roles/pubsub.publisher"
COMPONENT = "vault"


def first_rotation(anchor: str, period_days: int, now: datetime | None = None) -> str:
    """The first rotation notice on the calendar ``anchor + k x period`` at least a day after
    ``now`` (default: the current UTC time).

    Secret Manager refuses a ``nextRotationTime`` in the past (or less than 5 minutes ahead),
    so a catalogue secret added long after the anchor still gets a valid first notice; the
    result only moves once per period, and existing secrets ignore it (Secret Manager moves
    their notice forward itself).
    """
    start = datetime.strptime(anchor, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    earliest = (now or datetime.now(UTC)) + timedelta(days=1)
    if start < earliest:
        period = timedelta(days=period_days)
        start += period * -((start - earliest) // period)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SecretBinding:
    """What one reader (a service or the maintenance jobs) gets from the vault."""

    reader: str
    """The reader's name in the catalogue (``agent``, ``frontend``, ``maintenance``)."""

    env: Mapping[str, pulumi.Output[str]]
    """Env var name -> secret id, for every secret the reader reads (bind with ``latest``)."""

    grant: Callable[[pulumi.Input[str]], list[pulumi.Resource]] = field(repr=False)
    """Grants the accessor role on those secrets to an IAM member (the reader's service
    account); returns the grants and the secrets' versions to depend on. Call it once."""


@dataclass(frozen=True)
class SecretVaultArgs:
    """Inputs of :class:`SecretVault`."""

    naming: Naming
    """Names and labels of the environment."""

    project: str
    """GCP project id the secrets live in."""

    catalogue: Sequence[SecretSpec]
    """The validated secret catalogue (``controlplane:secrets``)."""

    vault: VaultSpec
    """Replication, CMEK, rotation and the project number (``controlplane:vault``)."""

    protect: bool
    """Protect secrets and KMS keys from deletion (staging and prod)."""

    now: datetime | None = None
    """The time the first rotation notice is computed from (tests pin it); default: now."""


class SecretVault(pulumi.ComponentResource):
    """Secret Manager secrets of the catalogue, their rotation topic, CMEK keys and grants."""

    secret_ids: dict[str, pulumi.Output[str]]
    """Catalogue name -> secret id (``<org>-<env>-vault-<name>``), e.g. for monitors."""

    rotation_topic: pulumi.Output[str]
    """Id of the Pub/Sub topic that receives the rotation notices."""

    def __init__(
        self,
        name: str,
        args: SecretVaultArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("controlplane:runtime:SecretVault", name, None, opts)
        self._name = name
        self._args = args
        self._specs = {spec.name: spec for spec in args.catalogue}
        self._secrets: dict[str, gcp.secretmanager.Secret] = {}
        self._versions: dict[str, gcp.secretmanager.SecretVersion] = {}
        self._granted: set[str] = set()
        naming, vault = args.naming, args.vault
        # Reading the config values first: a missing `pulumi config set --secret` key stops
        # the program before any secret is declared.
        values = {
            spec.name: pulumi.Config().require_secret(spec.from_config)
            for spec in args.catalogue
            if spec.from_config
        }

        # The Secret Manager service agent publishes rotation notices and uses the KMS keys;
        # declaring its identity makes sure it exists before it is granted anything.
        identity = gcp.projects.ServiceIdentity(
            f"{name}-agent",
            project=args.project,
            service="secretmanager.googleapis.com",
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The agent's member as the provider reports it: no address built from a typed number.
        agent_member = identity.member
        keys, key_grants = self._cmek(name, args, agent_member, identity)
        topic = gcp.pubsub.Topic(
            f"{name}-rotation",
            name=naming.physical(COMPONENT, "rotation"),
            project=args.project,
            labels=naming.labels(component=COMPONENT),
            kms_key_name=self._topic_key(name, args, keys),
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._topic_key_grants),
        )
        publisher = gcp.pubsub.TopicIAMMember(
            f"{name}-rotation-publisher",
            project=args.project,
            topic=topic.name,
            role=PUBLISHER_ROLE,
            member=agent_member,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[identity]),
        )

        replication = self._replication(vault, keys)
        for spec in args.catalogue:
            secret = gcp.secretmanager.Secret(
                f"{name}-{spec.name}",
                secret_id=naming.physical(COMPONENT, spec.name),
                project=args.project,
                labels=naming.labels(component=COMPONENT, secret=spec.name),
                annotations={"description": spec.description, "env-var": spec.env_var},
                replication=replication,
                rotation=gcp.secretmanager.SecretRotationArgs(
                    rotation_period=f"{vault.rotation_days * DAY_SECONDS}s",
                    next_rotation_time=first_rotation(
                        vault.next_rotation_time, vault.rotation_days, args.now
                    ),
                ),
                topics=[gcp.secretmanager.SecretTopicArgs(name=topic.id)],
                deletion_protection=args.protect,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.protect,
                    depends_on=[publisher, *key_grants],
                    # Secret Manager moves the next rotation forward after each notice; the
                    # configured time only seeds it (see docs/rollout.md).
                    ignore_changes=["rotation.nextRotationTime"],
                ),
            )
            self._secrets[spec.name] = secret
            if spec.name in values:
                self._add_version(spec.name, values[spec.name])

        self.secret_ids = {n: s.secret_id for n, s in self._secrets.items()}
        self.rotation_topic = topic.id
        self.register_outputs({"secretIds": self.secret_ids, "rotationTopic": self.rotation_topic})

    def _topic_key(
        self, name: str, args: SecretVaultArgs, keys: Mapping[str, gcp.kms.CryptoKey]
    ) -> pulumi.Output[str] | None:
        """With CMEK on, the rotation topic is encrypted with the vault's first key; the Pub/Sub
        service agent gets encrypt/decrypt on that key before the topic is created."""
        self._topic_key_grants: list[pulumi.Resource] = []
        if not keys:
            return None
        key = keys[next(iter(keys))]
        pubsub_agent = gcp.projects.ServiceIdentity(
            f"{name}-pubsub-agent",
            project=args.project,
            service="pubsub.googleapis.com",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._topic_key_grants.append(
            grant_key(
                self,
                f"{name}-key-pubsub-agent",
                key,
                pubsub_agent.member,
                depends_on=[pubsub_agent],
            )
        )
        return key.id

    def _cmek(
        self,
        name: str,
        args: SecretVaultArgs,
        agent_member: pulumi.Output[str],
        identity: pulumi.Resource,
    ) -> tuple[dict[str, gcp.kms.CryptoKey], list[pulumi.Resource]]:
        """One key ring and key per replica location (``global`` for automatic replication)."""
        vault, naming = args.vault, args.naming
        if not vault.cmek.enabled:
            return {}, []
        keys: dict[str, gcp.kms.CryptoKey] = {}
        grants: list[pulumi.Resource] = []
        for location in vault.replica_locations or ["global"]:
            key = crypto_key(
                self,
                ring_name=f"{name}-keyring-{location}",
                key_name=f"{name}-key-{location}",
                naming=naming,
                component=COMPONENT,
                role="secrets",
                project=args.project,
                location=location,
                rotation_days=vault.cmek.rotation_days,
                protect=args.protect,
            )
            grants.append(
                grant_key(
                    self, f"{name}-key-{location}-agent", key, agent_member, depends_on=[identity]
                )
            )
            keys[location] = key
        return keys, grants

    @staticmethod
    def _replication(
        vault: VaultSpec, keys: Mapping[str, gcp.kms.CryptoKey]
    ) -> gcp.secretmanager.SecretReplicationArgs:
        if not vault.replica_locations:
            auto_cmek = (
                gcp.secretmanager.SecretReplicationAutoCustomerManagedEncryptionArgs(
                    kms_key_name=keys["global"].id
                )
                if keys
                else None
            )
            return gcp.secretmanager.SecretReplicationArgs(
                auto=gcp.secretmanager.SecretReplicationAutoArgs(
                    customer_managed_encryption=auto_cmek
                )
            )
        replicas = [
            gcp.secretmanager.SecretReplicationUserManagedReplicaArgs(
                location=location,
                customer_managed_encryption=(
                    gcp.secretmanager.SecretReplicationUserManagedReplicaCustomerManagedEncryptionArgs(
                        kms_key_name=keys[location].id
                    )
                    if keys
                    else None
                ),
            )
            for location in vault.replica_locations
        ]
        return gcp.secretmanager.SecretReplicationArgs(
            user_managed=gcp.secretmanager.SecretReplicationUserManagedArgs(replicas=replicas)
        )

    def _add_version(
        self, secret_name: str, value: pulumi.Input[str]
    ) -> gcp.secretmanager.SecretVersion:
        # Not protected: a new value replaces the version. In protected environments the old
        # version is disabled rather than destroyed, so a bad rotation can be undone.
        version = gcp.secretmanager.SecretVersion(
            f"{self._name}-{secret_name}-version",
            secret=self._secrets[secret_name].id,
            secret_data=pulumi.Output.secret(value),
            deletion_policy="DISABLE" if self._args.protect else "DELETE",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._versions[secret_name] = version
        return version

    def add_version(
        self, secret_name: str, value: pulumi.Input[str]
    ) -> gcp.secretmanager.SecretVersion:
        """Store ``value`` (e.g. another component's secret Output) as the secret's version.

        Call it before the readers are built, so their services wait for the version. The
        value stays a Pulumi secret.
        """
        spec = self._specs.get(secret_name)
        if spec is None:
            raise ValueError(
                f"no secret {secret_name!r} in controlplane:secrets: use one of "
                f"{', '.join(sorted(self._specs))} or add it to the catalogue"
            )
        if secret_name in self._versions:
            source = (
                f"config key controlplane:{spec.from_config}"
                if spec.from_config
                else "an earlier add_version call"
            )
            raise ValueError(
                f"secret {secret_name!r} already gets its value from {source}: "
                "remove fromConfig from its catalogue entry or add the version once"
            )
        return self._add_version(secret_name, value)

    def binding_for(self, reader: str) -> SecretBinding:
        """The env vars and the accessor grant of ``reader`` (empty if it reads nothing)."""
        specs = [spec for spec in self._args.catalogue if reader in spec.readers]
        env = {spec.env_var: self._secrets[spec.name].secret_id for spec in specs}

        def grant(member: pulumi.Input[str]) -> list[pulumi.Resource]:
            if reader in self._granted:
                raise ValueError(
                    f"secret access for {reader!r} was already granted: call grant once"
                )
            self._granted.add(reader)
            resources: list[pulumi.Resource] = []
            for spec in specs:
                resources.append(
                    gcp.secretmanager.SecretIamMember(
                        f"{self._name}-{spec.name}-{slug(reader)}",
                        project=self._args.project,
                        secret_id=self._secrets[spec.name].secret_id,
                        role=ACCESSOR_ROLE,
                        member=member,
                        opts=pulumi.ResourceOptions(parent=self),
                    )
                )
                if spec.name in self._versions:
                    resources.append(self._versions[spec.name])
            return resources

        return SecretBinding(reader=reader, env=env, grant=grant)
