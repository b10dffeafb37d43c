"""The edges of a snapshot's resource graph, inferred from the resources' inputs.

Two kinds of edge, both pointing from the resource whose inputs refer to the other one:

- **wiring** edges carry a label and are what an on-call reader follows (see :data:`LABELS`):
  which service account a Cloud Run service or job runs as, which secrets it reads, what an IAM
  member grants to whom, which monitors watch a service, which PagerDuty service they page,
  which escalation policy that service follows and which schedules the policy notifies, which
  Cloud Scheduler job triggers which Cloud Run job, where a log sink routes logs;
- **dependency** edges come from ``dependencies`` and ``propertyDependencies`` where no wiring
  edge already joins the same two resources.

Only names, ids and references are read from the inputs, never values: no input value ends up
in an edge (an IAM role name is shown only when it looks like ``roles/<name>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from preflight.graph.kinds import (
    CALLS,
    CLOUD_RUN_JOB,
    CLOUD_RUN_SERVICE,
    DD_DOWNTIME,
    DD_DOWNTIME_SCHEDULE,
    DD_MONITOR,
    DD_PAGERDUTY_SERVICE,
    DD_SYNTHETICS,
    DELIVERS_TO,
    ESCALATES_VIA,
    LOG_BUCKET,
    LOG_SINK,
    MUTES,
    NOTIFIES,
    ON,
    PAGES,
    PD_ESCALATION,
    PD_SCHEDULE,
    PD_SERVICE,
    READS,
    ROUTES_LOGS_TO,
    RUNNERS,
    RUNS_AS,
    SCHEDULER_JOB,
    SECRET,
    SECRET_IAM,
    SECRET_VERSION,
    SERVICE_ACCOUNT,
    STORAGE_BUCKET,
    TRIGGERS,
    VALUE_FROM,
    WATCHERS,
    WATCHES,
    is_node,
)

_SERVICE_TAG = re.compile(r"(?<![A-Za-z0-9_.-])service:([A-Za-z0-9_.\-/]+)")
_PAGERDUTY_HANDLE = re.compile(r"@pagerduty-([A-Za-z0-9_.\-]+)")
_ROLE = re.compile(r"^(?:(?:projects|organizations)/[^/]+/)?roles/([A-Za-z0-9_.]+)$")
_RUN_JOB_URI = re.compile(r"/jobs/([A-Za-z0-9_\-]+):run$")
_SECRET_NAME = re.compile(r"^\[secret(?::[0-9a-f]+)?\]$")


@dataclass(frozen=True, order=True)
class Edge:
    """A directed edge between two resources (URNs); ``label`` None is a plain dependency."""

    source: str
    target: str
    label: str | None = None


def _text(value: Any) -> str | None:
    """A plain string input, or None (secrets, unknowns and non-strings are never used)."""
    if not isinstance(value, str) or not value or _SECRET_NAME.match(value):
        return None
    return value


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _last_segment(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1]


def _walk(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (key path, value) pair of a nested input value; list items get the list's path."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield (*path, key), value[key]
            yield from _walk(value[key], (*path, key))
    elif isinstance(value, list):
        for item in value:
            if not isinstance(item, dict | list) and path:
                yield path, item
            yield from _walk(item, path)


def _put(index: dict[str, str], name: str | None, urn: str) -> None:
    """Index ``urn`` under the name an input gave it; an input that names nothing adds nothing."""
    if name:
        index[name] = urn


class _Index:
    """Look-ups from the names that inputs use to the URNs of the resources they name."""

    def __init__(self, resources: list[Mapping[str, Any]]) -> None:
        self.by_urn = {str(r["urn"]): r for r in resources}
        self.sa_by_email: dict[str, str] = {}
        self.secret_by_id: dict[str, str] = {}
        self.runner_by_name: dict[tuple[str, str], str] = {}
        self.runners_by_dd_service: dict[str, list[str]] = {}
        self.runners_by_label: dict[str, list[str]] = {}
        self.pd_service_by_name: dict[str, str] = {}
        self.dd_pd_object_by_name: dict[str, str] = {}
        self.sink_target_by_name: dict[str, str] = {}
        self.monitor_tags: dict[str, set[str]] = {}
        for r in resources:
            urn, token, inputs = str(r["urn"]), str(r["type"]), r.get("inputs") or {}
            if token == SERVICE_ACCOUNT:
                account = _text(inputs.get("accountId"))
                project = _text(inputs.get("project"))
                if account and project:
                    self.sa_by_email[f"{account}@{project}.iam.gserviceaccount.com"] = urn
            elif token == SECRET:
                _put(self.secret_by_id, _text(inputs.get("secretId")), urn)
            elif token in RUNNERS:
                name = _text(inputs.get("name"))
                if name:
                    self.runner_by_name[(token, name)] = urn
                for dd_service in _dd_services(inputs):
                    self.runners_by_dd_service.setdefault(dd_service, []).append(urn)
                labels = _mapping(inputs.get("labels"))
                for key in ("service", "component"):
                    value = _text(labels.get(key))
                    if value:
                        self.runners_by_label.setdefault(value, []).append(urn)
            elif token == DD_MONITOR:
                tags = inputs.get("tags")
                if isinstance(tags, list):
                    self.monitor_tags[urn] = {t for t in tags if isinstance(t, str)}
            elif token == PD_SERVICE:
                _put(self.pd_service_by_name, _text(inputs.get("name")), urn)
            elif token == DD_PAGERDUTY_SERVICE:
                _put(self.dd_pd_object_by_name, _text(inputs.get("serviceName")), urn)
            elif token == LOG_BUCKET:
                _put(self.sink_target_by_name, _text(inputs.get("bucketId")), urn)
            elif token == STORAGE_BUCKET:
                _put(self.sink_target_by_name, _text(inputs.get("name")), urn)

    def sa_for(self, value: Any) -> str | None:
        """The service account a value names: its e-mail or ``serviceAccount:<email>``."""
        text = _text(value)
        if text is None:
            return None
        return self.sa_by_email.get(text.removeprefix("serviceAccount:"))

    def secret_for(self, value: Any) -> str | None:
        """The secret a value names: its id or ``projects/<p>/secrets/<id>[/versions/<v>]``."""
        text = _text(value)
        if text is None:
            return None
        match = re.match(r"^projects/[^/]+/secrets/([^/]+)", text)
        return self.secret_by_id.get(match.group(1) if match else text)

    def watched(self, dd_service: str) -> list[str]:
        """Cloud Run services and jobs that a Datadog ``service:`` name refers to.

        ``DD_SERVICE`` env vars first; otherwise a ``service`` or ``component`` label.
        """
        return self.runners_by_dd_service.get(dd_service) or self.runners_by_label.get(
            dd_service, []
        )


def _dd_services(inputs: Mapping[str, Any]) -> list[str]:
    """The ``DD_SERVICE`` values of a Cloud Run service's or job's containers."""
    found = []
    for path, value in _walk(inputs):
        if path and path[-1] == "envs" and isinstance(value, list):
            for env in value:
                if isinstance(env, dict) and env.get("name") == "DD_SERVICE":
                    text = _text(env.get("value"))
                    if text:
                        found.append(text)
    return sorted(set(found))


def _role(value: Any) -> str | None:
    text = _text(value)
    match = _ROLE.match(text) if text else None
    return match.group(1) if match else None


def _is_iam_member(token: str) -> bool:
    return token.lower().endswith("iammember")


def _deps(resource: Mapping[str, Any], key: str) -> list[str]:
    value = (resource.get("propertyDependencies") or {}).get(key) or []
    return [str(u) for u in value]


def _wiring(resource: Mapping[str, Any], index: _Index) -> Iterator[Edge]:
    urn, token = str(resource["urn"]), str(resource["type"])
    inputs: Mapping[str, Any] = resource.get("inputs") or {}

    # Identity: any serviceAccount / serviceAccountEmail that names one of our accounts.
    for path, value in _walk(inputs):
        if path[-1] in ("serviceAccount", "serviceAccountEmail"):
            account = index.sa_for(value)
            if account:
                yield Edge(urn, account, RUNS_AS)

    if token in RUNNERS:
        for path, value in _walk(inputs):
            secret = None
            # env var: valueSource.secretKeyRef.secret; volume: secret.secret
            if path[-1] in ("secretKeyRef", "secret") and isinstance(value, dict):
                secret = index.secret_for(value.get("secret"))
            if secret:
                yield Edge(urn, secret, READS)

    if token in RUNNERS:
        for dep in _deps(resource, "template"):
            if dep != urn and index.by_urn.get(dep, {}).get("type") == CLOUD_RUN_SERVICE:
                yield Edge(urn, dep, CALLS)

    if token == SECRET_VERSION:
        for dep in _deps(resource, "secretData"):
            if dep in index.by_urn and is_node(index.by_urn[dep]):
                yield Edge(urn, dep, VALUE_FROM)

    if _is_iam_member(token):
        role = _role(inputs.get("role"))
        grant = f"grants {role} to" if role else "grants to"
        members = set(_deps(resource, "member"))
        account = index.sa_for(inputs.get("member"))
        if account:
            members.add(account)
        for member in sorted(members):
            if member in index.by_urn:
                yield Edge(urn, member, grant)
        targets = {
            dep
            for key, deps in (resource.get("propertyDependencies") or {}).items()
            if key not in ("member", "members", "condition")
            for dep in deps
        }
        if token == SECRET_IAM:
            secret = index.secret_for(inputs.get("secretId"))
            if secret:
                targets.add(secret)
        for target in sorted(targets):
            if target in index.by_urn and is_node(index.by_urn[target]):
                yield Edge(urn, target, ON)

    if token in WATCHERS:
        watched: set[str] = set()
        for _path, value in _walk(inputs):
            if isinstance(value, str):
                for name in _SERVICE_TAG.findall(value):
                    watched.update(index.watched(name))
        if token == DD_SYNTHETICS:  # a synthetic test calls the service's URL
            for deps in (resource.get("propertyDependencies") or {}).values():
                watched.update(
                    d for d in deps if index.by_urn.get(d, {}).get("type") == CLOUD_RUN_SERVICE
                )
        for runner in sorted(watched):
            yield Edge(urn, runner, WATCHES)

    if token in (DD_MONITOR, DD_SYNTHETICS):
        for path, value in _walk(inputs):
            if path[-1] in ("message", "escalationMessage") and isinstance(value, str):
                for handle in sorted(set(_PAGERDUTY_HANDLE.findall(value))):
                    target = index.pd_service_by_name.get(handle) or index.dd_pd_object_by_name.get(
                        handle
                    )
                    if target:
                        yield Edge(urn, target, PAGES)

    if token in (DD_DOWNTIME_SCHEDULE, DD_DOWNTIME):
        muted = {
            dep
            for deps in (resource.get("propertyDependencies") or {}).values()
            for dep in deps
            if index.by_urn.get(dep, {}).get("type") == DD_MONITOR
        }
        identifier = _mapping(inputs.get("monitorIdentifier"))
        wanted = identifier.get("monitorTags") or inputs.get("monitorTags")
        if isinstance(wanted, list) and wanted and all(isinstance(t, str) for t in wanted):
            muted.update(
                urn
                for urn, tags in index.monitor_tags.items()
                if set(wanted) <= tags and urn != resource["urn"]
            )
        for monitor in sorted(muted):
            yield Edge(urn, monitor, MUTES)

    if token == DD_PAGERDUTY_SERVICE:
        name = _text(inputs.get("serviceName"))
        target = index.pd_service_by_name.get(name) if name else None
        if target:
            yield Edge(urn, target, DELIVERS_TO)

    if token == PD_SERVICE:
        for dep in _deps(resource, "escalationPolicy"):
            if index.by_urn.get(dep, {}).get("type") == PD_ESCALATION:
                yield Edge(urn, dep, ESCALATES_VIA)

    if token == PD_ESCALATION:
        for dep in _deps(resource, "rules"):
            if index.by_urn.get(dep, {}).get("type") == PD_SCHEDULE:
                yield Edge(urn, dep, NOTIFIES)

    if token == SCHEDULER_JOB:
        target_urns = [
            dep
            for dep in _deps(resource, "httpTarget")
            if index.by_urn.get(dep, {}).get("type") == CLOUD_RUN_JOB
        ]
        http = _mapping(inputs.get("httpTarget"))
        uri = _text(http.get("uri"))
        match = _RUN_JOB_URI.search(uri) if uri else None
        if match and (CLOUD_RUN_JOB, match.group(1)) in index.runner_by_name:
            target_urns.append(index.runner_by_name[(CLOUD_RUN_JOB, match.group(1))])
        for target in sorted(set(target_urns)):
            yield Edge(urn, target, TRIGGERS)

    if token == LOG_SINK:
        targets = {
            dep
            for dep in _deps(resource, "destination")
            if index.by_urn.get(dep, {}).get("type") in (LOG_BUCKET, STORAGE_BUCKET)
        }
        destination = _text(inputs.get("destination"))
        if destination and _last_segment(destination) in index.sink_target_by_name:
            targets.add(index.sink_target_by_name[_last_segment(destination)])
        for target in sorted(targets):
            yield Edge(urn, target, ROUTES_LOGS_TO)


def edges(resources: list[Mapping[str, Any]]) -> list[Edge]:
    """Wiring and dependency edges between drawn resources, sorted, one per label and pair.

    A pair joined by a wiring edge gets no extra dependency edge.
    """
    index = _Index(resources)
    drawn = {str(r["urn"]) for r in resources if is_node(r)}
    wiring: set[Edge] = set()
    for resource in resources:
        if str(resource["urn"]) not in drawn:
            continue
        for edge in _wiring(resource, index):
            if edge.target in drawn and edge.target != edge.source:
                wiring.add(edge)
    wired = {(e.source, e.target) for e in wiring}
    plain: set[Edge] = set()
    for resource in resources:
        urn = str(resource["urn"])
        if urn not in drawn:
            continue
        targets = set(resource.get("dependencies") or [])
        for deps in (resource.get("propertyDependencies") or {}).values():
            targets.update(deps)
        for target in targets:
            if target in drawn and target != urn and (urn, target) not in wired:
                plain.add(Edge(urn, str(target)))
    return sorted(wiring | plain, key=lambda e: (e.source, e.target, e.label or ""))
