"""Diagrams from snapshots: wiring, levels, Mermaid/DOT/SVG validity, change diagrams, docs."""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import pytest

from preflight import graph
from preflight.cli import ROOT, UsageError
from preflight.graph import cli as graph_cli
from preflight.graph import renderers
from preflight.graph.kinds import kind
from preflight.graph.wiring import edges
from tests.support.resource_records import record

ORG, ENV, PROJECT = "acme", "dev", "acme-cp-dev"
SERVICES = ("agent", "frontend", "planner", "executor", "gateway", "indexer")
ALERTS = (
    ("mission-success-rate", "critical"),
    ("sse-heartbeat", "critical"),
    ("undo-failures", "critical"),
    ("telemetry-ingestion-stalled", "critical"),
    ("oauth-failure-rate", "high"),
    ("planner-retry-spikes", "high"),
    ("composio-rate-limit-warnings", "high"),
    ("library-reuse-drop", "informational"),
)
PD_NAME = f"{ORG}-{ENV}-oncall-service"
CANARY = "canary-plain-value-7f3a9c"
FINGERPRINT = "[secret:deadbeefcafef00d]"


# --- a hand-made snapshot of several hundred resources, shaped like the program's -------------


class Builder:
    """Registers resources the way the recording mock monitor does (URNs, deps, ordering)."""

    def __init__(self, stack: str = ENV) -> None:
        self.stack = stack
        self.resources: list[dict[str, Any]] = []
        self.root = self._add("pulumi:pulumi:Stack", f"controlplane-{stack}", None, False, {}, {})

    def _urn(self, type_: str, name: str, parent: str | None) -> str:
        qualified = type_
        if parent and parent != getattr(self, "root", None):
            qualified = f"{parent.split('::')[2]}${type_}"
        return f"urn:pulumi:{self.stack}::controlplane::{qualified}::{name}"

    def _add(self, type_, name, parent, custom, inputs, pdeps, extra=()) -> str:
        urn = self._urn(type_, name, parent)
        deps = sorted({u for us in pdeps.values() for u in us} | set(extra))
        self.resources.append(
            record(
                urn,
                type_,
                name,
                custom=custom,
                parent=parent,
                inputs=inputs,
                dependencies=deps,
                property_dependencies={k: sorted(v) for k, v in sorted(pdeps.items()) if v},
            )
        )
        return urn

    def component(self, type_: str, name: str, parent: str | None = None) -> str:
        return self._add(type_, name, parent or self.root, False, {}, {})

    def resource(self, type_, name, parent, inputs, pdeps=None, depends_on=()) -> str:
        return self._add(type_, name, parent or self.root, True, inputs, pdeps or {}, depends_on)

    def per_api(self, type_: str, prefix: str, parent: str | None, apis: Sequence[str]) -> None:
        """One project-level resource of ``type_`` per Google API, named ``<prefix>-<api>``."""
        for api in apis:
            self.resource(
                type_,
                f"{prefix}-{api}",
                parent,
                {"project": PROJECT, "service": f"{api}.googleapis.com"},
            )

    def snapshot(self) -> dict[str, Any]:
        resources = sorted(
            self.resources, key=lambda r: (r["type"] != "pulumi:pulumi:Stack", r["urn"])
        )
        return {"project": "controlplane", "stack": self.stack, "resources": resources}


def labels(component: str, **extra: str) -> dict[str, str]:
    return {
        "component": component,
        "data-class": "synthetic",
        "environment": ENV,
        "managed-by": "pulumi",
        **extra,
    }


def sa_email(account: str) -> str:
    return f"{account}@{PROJECT}.iam.gserviceaccount.com"


