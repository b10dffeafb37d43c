"""CP-AUD-005 audit-logrouting-enforce-playbook-retention (stack policy)."""

from __future__ import annotations

import pytest

from policies.audit.audit_logrouting_enforce_playbook_retention import META
from tests.support.policies import message_for

NAME = META.name
P = "acme-cp-prod"
SINK = "gcp:logging/projectSink:ProjectSink"
LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
BUCKET = "gcp:storage/bucket:Bucket"
HOT_DEST = f"logging.googleapis.com/projects/{P}/locations/europe-west1/buckets/acme-prod-logs-hot"

msg = message_for(META)


def stack(make, *, hot_sink=None, archive_sink=None, hot_days=30, extra=()):
    """A project with a workload, a 30-day hot bucket, an archive bucket and both sinks."""
    hot_inputs = {"project": P, "name": "acme-prod-logs-hot", "destination": HOT_DEST}
    archive_inputs = {
        "project": P,
        "name": "acme-prod-logs-archive",
        "destination": "storage.googleapis.com/acme-prod-logs-archive",
    }
    return [
        make("gcp:secretmanager/secret:Secret", "vault-key", {"project": P}),
        make(
            LOG_BUCKET,
            "logs-hot",
            {
                "project": P,
                "location": "europe-west1",
                "bucketId": "acme-prod-logs-hot",
                "retentionDays": hot_days,
            },
        ),
        make(BUCKET, "logs-archive", {"project": P, "name": "acme-prod-logs-archive"}),
        make(SINK, "logs-hot-sink", {**hot_inputs, **(hot_sink or {})}),
        make(SINK, "logs-archive-sink", {**archive_inputs, **(archive_sink or {})}),
        *extra,
    ]


def test_compliant_baseline_passes(analyze, make):
    assert analyze(stack(make)).of(NAME) == []


def test_a_siem_export_may_filter_and_exclude(analyze, make):
    # An additional path: the retention paths beside it keep every entry.
    siem = make(
        SINK,
        "siem-sink",
        {
            "project": P,
            "name": "acme-prod-siem",
            "destination": f"pubsub.googleapis.com/projects/{P}/topics/acme-prod-siem",
            "filter": "severity>=WARNING",
            "exclusions": [{"name": "pii", "filter": 'jsonPayload.email:"@"'}],
        },
    )
    assert analyze(stack(make, extra=[siem])).of(NAME) == []


def test_an_exclusion_on_the_hot_sink_is_reported(analyze, make):
    resources = stack(make, hot_sink={"exclusions": [{"name": "a", "filter": "logName:x"}]})
    assert analyze(resources).of(NAME) == [
        (
            resources[3]["urn"],
            msg(
                "sink acme-prod-logs-hot excludes entries ('logName:x'): a retention path keeps "
                "every entry"
            ),
        )
    ]


def test_a_disabled_exclusion_drops_nothing(analyze, make):
    exclusions = [{"name": "a", "filter": "logName:x", "disabled": True}]
    assert analyze(stack(make, hot_sink={"exclusions": exclusions})).of(NAME) == []


def test_the_hot_sink_pointing_at_a_one_day_bucket_beside_the_30_day_decoy(analyze, make):
    short = make(
        LOG_BUCKET,
        "logs-short",
        {"project": P, "location": "europe-west1", "bucketId": "short", "retentionDays": 1},
    )
    dest = f"logging.googleapis.com/projects/{P}/locations/europe-west1/buckets/short"
    resources = stack(make, hot_sink={"destination": dest}, extra=[short])
    assert analyze(resources).of(NAME) == [
        (
            short["urn"],
            msg(
                "sink acme-prod-logs-hot routes logs to log bucket short, which keeps them 1 "
                "days: every log bucket a sink writes to keeps 30 days or more"
            ),
        )
    ]


def test_the_default_bucket_shortened_to_one_day(analyze, make):
    default = make(
        LOG_BUCKET,
        "default-bucket",
        {"project": P, "location": "global", "bucketId": "_Default", "retentionDays": 1},
    )
    assert analyze(stack(make, extra=[default])).of(NAME) == [
        (
            default["urn"],
            msg(
                "the implicit _Default sink routes logs to log bucket _Default, which keeps them "
                "1 days: every log bucket a sink writes to keeps 30 days or more"
            ),
        )
    ]


def test_the_default_sink_declared_disabled(analyze, make):
    default = make(
        SINK,
        "default-sink",
        {
            "project": P,
            "name": "_Default",
            "destination": f"logging.googleapis.com/projects/{P}/locations/global/buckets/_Default",
            "disabled": True,
        },
    )
    assert analyze(stack(make, extra=[default])).of(NAME) == [
        (default["urn"], msg("sink _Default is disabled: a retention path must stay on"))
    ]


