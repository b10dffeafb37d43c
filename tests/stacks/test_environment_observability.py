"""Observability and on-call of each stack as ``Pulumi.<stack>.yaml`` declares it.

Everything here is read from the synthesized snapshots (the session fixture ``snapshots``), not
from the components run with example configs: the §4 alerts with the playbook's thresholds and
windows, the §1 SLOs, the §3 synthetics, the §9 downtime, the §4/§12 escalation chain and the
routing of every alert by severity. Resource ids are not in the snapshot's inputs of the resource
itself: references between resources (an escalation rule's schedule id, a burn-rate query's SLO
id) are resolved by asking the same mocks the synthesis ran under for the id of each resource.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.datadog_common import notification_handle
from components.synthetics import METADATA_IDENTITY
from preflight.__main__ import main
from preflight.cli import ROOT
from tests.support.snapshots import resources_of
from tests.support.stack_reading import (
    ANOMALY_RE,
    MONITOR,
    PD_POLICY,
    PD_SCHEDULE,
    PD_SERVICE,
    by_urn,
    mock_outputs,
    notified,
    stack_file,
    tag_value,
)

SLO = "datadog:index/serviceLevelObjective:ServiceLevelObjective"
SYNTHETIC = "datadog:index/syntheticsTest:SyntheticsTest"
DOWNTIME = "datadog:index/downtimeSchedule:DowntimeSchedule"
DD_PAGERDUTY = "datadog:pagerduty/serviceObject:ServiceObject"
PD_INTEGRATION = "pagerduty:index/serviceIntegration:ServiceIntegration"
PRIVATE_LOCATION = "datadog:index/syntheticsPrivateLocation:SyntheticsPrivateLocation"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"

PAGING_STACKS = ("staging", "prod")
STACKS = ("dev", "staging", "prod")


# --- The playbook's numbers, copied on purpose (never imported from the program) -----------


@dataclass(frozen=True)
class Alert:
    """One §4 alert: the config key it is set by and what the playbook says about it."""

    config_key: str
    """Its key under ``controlplane:monitoring.alerts``."""
    severity: str
    comparator: str
    """How the query compares with the threshold when the alert fires."""
    threshold: float | None
    """The playbook's number in the queries' scale (rates 0-1, seconds); None: §4 names none."""
    window: str | None
    """The playbook's window; None: §4 names none."""
    metric: str | None
    """The metric §4 "Metrics" names for it; None: §4 names none."""


# Playbook §4 "Alerts":
#   "Critical: Mission success <97% (5m window), SSE heartbeat >8s, undo failures >1% in hour,
#    telemetry ingestion stalled >15m"
#   "High: OAuth failure rate >5%, planner retry spikes, Composio rate-limit warnings"
#   "Informational: Library reuse drops below rolling average"
# Playbook §4 "Metrics": `mission.success_rate`, `executor.heartbeat.latency`,
# `undo.success_rate`, `telemetry.events.ingested` (among others).
# Keyed by the monitor's `alert:<slug>` tag. "Stalled" is no event at all: at most 0 events
# over the window, and no data counts as stalled.
PLAYBOOK_ALERTS: dict[str, Alert] = {
    "mission-success-rate": Alert(
        "missionSuccessRate", "critical", "<", 0.97, "5m", "mission.success_rate"
    ),
    "sse-heartbeat": Alert(
        "sseHeartbeat", "critical", ">", 8.0, None, "executor.heartbeat.latency"
    ),
    "undo-failures": Alert("undoFailures", "critical", ">", 0.01, "1h", "undo.success_rate"),
    "telemetry-ingestion-stalled": Alert(
        "telemetryIngestionStalled", "critical", "<=", 0.0, "15m", "telemetry.events.ingested"
    ),
    "oauth-failure-rate": Alert("oauthFailureRate", "high", ">", 0.05, None, None),
    "planner-retry-spikes": Alert("plannerRetrySpikes", "high", ">", None, None, None),
    "composio-rate-limit-warnings": Alert(
        "composioRateLimitWarnings", "high", ">", None, None, None
    ),
}
ANOMALY = "library-reuse-drop"
"""The informational alert: "Library reuse drops below rolling average" (an anomaly monitor)."""