def build_big() -> dict[str, Any]:
    b = Builder()
    n = f"{ORG}-{ENV}"
    # Project APIs outside any component.
    b.per_api(
        "gcp:projects/service:Service", f"{n}-api", None, ("run", "secretmanager", "cloudscheduler")
    )
    # Access list: 6 groups x 5 roles.
    access = b.component("controlplane:access:EnvironmentAccess", f"{n}-access")
    for group in ("eng", "qa", "ops", "sre", "sec", "data"):
        for role in (
            "viewer",
            "logging.viewer",
            "run.viewer",
            "monitoring.viewer",
            "iam.roleViewer",
        ):
            b.resource(
                "gcp:projects/iAMMember:IAMMember",
                f"{n}-access-{role.replace('.', '-').lower()}-{group}",
                access,
                {
                    "member": f"group:cp-{group}@example.com",
                    "project": PROJECT,
                    "role": f"roles/{role}",
                },
            )
    # Supabase settings and keys through dynamic providers.
    supabase = b.component("controlplane:supabase:SupabaseProject", f"{n}-supabase")
    b.resource(
        "pulumi-python:dynamic:Resource",
        f"{n}-supabase-settings",
        supabase,
        {"__provider": "[secret]", "projectRef": "abcdefghijklmnop"},
    )
    keys = b.resource(
        "pulumi-python:dynamic/supabase:SupabaseProjectKeys",
        f"{n}-supabase-keys",
        supabase,
        {"__provider": "[secret]", "projectRef": "abcdefghijklmnop"},
    )
    # Secret vault: 40 secrets, readers among the services and the maintenance jobs.
    vault = b.component("controlplane:runtime:SecretVault", f"{n}-vault")
    identity = b.resource(
        "gcp:projects/serviceIdentity:ServiceIdentity",
        f"{n}-vault-agent",
        vault,
        {"project": PROJECT, "service": "secretmanager.googleapis.com"},
    )
    topic = b.resource(
        "gcp:pubsub/topic:Topic",
        f"{n}-vault-rotation",
        vault,
        {"name": f"{n}-vault-rotation", "project": PROJECT, "labels": labels("vault")},
    )
    publisher = b.resource(
        "gcp:pubsub/topicIAMMember:TopicIAMMember",
        f"{n}-vault-rotation-publisher",
        vault,
        {
            "member": "serviceAccount:service-1@gcp-sa-secretmanager.iam.gserviceaccount.com",
            "project": PROJECT,
            "role": "roles/pubsub.publisher",
            "topic": f"{n}-vault-rotation",
        },
        {"topic": [topic]},
        depends_on=[identity],
    )
    readers = (*SERVICES, "maintenance")
    secrets: dict[str, str] = {}
    reads: dict[str, list[str]] = {r: [] for r in readers}
    for i in range(40):
        name = f"secret-{i:02d}"
        secret_id = f"{n}-vault-{name}"
        secrets[name] = b.resource(
            "gcp:secretmanager/secret:Secret",
            secret_id,
            vault,
            {
                "secretId": secret_id,
                "project": PROJECT,
                "labels": labels("vault", secret=name),
                "topics": [{"name": f"projects/{PROJECT}/topics/{n}-vault-rotation"}],
            },
            {"topics": [topic]},
            depends_on=[publisher],
        )
        if i < 30:
            b.resource(
                "gcp:secretmanager/secretVersion:SecretVersion",
                f"{secret_id}-version",
                vault,
                {"secret": f"projects/1/secrets/{secret_id}", "secretData": FINGERPRINT},
                {"secret": [secrets[name]], "secretData": [keys] if i < 2 else []},
            )
        for reader in (readers[i % 7], readers[(i * 3 + 1) % 7]):
            if name not in reads[reader]:
                reads[reader].append(name)
    # Services: service account, Cloud Run service, invoker grants.
    accounts: dict[str, str] = {}
    services: dict[str, str] = {}
    grants: dict[str, list[str]] = {}
    for reader in readers:
        owner = (
            b.component("controlplane:runtime:MaintenanceJobs", f"{n}-maint")
            if reader == "maintenance"
            else b.component("controlplane:runtime:AgentService", f"{n}-{reader}")
        )
        prefix = f"{n}-maint" if reader == "maintenance" else f"{n}-{reader}"
        account_id = f"{prefix}-sa"
        accounts[reader] = b.resource(
            "gcp:serviceaccount/account:Account",
            f"{prefix}-sa",
            owner,
            {"accountId": account_id, "project": PROJECT, "displayName": f"Runs {reader}"},
        )
        grants[reader] = [
            b.resource(
                "gcp:secretmanager/secretIamMember:SecretIamMember",
                f"{n}-vault-{secret}-{reader}",
                vault,
                {
                    "member": f"serviceAccount:{sa_email(account_id)}",
                    "project": PROJECT,
                    "role": "roles/secretmanager.secretAccessor",
                    "secretId": f"{n}-vault-{secret}",
                },
                {"member": [accounts[reader]], "secretId": [secrets[secret]]},
            )
            for secret in reads[reader]
        ]
        env: list[dict[str, Any]] = [
            {"name": "DD_ENV", "value": ENV},
            {"name": "DD_SERVICE", "value": reader},
        ]
        if reader == "agent":
            env.append({"name": "CANARY_PLAIN", "value": CANARY})
        env += [
            {
                "name": secret.upper().replace("-", "_"),
                "valueSource": {
                    "secretKeyRef": {"secret": f"{n}-vault-{secret}", "version": "latest"}
                },
            }
            for secret in reads[reader]
        ]
        if reader == "maintenance":
            for job in ("telemetry-vacuum", "library-reembedding", "composio-sync", "backup"):
                job_urn = b.resource(
                    "gcp:cloudrunv2/job:Job",
                    f"{prefix}-{job}",
                    owner,
                    {
                        "name": f"{prefix}-{job}",
                        "project": PROJECT,
                        "location": "europe-west1",
                        "labels": labels("maint", job=job),
                        "template": {
                            "taskCount": 1,
                            "template": {
                                "serviceAccount": sa_email(account_id),
                                "containers": [{"name": job, "envs": env}],
                            },
                        },
                    },
                    {"template": [accounts[reader], *(secrets[s] for s in reads[reader])]},
                    depends_on=grants[reader],
                )
                invoker = b.resource(
                    "gcp:cloudrunv2/jobIamMember:JobIamMember",
                    f"{prefix}-{job}-invoker",
                    owner,
                    {
                        "member": f"serviceAccount:{sa_email(account_id)}",
                        "name": f"{prefix}-{job}",
                        "role": "roles/run.invoker",
                    },
                    {"member": [accounts[reader]], "name": [job_urn]},
                )
                b.resource(
                    "gcp:cloudscheduler/job:Job",
                    f"{prefix}-{job}-schedule",
                    owner,
                    {
                        "name": f"{prefix}-{job}",
                        "schedule": "0 4 * * 1",
                        "httpTarget": {
                            "httpMethod": "POST",
                            "oauthToken": {"serviceAccountEmail": sa_email(account_id)},
                            "uri": "https://run.googleapis.com/v2/projects/"
                            f"{PROJECT}/locations/europe-west1/jobs/{prefix}-{job}:run",
                        },
                    },
                    {"httpTarget": [job_urn, accounts[reader]]},
                    depends_on=[invoker],
                )
            continue
        services[reader] = b.resource(
            "gcp:cloudrunv2/service:Service",
            f"{prefix}-service",
            owner,
            {
                "name": prefix,
                "project": PROJECT,
                "location": "europe-west1",
                "labels": labels(reader),
                "template": {
                    "serviceAccount": sa_email(account_id),
                    "labels": labels(reader),
                    "containers": [{"name": reader, "image": f"img/{reader}:1", "envs": env}],
                },
            },
            {
                "template": [
                    accounts[reader],
                    *(secrets[s] for s in reads[reader]),
                    *([services["agent"]] if reader == "frontend" else []),
                ]
            },
            depends_on=grants[reader],
        )
        b.resource(
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            f"{prefix}-run-invoker-allusers" if reader == "frontend" else f"{prefix}-invoker-gw",
            owner,
            {
                "member": "allUsers" if reader == "frontend" else "group:gw@example.com",
                "name": prefix,
                "role": "roles/run.invoker",
            },
            {"name": [services[reader]]},
        )
    # Log retention: hot log bucket, archive bucket, sinks, audit configs.
    logs = b.component("controlplane:runtime:LogRetention", f"{n}-logs")
    hot = b.resource(
        "gcp:logging/projectBucketConfig:ProjectBucketConfig",
        f"{n}-logs-hot",
        logs,
        {"bucketId": f"{n}-logs-hot", "location": "global", "retentionDays": 30},
    )
    b.resource(
        "gcp:logging/projectSink:ProjectSink",
        f"{n}-logs-hot-sink",
        logs,
        {
            "name": f"{n}-logs-hot",
            "destination": "logging.googleapis.com/projects/"
            f"{PROJECT}/locations/global/buckets/{n}-logs-hot",
        },
        depends_on=[hot],
    )
    archive = b.resource(
        "gcp:storage/bucket:Bucket",
        f"{n}-logs-archive",
        logs,
        {"name": f"{n}-logs-archive", "location": "EU", "labels": labels("logs")},
    )
    sink = b.resource(
        "gcp:logging/projectSink:ProjectSink",
        f"{n}-logs-archive-sink",
        logs,
        {"name": f"{n}-logs-archive", "destination": f"storage.googleapis.com/{n}-logs-archive"},
        {"destination": [archive]},
    )
    b.resource(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        f"{n}-logs-archive-writer",
        logs,
        {
            "bucket": f"{n}-logs-archive",
            "member": "serviceAccount:service-1@gcp-sa-logging.iam.gserviceaccount.com",
            "role": "roles/storage.objectCreator",
        },
        {"bucket": [archive], "member": [sink]},
    )
    b.per_api(
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        f"{n}-logs-audit",
        logs,
        ("run", "secretmanager", "storage", "pubsub", "cloudkms", "cloudscheduler"),
    )
    # Observability (a component of components): on-call, monitors, SLOs, synthetics, downtime.
    obs = b.component("controlplane:observability:Observability", f"{n}-obs")
    oncall = b.component("controlplane:oncall:OnCall", f"{n}-oncall", obs)
    schedules = [
        b.resource(
            "pagerduty:index/schedule:Schedule",
            f"{n}-oncall-{role}",
            oncall,
            {"name": f"{n}-oncall-{role}", "timeZone": "Etc/UTC"},
        )
        for role in ("primary", "secondary", "incident-commander")
    ]
    policy = b.resource(
        "pagerduty:index/escalationPolicy:EscalationPolicy",
        f"{n}-oncall-escalation",
        oncall,
        {
            "name": f"{n}-oncall-escalation",
            "numLoops": 2,
            "rules": [
                {"escalationDelayInMinutes": 15, "targets": [{"id": f"P{i}", "type": "x"}]}
                for i in range(3)
            ],
        },
        {"rules": schedules},
    )
    pd_service = b.resource(
        "pagerduty:index/service:Service",
        f"{n}-oncall-service",
        oncall,
        {"name": PD_NAME, "escalationPolicy": "PE9E70D"},
        {"escalationPolicy": [policy]},
    )
    integration = b.resource(
        "pagerduty:index/serviceIntegration:ServiceIntegration",
        f"{n}-oncall-datadog",
        oncall,
        {"name": "Datadog", "service": "P71A1FE", "vendor": "PVENDOR"},
        {"service": [pd_service]},
    )
    b.resource(
        "datadog:pagerduty/serviceObject:ServiceObject",
        f"{n}-oncall-datadog-service",
        oncall,
        {"serviceName": PD_NAME, "serviceKey": "[secret]"},
        {"serviceKey": [integration]},
    )
    b.resource(
        "pagerduty:index/eventOrchestrationService:EventOrchestrationService",
        f"{n}-oncall-urgency",
        oncall,
        {"service": "P71A1FE", "enableEventOrchestrationForService": True},
        {"service": [pd_service]},
    )
    monitoring = b.component("controlplane:observability:Monitoring", f"{n}-monitoring", obs)
    monitors: dict[str, list[str]] = {}
    for service in SERVICES:
        for alert, severity in ALERTS:
            notify = "@slack-cp-alerts" if severity == "informational" else f"@pagerduty-{PD_NAME}"
            monitors.setdefault(service, []).append(
                b.resource(
                    "datadog:index/monitor:Monitor",
                    f"{n}-monitoring-{service}-{alert}",
                    monitoring,
                    {
                        "name": f"[{severity}] {alert} ({ENV})",
                        "type": "query alert",
                        "query": f"avg(last_5m):avg:{alert}{{env:{ENV},service:{service}}} < 0.97",
                        "message": f"{alert} fired.\n\nNotify: {notify}",
                        "monitorThresholds": {"critical": "0.97"},
                        "tags": [f"env:{ENV}", "managed-by:pulumi", f"service:{service}"],
                    },
                )
            )
    slos = b.component("controlplane:observability:Slos", f"{n}-slos", obs)
    for service in SERVICES:
        for slo in ("success", "heartbeat", "latency"):
            b.resource(
                "datadog:index/serviceLevelObjective:ServiceLevelObjective",
                f"{n}-slos-{service}-{slo}",
                slos,
                {
                    "name": f"{slo} ({ENV})",
                    "type": "monitor",
                    "monitorIds": [1, 2],
                    "tags": [f"env:{ENV}", f"service:{service}"],
                },
                {"monitorIds": monitors[service][:2]},
            )
    synthetics = b.component("controlplane:observability:Synthetics", f"{n}-synthetics", obs)
    for check in ("sse", "composio"):
        b.resource(
            "datadog:index/syntheticsTest:SyntheticsTest",
            f"{n}-synthetics-{check}",
            synthetics,
            {
                "name": f"[critical] {check} check ({ENV})",
                "requestDefinition": {"method": "GET", "url": f"https://agent.run.app/{check}"},
                "message": f"{check} failing. @pagerduty-{PD_NAME}",
                "tags": [f"env:{ENV}"],
            },
            {"requestDefinition": [services["agent"]]},
        )
    windows = b.component("controlplane:observability:MaintenanceWindows", f"{n}-window", obs)
    b.resource(
        "datadog:index/downtimeSchedule:DowntimeSchedule",
        f"{n}-window-weekly",
        windows,
        {"scope": f"env:{ENV}", "monitorIdentifier": {"monitorTags": [f"env:{ENV}"]}},
    )
    return b.snapshot()