@pytest.mark.parametrize(
    ("kind", "inputs", "detail"),
    [
        (
            "gcp:logging/projectExclusion:ProjectExclusion",
            {"project": P, "name": "drop", "filter": "severity<ERROR"},
            "ProjectExclusion drop-it drops log entries ('severity<ERROR') before they reach "
            "the _Default sink",
        ),
        (
            "gcp:logging/folderExclusion:FolderExclusion",
            {"folder": "folders/1", "name": "drop", "filter": "logName:x"},
            "FolderExclusion drop-it drops log entries ('logName:x') before they reach the "
            "_Default sink",
        ),
        (
            "gcp:logging/organizationSink:OrganizationSink",
            {"orgId": "1", "name": "x", "destination": "storage.googleapis.com/x"},
            None,
        ),
        (
            "gcp:logging/organizationSink:OrganizationSink",
            {
                "orgId": "1",
                "name": "x",
                "destination": "storage.googleapis.com/x",
                "includeChildren": True,
                "interceptChildren": True,
            },
            "OrganizationSink drop-it intercepts the child projects' logs, so their own sinks "
            "never receive them",
        ),
        (
            "gcp:logging/folderSettings:FolderSettings",
            {"folder": "folders/1", "disableDefaultSink": True},
            "FolderSettings drop-it sets disableDefaultSink: new projects start with the "
            "_Default sink disabled",
        ),
    ],
)
def test_entries_dropped_before_the_project_sinks(analyze, make, kind, inputs, detail):
    resource = make(kind, "drop-it", inputs)
    expected = [] if detail is None else [(resource["urn"], msg(detail))]
    assert analyze(stack(make, extra=[resource])).of(NAME) == expected


def test_a_filtered_archive_sink_archives_nothing_complete(analyze, make):
    resources = stack(make, archive_sink={"filter": 'logName:"cloudaudit"'})
    assert analyze(resources).of(NAME) == [
        (
            "",
            msg(
                f"no enabled sink of {P} without filter or exclusions routes its logs to a Cloud "
                "Storage bucket the stack declares, so nothing archives them"
            ),
        )
    ]


def test_an_archive_in_a_bucket_the_stack_does_not_declare(analyze, make):
    resources = stack(make, archive_sink={"destination": "storage.googleapis.com/elsewhere"})
    found = analyze(resources).of(NAME)
    assert (
        resources[4]["urn"],
        msg(
            "sink acme-prod-logs-archive routes to Cloud Storage bucket elsewhere, which the "
            "stack does not declare, so its retention cannot be shown"
        ),
    ) in found
    assert len(found) == 2  # and nothing archives in a declared bucket


def test_a_sink_to_another_projects_log_bucket(analyze, make):
    dest = "logging.googleapis.com/projects/acme-shared/locations/global/buckets/logs"
    resources = stack(make, hot_sink={"destination": dest})
    assert analyze(resources).of(NAME) == [
        (
            resources[3]["urn"],
            msg(
                f"sink acme-prod-logs-hot routes {P}'s logs to log bucket logs of another "
                "project (acme-shared), whose retention this stack cannot show"
            ),
        )
    ]


def test_no_sink_at_all_leaves_the_archive_missing(analyze, make):
    # Decided: _Default keeps 30 days, but nothing archives 180 days.
    resources = stack(make)[:3]
    assert META.on_missing == "violation"
    assert analyze(resources).of(NAME) == [
        (
            "",
            msg(
                f"no enabled sink of {P} without filter or exclusions routes its logs to a Cloud "
                "Storage bucket the stack declares, so nothing archives them"
            ),
        )
    ]


def test_a_disabled_default_sink_and_no_hot_sink_leaves_no_hot_path(analyze, make):
    default = make(
        SINK,
        "default-sink",
        {
            "project": P,
            "name": "_Default",
            "destination": f"logging.googleapis.com/projects/{P}/locations/global/buckets/_Default",
            "disabled": True,
        },
    )
    resources = [r for r in stack(make, extra=[default]) if r["name"] != "logs-hot-sink"]
    assert analyze(resources).of(NAME) == [
        (default["urn"], msg("sink _Default is disabled: a retention path must stay on")),
        (
            "",
            msg(
                f"no enabled sink of {P} without filter or exclusions routes its logs to a log "
                "bucket of the project that keeps them 30 days or more"
            ),
        ),
    ]


def test_grants_on_other_projects_do_not_make_them_the_stacks(analyze, make):
    grant = make(
        "gcp:projects/iAMMember:IAMMember",
        "deployer-run-admin",
        {"project": "acme-cp-dev", "role": "roles/run.admin", "member": "serviceAccount:x"},
    )
    assert analyze(stack(make, extra=[grant])).of(NAME) == []