# Playbook §1: "Reliability: Maintain mission completion success ≥99%";
#              "Latency: Streaming heartbeat ≤5s p95, API latency ≤300ms p95".
MISSION_COMPLETION_MIN_TARGET = 99.0
LATENCY_SLOS_SECONDS = {"streaming-heartbeat": 5.0, "api-latency": 0.3}
HEARTBEAT_METRIC = "executor.heartbeat.latency"  # §4 "Metrics"
SLO_TIMEFRAMES = {"7d", "30d"}

# Playbook §4: "Alerts route to PagerDuty schedule: Primary on-call → Secondary on-call →
# Incident Commander."
ESCALATION = ("primary", "secondary", "incidentCommander")

# Playbook §9: "Maintenance Window: Saturdays 02:00-04:00 UTC (staging), Sundays 03:00-05:00 UTC
# (production)". (RFC 5545 day, start, end, time zone.)
WINDOWS = {"staging": ("SA", "02:00", "04:00", "UTC"), "prod": ("SU", "03:00", "05:00", "UTC")}
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# --- Reading the stack files and the snapshots ------------------------------------------------


QUERY_RE = re.compile(
    r"^(?P<aggregation>avg|max|min|sum)\(last_(?P<window>[1-9][0-9]*[mhd])\):(?P<expr>.+) "
    r"(?P<comparator><=|>=|<|>) (?P<threshold>-?[0-9]+(?:\.[0-9]+)?)$"
)
EXPR_RE = re.compile(
    r"^(?P<failure>1 - )?(?P<space>avg|sum|max|min):(?P<metric>[A-Za-z][A-Za-z0-9_.]*)"
    r"\{(?P<scope>[^}]*)\}(?P<count>\.as_count\(\))?$"
)


