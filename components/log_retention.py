"""LogRetention: playbook §4 log retention (30 days hot, 180 days cold) and §6 audit logs.

- **Hot**: a Cloud Logging bucket with a 30-day retention and a sink that routes into it; where
  configured (prod), encrypted with the environment's own KMS key in the bucket's location, which
  the project's Cloud Logging service agent may use.
- **Cold**: a sink to a Cloud Storage archive bucket whose lifecycle moves objects to a cold
  storage class, then deletes them at 180 days. Uniform bucket-level access, public access
  prevention enforced, versioning on (overwritten or deleted objects are kept a few days), and,
  where configured (prod), a customer-managed KMS key.
- **Audit**: data-access audit logs (ADMIN_READ, DATA_READ, DATA_WRITE) for the services the
  runtime uses.

The log entries keep their structured JSON payload in both tiers (no transformation).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.cmek import grant_key, key_ring, kms_location, ring_key
from config.logging import LoggingSpec
from controlplane.naming import Naming, slug
from controlplane.playbook import AUDIT_LOG_TYPES

COMPONENT = "logs"
WRITER_ROLE = "roles/storage.objectCreator"


@dataclass(frozen=True)
class LogRetentionArgs:
    """Inputs of :class:`LogRetention`."""

    naming: Naming
    """Names and labels of the environment."""

    project: str
    """GCP project id whose logs are kept."""

    spec: LoggingSpec
    """The validated ``controlplane:logging`` section."""

    protect: bool
    """Protect the log bucket, the archive bucket and the KMS key from deletion."""


class LogRetention(pulumi.ComponentResource):
    """Hot log bucket, cold archive bucket with lifecycle, their sinks, and audit config."""

    hot_bucket_id: str
    """Id of the hot log bucket (``<org>-<env>-logs-hot``)."""

    archive_bucket: pulumi.Output[str]
    """Name of the archive storage bucket."""

    def __init__(
        self,
        name: str,
        args: LogRetentionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("controlplane:runtime:LogRetention", name, None, opts)
        naming, spec = args.naming, args.spec
        # Our own keys (prod): one per tier, on a key ring in the location of each tier's data.
        keys = _Keys(self, name, args) if spec.cmek.enabled else None

        # Hot tier: a log bucket with the playbook's retention, and the sink that fills it.
        self.hot_bucket_id = naming.physical(COMPONENT, "hot")
        hot_cmek, hot_grants = keys.hot_bucket() if keys else (None, [])
        hot = gcp.logging.ProjectBucketConfig(
            f"{name}-hot",
            project=args.project,
            location=spec.location,
            bucket_id=self.hot_bucket_id,
            retention_days=spec.hot_retention_days,
            description=f"Hot logs, {spec.hot_retention_days} days (playbook §4)",
            cmek_settings=hot_cmek,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=hot_grants),
        )
        gcp.logging.ProjectSink(
            f"{name}-hot-sink",
            name=naming.physical(COMPONENT, "hot"),
            project=args.project,
            destination=(
                f"logging.googleapis.com/projects/{args.project}/locations/{spec.location}"
                f"/buckets/{self.hot_bucket_id}"
            ),
            filter=spec.filter,
            description="Routes logs to the hot log bucket",
            unique_writer_identity=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[hot]),
        )

        # Cold tier: the archive bucket, optionally with our own key, and its sink.
        encryption, key_grants = keys.archive_bucket() if keys else (None, [])
        archive_name = naming.physical(COMPONENT, "archive")
        cold = spec.cold_storage_class
        bucket = gcp.storage.Bucket(
            f"{name}-archive",
            name=archive_name,
            project=args.project,
            location=spec.archive_location,
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=True),
            force_destroy=False,
            labels=naming.labels(component=COMPONENT),
            encryption=encryption,
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(
                        type="SetStorageClass", storage_class=cold
                    ),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        age=spec.cold_after_days, matches_storage_classes=["STANDARD"]
                    ),
                ),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=spec.archive_days),
                ),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        with_state="ARCHIVED",
                        days_since_noncurrent_time=spec.noncurrent_delete_days,
                    ),
                ),
            ],
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=key_grants),
        )
        sink = gcp.logging.ProjectSink(
            f"{name}-archive-sink",
            name=naming.physical(COMPONENT, "archive"),
            project=args.project,
            destination=pulumi.Output.concat("storage.googleapis.com/", bucket.name),
            filter=spec.filter,
            description=f"Routes logs to the archive bucket ({cold} after "
            f"{spec.cold_after_days} days, deleted at {spec.archive_days})",
            unique_writer_identity=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        gcp.storage.BucketIAMMember(
            f"{name}-archive-writer",
            bucket=bucket.name,
            role=WRITER_ROLE,
            member=sink.writer_identity,
            opts=pulumi.ResourceOptions(parent=self),
        )

        # Audit: data-access logs on for the services the runtime uses.
        for service in spec.audit_services:
            gcp.projects.IAMAuditConfig(
                f"{name}-audit-{slug(service.removesuffix('.googleapis.com'))}",
                project=args.project,
                service=service,
                audit_log_configs=[
                    gcp.projects.IAMAuditConfigAuditLogConfigArgs(log_type=log_type)
                    for log_type in AUDIT_LOG_TYPES
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.archive_bucket = bucket.name
        self.register_outputs(
            {"hotBucketId": self.hot_bucket_id, "archiveBucket": self.archive_bucket}
        )


class _Keys:
    """The tiers' keys: a key ring per Cloud KMS location, a key per tier, each granted to the
    Google service agent that encrypts that tier.

    The archive's ring and key keep their logical names (``<name>-keyring``, ``<name>-key``), so
    adding the hot tier's key changes nothing that exists. A log bucket's key must sit in the log
    bucket's location and be usable by the project's Cloud Logging service agent; a log bucket
    with CMEK cannot go back to Google-managed keys, but its key may change
    (https://cloud.google.com/logging/docs/routing/managed-encryption-storage, and the
    ``cmek_settings`` argument of ``gcp.logging.ProjectBucketConfig``).
    """

    def __init__(self, owner: LogRetention, name: str, args: LogRetentionArgs) -> None:
        self.owner, self.name, self.args = owner, name, args
        self.archive_location = kms_location(args.spec.archive_location)
        self.rings: dict[str, gcp.kms.KeyRing] = {}

    def _ring(self, location: str) -> gcp.kms.KeyRing:
        if location not in self.rings:
            suffix = "" if location == self.archive_location else f"-{slug(location)}"
            self.rings[location] = key_ring(
                self.owner,
                f"{self.name}-keyring{suffix}",
                naming=self.args.naming,
                component=COMPONENT,
                project=self.args.project,
                location=location,
                protect=self.args.protect,
            )
        return self.rings[location]

    def _key(self, logical: str, role: str, location: str) -> gcp.kms.CryptoKey:
        return ring_key(
            self.owner,
            logical,
            self._ring(location),
            naming=self.args.naming,
            component=COMPONENT,
            role=role,
            rotation_days=self.args.spec.cmek.rotation_days,
            protect=self.args.protect,
        )

    def archive_bucket(self) -> tuple[gcp.storage.BucketEncryptionArgs, list[pulumi.Resource]]:
        """A key in the archive bucket's location, usable by the Cloud Storage service agent."""
        key = self._key(f"{self.name}-key", "archive", self.archive_location)
        # Cloud Storage creates its service agent lazily; the lookup creates it if need be and
        # returns its member (the SDK's advice over interpolating the project number).
        gcs_agent = gcp.storage.get_project_service_account_output(
            project=self.args.project, opts=pulumi.InvokeOutputOptions(parent=self.owner)
        )
        grant = grant_key(self.owner, f"{self.name}-key-storage", key, gcs_agent.member)
        return gcp.storage.BucketEncryptionArgs(default_kms_key_name=key.id), [grant]

    def hot_bucket(
        self,
    ) -> tuple[gcp.logging.ProjectBucketConfigCmekSettingsArgs, list[pulumi.Resource]]:
        """A key in the hot log bucket's location, usable by the Cloud Logging service agent."""
        location = kms_location(self.args.spec.location)
        key = self._key(f"{self.name}-hot-key", "hot", location)
        # The project's CMEK settings name the service account Cloud Logging encrypts with
        # (``service-<number>@gcp-sa-logging`` or, on older projects, ``cmek-p<number>@...``):
        # the provider's own example for a CMEK log bucket grants it the key this way.
        settings = gcp.logging.get_project_cmek_settings_output(
            project=self.args.project, opts=pulumi.InvokeOutputOptions(parent=self.owner)
        )
        member = settings.service_account_id.apply(lambda email: f"serviceAccount:{email}")
        grant = grant_key(self.owner, f"{self.name}-hot-key-logging", key, member)
        return gcp.logging.ProjectBucketConfigCmekSettingsArgs(kms_key_name=key.id), [grant]
