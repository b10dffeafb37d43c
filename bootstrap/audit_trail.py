"""AuditTrail: who read the state and who used the keys, kept 30 days hot and 180 days cold.

The bootstrap project's data-access audit logs record every state read and write, every key
use (each ``pulumi up`` unwrapping a stack's data key) and every token exchange of CI. Playbook
§6 asks for that trail, §4 for its retention: 30 days in the project's ``_Default`` log bucket,
and a copy of the audit logs in a CMEK-encrypted archive bucket that moves them to cold storage
after 30 days and deletes them at 180.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

HOT_DAYS = 30
"""Playbook §4: logs are kept 30 days hot."""
ARCHIVE_DAYS = 180
"""Playbook §4: and 180 days in cold storage."""
AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
AUDIT_LOGS_FILTER = 'logName:"/logs/cloudaudit.googleapis.com%2F"'


@dataclass(frozen=True)
class AuditTrailArgs:
    """Inputs of :class:`AuditTrail`."""

    project: str
    """The bootstrap project."""
    location: str
    """Region of the archive bucket (where its CMEK key lives)."""
    archive_bucket: str
    """Name of the archive bucket (also the sink's name)."""
    kms_key_id: str
    """CMEK key of the archive bucket."""
    labels: dict[str, str]
    """Labels of the archive bucket."""
    operators: str
    """The operators group, who may read the archive."""
    encryption_ready: Sequence[pulumi.Resource]
    """Resources that must exist before the bucket (the service agent's grant on the key)."""


class AuditTrail(pulumi.ComponentResource):
    """Data-access audit logs of the bootstrap project, with 30/180-day retention."""

    def __init__(
        self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:bootstrap:AuditTrail", name, None, opts)
        stateful = pulumi.ResourceOptions(parent=self, protect=True)
        gcp.projects.IAMAuditConfig(
            f"{name}-all-services",
            project=args.project,
            service="allServices",
            audit_log_configs=[
                gcp.projects.IAMAuditConfigAuditLogConfigArgs(log_type=t) for t in AUDIT_LOG_TYPES
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        gcp.logging.ProjectBucketConfig(
            f"{name}-hot",
            project=args.project,
            location="global",
            bucket_id="_Default",
            retention_days=HOT_DAYS,
            description=f"Every log of the bootstrap project, {HOT_DAYS} days (playbook §4)",
            opts=stateful,
        )
        bucket = gcp.storage.Bucket(
            f"{name}-archive",
            name=args.archive_bucket,
            project=args.project,
            location=args.location.upper(),
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=True),
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=args.kms_key_id),
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(
                        type="SetStorageClass", storage_class="COLDLINE"
                    ),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        age=HOT_DAYS, matches_storage_classes=["STANDARD"]
                    ),
                ),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=ARCHIVE_DAYS),
                ),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        with_state="ARCHIVED", days_since_noncurrent_time=7
                    ),
                ),
            ],
            force_destroy=False,
            deletion_policy="PREVENT",
            labels=args.labels,
            opts=pulumi.ResourceOptions(
                parent=self, protect=True, depends_on=list(args.encryption_ready)
            ),
        )
        sink = gcp.logging.ProjectSink(
            f"{name}-sink",
            name=args.archive_bucket,
            project=args.project,
            destination=f"storage.googleapis.com/{args.archive_bucket}",
            filter=AUDIT_LOGS_FILTER,
            description=f"Audit logs to the archive (COLDLINE at {HOT_DAYS} days, deleted at "
            f"{ARCHIVE_DAYS})",
            unique_writer_identity=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
        )
        gcp.storage.BucketIAMMember(
            f"{name}-archive-writer",
            bucket=args.archive_bucket,
            role="roles/storage.objectCreator",
            member=sink.writer_identity,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
        )
        gcp.storage.BucketIAMMember(
            f"{name}-archive-operators",
            bucket=args.archive_bucket,
            role="roles/storage.objectViewer",
            member=args.operators,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
        )
        self.register_outputs({"archiveBucket": args.archive_bucket})
