"""Where a project's log entries actually go: the Log Router as GCP runs it, read from a stack.

Every project has two sinks and two log buckets whether or not a stack declares them
(https://cloud.google.com/logging/docs/routing/overview; the note on
``gcp.logging.ProjectBucketConfig``): ``_Required`` (admin activity and system event audit logs,
400 days, cannot be changed or excluded) and ``_Default``, a sink that routes every other entry
to the ``_Default`` log bucket, 30 days unless its ``retentionDays`` is changed. A stack can
redirect or disable ``_Default`` by declaring a ``ProjectSink`` named ``_Default``, shorten it with
a ``ProjectBucketConfig`` whose ``bucketId`` is ``_Default``, and drop entries from it with a
project, folder, organization or billing account ``*Exclusion`` (the exclusions API "creates a new
exclusion in the _Default sink": REST reference of ``projects.exclusions``). Each declared sink
routes what its ``filter`` matches (empty: everything) minus its ``exclusions``, unless
``disabled``. A folder or organization sink with ``interceptChildren`` keeps the entries it
matches from every sink of the child projects but ``_Required``
(https://cloud.google.com/logging/docs/export/aggregated_sinks_overview).

A *retention path* is a sink whose destination stores logs for the playbook: a log bucket
(``logging.googleapis.com/projects/P/locations/L/buckets/B``) or a Cloud Storage bucket
(``storage.googleapis.com/NAME``). A sink to a Pub/Sub topic, a BigQuery dataset or another
project (the SIEM export, for instance) is an *additional* path: it may filter and exclude what it
forwards (PII, say), because the retention paths beside it keep everything.

The pack reads only what the snapshot holds: a destination that is not declared in the stack has
a retention nobody can show, which the policies report as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.gcp import iam_kind
from policies._lib.props import as_list, get, is_missing, number

PROJECT_SINK = "gcp:logging/projectSink:ProjectSink"
FOLDER_SINK = "gcp:logging/folderSink:FolderSink"
ORGANIZATION_SINK = "gcp:logging/organizationSink:OrganizationSink"
PROJECT_LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
STORAGE_BUCKET = "gcp:storage/bucket:Bucket"
EXCLUSIONS = (
    "gcp:logging/projectExclusion:ProjectExclusion",
    "gcp:logging/folderExclusion:FolderExclusion",
    "gcp:logging/organizationExclusion:OrganizationExclusion",
    "gcp:logging/billingAccountExclusion:BillingAccountExclusion",
)
"""Exclusions outside a sink: they drop entries from the ``_Default`` sink of their parent."""
DEFAULT_SINK_SETTINGS = (
    "gcp:logging/folderSettings:FolderSettings",
    "gcp:logging/organizationSettings:OrganizationSettings",
)
"""Settings whose ``disableDefaultSink`` creates new projects with a disabled ``_Default``."""
INTERCEPTING_SINKS = (FOLDER_SINK, ORGANIZATION_SINK)

DEFAULT = "_Default"
DEFAULT_BUCKET_DAYS = 30.0
"""Retention of the ``_Default`` bucket, and of a log bucket created without ``retentionDays``."""

LOG_BUCKET_DESTINATION = re.compile(
    r"^logging\.googleapis\.com/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/buckets/(?P<bucket>[^/]+)$"
)
STORAGE_DESTINATION = re.compile(r"^storage\.googleapis\.com/(?P<bucket>[^/]+)$")

ROUTING_TYPES = (
    PROJECT_SINK,
    PROJECT_LOG_BUCKET,
    STORAGE_BUCKET,
    *EXCLUSIONS,
    *DEFAULT_SINK_SETTINGS,
    *INTERCEPTING_SINKS,
)

_NONCURRENT_ONLY = ("daysSinceNoncurrentTime", "noncurrentTimeBefore", "numNewerVersions")
_EARLY_ANY_AGE = ("createdBefore", "customTimeBefore")


@dataclass(frozen=True)
class Sink:
    """One sink of a project, declared or implicit (``urn`` None: Google's own ``_Default``)."""

    name: str
    project: str
    destination: str
    filter: str
    disabled: bool
    exclusions: tuple[str, ...]
    """Filters of the sink's enabled exclusions."""
    urn: str | None

    @property
    def log_bucket(self) -> tuple[str, str, str] | None:
        """``(project, location, bucket id)`` when the sink routes to a log bucket."""
        match = LOG_BUCKET_DESTINATION.match(self.destination)
        return (match["project"], match["location"], match["bucket"]) if match else None

    @property
    def storage_bucket(self) -> str | None:
        """The Cloud Storage bucket name when the sink routes to one."""
        match = STORAGE_DESTINATION.match(self.destination)
        return match["bucket"] if match else None

    @property
    def retains(self) -> bool:
        """Whether the destination stores logs (a retention path), not only forwards them."""
        return self.log_bucket is not None or self.storage_bucket is not None

    @property
    def routes_everything(self) -> bool:
        return not self.disabled and not self.filter.strip() and not self.exclusions

    @property
    def shown(self) -> str:
        return f"sink {self.name}" if self.urn else f"the implicit {DEFAULT} sink"


def _text(value: Any) -> str:
    return "" if is_missing(value) else str(value)


def _enabled_exclusions(props: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        _text(get(exclusion, "filter"))
        for exclusion in as_list(get(props, "exclusions"))
        if get(exclusion, "disabled") is not True
    )


def _sink(resource: PolicyResource) -> Sink:
    props = resource.props
    return Sink(
        name=_text(get(props, "name")) or resource.name,
        project=_text(get(props, "project")),
        destination=_text(get(props, "destination")),
        filter=_text(get(props, "filter")),
        disabled=get(props, "disabled") is True,
        exclusions=_enabled_exclusions(props),
        urn=resource.urn,
    )


def project_sinks(stack: list[PolicyResource], project: str) -> list[Sink]:
    """The sinks of ``project``: the declared ones and, unless a declared sink takes its name,
    Google's ``_Default`` sink to the ``_Default`` bucket."""
    declared = [
        _sink(r)
        for r in stack
        if r.resource_type == PROJECT_SINK and _text(get(r.props, "project")) == project
    ]
    if not any(sink.name == DEFAULT for sink in declared):
        declared.append(
            Sink(
                name=DEFAULT,
                project=project,
                destination=(
                    f"logging.googleapis.com/projects/{project}/locations/global/buckets/{DEFAULT}"
                ),
                filter="",
                disabled=False,
                exclusions=(),
                urn=None,
            )
        )
    return declared


def log_bucket_days(
    stack: list[PolicyResource], project: str, location: str, bucket_id: str
) -> tuple[float | None, PolicyResource | None]:
    """Retention days of a log bucket and its declaration (None, None: not in the stack)."""
    for resource in stack:
        props = resource.props
        if (
            resource.resource_type == PROJECT_LOG_BUCKET
            and _text(get(props, "project")) == project
            and _text(get(props, "bucketId")) == bucket_id
            and _text(get(props, "location")) == location
        ):
            days = number(get(props, "retentionDays"))
            return (DEFAULT_BUCKET_DAYS if days is None else days), resource
    if bucket_id == DEFAULT:
        return DEFAULT_BUCKET_DAYS, None
    return None, None


def storage_bucket(stack: list[PolicyResource], name: str) -> PolicyResource | None:
    """The declared Cloud Storage bucket named ``name``."""
    for resource in stack:
        if resource.resource_type == STORAGE_BUCKET and _text(get(resource.props, "name")) == name:
            return resource
    return None


def early_deletion(bucket: PolicyResource, days: float) -> Iterator[str]:
    """Why objects of ``bucket`` can disappear before ``days`` days (nothing: they cannot).

    A lifecycle Delete rule removes live objects unless it only matches noncurrent versions
    (``withState: ARCHIVED`` or a noncurrent condition); it is early when it can match a live
    object younger than ``days``: an ``age`` below it, no ``age`` at all, or a date condition
    (``createdBefore``, ``customTimeBefore``) or custom time that ignores the age. ``forceDestroy``
    lets a deletion of the bucket take its objects with it.
    """
    props = bucket.props
    if get(props, "forceDestroy") is True:
        yield "forceDestroy is true: deleting the bucket deletes the archived logs with it"
    for index, rule in enumerate(as_list(get(props, "lifecycleRules"))):
        if get(rule, "action.type") != "Delete":
            continue
        condition = get(rule, "condition")
        if get(condition, "withState") == "ARCHIVED" or any(
            not is_missing(get(condition, key)) for key in _NONCURRENT_ONLY
        ):
            continue
        where = f"lifecycleRules[{index}]"
        dated = [key for key in _EARLY_ANY_AGE if not is_missing(get(condition, key))]
        custom = number(get(condition, "daysSinceCustomTime"))
        age = number(get(condition, "age"))
        if dated:
            yield f"{where} deletes objects by {dated[0]}, whatever their age"
        elif custom is not None and custom < days:
            yield f"{where} deletes objects {custom:g} days after their custom time"
        elif age is None:
            yield f"{where} deletes objects without an age condition"
        elif age < days:
            yield f"{where} deletes objects at age {age:g} days"


def stack_projects(stack: list[PolicyResource]) -> list[str]:
    """Projects the stack's own GCP resources live in: the projects whose logs must be kept.

    Neither the log routing (which an attacker could point elsewhere) nor IAM grants (the
    bootstrap grants its deployers roles on the environments' projects, whose logs are the
    environment stacks' business) say where the stack runs.
    """
    found: dict[str, None] = {}
    for resource in stack:
        kind = resource.resource_type
        if not kind.startswith("gcp:") or kind in ROUTING_TYPES or iam_kind(kind) is not None:
            continue
        project = get(resource.props, "project")
        if isinstance(project, str) and project:
            found[project] = None
    return list(found)
