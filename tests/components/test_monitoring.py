"""Monitoring: every §4 alert as a Datadog monitor with the playbook's threshold and window."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.datadog_common import monitor_name, notification_handles
from components.monitoring import anomaly_query
from config.monitoring import AnomalyAlert
from config.routing import RoutingSection
from preflight.mocks import Registration
from tests.support.components import Registered, naming_for
from tests.support.observability import AGENT_SERVICE, MONITOR, by_alert_tag, run_observability

ROOT = Path(__file__).resolve().parents[2]

# The playbook's alerts, copied here on purpose (not imported from the program), quoting
# playbook §4 "Alerts":
#   - Critical: Mission success <97% (5m window), SSE heartbeat >8s, undo failures >1% in hour,
#     telemetry ingestion stalled >15m
#   - High: OAuth failure rate >5%, planner retry spikes, Composio rate-limit warnings
#   - Informational: Library reuse drops below rolling average
# slug: (severity, comparator, threshold in the program's scale, window, the playbook's words)
PLAYBOOK_ALERTS: dict[str, tuple[str, str | None, str | None, str | None, str]] = {
    "mission-success-rate": ("critical", "<", "0.97", "5m", "Mission success <97% (5m window)"),
    "sse-heartbeat": ("critical", ">", "8", None, "SSE heartbeat >8s"),
    "undo-failures": ("critical", ">", "0.01", "1h", "undo failures >1% in hour"),
    "telemetry-ingestion-stalled": (
        "critical",
        "<=",
        "0",
        "15m",
        "telemetry ingestion stalled >15m",
    ),
    "oauth-failure-rate": ("high", ">", "0.05", None, "OAuth failure rate >5%"),
    "planner-retry-spikes": ("high", ">", None, None, "planner retry spikes"),
    "composio-rate-limit-warnings": ("high", ">", None, None, "Composio rate-limit warnings"),
    "library-reuse-drop": (
        "informational",
        None,
        None,
        None,
        "Library reuse drops below rolling average",
    ),
}
CRITICAL_RUNBOOKS = {
    "mission-success-rate",
    "sse-heartbeat",
    "undo-failures",
    "telemetry-ingestion-stalled",
}
PAGERDUTY = {env: f"@pagerduty-acme-{env}-oncall-service" for env in ("dev", "staging", "prod")}
QUERY_RE = re.compile(r"^(avg|max|min|sum)\(last_(\w+)\):(.+) (<=|>=|<|>) (-?[0-9.]+)$")


@pytest.fixture(scope="module")
def stacks() -> dict[str, Registered]:
    return {env: run_observability(env) for env in ("dev", "staging", "prod")}


def monitors(run: Registered) -> dict[str, Registration]:
    return {
        slug: r
        for slug, r in by_alert_tag(run, MONITOR).items()
        if r.urn.split("::")[2].startswith("controlplane:observability:Monitoring$")
    }


def test_playbook_copy_quotes_what_each_runbook_quotes() -> None:
    for slug, (*_, words) in PLAYBOOK_ALERTS.items():
        runbook = (ROOT / "docs" / "runbooks" / f"{slug}.md").read_text()
        [row] = [line for line in runbook.splitlines() if line.startswith("| Playbook |")]
        assert words in row, f"{slug}: {words!r} is not in the playbook quote of its runbook"


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_every_playbook_alert_has_its_threshold_and_window(stacks: dict[str, Registered], env: str):
    found = by_alert_tag(stacks[env], MONITOR)
    for slug, (severity, comparator, threshold, window, _) in PLAYBOOK_ALERTS.items():
        assert slug in found, f"{env}: no monitor tagged alert:{slug}"
        r = found[slug]
        query = r.inputs["query"]
        assert f"severity:{severity}" in r.inputs["tags"], f"{r.urn}: severity"
        if comparator is None:
            continue
        match = QUERY_RE.match(query)
        assert match, f"{r.urn}: query {query!r} is not a threshold query"
        _, query_window, _, query_comparator, query_threshold = match.groups()
        assert query_comparator == comparator, f"{r.urn}: comparator in {query!r}"
        critical = r.inputs["monitorThresholds"]["critical"]
        assert query_threshold == critical, f"{r.urn}: query {query!r} vs critical {critical}"
        if threshold is not None:
            assert critical == threshold, f"{r.urn}: critical {critical}, playbook {threshold}"
        if window is not None:
            assert query_window == window, f"{r.urn}: window {query_window}, playbook {window}"


def test_critical_queries_in_prod(stacks: dict[str, Registered]):
    found = monitors(stacks["prod"])
    scope = f"{{env:prod,service:{AGENT_SERVICE}}}"
    expected = {
        "mission-success-rate": f"avg(last_5m):avg:mission.success_rate{scope} < 0.97",
        "sse-heartbeat": f"max(last_5m):avg:executor.heartbeat.latency{scope} > 8",
        "undo-failures": f"avg(last_1h):1 - avg:undo.success_rate{scope} > 0.01",
        "telemetry-ingestion-stalled": (
            f"sum(last_15m):sum:telemetry.events.ingested{scope}.as_count() <= 0"
        ),
        "oauth-failure-rate": f"avg(last_15m):avg:oauth.failure_rate{scope} > 0.05",
        "planner-retry-spikes": f"sum(last_10m):sum:planner.retries.count{scope}.as_count() > 25",
        "composio-rate-limit-warnings": (
            f"sum(last_15m):sum:composio.rate_limit.warnings{scope}.as_count() > 5"
        ),
    }
    for slug, query in expected.items():
        r = found[slug]
        assert r.inputs["query"] == query, f"{r.urn}: {r.inputs['query']!r}"
        assert r.inputs["type"] == "query alert", r.urn


def test_stalled_ingestion_counts_no_data_as_stalled(stacks: dict[str, Registered]):
    r = by_alert_tag(stacks["prod"], MONITOR)["telemetry-ingestion-stalled"]
    assert r.inputs["notifyNoData"] is True, r.urn
    assert r.inputs["noDataTimeframe"] == 30, r.urn  # twice the 15-minute window
    for slug, other in monitors(stacks["prod"]).items():
        if slug != "telemetry-ingestion-stalled":
            assert other.inputs["notifyNoData"] is False, other.urn
            assert "noDataTimeframe" not in other.inputs, other.urn


def test_library_reuse_is_an_anomaly_monitor(stacks: dict[str, Registered]):
    r = by_alert_tag(stacks["prod"], MONITOR)["library-reuse-drop"]
    assert r.inputs["query"] == (
        "avg(last_4h):anomalies(avg:library.reuse.rate{env:prod,service:controlplane-agent}, "
        "'basic', 2, direction='below', alert_window='last_30m', interval=60, "
        "count_default_zero='true') >= 1"
    ), r.urn
    assert r.inputs["monitorThresholds"] == {"critical": "1", "criticalRecovery": "0"}, r.urn
    assert r.inputs["monitorThresholdWindows"] == {
        "recoveryWindow": "last_30m",
        "triggerWindow": "last_30m",
    }, r.urn


def test_anomaly_query_adds_seasonality_for_agile():
    alert = AnomalyAlert(algorithm="agile", evaluation_window="1d", alert_window="1h")
    assert anomaly_query("m", "{env:dev}", alert) == (
        "avg(last_1d):anomalies(avg:m{env:dev}, 'agile', 2, direction='below', "
        "alert_window='last_1h', interval=300, count_default_zero='true', "
        "seasonality='weekly') >= 1"
    )


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_tags_scope_name_and_parent(stacks: dict[str, Registered], env: str):
    run = stacks[env]
    component = run.one("controlplane:observability:Monitoring")
    assert component.name == f"acme-{env}-monitoring"
    found = monitors(run)
    assert set(found) == set(PLAYBOOK_ALERTS), sorted(found)
    for slug, r in found.items():
        inputs = r.inputs
        severity = PLAYBOOK_ALERTS[slug][0]
        urn = r.urn
        assert r.parent == component.urn, urn
        assert r.name == f"acme-{env}-monitoring-{slug}", urn
        for tag in (
            f"env:{env}",
            f"service:{AGENT_SERVICE}",
            f"severity:{severity}",
            "team:sre",
            f"alert:{slug}",
        ):
            assert tag in inputs["tags"], f"{urn}: missing tag {tag}"
        assert f"{{env:{env},service:{AGENT_SERVICE}}}" in inputs["query"], urn
        assert inputs["name"].startswith(f"[{severity}] "), urn
        assert inputs["name"].endswith(f" ({env})"), urn


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_each_message_links_an_existing_runbook(stacks: dict[str, Registered], env: str):
    for r in stacks[env].of_type(MONITOR):
        links = re.findall(r"docs/runbooks/([a-z0-9-]+\.md)", r.inputs["message"])
        assert len(links) == 1, f"{r.urn}: runbook links {links}"
        assert (ROOT / "docs" / "runbooks" / links[0]).is_file(), f"{r.urn}: {links[0]} missing"
    for slug in CRITICAL_RUNBOOKS:
        r = by_alert_tag(stacks[env], MONITOR)[slug]
        assert f"Runbook: docs/runbooks/{slug}.md" in r.inputs["message"], r.urn


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_routing_by_severity(stacks: dict[str, Registered], env: str):
    for slug, r in monitors(stacks[env]).items():
        message = r.inputs["message"]
        severity = PLAYBOOK_ALERTS[slug][0]
        urn = r.urn
        if severity == "informational":
            assert "@pagerduty" not in message, f"{urn}: informational alerts never page"
            assert f"@slack-cp-{env}-alerts" in message, urn
            assert "routing: no paging" in message, urn
        else:
            assert PAGERDUTY[env] in message, f"{urn}: {severity} alerts page"
            urgency = "high" if severity == "critical" else "low"
            assert f"pages at {urgency} urgency" in message, urn


def test_dev_routing_is_config(stacks: dict[str, Registered]):
    found = monitors(stacks["dev"])
    for slug, r in found.items():
        message = r.inputs["message"]
        assert "@slack-cp-dev-alerts" in message, r.urn
        pages = PLAYBOOK_ALERTS[slug][0] == "critical"
        assert (PAGERDUTY["dev"] in message) is pages, r.urn


def test_message_text_of_a_critical_alert(stacks: dict[str, Registered]):
    r = by_alert_tag(stacks["prod"], MONITOR)["mission-success-rate"]
    assert r.inputs["message"] == (
        "Mission success rate (ratio 0-1) fell below 0.97 over the last 5m.\n"
        "\n"
        "Runbook: docs/runbooks/mission-success-rate.md\n"
        "Severity: critical (routing: PagerDuty service acme-prod-oncall-service pages at high "
        "urgency)\n"
        "\n"
        "Notify: @pagerduty-acme-prod-oncall-service @slack-cp-prod-incidents"
    ), r.urn
    assert r.inputs["priority"] == "2", r.urn  # critical: SEV2 (playbook §5)
    assert r.inputs["renotifyInterval"] == 30, r.urn


def test_stricter_config_and_other_metric_names_flow_into_the_query():
    run = run_observability(
        "staging",
        monitoring={
            "metrics": {"missionSuccessRate": "cp.mission.success"},
            "alerts": {"missionSuccessRate": {"threshold": 0.98, "window": "2m"}},
            "runbookBaseUrl": "https://git.example.com/infra/blob/main",
        },
    )
    r = by_alert_tag(run, MONITOR)["mission-success-rate"]
    assert r.inputs["query"] == (
        "avg(last_2m):avg:cp.mission.success{env:staging,service:controlplane-agent} < 0.98"
    ), r.urn
    assert r.inputs["monitorThresholds"]["critical"] == "0.98", r.urn
    assert r.inputs["name"] == "[critical] Mission success rate below 0.98 over 2m (staging)"
    assert (
        "Runbook: https://git.example.com/infra/blob/main/docs/runbooks/mission-success-rate.md"
        in r.inputs["message"]
    ), r.urn


def test_monitors_wait_for_the_pagerduty_service_object(stacks: dict[str, Registered]):
    service_object = stacks["prod"].one("datadog:pagerduty/serviceObject:ServiceObject")
    for r in monitors(stacks["prod"]).values():
        assert service_object.urn in r.dependencies, r.urn


def test_notification_handles():
    routing = RoutingSection(
        critical=["pagerduty", "slack:ops", "email:ops-oncall@company.com"],
        high=["pagerduty"],
        informational=["slack:ops"],
    )
    assert notification_handles(routing, "critical", "acme-prod-oncall-service") == [
        "@pagerduty-acme-prod-oncall-service",
        "@slack-ops",
        "@ops-oncall@company.com",
    ]
    assert monitor_name("high", "OAuth", naming_for("prod")) == "[high] OAuth (prod)"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_inventory(stacks: dict[str, Registered], env: str):
    counts: dict[str, int] = {}
    for r in stacks[env].resources:
        counts[r.type] = counts.get(r.type, 0) + 1
    assert counts == {
        "controlplane:oncall:OnCall": 1,
        "pagerduty:index/schedule:Schedule": 3,
        "pagerduty:index/escalationPolicy:EscalationPolicy": 1,
        "pagerduty:index/service:Service": 1,
        "pagerduty:index/alertGroupingSetting:AlertGroupingSetting": 1,
        "pagerduty:index/eventOrchestrationService:EventOrchestrationService": 1,
        "pagerduty:index/serviceIntegration:ServiceIntegration": 1,
        "datadog:pagerduty/serviceObject:ServiceObject": 1,
        "controlplane:observability:Monitoring": 1,
        "controlplane:observability:Slos": 1,
        "controlplane:observability:Synthetics": 1,
        "controlplane:observability:Scorecard": 1,
        # 8 §4 alerts + 3 SLOs x 2 burn-rate alerts
        "datadog:index/monitor:Monitor": 14,
        "datadog:index/serviceLevelObjective:ServiceLevelObjective": 3,
        "datadog:index/syntheticsTest:SyntheticsTest": 2,
        "datadog:index/dashboardJson:DashboardJson": 1,
        **(
            {
                "controlplane:observability:MaintenanceWindows": 1,
                "datadog:index/downtimeSchedule:DowntimeSchedule": 1,
            }
            if env != "dev"
            else {}
        ),
    }, env


@pytest.mark.parametrize("slug", sorted(CRITICAL_RUNBOOKS))
def test_critical_runbooks_follow_the_incident_flow(slug: str):
    text = (ROOT / "docs" / "runbooks" / f"{slug}.md").read_text()
    for heading in ("## What it means", "## First checks", "## Containment (playbook §5)"):
        assert heading in text, f"docs/runbooks/{slug}.md lacks {heading!r}"
    assert "Disable" in text or "disable" in text, f"{slug}: containment disables flows (§5)"
    assert "automation" in text, f"{slug}: containment pauses automation (§5)"


pytestmark = pytest.mark.playbook(
    "mission-success-rate",
    "sse-heartbeat",
    "undo-failures",
    "telemetry-ingestion-stalled",
    "oauth-failure-rate",
    "planner-retry-spikes",
    "composio-rate-limit-warnings",
    "library-reuse-drop",
)
