"""Log routing and archive breaks (playbook §4 Logs): each leaves the 30-day hot bucket, the
180-day archive and their sinks in place and sends the logs somewhere shorter, or nowhere.

The Log Router as GCP runs it: every project also has the ``_Default`` sink and bucket, exclusions
drop entries before it, folder and organization sinks can intercept the children's entries.
"""

from __future__ import annotations

from typing import Any

from tests.support.adversary import Case, Resource, Snapshot, add, first, labels_of

SINK = "gcp:logging/projectSink:ProjectSink"
LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
BUCKET = "gcp:storage/bucket:Bucket"
ROUTING = "audit-logrouting-enforce-playbook-retention"
ARCHIVE = "storage-logarchive-disallow-early-deletion"
PROJECT = "acme-cp-prod"
AUDIT_LOGS = 'logName:"cloudaudit.googleapis.com"'


def _hot_sink(snapshot: Snapshot) -> Resource:
    return first(snapshot, SINK, "logs-hot-sink")


def _archive_sink(snapshot: Snapshot) -> Resource:
    return first(snapshot, SINK, "logs-archive-sink")


def _archive_bucket(snapshot: Snapshot) -> Resource:
    return first(snapshot, BUCKET, "logs-archive")


def hot_sink_excludes_audit_logs(snapshot: Snapshot) -> None:
    _hot_sink(snapshot)["inputs"]["exclusions"] = [
        {"name": "drop-audit", "description": "noise", "filter": AUDIT_LOGS}
    ]


def archive_sink_excludes_data_access(snapshot: Snapshot) -> None:
    _archive_sink(snapshot)["inputs"]["exclusions"] = [
        {"name": "drop-data-access", "filter": 'logName:"data_access"'}
    ]


def hot_sink_disabled(snapshot: Snapshot) -> None:
    _hot_sink(snapshot)["inputs"]["disabled"] = True


def archive_sink_disabled(snapshot: Snapshot) -> None:
    _archive_sink(snapshot)["inputs"]["disabled"] = True


def archive_sink_filters_to_errors(snapshot: Snapshot) -> None:
    _archive_sink(snapshot)["inputs"]["filter"] = "severity>=ERROR"


def default_bucket_one_day(snapshot: Snapshot) -> None:
    hot = first(snapshot, LOG_BUCKET, "logs-hot")
    inputs = {"project": PROJECT, "location": "global", "bucketId": "_Default", "retentionDays": 1}
    add(snapshot, LOG_BUCKET, "acme-prod-logs-default", inputs, beside=hot)


def hot_sink_to_a_one_day_bucket_beside_the_30_day_one(snapshot: Snapshot) -> None:
    hot = first(snapshot, LOG_BUCKET, "logs-hot")
    inputs = {**hot["inputs"], "bucketId": "acme-prod-logs-recent", "retentionDays": 1}
    add(snapshot, LOG_BUCKET, "acme-prod-logs-recent", inputs, beside=hot)
    location = hot["inputs"]["location"]
    _hot_sink(snapshot)["inputs"]["destination"] = (
        f"logging.googleapis.com/projects/{PROJECT}/locations/{location}/buckets/"
        "acme-prod-logs-recent"
    )


def hot_sink_to_another_projects_bucket(snapshot: Snapshot) -> None:
    _hot_sink(snapshot)["inputs"]["destination"] = (
        "logging.googleapis.com/projects/acme-sandbox/locations/global/buckets/_Default"
    )


def _default_sink(snapshot: Snapshot, **inputs: Any) -> None:
    beside = _hot_sink(snapshot)
    base = {
        "project": PROJECT,
        "name": "_Default",
        "destination": (
            f"logging.googleapis.com/projects/{PROJECT}/locations/global/buckets/_Default"
        ),
        "uniqueWriterIdentity": True,
    }
    add(snapshot, SINK, "acme-prod-logs-default-sink", {**base, **inputs}, beside=beside)


def default_sink_disabled(snapshot: Snapshot) -> None:
    _default_sink(snapshot, disabled=True)


def default_sink_redirected_to_an_undeclared_bucket(snapshot: Snapshot) -> None:
    _default_sink(
        snapshot,
        destination=(f"logging.googleapis.com/projects/{PROJECT}/locations/global/buckets/scratch"),
    )


