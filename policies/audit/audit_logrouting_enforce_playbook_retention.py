"""CP-AUD-005: every log entry of the stack's projects is kept 30 days hot and 180 days archived.

The effective outcome, not the presence of a bucket: the Log Router is modelled as GCP runs it
(``policies/_lib/logrouting.py``), with the ``_Default`` sink and bucket every project has,
exclusions, disabled sinks, intercepting folder and organization sinks, and the buckets the sinks
actually write to. An export sink to Pub/Sub, BigQuery or another project (the SIEM forwarding) is
an additional path and may filter or exclude; the retention paths must not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib import logrouting as lr
from policies._lib.config import Schema
from policies._lib.meta import Meta
from policies._lib.policy import stack_policy, types
from policies._lib.props import fmt, get

META = Meta(
    id="CP-AUD-005",
    name="audit-logrouting-enforce-playbook-retention",
    description=(
        "Ensure every log entry of the stack's projects reaches, through an enabled sink with no "
        "filter or exclusion, a log bucket that keeps it at least 30 days (the stack's own or "
        "the _Default one) and a Cloud Storage "
        "archive the stack declares (CP-STO-003 keeps it 180 days there), and that no sink, "
        "exclusion or intercepting sink sends any entry to a shorter store or drops it."
    ),
    severity="high",
    section="§4 Logs: retention 30 days hot, 180 days cold storage",
    remediation=(
        "Route the project's logs with unfiltered, enabled gcp.logging.ProjectSink resources "
        "(no exclusions) to the stack's 30-day log bucket and to its archive bucket; remove "
        "logging exclusions, intercepting folder/organization sinks and disableDefaultSink; keep "
        "the _Default bucket at 30 days or more."
    ),
    on_missing="violation",
    missing_rationale=(
        "a project with no declared sink keeps only what Google's _Default bucket holds for 30 "
        "days and archives nothing, which misses the 180 days"
    ),
)

CONFIG: Schema = {
    "hotDays": {
        "type": "number",
        "exclusiveMinimum": 0,
        "default": 30,
        "description": "Days every log bucket a sink writes to keeps its entries, at least.",
    },
}


def _hot_path(
    stack: list[PolicyResource], sink: lr.Sink, target: tuple[str, str, str], hot: float
) -> Iterator[tuple[str, str | None]]:
    """Problems of a sink to the log bucket ``target``: the bucket's place and retention."""
    project, location, bucket_id = target
    if project != sink.project:
        yield (
            f"{sink.shown} routes {sink.project}'s logs to log bucket {bucket_id} of another "
            f"project ({project}), whose retention this stack cannot show",
            sink.urn,
        )
        return
    days, declared = lr.log_bucket_days(stack, project, location, bucket_id)
    if days is None:
        yield (
            f"{sink.shown} routes to log bucket {bucket_id} in {location}, which the stack does "
            "not declare, so its retention cannot be shown",
            sink.urn,
        )
    elif days < hot:
        yield (
            f"{sink.shown} routes logs to log bucket {bucket_id}, which keeps them "
            f"{fmt(days)} days: every log bucket a sink writes to keeps {fmt(hot)} days or more",
            declared.urn if declared is not None else sink.urn,
        )


def _archive_path(stack: list[PolicyResource], sink: lr.Sink) -> Iterator[tuple[str, str | None]]:
    name = sink.storage_bucket
    if name is not None and lr.storage_bucket(stack, name) is None:
        yield (
            f"{sink.shown} routes to Cloud Storage bucket {name}, which the stack does not "
            "declare, so its retention cannot be shown",
            sink.urn,
        )


def _paths(
    stack: list[PolicyResource], project: str, hot: float
) -> Iterator[tuple[str, str | None]]:
    sinks = lr.project_sinks(stack, project)
    for sink in sinks:
        if not sink.retains:
            continue  # an export (SIEM, analytics): additional, may filter and exclude
        if sink.disabled:
            yield (f"{sink.shown} is disabled: a retention path must stay on", sink.urn)
        if sink.exclusions:
            yield (
                f"{sink.shown} excludes entries ({sink.exclusions[0]!r}): a retention path "
                "keeps every entry",
                sink.urn,
            )
        if sink.log_bucket is not None:
            yield from _hot_path(stack, sink, sink.log_bucket, hot)
        else:
            yield from _archive_path(stack, sink)
    # Hot: Google's _Default sink to a 30-day _Default bucket is a path too (with _Required,
    # 400 days, for the admin activity it leaves out); the archive must be the stack's own.
    complete = [s for s in sinks if s.routes_everything]
    hot_ok = any(
        s.log_bucket is not None
        and s.log_bucket[0] == project
        and (lr.log_bucket_days(stack, *s.log_bucket)[0] or 0) >= hot
        for s in complete
    )
    if not hot_ok:
        yield (
            f"no enabled sink of {project} without filter or exclusions routes its logs to a "
            f"log bucket of the project that keeps them {fmt(hot)} days or more",
            None,
        )
    declared = [s for s in complete if s.urn is not None]
    if not any(
        s.storage_bucket is not None and lr.storage_bucket(stack, s.storage_bucket) is not None
        for s in declared
    ):
        yield (
            f"no enabled sink of {project} without filter or exclusions routes its logs to a "
            "Cloud Storage bucket the stack declares, so nothing archives them",
            None,
        )


def _dropped(stack: list[PolicyResource]) -> Iterator[tuple[str, str | None]]:
    """Entries dropped or diverted before any project sink sees them."""
    for resource in stack:
        kind, props = resource.resource_type, resource.props
        if kind in lr.EXCLUSIONS and get(props, "disabled") is not True:
            yield (
                f"{kind.rsplit(':', 1)[-1]} {resource.name} drops log entries "
                f"({get(props, 'filter')!r}) before they reach the {lr.DEFAULT} sink",
                resource.urn,
            )
        elif kind in lr.INTERCEPTING_SINKS and get(props, "interceptChildren") is True:
            yield (
                f"{kind.rsplit(':', 1)[-1]} {resource.name} intercepts the child projects' logs, "
                "so their own sinks never receive them",
                resource.urn,
            )
        elif kind in lr.DEFAULT_SINK_SETTINGS and get(props, "disableDefaultSink") is True:
            yield (
                f"{kind.rsplit(':', 1)[-1]} {resource.name} sets disableDefaultSink: new projects "
                f"start with the {lr.DEFAULT} sink disabled",
                resource.urn,
            )


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    hot = float(config["hotDays"])
    # The routing resources the policy checks (an exempt one is left out); the others only say
    # which projects the stack runs in.
    checked = {r.urn for r in resources}
    seen = [r for r in stack if r.resource_type not in lr.ROUTING_TYPES or r.urn in checked]
    yield from _dropped(seen)
    for project in lr.stack_projects(seen):
        yield from _paths(seen, project, hot)


POLICY = stack_policy(META, applies_to=types(*lr.ROUTING_TYPES), check=check, config=CONFIG)