def parse_query(resource: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The parts of a threshold monitor's query and of its metric expression."""
    query = resource["inputs"]["query"]
    match = QUERY_RE.match(query)
    assert match, f"{resource['urn']}: query {query!r} is not `<agg>(last_<w>):<expr> <op> <n>`"
    expr = EXPR_RE.match(match["expr"])
    assert expr, f"{resource['urn']}: metric expression {match['expr']!r} not understood"
    return match.groupdict(), expr.groupdict()


def scope_tags(scope: str) -> set[str]:
    return {tag.strip() for tag in scope.split(",")}


def by_tag(resources: list[dict[str, Any]], prefix: str) -> dict[str, dict[str, Any]]:
    """Resources keyed by the value of their one ``<prefix>:<value>`` tag (each value once)."""
    found: dict[str, dict[str, Any]] = {}
    for resource in resources:
        values = [t.split(":", 1)[1] for t in resource["inputs"]["tags"] if t.startswith(prefix)]
        assert len(values) == 1, f"{resource['urn']}: tags {values} for {prefix!r}"
        assert values[0] not in found, f"{resource['urn']}: a second {prefix}{values[0]}"
        found[values[0]] = resource
    return found


def the(snapshot: dict[str, Any], type_token: str) -> dict[str, Any]:
    found = resources_of(snapshot, type_token)
    assert len(found) == 1, f"{snapshot['stack']}: {[r['urn'] for r in found]} of {type_token}"
    return found[0]


def operations(snapshot: dict[str, Any], type_token: str) -> dict[str, Any]:
    """The one resource of ``type_token`` of the operations chain (``acme-<env>-oncall-*``); the
    security route and the SEV1 response have their own (test_environment_security.py)."""
    found = [
        r
        for r in resources_of(snapshot, type_token)
        if r["urn"].split("::")[2].startswith("controlplane:oncall:OnCall$")
    ]
    assert len(found) == 1, f"{snapshot['stack']}: {[r['urn'] for r in found]} of {type_token}"
    return found[0]


def alerting(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource that notifies someone: monitors (§4 and burn-rate) and synthetic tests."""
    return resources_of(snapshot, MONITOR) + resources_of(snapshot, SYNTHETIC)


def section_monitors(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The §4 monitors (children of the Monitoring component) keyed by their alert tag."""
    return by_tag(
        [
            r
            for r in resources_of(snapshot, MONITOR)
            if r["urn"].split("::")[2].startswith("controlplane:observability:Monitoring$")
        ],
        "alert:",
    )


# --- §4 alerts --------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_every_section_4_alert_has_one_monitor(snapshots, stack: str) -> None:
    assert sorted(section_monitors(snapshots[stack])) == sorted([*PLAYBOOK_ALERTS, ANOMALY])


@pytest.mark.parametrize("slug", sorted(PLAYBOOK_ALERTS))
@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_threshold_and_window_are_the_playbooks(snapshots, stack: str, slug: str) -> None:
    book = PLAYBOOK_ALERTS[slug]
    monitor = section_monitors(snapshots[stack])[slug]
    urn, inputs = monitor["urn"], monitor["inputs"]
    query, expr = parse_query(monitor)

    assert inputs["type"] == "query alert", urn
    assert query["comparator"] == book.comparator, f"{urn}: {inputs['query']}"
    # The query and monitor_thresholds carry the same number.
    assert float(query["threshold"]) == float(inputs["monitorThresholds"]["critical"]), urn
    assert set(inputs["monitorThresholds"]) == {"critical"}, urn
    if book.threshold is not None:
        assert float(query["threshold"]) == book.threshold, f"{urn}: {inputs['query']}"
    if book.window is not None:
        assert query["window"] == book.window, f"{urn}: {inputs['query']}"
    if book.metric is not None:
        assert expr["metric"] == book.metric, f"{urn}: {inputs['query']}"
    assert scope_tags(expr["scope"]) >= {f"env:{stack}"}, f"{urn}: {inputs['query']}"
    assert tag_value(monitor, "severity") == book.severity, urn

    # What the config set (or did not set) is what the snapshot holds.
    configured = stack_file(stack)["controlplane:monitoring"].get("alerts", {})
    if book.config_key in configured:
        wanted = configured[book.config_key]
        assert float(query["threshold"]) == float(wanted["threshold"]), urn
        assert query["window"] == wanted["window"], urn


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_undo_failures_is_one_minus_the_success_rate(snapshots, stack: str) -> None:
    monitor = section_monitors(snapshots[stack])["undo-failures"]
    _, expr = parse_query(monitor)
    # §4 names `undo.success_rate`; "undo failures >1%" is 1 - success > 0.01.
    assert expr["failure"] == "1 - ", f"{monitor['urn']}: {monitor['inputs']['query']}"


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_stalled_telemetry_counts_no_data_as_stalled(snapshots, stack: str) -> None:
    monitor = section_monitors(snapshots[stack])["telemetry-ingestion-stalled"]
    urn, inputs = monitor["urn"], monitor["inputs"]
    query, expr = parse_query(monitor)
    assert (query["aggregation"], expr["space"], expr["count"]) == (
        "sum",
        "sum",
        ".as_count()",
    ), f"{urn}: {inputs['query']}"
    assert inputs["notifyNoData"] is True, urn
    assert inputs["noDataTimeframe"] == 30, urn  # twice the window of "stalled >15m"
    others = section_monitors(snapshots[stack])
    del others["telemetry-ingestion-stalled"]
    assert [m["urn"] for m in others.values() if m["inputs"].get("notifyNoData")] == []


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_library_reuse_is_an_anomaly_monitor_below_the_rolling_range(snapshots, stack: str) -> None:
    monitor = section_monitors(snapshots[stack])[ANOMALY]
    urn, inputs = monitor["urn"], monitor["inputs"]
    match = ANOMALY_RE.match(inputs["query"])
    assert match, f"{urn}: {inputs['query']!r} is not an anomalies() query"
    options = dict(
        option.split("=", 1) for option in (o.strip() for o in match["options"].split(","))
    )
    assert options["direction"] == "'below'", f"{urn}: {inputs['query']}"
    assert float(match["threshold"]) == float(inputs["monitorThresholds"]["critical"]), urn
    trigger = inputs["monitorThresholdWindows"]["triggerWindow"]
    assert options["alert_window"] == f"'{trigger}'", f"{urn}: {inputs['query']}"
    series = EXPR_RE.match(match["series"])
    assert series, f"{urn}: series {match['series']!r}"
    assert f"env:{stack}" in scope_tags(series["scope"]), urn
    assert tag_value(monitor, "severity") == "informational", urn


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_monitors_are_tagged_and_link_their_runbook(snapshots, stack: str) -> None:
    team = stack_file(stack)["controlplane:monitoring"]["team"]
    for slug, monitor in section_monitors(snapshots[stack]).items():
        urn, inputs = monitor["urn"], monitor["inputs"]
        severity = tag_value(monitor, "severity")
        assert tag_value(monitor, "env") == stack, urn
        assert tag_value(monitor, "team") == team, urn
        assert tag_value(monitor, "service") == "agent", urn
        assert inputs["name"].startswith(f"[{severity}] "), urn
        assert inputs["name"].endswith(f"({stack})"), urn
        runbooks = re.findall(
            r"^Runbook: \S*(docs/runbooks/[a-z0-9-]+\.md)$", inputs["message"], re.M
        )
        assert runbooks == [f"docs/runbooks/{slug}.md"], urn
        assert (ROOT / runbooks[0]).is_file(), f"{urn}: {runbooks[0]} does not exist"


# --- §1 SLOs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_three_slos_with_7_and_30_day_targets(snapshots, stack: str) -> None:
    slos = by_tag(resources_of(snapshots[stack], SLO), "slo:")
    assert sorted(slos) == ["api-latency", "mission-completion", "streaming-heartbeat"]
    for slo in slos.values():
        urn, inputs = slo["urn"], slo["inputs"]
        targets = {t["timeframe"]: t["target"] for t in inputs["thresholds"]}
        assert set(targets) == SLO_TIMEFRAMES, f"{urn}: {inputs['thresholds']}"
        assert all(0 < target < 100 for target in targets.values()), urn
        assert (inputs["timeframe"], inputs["targetThreshold"]) == ("30d", targets["30d"]), urn
        assert f"env:{stack}" in inputs["tags"], urn

    mission = slos["mission-completion"]
    assert mission["inputs"]["type"] == "metric", mission["urn"]
    for threshold in mission["inputs"]["thresholds"]:
        assert threshold["target"] >= MISSION_COMPLETION_MIN_TARGET, mission["urn"]
    query = mission["inputs"]["query"]
    for part in ("numerator", "denominator"):
        expr = EXPR_RE.match(query[part])
        assert expr and expr["count"], f"{mission['urn']}: {part} {query[part]!r}"
        assert f"env:{stack}" in scope_tags(expr["scope"]), mission["urn"]


@pytest.mark.parametrize("slug", sorted(LATENCY_SLOS_SECONDS))
@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_latency_slos_are_p95_at_the_playbook_bound(snapshots, stack: str, slug: str) -> None:
    slo = by_tag(resources_of(snapshots[stack], SLO), "slo:")[slug]
    urn, inputs = slo["urn"], slo["inputs"]
    assert inputs["type"] == "time_slice", urn
    time_slice = inputs["sliSpecification"]["timeSlice"]
    assert time_slice["comparator"] == "<=", urn
    assert float(time_slice["threshold"]) == LATENCY_SLOS_SECONDS[slug], urn
    queries = time_slice["query"]["queries"]
    assert len(queries) == 1, urn
    expr = EXPR_RE.match(queries[0]["metricQuery"]["query"].replace("p95:", "avg:", 1))
    assert queries[0]["metricQuery"]["query"].startswith("p95:"), urn
    assert expr and f"env:{stack}" in scope_tags(expr["scope"]), urn
    if slug == "streaming-heartbeat":
        assert expr["metric"] == HEARTBEAT_METRIC, urn


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_every_slo_has_burn_rate_monitors_on_its_own_id(snapshots, stack: str) -> None:
    snapshot = snapshots[stack]
    burn = [r for r in resources_of(snapshot, MONITOR) if r["inputs"]["type"] == "slo alert"]
    for slug, slo in by_tag(resources_of(snapshot, SLO), "slo:").items():
        slo_id, _ = mock_outputs(stack, slo)
        mine = [m for m in burn if f'burn_rate("{slo_id}")' in m["inputs"]["query"]]
        assert mine, f"{slo['urn']}: no burn-rate monitor queries burn_rate({slo_id!r})"
        for monitor in mine:
            assert slo["urn"] in monitor["dependencies"], monitor["urn"]
            assert tag_value(monitor, "slo") == slug, monitor["urn"]
            threshold = monitor["inputs"]["query"].rsplit(" > ", 1)[1]
            assert float(threshold) == float(monitor["inputs"]["monitorThresholds"]["critical"])


# --- §3 synthetics ----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_sse_and_composio_synthetics_call_the_agent(snapshots, stack: str) -> None:
    snapshot = snapshots[stack]
    tests = by_tag(resources_of(snapshot, SYNTHETIC), "alert:")
    assert sorted(tests) == ["synthetic-composio-connectivity", "synthetic-sse-endpoint"]
    settings = stack_file(stack)["controlplane:monitoring"].get("synthetics", {})
    paths = {
        "synthetic-sse-endpoint": settings.get("ssePath", "/healthz/sse"),
        "synthetic-composio-connectivity": settings.get("composioPath", "/healthz/composio"),
    }
    for slug, test in tests.items():
        urn, inputs = test["urn"], test["inputs"]
        # The agent is not public: the tests run from the private location as its workers'
        # account, with an ID token from the metadata server (docs/synthetics.md).
        assert (inputs["type"], inputs["subtype"], inputs["status"]) == ("api", "multi", "live")
        (location_urn,) = test["propertyDependencies"]["locations"]
        assert by_urn(snapshot)[location_urn]["type"] == PRIVATE_LOCATION, urn
        assert len(inputs["locations"]) == 1, urn
        (agent_urn,) = test["propertyDependencies"]["apiSteps"]
        agent = by_urn(snapshot)[agent_urn]
        assert (agent["type"], agent["name"]) == (CLOUD_RUN, f"acme-{stack}-agent-service"), urn
        _, outputs = mock_outputs(stack, agent)
        token, call = inputs["apiSteps"]
        assert token["requestDefinition"]["url"] == (
            f"{METADATA_IDENTITY}?audience={outputs['uri']}"
        ), urn
        assert token["requestHeaders"] == {"Metadata-Flavor": "Google"}, urn
        (extracted,) = token["extractedValues"]
        assert (extracted["name"], extracted["type"], extracted["secure"]) == (
            "ID_TOKEN",
            "http_body",
            True,
        ), urn
        request = call["requestDefinition"]
        assert request == {**request, "method": "GET", "url": outputs["uri"] + paths[slug]}, urn
        assert call["requestHeaders"]["Authorization"] == "Bearer {{ ID_TOKEN }}", urn
        status = {"operator": "is", "target": "200", "type": "statusCode"}
        assert status in call["assertions"], urn
        assert f"env:{stack}" in inputs["tags"], urn
        if slug == "synthetic-sse-endpoint":
            assert {
                "operator": "contains",
                "property": "content-type",
                "target": "text/event-stream",
                "type": "header",
            } in call["assertions"], urn
            assert call["requestHeaders"]["Accept"] == "text/event-stream", urn
    invokers = {
        r["inputs"]["member"]
        for r in resources_of(snapshot, "gcp:cloudrunv2/serviceIamMember:ServiceIamMember")
        if r["inputs"]["name"] == f"acme-{stack}-agent"
    }
    assert f"serviceAccount:acme-{stack}-synthetics-sa@acme-cp-{stack}.iam.gserviceaccount.com" in (
        invokers
    )


# --- §9 maintenance window --------------------------------------------------------------------


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_downtime_is_the_playbook_window(snapshots, stack: str) -> None:
    downtime = the(snapshots[stack], DOWNTIME)
    urn, inputs = downtime["urn"], downtime["inputs"]
    day, start, end, zone = WINDOWS[stack]
    schedule = inputs["recurringSchedule"]
    assert schedule["timezone"] == zone, urn
    assert inputs["displayTimezone"] == zone, urn
    (recurrence,) = schedule["recurrences"]
    rule = dict(part.split("=", 1) for part in recurrence["rrule"].split(";"))
    assert rule == {"FREQ": "WEEKLY", "INTERVAL": "1", "BYDAY": day}, f"{urn}: {rule}"
    first = datetime.fromisoformat(recurrence["start"])
    assert first.tzinfo is None, f"{urn}: start {recurrence['start']} (zone given apart)"
    assert RRULE_DAYS[first.weekday()] == day, f"{urn}: {first.date()} is not a {day}"
    assert first.strftime("%H:%M") == start, urn
    hours = re.fullmatch(r"([0-9]+)([hm])", recurrence["duration"])
    assert hours, f"{urn}: duration {recurrence['duration']!r}"
    length = timedelta(**{"hours" if hours[2] == "h" else "minutes": int(hours[1])})
    assert (first + length).strftime("%H:%M") == end, urn
    assert (first + length).date() == first.date(), urn
    assert inputs["scope"] == f"env:{stack}", urn
    assert f"env:{stack}" in inputs["monitorIdentifier"]["monitorTags"], urn


def test_dev_has_no_maintenance_downtime(snapshots) -> None:
    # §9 names windows for staging and production only.
    assert resources_of(snapshots["dev"], DOWNTIME) == []


# --- §4, §12 escalation -----------------------------------------------------------------------


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_escalation_goes_primary_secondary_incident_commander(snapshots, stack: str) -> None:
    snapshot = snapshots[stack]
    oncall = stack_file(stack)["controlplane:oncall"]
    policy = operations(snapshot, PD_POLICY)
    urn = policy["urn"]
    schedules = resources_of(snapshot, PD_SCHEDULE)
    by_id = {mock_outputs(stack, s)[0]: s for s in schedules}
    assert len(by_id) == 3, [s["urn"] for s in schedules]
    role_of_name = {
        f"acme-{stack}-oncall-primary": "primary",
        f"acme-{stack}-oncall-secondary": "secondary",
        f"acme-{stack}-oncall-incident-commander": "incidentCommander",
    }
    levels = []
    for rule in policy["inputs"]["rules"]:
        (target,) = rule["targets"]
        assert target["type"] == "schedule_reference", urn
        assert target["id"] in by_id, f"{urn}: {target['id']} is no schedule of {stack}"
        schedule = by_id[target["id"]]
        role = role_of_name[schedule["name"]]
        # The schedule holds the rotation the stack file gives that role.
        users = schedule["inputs"]["layers"][0]["users"]
        assert users == oncall["schedules"][role]["users"], schedule["urn"]
        levels.append((role, rule["escalationDelayInMinutes"]))
    assert tuple(role for role, _ in levels) == ESCALATION, f"{urn}: {levels}"
    assert [delay for _, delay in levels] == [
        level["delayMinutes"] for level in oncall["escalation"]
    ], urn
    assert policy["inputs"]["numLoops"] == oncall["numLoops"] >= 1, urn
    # The engine sees the same three schedules as the rules' dependencies.
    assert policy["propertyDependencies"]["rules"] == sorted(s["urn"] for s in schedules), urn


@pytest.mark.parametrize("stack", STACKS)
def test_the_pagerduty_handle_reaches_the_escalation_policy(snapshots, stack: str) -> None:
    """``@pagerduty-<name>`` -> Datadog's service object -> integration -> service -> policy."""
    snapshot = snapshots[stack]
    resources = by_urn(snapshot)
    service_object = operations(snapshot, DD_PAGERDUTY)
    assert service_object["inputs"]["serviceKey"] == "[secret]", service_object["urn"]
    (integration_urn,) = service_object["propertyDependencies"]["serviceKey"]
    integration = resources[integration_urn]
    assert integration["type"] == PD_INTEGRATION, integration_urn
    assert "integrationKey" in integration["additionalSecretOutputs"], integration_urn
    (service_urn,) = integration["propertyDependencies"]["service"]
    service = resources[service_urn]
    assert service["type"] == PD_SERVICE, service_urn
    assert service["inputs"]["name"] == service_object["inputs"]["serviceName"], service_urn
    policy = operations(snapshot, PD_POLICY)
    assert service["inputs"]["escalationPolicy"] == mock_outputs(stack, policy)[0], service_urn
    assert service["propertyDependencies"]["escalationPolicy"] == [policy["urn"]], service_urn


# --- Routing by severity ----------------------------------------------------------------------


def expected_handles(stack: str, severity: str, pagerduty_name: str) -> list[str]:
    """The ``@`` handles that ``controlplane:routing`` of the stack file gives ``severity``, in
    its order (the handle of each target is pinned by tests/components/test_monitoring.py)."""
    targets = stack_file(stack)["controlplane:routing"][severity]
    return [notification_handle(target, pagerduty_name) for target in targets]


@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_notifies_what_its_routing_says(snapshots, stack: str) -> None:
    snapshot = snapshots[stack]
    pagerduty_name = operations(snapshot, DD_PAGERDUTY)["inputs"]["serviceName"]
    seen = set()
    for resource in alerting(snapshot):
        if "route:security" in resource["inputs"]["tags"]:
            continue  # the security route: test_environment_security.py
        severity = tag_value(resource, "severity")
        seen.add(severity)
        assert resource["inputs"]["name"].startswith(f"[{severity}] "), resource["urn"]
        wanted = expected_handles(stack, severity, pagerduty_name)
        assert notified(resource) == wanted, resource["urn"]
        if any(h.startswith("@pagerduty-") for h in notified(resource)):
            # The handle only exists once Datadog knows the service.
            assert operations(snapshot, DD_PAGERDUTY)["urn"] in resource["dependencies"], resource[
                "urn"
            ]
    assert seen == {"critical", "high", "informational"}


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_critical_and_high_page_informational_never(snapshots, stack: str) -> None:
    # Playbook §4: alerts route to PagerDuty; informational ones do not page.
    for resource in alerting(snapshots[stack]):
        severity = tag_value(resource, "severity")
        pages = "@pagerduty-" in resource["inputs"]["message"]
        assert pages == (severity in ("critical", "high")), f"{resource['urn']} ({severity})"


def test_dev_pages_nobody_at_night(snapshots) -> None:
    """Dev pages only what its routing sends to PagerDuty, and never outside support hours."""
    snapshot = snapshots["dev"]
    config = stack_file("dev")
    routing, oncall = config["controlplane:routing"], config["controlplane:oncall"]
    paging = {severity for severity, targets in routing.items() if "pagerduty" in targets}
    assert paging == {"critical"}, f"Pulumi.dev.yaml routing changed: {routing}"
    for resource in alerting(snapshot):
        severity = tag_value(resource, "severity")
        pages = "@pagerduty-" in resource["inputs"]["message"]
        assert pages == (severity in paging), f"{resource['urn']} ({severity})"

    service = operations(snapshot, PD_SERVICE)
    urn, inputs = service["urn"], service["inputs"]
    rule = inputs["incidentUrgencyRule"]
    assert rule["type"] == "use_support_hours", urn
    assert rule["outsideSupportHours"] == {"type": "constant", "urgency": "low"}, urn
    hours = oncall["supportHours"]
    assert inputs["supportHours"] == {
        "type": "fixed_time_per_day",
        "daysOfWeeks": hours["days"],
        "startTime": f"{hours['start']}:00",
        "endTime": f"{hours['end']}:00",
        "timeZone": hours.get("timeZone", "Etc/UTC"),
    }, urn


@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_staging_and_prod_have_no_support_hours_exemption(snapshots, stack: str) -> None:
    service = operations(snapshots[stack], PD_SERVICE)
    assert service["inputs"]["incidentUrgencyRule"] == {
        "type": "constant",
        "urgency": "severity_based",
    }, service["urn"]
    assert "supportHours" not in service["inputs"], service["urn"]


# --- A config looser than the playbook fails validation ---------------------------------------


def mutated(stack: str, change: str) -> str:
    """The checked-in stack file with one change that breaks the playbook."""
    doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    config = doc["config"]
    if change == "loosened_mission_success":
        alerts = config["controlplane:monitoring"].setdefault("alerts", {})
        alerts["missionSuccessRate"] = {"threshold": 0.95, "window": "5m"}
    elif change == "no_incident_commander":
        levels = config["controlplane:oncall"]["escalation"]
        config["controlplane:oncall"]["escalation"] = [
            level for level in levels if level["schedule"] != "incidentCommander"
        ]
    elif change == "incident_commander_first":
        levels = config["controlplane:oncall"]["escalation"]
        config["controlplane:oncall"]["escalation"] = levels[-1:] + levels[:-1]
    else:
        raise AssertionError(change)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def escalation_found(stack: str, roles: list[str]) -> str:
    """How the validator shows the escalation list it found (JSON cut at 80 characters)."""
    levels = {
        lvl["schedule"]: lvl for lvl in stack_file(stack)["controlplane:oncall"]["escalation"]
    }
    text = json.dumps([levels[role] for role in roles], sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def expected_error(stack: str, change: str) -> str:
    head = f"preflight: error: config error in stack '{stack}': "
    if change == "loosened_mission_success":
        return head + (
            "controlplane:monitoring.alerts.missionSuccessRate: threshold 0.97 or higher and "
            "window 5m or shorter (playbook §4: 'Mission success <97% (5m window)'); threshold "
            "0.95 would alert later than the playbook allows"
        )
    order = "primary → secondary → incidentCommander"
    quote = "'Primary on-call → Secondary on-call → Incident Commander'"
    if change == "no_incident_commander":
        found = escalation_found(stack, ["primary", "secondary"])
        tail = "found primary → secondary: add the incidentCommander level"
    else:
        found = escalation_found(stack, ["incidentCommander", "primary", "secondary"])
        tail = "found incidentCommander → primary → secondary: reorder the levels"
    return head + (
        f"controlplane:oncall.escalation: found {found}, expected levels {order} in that order "
        f"(playbook §4: {quote}); {tail}"
    )


@pytest.mark.parametrize(
    "change", ["loosened_mission_success", "no_incident_commander", "incident_commander_first"]
)
@pytest.mark.parametrize("stack", PAGING_STACKS)
def test_a_config_looser_than_the_playbook_fails_with_one_clear_line(
    project_with, capsys, stack: str, change: str
) -> None:
    project: Path = project_with(stack, mutated(stack, change))
    code = main(["synth", "--stack", stack, "--project", str(project)])
    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("preflight: error: ")]
    assert code == 2, err
    assert errors == [expected_error(stack, change)]
    assert out == ""
    assert "Traceback" not in err


def test_the_unchanged_stack_file_passes_through_the_same_path(project_with, capsys) -> None:
    """The baseline of the cases above: the stack file, re-dumped unchanged, synthesizes."""
    stack = "prod"
    doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    project: Path = project_with(stack, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    code = main(["synth", "--stack", stack, "--project", str(project)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert len(section_monitors(json.loads(out))) == len(PLAYBOOK_ALERTS) + 1
