"""LogRetention: playbook §4 log retention (30 days hot, 180 days cold) and §6 audit logs.

- **Hot**: a Cloud Logging bucket with a 30-day retention and a sink that routes into it.
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

from components.cmek import crypto_key, grant_key, kms_location
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
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)

        # Hot tier: a log bucket with the playbook's retention, and the sink that fills it.
        self.hot_bucket_id = naming.physical(COMPONENT, "hot")
        hot = gcp.logging.ProjectBucketConfig(
            f"{name}-hot",
            project=args.project,
            location=spec.location,
            bucket_id=self.hot_bucket_id,
            retention_days=spec.hot_retention_days,
            description=f"Hot logs, {spec.hot_retention_days} days (playbook §4)",
            opts=stateful,
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
        encryption, key_grants = self._cmek(name, args)
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

    def _cmek(
        self, name: str, args: LogRetentionArgs
    ) -> tuple[gcp.storage.BucketEncryptionArgs | None, list[pulumi.Resource]]:
        """A key in the archive bucket's location, usable by the Cloud Storage service agent."""
        spec, naming = args.spec, args.naming
        if not spec.cmek.enabled:
            return None, []
        key = crypto_key(
            self,
            ring_name=f"{name}-keyring",
            key_name=f"{name}-key",
            naming=naming,
            component=COMPONENT,
            role="archive",
            project=args.project,
            location=kms_location(spec.archive_location),
            rotation_days=spec.cmek.rotation_days,
            protect=args.protect,
        )
        # Cloud Storage creates its service agent lazily; the lookup creates it if need be and
        # returns its member (the SDK's advice over interpolating the project number).
        gcs_agent = gcp.storage.get_project_service_account_output(
            project=args.project, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        grant = grant_key(self, f"{name}-key-storage", key, gcs_agent.member)
        return gcp.storage.BucketEncryptionArgs(default_kms_key_name=key.id), [grant]
