"""AuditTrail: who read the state and who used the keys, kept 30 days hot and 180 days cold.

The bootstrap project's data-access audit logs record every state read and write, every key
use (each ``pulumi up`` unwrapping a stack's data key) and every token exchange of CI. Playbook
§6 asks for that trail, §4 for its retention: 30 days in the project's ``_Default`` log bucket,
and a copy of every log entry of the project (the audit logs and whatever else it writes: the
policy pack's log routing rule wants each entry archived) in a CMEK-encrypted archive bucket that
moves them to cold storage after 30 days and deletes them at 180.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from bootstrap.buckets import protected_bucket
from bootstrap.layout import ROLE_OBJECT_CREATOR, ROLE_OBJECT_VIEWER
from controlplane.playbook import AUDIT_LOG_TYPES, LOG_ARCHIVE_DAYS, LOG_HOT_DAYS

ARCHIVE_FILTER = ""
"""Every entry of the bootstrap project (an empty filter matches all; the project's logs are
almost all audit logs anyway)."""


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
            retention_days=LOG_HOT_DAYS,
            description=f"Every log of the bootstrap project, {LOG_HOT_DAYS} days (playbook §4)",
            opts=stateful,
        )
        bucket = protected_bucket(
            f"{name}-archive",
            parent=self,
            name=args.archive_bucket,
            project=args.project,
            location=args.location,
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=args.kms_key_id),
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(
                        type="SetStorageClass", storage_class="COLDLINE"
                    ),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        age=LOG_HOT_DAYS, matches_storage_classes=["STANDARD"]
                    ),
                ),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=LOG_ARCHIVE_DAYS),
                ),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        with_state="ARCHIVED", days_since_noncurrent_time=7
                    ),
                ),
            ],
            labels=args.labels,
            encryption_ready=args.encryption_ready,
        )
        sink = gcp.logging.ProjectSink(
            f"{name}-sink",
            name=args.archive_bucket,
            project=args.project,
            destination=f"storage.googleapis.com/{args.archive_bucket}",
            filter=ARCHIVE_FILTER,
            description=f"Every log to the archive (COLDLINE at {LOG_HOT_DAYS} days, deleted at "
            f"{LOG_ARCHIVE_DAYS})",
            unique_writer_identity=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
        )
        readers_and_writers: list[tuple[str, str, pulumi.Input[str]]] = [
            ("writer", ROLE_OBJECT_CREATOR, sink.writer_identity),
            ("operators", ROLE_OBJECT_VIEWER, args.operators),
        ]
        for who, role, member in readers_and_writers:
            gcp.storage.BucketIAMMember(
                f"{name}-archive-{who}",
                bucket=args.archive_bucket,
                role=role,
                member=member,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
            )
        self.register_outputs({"archiveBucket": args.archive_bucket})