@pytest.fixture(scope="module")
def big() -> dict[str, Any]:
    return build_big()


def urn_of(snapshot: dict[str, Any], name: str) -> str:
    [urn] = [r["urn"] for r in snapshot["resources"] if r["name"] == name]
    return urn


# --- a structural Mermaid checker -----------------------------------------------------------

_ID = r"[A-Za-z][A-Za-z0-9_]*"
_LABEL = r'"[^"<>]*(?:<br/>[^"<>]*)*"'
_NODE = re.compile(rf"^\s*({_ID})\[({_LABEL})\]$")
_SUBGRAPH = re.compile(rf"^\s*subgraph ({_ID})\[({_LABEL})\]$")
_EDGE = re.compile(rf"^\s*({_ID}) (-->|-\.->)(?:\|({_LABEL})\|)? ({_ID})$")
_CLASSDEF = re.compile(rf"^\s*classDef ({_ID}) ((?:[a-z-]+:[^,;\s]+(?: [^,;\s]+)*,?)+)$")
_CLASS = re.compile(rf"^\s*class ({_ID}(?:,{_ID})*) ({_ID})$")
RESERVED = {"end", "graph", "subgraph", "flowchart", "class", "classDef", "style", "click"}


def check_mermaid(text: str) -> dict[str, Any]:
    """Parse our Mermaid subset; fail on anything else. Returns nodes, groups, edges, classes."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR", lines[0]
    nodes: dict[str, str] = {}
    groups: dict[str, str] = {}
    edges_: list[tuple[str, str, str, str | None]] = []
    classdefs: dict[str, str] = {}
    classes: dict[str, str] = {}
    depth = 0
    comments = []
    for line in lines[1:]:
        if line.lstrip().startswith("%% "):
            comments.append(line.strip())
        elif m := _SUBGRAPH.match(line):
            assert m.group(1) not in groups and m.group(1) not in nodes, line
            groups[m.group(1)] = m.group(2)
            depth += 1
        elif line.strip() == "end":
            depth -= 1
            assert depth >= 0, "end without subgraph"
        elif m := _NODE.match(line):
            assert m.group(1) not in nodes and m.group(1) not in groups, f"duplicate {line}"
            nodes[m.group(1)] = m.group(2)
        elif m := _EDGE.match(line):
            edges_.append((m.group(1), m.group(2), m.group(4), m.group(3)))
        elif m := _CLASSDEF.match(line):
            classdefs[m.group(1)] = m.group(2)
        elif m := _CLASS.match(line):
            for node in m.group(1).split(","):
                assert node not in classes, f"{node} classed twice"
                classes[node] = m.group(2)
        else:
            raise AssertionError(f"not valid in our Mermaid subset: {line!r}")
    assert depth == 0, "unbalanced subgraph/end"
    for source, _arrow, target, _label in edges_:
        assert source in nodes, f"edge from undeclared {source}"
        assert target in nodes, f"edge to undeclared {target}"
    for node, cls in classes.items():
        assert node in nodes, f"class on undeclared {node}"
        assert cls in classdefs, f"class {cls} without classDef"
    assert set(classes) == set(nodes), "every node has a class"
    assert not ({i.lower() for i in nodes} | {g.lower() for g in groups}) & RESERVED
    assert len(edges_) <= graph.MERMAID_MAX_EDGES, "Mermaid refuses more edges"
    return {
        "comments": comments,
        "nodes": nodes,
        "groups": groups,
        "edges": edges_,
        "classdefs": classdefs,
        "classes": classes,
    }


def fenced(text: str) -> str:
    assert text.startswith("```mermaid\n") and text.endswith("```\n"), text[:40]
    return text[len("```mermaid\n") : -len("```\n")]


# --- wiring -----------------------------------------------------------------------------------


def wired(snapshot: dict[str, Any], label: str) -> set[tuple[str, str]]:
    names = {r["urn"]: r["name"] for r in snapshot["resources"]}
    return {
        (names[e.source], names[e.target]) for e in edges(snapshot["resources"]) if e.label == label
    }


def test_the_fixture_has_several_hundred_resources(big) -> None:
    custom = [r for r in big["resources"] if r["custom"]]
    assert len(custom) >= 300, len(custom)


def test_services_and_jobs_run_as_their_service_accounts(big) -> None:
    runs = wired(big, "runs as")
    assert ("acme-dev-agent-service", "acme-dev-agent-sa") in runs
    assert ("acme-dev-maint-backup", "acme-dev-maint-sa") in runs
    # the scheduler's OAuth token is an identity too
    assert ("acme-dev-maint-backup-schedule", "acme-dev-maint-sa") in runs
    assert not {(s, t) for s, t in runs if t == "acme-dev-agent-sa" and "frontend" in s}


def test_services_read_exactly_the_secrets_bound_by_reference(big) -> None:
    agent = next(r for r in big["resources"] if r["name"] == "acme-dev-agent-service")
    expected = {
        env["valueSource"]["secretKeyRef"]["secret"]
        for env in agent["inputs"]["template"]["containers"][0]["envs"]
        if "valueSource" in env
    }
    read = {t for s, t in wired(big, "reads") if s == "acme-dev-agent-service"}
    assert read == expected
    assert len(read) >= 5


def test_secret_accessor_grants_point_at_the_secret_and_the_account(big) -> None:
    grant = "acme-dev-vault-secret-00-agent"
    assert (grant, "acme-dev-vault-secret-00") in wired(big, "on")
    assert (grant, "acme-dev-agent-sa") in wired(big, "grants secretmanager.secretAccessor to")
    assert ("acme-dev-logs-archive-writer", "acme-dev-logs-archive-sink") in wired(
        big, "grants storage.objectCreator to"
    )


def test_monitors_watch_the_service_and_page_the_pagerduty_service(big) -> None:
    watches = wired(big, "watches")
    pages = wired(big, "pages")
    monitor = "acme-dev-monitoring-planner-sse-heartbeat"
    assert (monitor, "acme-dev-planner-service") in watches
    assert {t for s, t in watches if s == monitor} == {"acme-dev-planner-service"}
    assert (monitor, "acme-dev-oncall-service") in pages
    informational = "acme-dev-monitoring-planner-library-reuse-drop"
    assert not {t for s, t in pages if s == informational}
    assert ("acme-dev-synthetics-sse", "acme-dev-agent-service") in watches
    assert ("acme-dev-slos-gateway-latency", "acme-dev-gateway-service") in watches


def test_the_paging_chain_is_followed_to_the_schedules(big) -> None:
    assert wired(big, "escalates via") == {
        ("acme-dev-oncall-service", "acme-dev-oncall-escalation")
    }
    assert wired(big, "notifies") == {
        ("acme-dev-oncall-escalation", f"acme-dev-oncall-{role}")
        for role in ("primary", "secondary", "incident-commander")
    }
    assert wired(big, "delivers to") == {
        ("acme-dev-oncall-datadog-service", "acme-dev-oncall-service")
    }


def test_schedulers_sinks_and_downtimes(big) -> None:
    assert ("acme-dev-maint-composio-sync-schedule", "acme-dev-maint-composio-sync") in wired(
        big, "triggers"
    )
    assert wired(big, "routes logs to") == {
        ("acme-dev-logs-hot-sink", "acme-dev-logs-hot"),
        ("acme-dev-logs-archive-sink", "acme-dev-logs-archive"),
    }
    muted = {t for s, t in wired(big, "mutes") if s == "acme-dev-window-weekly"}
    assert len(muted) == len(SERVICES) * len(ALERTS)


def test_service_urls_and_secret_values_from_other_resources(big) -> None:
    assert wired(big, "calls") == {("acme-dev-frontend-service", "acme-dev-agent-service")}
    assert wired(big, "value from") == {
        (f"acme-dev-vault-secret-0{i}-version", "acme-dev-supabase-keys") for i in (0, 1)
    }


def test_a_monitor_of_an_unknown_service_watches_nothing(big) -> None:
    snapshot = copy.deepcopy(big)
    monitor = next(
        r for r in snapshot["resources"] if r["name"] == "acme-dev-monitoring-agent-sse-heartbeat"
    )
    monitor["inputs"]["tags"] = ["service:nope"]
    monitor["inputs"]["query"] = "avg(last_5m):avg:x{service:nope} > 1"
    assert not {t for s, t in wired(snapshot, "watches") if s == monitor["name"]}


def test_wiring_edges_replace_dependency_edges_for_the_same_pair(big) -> None:
    pairs: dict[tuple[str, str], list[str | None]] = {}
    for e in edges(big["resources"]):
        pairs.setdefault((e.source, e.target), []).append(e.label)
    assert all(None not in found or found == [None] for found in pairs.values())
    agent_sa = urn_of(big, "acme-dev-agent-sa")
    service = urn_of(big, "acme-dev-agent-service")
    assert pairs[(service, agent_sa)] == ["runs as"]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("gcp:cloudrunv2/service:Service", "gcp.cloudrunv2.Service"),
        ("datadog:index/monitor:Monitor", "datadog.Monitor"),
        ("datadog:pagerduty/serviceObject:ServiceObject", "datadog.pagerduty.ServiceObject"),
        ("pagerduty:index/service:Service", "pagerduty.Service"),
        ("controlplane:runtime:AgentService", "AgentService"),
        ("pulumi-python:dynamic:Resource", "dynamic.Resource"),
        ("pulumi-python:dynamic/supabase:SupabaseProjectKeys", "dynamic.SupabaseProjectKeys"),
    ],
)
def test_kinds(token: str, expected: str) -> None:
    assert kind(token) == expected


# --- levels and filters -----------------------------------------------------------------------


def test_component_level_stays_under_60_nodes_on_several_hundred_resources(big) -> None:
    parsed = check_mermaid(graph.render(big, "mermaid", "components"))
    resources = check_mermaid(graph.render(big, "mermaid", "resources"))
    assert len(resources["nodes"]) >= 300
    assert len(parsed["nodes"]) < 60
    # every component with resources is a node; nested components sit in their parent's group
    assert parsed["nodes"]["c_acme_dev_monitoring"] == (
        '"Monitoring<br/>acme-dev-monitoring<br/>48 resources"'
    )
    assert parsed["groups"]["g_acme_dev_obs"] == '"Observability: acme-dev-obs"'
    assert ("c_acme_dev_monitoring", "-->", "c_acme_dev_oncall", '"pages"') in parsed["edges"]
    assert "c_acme_dev_obs" not in parsed["nodes"]  # no resources of its own: only a group
    assert parsed["nodes"]["c_kind_gcp_projects_Service"] == (
        '"gcp.projects.Service<br/>outside components<br/>3 resources"'
    )


def test_component_level_folds_a_stack_of_many_components_under_60_nodes() -> None:
    b = Builder()
    for i in range(75):
        owner = b.component("controlplane:runtime:AgentService", f"acme-dev-svc{i:02d}")
        account = b.resource(
            "gcp:serviceaccount/account:Account",
            f"acme-dev-svc{i:02d}-sa",
            owner,
            {"accountId": f"acme-dev-svc{i:02d}-sa", "project": PROJECT},
        )
        for j in range(3):
            b.resource(
                "gcp:cloudrunv2/service:Service",
                f"acme-dev-svc{i:02d}-r{j}",
                owner,
                {
                    "name": f"svc{i}-{j}",
                    "template": {"serviceAccount": sa_email(f"acme-dev-svc{i:02d}-sa")},
                },
                {"template": [account]},
            )
    snapshot = b.snapshot()
    assert sum(1 for r in snapshot["resources"] if r["custom"]) == 300
    parsed = check_mermaid(graph.render(snapshot, "mermaid", "components"))
    assert len(parsed["nodes"]) < 60
    assert parsed["nodes"] == {
        "c_type_controlplane_runtime_AgentService": (
            '"AgentService components<br/>folded by type<br/>300 resources"'
        )
    }


def resource_total(parsed: dict[str, Any]) -> int:
    total = 0
    for label in parsed["nodes"].values():
        m = re.search(r"<br/>(\d+) resources?\"$", label)
        assert m, label
        total += int(m.group(1))
    return total


def test_component_level_folds_until_it_fits(big) -> None:
    custom = sum(1 for r in big["resources"] if r["custom"])
    unfolded = check_mermaid(graph.to_mermaid(graph.component_diagram(big)))
    assert resource_total(unfolded) == custom
    for budget in (12, 9, 4, 2):
        folded = check_mermaid(graph.to_mermaid(graph.component_diagram(big, max_nodes=budget)))
        assert len(folded["nodes"]) <= budget, (budget, sorted(folded["nodes"]))
        assert resource_total(folded) == custom
    # 17 nodes unfolded; at 13 the observability sub-components fold into their parent
    assert len(unfolded["nodes"]) == 17
    folded = check_mermaid(graph.to_mermaid(graph.component_diagram(big, max_nodes=13)))
    assert len(folded["nodes"]) == 13
    assert folded["nodes"]["c_acme_dev_obs"] == (
        '"Observability<br/>acme-dev-obs<br/>' + f'{48 + 18 + 2 + 1 + 8} resources"'
    )
    assert not folded["groups"]
    # at 12, top-level components fold by type
    folded = check_mermaid(graph.to_mermaid(graph.component_diagram(big, max_nodes=12)))
    assert folded["nodes"]["c_type_controlplane_runtime_AgentService"] == (
        '"AgentService components<br/>folded by type<br/>18 resources"'
    )


def test_resource_level_keeps_within_mermaid_limits_and_says_so(big) -> None:
    diagram = graph.resource_diagram(big)
    wiring_links = [link for link in diagram.links if link.label]
    assert len(diagram.links) > graph.MERMAID_MAX_EDGES > len(wiring_links)
    parsed = check_mermaid(graph.to_mermaid(diagram))
    assert len(parsed["edges"]) == graph.MERMAID_MAX_EDGES
    assert sum(1 for e in parsed["edges"] if e[3]) == len(wiring_links)  # wiring kept
    size = len(graph.to_mermaid(diagram)) - len(parsed["comments"][0]) - 3
    assert parsed["comments"] == [
        f"%% {size} characters: over Mermaid's default limit of 50000; draw less with "
        "--component or --level components, or use --format svg",
        f"%% 500 of {len(diagram.links)} edges drawn (Mermaid draws at most 500); --format dot "
        "or svg draws them all",
    ]
    small = graph.render(big, "mermaid", "resources", "acme-dev-oncall")
    assert not check_mermaid(small)["comments"]


def test_filter_by_component_keeps_it_and_its_neighbours(big) -> None:
    parsed = check_mermaid(graph.render(big, "mermaid", "resources", "acme-dev-oncall"))
    classes = parsed["classes"]
    assert classes["r_acme_dev_oncall_service"] == "pagerduty"
    assert classes["r_acme_dev_monitoring_agent_sse_heartbeat"] == "external"
    assert "r_acme_dev_agent_service" not in parsed["nodes"]  # two hops away
    assert (
        parsed["nodes"]["r_acme_dev_oncall_escalation"]
        == '"pagerduty.EscalationPolicy<br/>escalation"'
    )
    by_kind = check_mermaid(graph.render(big, "mermaid", "resources", "AgentService"))
    assert {f"r_acme_dev_{s}_service" for s in SERVICES} <= set(by_kind["nodes"])


def test_filter_at_component_level(big) -> None:
    parsed = check_mermaid(graph.render(big, "mermaid", "components", "acme-dev-monitoring"))
    assert parsed["classes"]["c_acme_dev_monitoring"] == "component"
    assert parsed["classes"]["c_acme_dev_oncall"] == "external"
    assert "c_acme_dev_logs" not in parsed["nodes"]


def test_filter_on_a_component_of_components(big) -> None:
    parsed = check_mermaid(graph.render(big, "mermaid", "components", "Observability"))
    assert "c_acme_dev_obs" not in parsed["nodes"]
    assert parsed["groups"] == {"g_acme_dev_obs": '"Observability: acme-dev-obs"'}
    assert parsed["classes"]["c_acme_dev_slos"] == "component"
    assert parsed["classes"]["c_acme_dev_agent"] == "external"
    resources = check_mermaid(graph.render(big, "mermaid", "resources", "Observability"))
    assert resources["classes"]["r_acme_dev_oncall_primary"] == "pagerduty"


def test_unknown_component_is_a_usage_error(big) -> None:
    with pytest.raises(UsageError) as err:
        graph.render(big, "mermaid", "resources", "nope")
    message = str(err.value)
    assert message.startswith(
        "no component 'nope' in stack dev: pass a component name or kind (components: "
        "acme-dev-access, acme-dev-agent, "
    )
    assert "\n" not in message


# --- Mermaid details --------------------------------------------------------------------------


def test_labels_are_escaped_and_ids_sanitised(big) -> None:
    snapshot = copy.deepcopy(big)
    weird = 'we"ird <b>#1</b> | end & `x`'
    for r in snapshot["resources"]:
        if r["name"] == "acme-dev-vault-agent":
            r["name"] = weird
    text = graph.render(snapshot, "mermaid", "resources")
    parsed = check_mermaid(text)
    [node] = [i for i, label in parsed["nodes"].items() if "ird" in label]
    assert node == "r_we_ird_b_1_b_end_x"
    assert parsed["nodes"][node] == (
        '"gcp.projects.ServiceIdentity<br/>we#quot;ird #lt;b#gt;#35;1#lt;/b#gt; #124; end '
        '#amp; #96;x#96;"'
    )


def test_clashing_names_get_distinct_ids() -> None:
    ids = graph.unique_ids(
        ["urn:a::x-y", "urn:b::x_y", "urn:c::z"], "r", lambda u: u.split("::")[1]
    )
    assert ids["urn:c::z"] == "r_z"
    assert ids["urn:a::x-y"] != ids["urn:b::x_y"]
    assert ids["urn:a::x-y"].startswith("r_x_y_") and ids["urn:b::x_y"].startswith("r_x_y_")
    reordered = ["urn:c::z", "urn:b::x_y", "urn:a::x-y"]
    assert graph.unique_ids(reordered, "r", lambda u: u.split("::")[1]) == ids


def test_output_is_deterministic(big) -> None:
    shuffled = copy.deepcopy(big)
    random.Random(7).shuffle(shuffled["resources"])
    for fmt in ("mermaid", "dot"):
        for level in graph.LEVELS:
            assert graph.render(big, fmt, level) == graph.render(shuffled, fmt, level)


def test_no_input_value_reaches_any_picture(big) -> None:
    changes = {r["urn"]: "update" for r in big["resources"] if r["custom"]}
    outputs = [
        graph.render(big, "mermaid", "resources"),
        graph.render(big, "dot", "resources"),
        graph.render(big, "mermaid", "components"),
        graph.change_diagram(big, big, changes, budget=200_000, max_nodes=1000),
    ]
    for text in outputs:
        assert CANARY not in text
        assert "deadbeef" not in text
        assert "[secret" not in text
        assert "abcdefghijklmnop" not in text


# --- DOT and SVG ------------------------------------------------------------------------------


def test_dot_has_clusters_and_escaped_strings(big) -> None:
    text = graph.render(big, "dot", "resources", "acme-dev-oncall")
    assert text.startswith('digraph "dev: resources of acme-dev-oncall" {\n')
    assert 'subgraph "cluster_g_acme_dev_oncall" {' in text
    assert (
        '"r_acme_dev_oncall_service" -> "r_acme_dev_oncall_escalation" [label="escalates via"];'
        in text
    )
    assert text.count("{") == text.count("}")
    assert graph.dot_text('a "b" \\ c\nd') == 'a \\"b\\" \\\\ c d'


def test_svg_is_rendered_by_graphviz_and_well_formed(big) -> None:
    diagram = graph.resource_diagram(big, "acme-dev-oncall")
    svg = graph.render(big, "svg", "resources", "acme-dev-oncall")
    root = ET.fromstring(svg)  # well-formed XML
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = {
        g.findtext("svg:title", None, ns)
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("class") == "node"
    }
    assert titles == set(diagram.nodes)
    assert {"r_acme_dev_oncall_service", "r_acme_dev_oncall_primary"} <= titles
    clusters = {
        g.findtext("svg:title", None, ns)
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("class") == "cluster"
    }
    assert "cluster_g_acme_dev_oncall" in clusters
    assert CANARY not in svg
    assert graph.render(big, "svg", "resources", "acme-dev-oncall") == svg  # same bytes


def test_svg_without_graphviz_says_what_to_do(big, monkeypatch) -> None:
    monkeypatch.setattr(renderers.shutil, "which", lambda name: None)
    with pytest.raises(UsageError) as err:
        graph.render(big, "svg", "components")
    assert str(err.value) == (
        "Graphviz `dot` not found: install it (Debian/Ubuntu: apt-get install graphviz) "
        "or use --format mermaid or --format dot"
    )


# --- change diagram -----------------------------------------------------------------------------


def threshold_and_bucket_change(base: dict[str, Any]) -> dict[str, Any]:
    """head: the agent's mission-success monitor at 0.95 instead of 0.97, the archive bucket
    and its IAM member removed."""
    head = copy.deepcopy(base)
    for r in head["resources"]:
        if r["name"] == "acme-dev-monitoring-agent-mission-success-rate":
            r["inputs"]["query"] = r["inputs"]["query"].replace("< 0.97", "< 0.95")
            r["inputs"]["monitorThresholds"] = {"critical": "0.95"}
    gone = {"acme-dev-logs-archive", "acme-dev-logs-archive-writer"}
    head["resources"] = [r for r in head["resources"] if r["name"] not in gone]
    return head


def test_threshold_change_and_removed_bucket_show_with_the_right_colours(big) -> None:
    head = threshold_and_bucket_change(big)
    monitor = urn_of(big, "acme-dev-monitoring-agent-mission-success-rate")
    bucket = urn_of(big, "acme-dev-logs-archive")
    writer = urn_of(big, "acme-dev-logs-archive-writer")
    text = graph.change_diagram(big, head, {monitor: "update", bucket: "delete", writer: "delete"})
    parsed = check_mermaid(fenced(text))
    nodes, classes = parsed["nodes"], parsed["classes"]
    m_id = "r_acme_dev_monitoring_agent_mission_success_rate"
    b_id = "r_acme_dev_logs_archive"
    assert nodes[m_id] == '"~ datadog.Monitor<br/>agent-mission-success-rate"'
    assert classes[m_id] == "update"
    assert nodes[b_id] == '"- gcp.storage.Bucket<br/>archive"'
    assert classes[b_id] == "delete"
    assert parsed["classdefs"]["update"] == "fill:#fff8c5,stroke:#9a6700,color:#1f2328"
    assert parsed["classdefs"]["delete"] == "fill:#ffebe9,stroke:#cf222e,color:#1f2328"
    # direct neighbours, unchanged and grey: the service it watches, the PagerDuty service it
    # pages, the sink that routed logs into the bucket
    assert classes["r_acme_dev_agent_service"] == "unchanged"
    assert classes["r_acme_dev_oncall_service"] == "unchanged"
    assert classes["r_acme_dev_logs_archive_sink"] == "unchanged"
    assert (m_id, "-->", "r_acme_dev_oncall_service", '"pages"') in parsed["edges"]
    assert (
        "r_acme_dev_logs_archive_sink",
        "-.->",
        b_id,
        '"was: routes logs to"',
    ) in parsed["edges"]
    assert parsed["groups"]["g_acme_dev_logs"] == '"LogRetention: acme-dev-logs"'
    assert "create" not in parsed["classdefs"]
    assert len(text) <= graph.DEFAULT_CHANGE_BUDGET


def test_change_diagram_from_the_diff_module(big) -> None:
    from preflight.diff import diff_snapshots

    head = threshold_and_bucket_change(big)
    result = diff_snapshots("dev", big, head)
    changes = {r.urn: r.op for r in result.resources}
    parsed = check_mermaid(fenced(graph.change_diagram(big, head, changes)))
    assert parsed["classes"]["r_acme_dev_monitoring_agent_mission_success_rate"] == "update"
    assert parsed["classes"]["r_acme_dev_logs_archive"] == "delete"


def test_created_and_replaced_resources(big) -> None:
    head = copy.deepcopy(big)
    extra = copy.deepcopy(next(r for r in big["resources"] if r["name"] == "acme-dev-agent-sa"))
    extra["name"] = "acme-dev-agent-sa2"
    extra["urn"] = extra["urn"].replace("::acme-dev-agent-sa", "::acme-dev-agent-sa2")
    head["resources"].append(extra)
    secret = urn_of(big, "acme-dev-vault-secret-01")
    parsed = check_mermaid(
        fenced(graph.change_diagram(big, head, {extra["urn"]: "create", secret: "replace"}))
    )
    assert parsed["classes"]["r_acme_dev_agent_sa2"] == "create"
    assert parsed["nodes"]["r_acme_dev_agent_sa2"] == '"+ gcp.serviceaccount.Account<br/>sa2"'
    assert parsed["classes"]["r_acme_dev_vault_secret_01"] == "replace"
    assert parsed["classdefs"]["create"] == "fill:#dafbe1,stroke:#1a7f37,color:#1f2328"
    assert parsed["classdefs"]["replace"] == "fill:#ffe2cc,stroke:#bc4c00,color:#1f2328"


def test_change_diagram_keeps_to_its_budget(big) -> None:
    changes = {r["urn"]: "create" for r in big["resources"] if r["custom"]}
    bucket = urn_of(big, "acme-dev-logs-archive")
    changes[bucket] = "delete"
    head = copy.deepcopy(big)
    head["resources"] = [r for r in head["resources"] if r["urn"] != bucket]
    for budget, max_nodes in ((3_000, 40), (20_000, 25)):
        text = graph.change_diagram(big, head, changes, budget=budget, max_nodes=max_nodes)
        assert len(text) <= budget
        parsed = check_mermaid(fenced(text))
        assert len(parsed["nodes"]) <= max_nodes
        shown = len(parsed["nodes"]) - 1
        assert parsed["nodes"]["note_more"] == (
            f'"… and {len(changes) - shown} more changed resources"'
        )
        # the deletion comes first
        assert parsed["classes"]["r_acme_dev_logs_archive"] == "delete"
        assert "unchanged" not in parsed["classdefs"]


def test_neighbours_go_before_changes_when_over_budget(big) -> None:
    head = threshold_and_bucket_change(big)
    monitor = urn_of(big, "acme-dev-monitoring-agent-mission-success-rate")
    bucket = urn_of(big, "acme-dev-logs-archive")
    changes = {monitor: "update", bucket: "delete"}
    full = graph.change_diagram(big, head, changes)
    small = graph.change_diagram(big, head, changes, max_nodes=3)
    parsed = check_mermaid(fenced(small))
    assert len(parsed["nodes"]) == 3
    assert {"r_acme_dev_monitoring_agent_mission_success_rate", "r_acme_dev_logs_archive"} <= set(
        parsed["nodes"]
    )
    assert "note_more" not in parsed["nodes"]
    assert len(small) < len(full)


def test_change_diagram_of_a_new_stack(big) -> None:
    changes = {
        r["urn"]: "create" for r in big["resources"] if r["name"].startswith("acme-dev-oncall")
    }
    parsed = check_mermaid(fenced(graph.change_diagram(None, big, changes)))
    created = {n for n, cls in parsed["classes"].items() if cls == "create"}
    assert created == {n for n in parsed["nodes"] if n.startswith("r_acme_dev_oncall_")}
    assert len(created) == len(changes) - 1  # the OnCall component is a group
    assert parsed["classes"]["r_acme_dev_monitoring_agent_sse_heartbeat"] == "unchanged"


def test_providers_are_not_drawn(big) -> None:
    snapshot = copy.deepcopy(big)
    provider = copy.deepcopy(next(r for r in big["resources"] if r["name"] == "acme-dev-agent-sa"))
    provider.update(
        type="pulumi:providers:gcp",
        name="gcp-europe",
        urn="urn:pulumi:dev::controlplane::pulumi:providers:gcp::gcp-europe",
        parent=None,
        inputs={"project": PROJECT},
    )
    snapshot["resources"].append(provider)
    assert graph.render(snapshot, "mermaid", "resources") == graph.render(
        big, "mermaid", "resources"
    )


def test_change_diagram_input_errors(big) -> None:
    monitor = urn_of(big, "acme-dev-monitoring-agent-mission-success-rate")
    with pytest.raises(ValueError) as err:
        graph.change_diagram(big, big, {monitor: "modify"})
    assert str(err.value) == (
        f"change of {monitor}: unknown operation 'modify', use one of "
        "('create', 'update', 'replace', 'delete')"
    )
    with pytest.raises(ValueError) as err:
        graph.change_diagram(big, None, {monitor: "update"})
    assert str(err.value) == (
        f"change of {monitor}: update but the resource is not in the head snapshot"
    )
    assert graph.change_diagram(big, big, {}) == ""
    component = urn_of(big, "acme-dev-obs")
    assert graph.change_diagram(big, big, {component: "update"}) == ""


# --- the command line ---------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    graph.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            (),
            "name a stack with --stack NAME (or regenerate docs/architecture.md with --docs)",
        ),
        (("--check",), "--check goes with --docs: `python -m preflight graph --docs --check`"),
        (
            ("--docs", "--stack", "dev"),
            "--docs draws every stack into docs/architecture.md: drop --stack",
        ),
        (
            ("--docs", "--component", "x"),
            "--docs draws every stack into docs/architecture.md: drop --component",
        ),
    ],
)
def test_usage_errors(argv, message) -> None:
    with pytest.raises(UsageError) as err:
        graph.run(parse(*argv))
    assert str(err.value) == message


def test_cli_writes_the_stack_diagram(big, monkeypatch, tmp_path, capsys) -> None:
    calls = []

    def fake_synth(stacks, project=ROOT, progress=None):
        calls.append((list(stacks), project))
        return {"dev": big}

    monkeypatch.setattr("preflight.synth.synthesize", fake_synth)
    assert graph.run(parse("--stack", "dev")) == 0
    assert capsys.readouterr().out == graph.render(big, "mermaid", "components")
    out = tmp_path / "dev.dot"
    argv = ["--stack", "dev", "--component", "acme-dev-oncall", "--format", "dot"]
    assert graph.run(parse(*argv, "--out", str(out))) == 0
    assert out.read_text() == graph.render(big, "dot", "resources", "acme-dev-oncall")
    assert f"preflight: wrote {out}" in capsys.readouterr().err
    assert calls == [(["dev"], ROOT), (["dev"], ROOT)]


# --- the real stacks and docs/architecture.md ---------------------------------------------------


def test_real_stacks_draw_valid_diagrams(snapshots) -> None:
    for stack, snapshot in snapshots.items():
        drawn = [r for r in snapshot["resources"] if r["custom"]]
        resources = check_mermaid(graph.render(snapshot, "mermaid", "resources"))
        assert len(resources["nodes"]) == len(drawn), stack
        components = check_mermaid(graph.render(snapshot, "mermaid", "components"))
        assert len(components["nodes"]) < 60
        assert resource_total(components) == len(drawn)


def test_architecture_doc_is_not_stale(snapshots) -> None:
    current = graph.ARCHITECTURE_DOC.read_text() if graph.ARCHITECTURE_DOC.exists() else ""
    assert current == graph.architecture_doc(snapshots), (
        "docs/architecture.md is stale: run `python -m preflight graph --docs`"
    )


def test_architecture_doc_has_one_valid_diagram_per_stack(snapshots) -> None:
    doc = graph.architecture_doc(snapshots)
    blocks = re.findall(r"^## (\w+)\n\n.*?\n\n```mermaid\n(.*?)```\n", doc, re.S | re.M)
    assert [stack for stack, _ in blocks] == ["dev", "staging", "prod"]
    for _stack, block in blocks:
        assert not check_mermaid(block)["comments"]
        assert len(block) < graph.MERMAID_MAX_TEXT
    for label in ("runs as", "reads", "watches", "pages", "escalates via", "notifies"):
        assert f"\n| `{label}` | " in doc


def test_stale_doc_is_reported_then_rewritten(big, monkeypatch, tmp_path) -> None:
    doc = tmp_path / "architecture.md"
    doc.write_text("# old\n")
    monkeypatch.setattr(graph_cli, "ARCHITECTURE_DOC", doc)
    with pytest.raises(UsageError) as err:
        graph.write_docs(check=True, snapshots={"dev": big})
    assert str(err.value) == (f"stale generated doc: {doc}; run `python -m preflight graph --docs`")
    assert doc.read_text() == "# old\n"
    assert graph.write_docs(check=False, snapshots={"dev": big}) == 0
    assert doc.read_text() == graph.architecture_doc({"dev": big})
    assert graph.write_docs(check=True, snapshots={"dev": big}) == 0


def test_snapshot_json_round_trip_draws_the_same(big) -> None:
    again = json.loads(json.dumps(big))
    assert graph.render(again, "mermaid", "resources") == graph.render(big, "mermaid", "resources")