def _exclusion(snapshot: Snapshot, kind: str, scope: dict[str, str]) -> None:
    inputs = {**scope, "name": "drop-audit", "description": "noise", "filter": AUDIT_LOGS}
    add(snapshot, f"gcp:logging/{kind}:{kind[0].upper()}{kind[1:]}", "acme-prod-drop-audit", inputs)


def project_exclusion(snapshot: Snapshot) -> None:
    _exclusion(snapshot, "projectExclusion", {"project": PROJECT})


def folder_exclusion(snapshot: Snapshot) -> None:
    _exclusion(snapshot, "folderExclusion", {"folder": "folders/123456789012"})


def organization_exclusion(snapshot: Snapshot) -> None:
    _exclusion(snapshot, "organizationExclusion", {"orgId": "123456789012"})


def billing_account_exclusion(snapshot: Snapshot) -> None:
    _exclusion(snapshot, "billingAccountExclusion", {"billingAccount": "012345-6789AB-CDEF01"})


def organization_sink_intercepts(snapshot: Snapshot) -> None:
    inputs = {
        "orgId": "123456789012",
        "name": "central",
        "destination": "pubsub.googleapis.com/projects/acme-sandbox/topics/central",
        "includeChildren": True,
        "interceptChildren": True,
    }
    add(snapshot, "gcp:logging/organizationSink:OrganizationSink", "acme-central", inputs)


def folder_sink_intercepts(snapshot: Snapshot) -> None:
    inputs = {
        "folder": "folders/123456789012",
        "name": "central",
        "destination": "storage.googleapis.com/acme-sandbox-logs",
        "includeChildren": True,
        "interceptChildren": True,
    }
    add(snapshot, "gcp:logging/folderSink:FolderSink", "acme-central", inputs)


def folder_settings_disable_default_sink(snapshot: Snapshot) -> None:
    inputs = {"folder": "folders/123456789012", "disableDefaultSink": True}
    add(snapshot, "gcp:logging/folderSettings:FolderSettings", "acme-folder-logging", inputs)


def archive_sink_to_an_undeclared_bucket(snapshot: Snapshot) -> None:
    _archive_sink(snapshot)["inputs"]["destination"] = "storage.googleapis.com/acme-scratch"


def _extra_rule(snapshot: Snapshot, condition: dict[str, Any]) -> None:
    rules = _archive_bucket(snapshot)["inputs"]["lifecycleRules"]
    rules.append({"action": {"type": "Delete"}, "condition": condition})


def archive_deletes_at_seven_days(snapshot: Snapshot) -> None:
    _extra_rule(snapshot, {"age": 7})


def archive_deletes_audit_prefix_at_thirty_days(snapshot: Snapshot) -> None:
    _extra_rule(snapshot, {"age": 30, "matchesPrefix": ["cloudaudit.googleapis.com/"]})


def archive_deletes_created_before_a_date(snapshot: Snapshot) -> None:
    _extra_rule(snapshot, {"createdBefore": "2027-01-01"})


def archive_deletes_by_custom_time(snapshot: Snapshot) -> None:
    _extra_rule(snapshot, {"daysSinceCustomTime": 1})


def archive_live_objects_without_age(snapshot: Snapshot) -> None:
    _extra_rule(snapshot, {"withState": "LIVE", "matchesSuffix": [".json"]})


def archive_force_destroy(snapshot: Snapshot) -> None:
    _archive_bucket(snapshot)["inputs"]["forceDestroy"] = True


def archive_sink_to_a_one_day_bucket_beside_the_180_day_one(snapshot: Snapshot) -> None:
    real = _archive_bucket(snapshot)
    inputs = {
        **real["inputs"],
        "name": "acme-prod-logs-cold",
        "labels": labels_of(real),
        "lifecycleRules": [{"action": {"type": "Delete"}, "condition": {"age": 1}}],
    }
    add(snapshot, BUCKET, "acme-prod-logs-cold", inputs, beside=real)
    _archive_sink(snapshot)["inputs"]["destination"] = "storage.googleapis.com/acme-prod-logs-cold"


