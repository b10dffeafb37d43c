"""CP-ALR-001 alerting-monitor-missing-playbook-alerts (stack policy)."""

from __future__ import annotations

import pytest

from policies.alerting.alerting_monitor_missing_playbook_alerts import META
from tests.support import policies_alerting as shapes

NAME = META.name
QUOTES = {
    "mission-success-rate": (
        "critical",
        "Mission success <97% (5m window)",
        "mission.success_rate",
    ),
    "sse-heartbeat": ("critical", "SSE heartbeat >8s", "executor.heartbeat.latency"),
    "undo-failures": ("critical", "undo failures >1% in hour", "1 - undo.success_rate"),
    "telemetry-ingestion-stalled": (
        "critical",
        "telemetry ingestion stalled >15m",
        "telemetry.events.ingested",
    ),
    "oauth-failure-rate": ("high", "OAuth failure rate >5%", "oauth.failure_rate"),
    "planner-retry-spikes": ("high", "planner retry spikes", "planner.retries.count"),
    "composio-rate-limit-warnings": (
        "high",
        "Composio rate-limit warnings",
        "composio.rate_limit.warnings",
    ),
    "library-reuse-drop": (
        "informational",
        "Library reuse drops below rolling average",
        "library.reuse.rate",
    ),
}


def msg(slug: str) -> tuple[str, str]:
    severity, quote, measure = QUOTES[slug]
    return (
        "",
        f"{META.description}\nno monitor tagged alert:{slug} for the {severity} alert "
        f"'{quote}': declare one on {measure}",
    )


def monitors(make, env="prod", without=()):
    return [
        make(shapes.MONITOR, f"acme-{env}-monitoring-{slug}", shapes.monitor_inputs(env, slug))
        for slug in shapes.SLUGS
        if slug not in without
    ]


def test_compliant_baseline_passes(analyze, make):
    assert analyze(monitors(make)).of(NAME) == []


def test_the_playbook_has_eight_alerts():
    assert list(QUOTES) == shapes.SLUGS


@pytest.mark.parametrize("slug", shapes.SLUGS)
def test_each_missing_alert_is_reported(analyze, make, slug):
    checked = analyze(monitors(make, without=[slug]))
    assert checked.of(NAME) == [msg(slug)]
    assert checked.levels(NAME) == ["mandatory"]


def test_no_monitor_at_all_reports_every_alert_in_playbook_order(analyze):
    assert analyze([]).of(NAME) == [msg(slug) for slug in shapes.SLUGS]


def test_untagged_monitor_counts_as_missing_on_purpose(analyze, make):
    # Decided: without alert:<slug> a monitor cannot be told apart from any other.
    assert META.on_missing == "violation"
    resources = monitors(make)
    mission = resources[0]
    mission["inputs"]["tags"] = [t for t in mission["inputs"]["tags"] if not t.startswith("alert:")]
    assert analyze(resources).of(NAME) == [msg("mission-success-rate")]


def test_the_tag_on_another_resource_type_does_not_count(analyze, make):
    resources = monitors(make, without=["sse-heartbeat"])
    resources.append(make(shapes.SYNTHETICS, "synthetic-sse", {"tags": ["alert:sse-heartbeat"]}))
    assert analyze(resources).of(NAME) == [msg("sse-heartbeat")]


def test_unknown_slugs_are_ignored(analyze, make):
    resources = monitors(make)
    resources.append(make(shapes.MONITOR, "other", {"tags": ["alert:slo-api-latency-burn-fast"]}))
    assert analyze(resources).of(NAME) == []


def test_dev_reports_advisory(analyze, make):
    checked = analyze(monitors(make, env="dev", without=["undo-failures"]), env="dev")
    assert checked.of(NAME) == [msg("undo-failures")]
    assert checked.levels(NAME) == ["advisory"]


def test_required_alerts_is_configurable(analyze):
    checked = analyze([], overrides={NAME: {"requiredAlerts": ["sse-heartbeat"]}})
    assert checked.of(NAME) == [msg("sse-heartbeat")]


def test_exclude_pattern_removes_a_monitor_from_the_stack_check(analyze, make):
    resources = monitors(make)
    checked = analyze(resources, overrides={NAME: {"exclude": ["*-undo-failures"]}})
    assert checked.of(NAME) == [msg("undo-failures")]
    assert (
        "info",
        f"{NAME}: acme-prod-monitoring-undo-failures is exempt: excluded by pattern "
        "'*-undo-failures'",
        resources[2]["urn"],
    ) in checked.logs()


def test_include_pattern_limits_the_stack_check(analyze, make):
    checked = analyze(monitors(make), overrides={NAME: {"include": ["*-sse-heartbeat"]}})
    assert checked.of(NAME) == [msg(s) for s in shapes.SLUGS if s != "sse-heartbeat"]
