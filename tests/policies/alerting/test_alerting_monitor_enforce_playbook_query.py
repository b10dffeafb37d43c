"""CP-ALR-009 alerting-monitor-enforce-playbook-query (stack policy)."""

from __future__ import annotations

import pytest

from policies.alerting.alerting_monitor_enforce_playbook_query import META
from tests.support import policies_alerting as shapes
from tests.support.policies import message_for

NAME = META.name
SLO = "datadog:index/serviceLevelObjective:ServiceLevelObjective"

msg = message_for(META)


def monitor(make, slug, **changes):
    inputs = shapes.monitor_inputs("prod", slug)
    inputs.update(changes)
    return make(shapes.MONITOR, f"acme-prod-monitoring-{slug}", inputs)


def query(slug, old, new):
    text = shapes.monitor_inputs("prod", slug)["query"]
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize("slug", shapes.SLUGS)
def test_the_components_queries_pass(analyze, make, slug):
    assert META.on_missing == "pass"
    assert analyze([monitor(make, slug)]).of(NAME) == []


@pytest.mark.parametrize(
    ("slug", "old", "new", "detail"),
    [
        (
            "mission-success-rate",
            "} < 0.97",
            "} * 0 < 0.97",
            "query body 'avg:mission.success_rate{env:prod,service:controlplane-agent} * 0' is "
            "not avg:mission.success_rate{...}: arithmetic or functions around the metric change "
            "what the threshold compares",
        ),
        (
            "undo-failures",
            "} > 0.01",
            "}.rollup(avg, 86400) > 0.01",
            "query body '1 - avg:undo.success_rate{env:prod,service:controlplane-agent}"
            ".rollup(avg, 86400)' is not 1 - avg:undo.success_rate{...}: arithmetic or functions "
            "around the metric change what the threshold compares",
        ),
        (
            "telemetry-ingestion-stalled",
            "service:controlplane-agent}",
            "service:controlplane-agent,region:mars}",
            "query scope {env:prod,service:controlplane-agent,region:mars} adds region:mars: "
            "scope it to the monitor's env and service tags only",
        ),
        (
            "sse-heartbeat",
            "} > 8",
            "} < 8",
            "comparator < does not fire on the playbook's side: use > or >=",
        ),
        (
            "planner-retry-spikes",
            "sum(last_10m)",
            "avg(last_10m)",
            "time aggregation avg() is not sum() for 'planner retry spikes'",
        ),
        (
            "oauth-failure-rate",
            "avg:oauth",
            "max:oauth",
            "query reads max:oauth.failure_rate: the alert reads avg:oauth.failure_rate",
        ),
    ],
)
def test_a_query_that_is_not_the_playbooks_is_rejected(analyze, make, slug, old, new, detail):
    found = monitor(make, slug, query=query(slug, old, new))
    assert analyze([found]).of(NAME) == [(found["urn"], msg(detail))]


@pytest.mark.parametrize(
    ("slug", "changes", "detail"),
    [
        (
            "mission-success-rate",
            {"draftStatus": "draft"},
            "draftStatus is draft: a draft monitor sends no notification",
        ),
        (
            "sse-heartbeat",
            {"evaluationDelay": 900},
            "evaluationDelay 900 s holds every evaluation back: at most 60 s",
        ),
        (
            "sse-heartbeat",
            {"newHostDelay": 3600},
            "newHostDelay 3600 s skips new groups: at most 300 s",
        ),
        (
            "undo-failures",
            {"schedulingOptions": {"evaluationWindow": {"dayStarts": "04:00"}}},
            "schedulingOptions.evaluationWindow evaluates on a calendar instead of the playbook's "
            "rolling window: remove it",
        ),
        (
            "telemetry-ingestion-stalled",
            {"requireFullWindow": True},
            "requireFullWindow skips evaluations of a sparse metric: set it to false",
        ),
        (
            "telemetry-ingestion-stalled",
            {"onMissingData": "resolve"},
            "onMissingData resolve: for 'telemetry ingestion stalled >15m' no data is the alert; "
            "use show_and_notify_no_data",
        ),
    ],
)
def test_an_option_that_holds_the_alert_back_is_rejected(analyze, make, slug, changes, detail):
    found = monitor(make, slug, **changes)
    assert analyze([found]).of(NAME) == [(found["urn"], msg(detail))]


def test_evaluation_delay_within_the_bound_passes(analyze, make):
    assert analyze([monitor(make, "sse-heartbeat", evaluationDelay=60)]).of(NAME) == []


def burn(make, rate="14.4", long="1h", short="5m", slo="123", name="burn"):
    return make(
        shapes.MONITOR,
        name,
        {
            "type": "slo alert",
            "query": f'burn_rate("{slo}").over("30d").long_window("{long}")'
            f'.short_window("{short}") > {rate}',
            "monitorThresholds": {"critical": rate},
            "tags": ["alert:slo-mission-completion-burn-fast", "env:prod", "severity:high"],
        },
    )


def test_burn_rate_alerts_within_the_table_pass(analyze, make):
    slo = make(SLO, "slo", {"id": "123", "name": "mission"})
    assert analyze([slo, burn(make), burn(make, "6", "6h", "30m", name="slow")]).of(NAME) == []


@pytest.mark.parametrize(
    ("kwargs", "detail"),
    [
        (
            {"rate": "100"},
            "burn rate 100x over 1h/5m is looser than every allowed burn-rate alert (14.4x over "
            "1h/5m, 6x over 6h/30m): it may never fire",
        ),
        (
            {"rate": "6", "long": "1d"},
            "burn rate 6x over 1d/5m is looser than every allowed burn-rate alert (14.4x over "
            "1h/5m, 6x over 6h/30m): it may never fire",
        ),
        ({"slo": "999"}, "burn_rate reads SLO 999, which is no SLO of this stack"),
    ],
)
def test_burn_rate_alerts_beyond_the_table_are_rejected(analyze, make, kwargs, detail):
    slo = make(SLO, "slo", {"id": "123", "name": "mission"})
    found = burn(make, **kwargs)
    assert analyze([slo, found]).of(NAME) == [(found["urn"], msg(detail))]


@pytest.mark.parametrize(("status", "found"), [("live", False), ("paused", True)])
def test_a_paused_synthetic_test_is_rejected(analyze, make, status, found):
    test = make(shapes.SYNTHETICS, "synthetics-sse", {"name": "sse", "status": status})
    expected = (
        [(test["urn"], msg("status paused: a paused synthetic test runs and alerts on nothing"))]
        if found
        else []
    )
    assert analyze([test]).of(NAME) == expected