CASES = [
    Case(
        "hot-sink-excludes-audit-logs",
        "decoys",
        ROUTING,
        "excludes entries",
        hot_sink_excludes_audit_logs,
    ),
    Case(
        "archive-sink-excludes-data-access",
        "decoys",
        ROUTING,
        "excludes entries",
        archive_sink_excludes_data_access,
    ),
    Case(
        "hot-sink-disabled",
        "muting",
        ROUTING,
        "sink acme-prod-logs-hot is disabled",
        hot_sink_disabled,
    ),
    Case(
        "archive-sink-disabled",
        "muting",
        ROUTING,
        "sink acme-prod-logs-archive is disabled",
        archive_sink_disabled,
    ),
    Case(
        "archive-sink-errors-only",
        "decoys",
        ROUTING,
        "so nothing archives them",
        archive_sink_filters_to_errors,
    ),
    Case(
        "default-bucket-one-day",
        "decoys",
        ROUTING,
        "log bucket _Default, which keeps them 1 days",
        default_bucket_one_day,
    ),
    Case(
        "hot-sink-to-one-day-bucket-beside-30-day-decoy",
        "decoys",
        ROUTING,
        "acme-prod-logs-recent, which keeps them 1 days",
        hot_sink_to_a_one_day_bucket_beside_the_30_day_one,
    ),
    Case(
        "hot-sink-to-another-projects-bucket",
        "decoys",
        ROUTING,
        "of another project (acme-sandbox)",
        hot_sink_to_another_projects_bucket,
    ),
    Case(
        "default-sink-disabled",
        "muting",
        ROUTING,
        "sink _Default is disabled",
        default_sink_disabled,
    ),
    Case(
        "default-sink-redirected",
        "decoys",
        ROUTING,
        "log bucket scratch in global, which the stack does not declare",
        default_sink_redirected_to_an_undeclared_bucket,
    ),
    Case(
        "project-exclusion-drops-audit-logs",
        "muting",
        ROUTING,
        "ProjectExclusion acme-prod-drop-audit drops log entries",
        project_exclusion,
    ),
    Case(
        "folder-exclusion-drops-audit-logs",
        "another-type",
        ROUTING,
        "FolderExclusion acme-prod-drop-audit drops log entries",
        folder_exclusion,
    ),
    Case(
        "organization-exclusion-drops-audit-logs",
        "another-type",
        ROUTING,
        "OrganizationExclusion acme-prod-drop-audit drops",
        organization_exclusion,
    ),
    Case(
        "billing-account-exclusion",
        "another-type",
        ROUTING,
        "BillingAccountExclusion acme-prod-drop-audit drops",
        billing_account_exclusion,
    ),
    Case(
        "organization-sink-intercepts",
        "another-type",
        ROUTING,
        "OrganizationSink acme-central intercepts",
        organization_sink_intercepts,
    ),
    Case(
        "folder-sink-intercepts",
        "another-type",
        ROUTING,
        "FolderSink acme-central intercepts",
        folder_sink_intercepts,
    ),
    Case(
        "folder-settings-disable-default-sink",
        "another-type",
        ROUTING,
        "sets disableDefaultSink",
        folder_settings_disable_default_sink,
    ),
    Case(
        "archive-sink-to-undeclared-bucket",
        "decoys",
        ROUTING,
        "Cloud Storage bucket acme-scratch, which the stack does not declare",
        archive_sink_to_an_undeclared_bucket,
    ),
    Case(
        "archive-extra-delete-at-7-days",
        "decoys",
        ARCHIVE,
        "deletes objects at age 7 days",
        archive_deletes_at_seven_days,
    ),
    Case(
        "archive-deletes-audit-prefix-at-30-days",
        "decoys",
        ARCHIVE,
        "deletes objects at age 30 days",
        archive_deletes_audit_prefix_at_thirty_days,
    ),
    Case(
        "archive-deletes-created-before",
        "decoys",
        ARCHIVE,
        "by createdBefore",
        archive_deletes_created_before_a_date,
    ),
    Case(
        "archive-deletes-by-custom-time",
        "decoys",
        ARCHIVE,
        "after their custom time",
        archive_deletes_by_custom_time,
    ),
    Case(
        "archive-deletes-live-objects-without-age",
        "decoys",
        ARCHIVE,
        "without an age condition",
        archive_live_objects_without_age,
    ),
    Case("archive-force-destroy", "decoys", ARCHIVE, "forceDestroy is true", archive_force_destroy),
    Case(
        "archive-sink-to-one-day-bucket-beside-180-day-decoy",
        "decoys",
        ARCHIVE,
        "acme-prod-logs-cold: lifecycleRules[0] deletes objects at age 1 days",
        archive_sink_to_a_one_day_bucket_beside_the_180_day_one,
    ),
]
