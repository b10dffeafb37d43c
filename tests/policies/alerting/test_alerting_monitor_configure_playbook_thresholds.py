"""CP-ALR-002 alerting-monitor-configure-playbook-thresholds."""

from __future__ import annotations

import pytest

from policies.alerting.alerting_monitor_configure_playbook_thresholds import META
from tests.support import policies_alerting as shapes
from tests.support.policies import message_for

NAME = META.name
WHERE = "{env:prod,service:controlplane-agent}"
MISSION = f"avg:mission.success_rate{WHERE}"
UNDO = f"avg:undo.success_rate{WHERE}"
TELEMETRY = f"sum:telemetry.events.ingested{WHERE}.as_count()"
HEARTBEAT = f"avg:executor.heartbeat.latency{WHERE}"

msg = message_for(META)


def monitor(make, slug, env="prod", **changes):
    inputs = shapes.monitor_inputs(env, slug)
    for key, value in changes.items():
        if value is None:
            inputs.pop(key, None)
        else:
            inputs[key] = value
    return make(shapes.MONITOR, f"acme-{env}-monitoring-{slug}", inputs)


def queried(text, threshold=None):
    """Inputs that give a monitor ``text`` as query (and the matching critical threshold)."""
    critical = threshold if threshold is not None else text.rsplit(" ", 1)[1]
    return {"query": text, "monitorThresholds": {"critical": critical}}


def query(make, slug, text, threshold=None):
    """The monitor of ``slug`` with ``text`` as query (and the matching critical threshold)."""
    return monitor(make, slug, **queried(text, threshold))


def violations(analyze, resource, **kwargs):
    return analyze([resource], **kwargs).of(NAME)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_compliant_baseline_passes(analyze, make, env):
    resources = [monitor(make, slug, env) for slug in shapes.SLUGS]
    checked = analyze(resources, env=env)
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == []


def passes(case_id, slug, overrides=None, **changes):
    """A monitor of ``slug`` with ``changes`` that the policy lets through under ``overrides``."""
    return pytest.param(slug, changes, overrides, id=case_id)


def rejected(case_id, slug, detail, overrides=None, **changes):
    """A monitor of ``slug`` with ``changes`` that the policy rejects with ``detail``."""
    return pytest.param(slug, changes, overrides, detail, id=case_id)


PERCENT = {NAME: {"scales": {"mission-success-rate": "percent", "undo-failures": "percent"}}}
MILLISECONDS = {NAME: {"scales": {"sse-heartbeat": "milliseconds"}}}
PLANNER = f"sum:planner.retries.count{WHERE}.as_count()"
ANOMALY = shapes.monitor_inputs("prod", "library-reuse-drop")["query"]
HEARTBEAT_TAGS = shapes.monitor_inputs("prod", "sse-heartbeat")["tags"]


@pytest.mark.parametrize(
    ("slug", "changes", "overrides"),
    [
        passes(
            "stricter-threshold",
            "mission-success-rate",
            **queried(f"avg(last_5m):{MISSION} < 0.98"),
        ),
        passes(
            "fires-at-the-threshold-too",
            "mission-success-rate",
            **queried(f"avg(last_5m):{MISSION} <= 0.97"),
        ),
        passes(
            "shorter-window", "mission-success-rate", **queried(f"avg(last_1m):{MISSION} < 0.97")
        ),
        passes(
            "any-point-below", "mission-success-rate", **queried(f"min(last_5m):{MISSION} < 0.97")
        ),
        passes(
            "window-free-where-the-playbook-names-none",
            "sse-heartbeat",
            **queried(f"max(last_1h):{HEARTBEAT} > 8"),
        ),
        passes(
            "undo-success-rate-below-0.99-is-the-same-alert",
            "undo-failures",
            **queried(f"avg(last_1h):{UNDO} < 0.99"),
        ),
        passes(
            "stalled-ingestion-at-zero",
            "telemetry-ingestion-stalled",
            **queried(f"sum(last_15m):{TELEMETRY} <= 0"),
        ),
        passes(
            "stalled-ingestion-below-one",
            "telemetry-ingestion-stalled",
            **queried(f"sum(last_15m):{TELEMETRY} < 1"),
        ),
        passes(
            "percent-scale-configured",
            "mission-success-rate",
            PERCENT,
            **queried(f"avg(last_5m):{MISSION} < 97"),
        ),
        passes(
            "percent-complement-configured",
            "undo-failures",
            PERCENT,
            **queried(f"avg(last_1h):100 - {UNDO} > 1"),
        ),
        passes(
            "milliseconds-scale-configured",
            "sse-heartbeat",
            MILLISECONDS,
            **queried(f"max(last_5m):{HEARTBEAT} > 8000"),
        ),
        passes(
            "threshold-free-alert-above",
            "planner-retry-spikes",
            **queried(f"sum(last_1h):{PLANNER} > 500"),
        ),
        passes(
            "missing-monitor-thresholds-take-the-querys",
            "oauth-failure-rate",
            monitorThresholds=None,
        ),
        passes("other-alerts-need-no-no-data", "mission-success-rate", notifyNoData=None),
        passes("library-reuse-anomaly-below", "library-reuse-drop", query=ANOMALY),
        passes(
            "library-reuse-anomaly-both",
            "library-reuse-drop",
            query=ANOMALY.replace("below", "both"),
        ),
    ],
)
def test_monitor_that_meets_the_playbook_passes(analyze, make, slug, changes, overrides):
    resource = monitor(make, slug, **changes)
    assert violations(analyze, resource, overrides=overrides) == []


@pytest.mark.parametrize(
    ("slug", "changes", "overrides", "detail"),
    [
        rejected(
            "looser-threshold",
            "mission-success-rate",
            "query alerts at mission.success_rate < 0.95, later than the playbook's "
            "'Mission success <97% (5m window)': alert at < 0.97 or a higher threshold "
            "(mission.success_rate as a ratio 0-1)",
            **queried(f"avg(last_5m):{MISSION} < 0.95"),
        ),
        rejected(
            "wrong-direction",
            "mission-success-rate",
            "query alerts at mission.success_rate > 0.97: 'Mission success <97% (5m window)' "
            "fires when mission.success_rate is below its threshold",
            **queried(f"avg(last_5m):{MISSION} > 0.97"),
        ),
        rejected(
            "longer-window",
            "mission-success-rate",
            "window last_10m is longer than the playbook's 5m ('Mission success <97% (5m "
            "window)'): use last_5m or shorter",
            **queried(f"avg(last_10m):{MISSION} < 0.97"),
        ),
        *[
            rejected(
                f"{waits}-waits-for-every-point",
                slug,
                f"time aggregation {waits}() fires only when every point of the window crosses "
                f"the threshold: use avg() or {instead}()",
                **queried(text),
            )
            for slug, text, waits, instead in [
                ("mission-success-rate", f"max(last_5m):{MISSION} < 0.97", "max", "min"),
                ("sse-heartbeat", f"min(last_5m):{HEARTBEAT} > 8", "min", "max"),
            ]
        ],
        *[
            rejected(
                f"undo-failures-as-the-complement-{case_id}",
                "undo-failures",
                f"query alerts at {found}, later than the playbook's 'undo failures >1% in "
                "hour': alert at > 0.01 or a lower threshold (1 - undo.success_rate as a ratio "
                "0-1)",
                **queried(text),
            )
            for case_id, text, found in [
                ("above-0.02", f"avg(last_1h):1 - {UNDO} > 0.02", "1 - undo.success_rate > 0.02"),
                ("below-0.98", f"avg(last_1h):{UNDO} < 0.98", "1 - undo.success_rate > 0.02"),
                ("at-0.98", f"avg(last_1h):{UNDO} <= 0.98", "1 - undo.success_rate >= 0.02"),
            ]
        ],
        rejected(
            "stalled-ingestion-below-zero",
            "telemetry-ingestion-stalled",
            "query alerts at telemetry.events.ingested < 0, later than the playbook's "
            "'telemetry ingestion stalled >15m': alert at <= 0 or a higher threshold "
            "(telemetry.events.ingested as a count)",
            **queried(f"sum(last_15m):{TELEMETRY} < 0"),
        ),
        rejected(
            "percent-threshold-under-ratio-scale",
            "mission-success-rate",
            "threshold 97 is not a ratio (0-1): write it as a ratio (97% is 0.97), or set "
            "scales.mission-success-rate to percent in the policy config",
            **queried(f"avg(last_5m):{MISSION} < 97"),
        ),
        rejected(
            "looser-threshold-in-percent",
            "mission-success-rate",
            "query alerts at mission.success_rate < 95, later than the playbook's 'Mission "
            "success <97% (5m window)': alert at < 97 or a higher threshold "
            "(mission.success_rate as a percentage 0-100)",
            PERCENT,
            **queried(f"avg(last_5m):{MISSION} < 95"),
        ),
        rejected(
            "complement-in-the-other-scale",
            "undo-failures",
            "query reads 100 - undo.success_rate, but the metric is a ratio 0-1 "
            "(scales.undo-failures): write it in that scale",
            **queried(f"avg(last_1h):100 - {UNDO} > 1"),
        ),
        rejected(
            "looser-threshold-in-milliseconds",
            "sse-heartbeat",
            "query alerts at executor.heartbeat.latency > 9000, later than the playbook's "
            "'SSE heartbeat >8s': alert at > 8000 or a lower threshold "
            "(executor.heartbeat.latency as milliseconds)",
            MILLISECONDS,
            **queried(f"max(last_5m):{HEARTBEAT} > 9000"),
        ),
        rejected(
            "threshold-free-alert-below",
            "planner-retry-spikes",
            "query alerts at planner.retries.count < 25: 'planner retry spikes' fires when "
            "planner.retries.count is above its threshold",
            **queried(f"sum(last_10m):{PLANNER} < 25"),
        ),
        rejected(
            "wrong-metric",
            "oauth-failure-rate",
            "query reads oauth.errors: the alert is on oauth.failure_rate",
            **queried(f"avg(last_15m):avg:oauth.errors{WHERE} > 0.05"),
        ),
        rejected(
            "configured-metric",
            "oauth-failure-rate",
            "query reads oauth.failure_rate: the alert is on auth.failure_ratio",
            {NAME: {"metrics": {"oauth-failure-rate": "auth.failure_ratio"}}},
        ),
        rejected(
            "scope-of-another-environment",
            "mission-success-rate",
            "query scope {env:staging,service:controlplane-agent} does not select env:prod: "
            "add env:prod so the monitor watches its own environment",
            **queried(
                "avg(last_5m):avg:mission.success_rate{env:staging,service:controlplane-agent} "
                "< 0.97"
            ),
        ),
        rejected(
            "severity-not-the-playbooks",
            "sse-heartbeat",
            "tag severity:high: the playbook makes 'SSE heartbeat >8s' a critical alert; tag "
            "it severity:critical",
            tags=[t.replace("severity:critical", "severity:high") for t in HEARTBEAT_TAGS],
        ),
        rejected(
            "critical-threshold-differs-from-the-query",
            "oauth-failure-rate",
            "monitorThresholds.critical 0.1 differs from the query's threshold 0.05: "
            "Datadog rejects the monitor; make them equal",
            **queried(shapes.monitor_inputs("prod", "oauth-failure-rate")["query"], "0.1"),
        ),
        rejected(
            "missing-query",
            "mission-success-rate",
            "no query: 'Mission success <97% (5m window)' needs a metric query on "
            "mission.success_rate",
            query=None,
        ),
        rejected(
            "unreadable-query",
            "mission-success-rate",
            "query 'mission success is low' cannot be read: write <avg|max|min|sum>"
            "(last_<n><m|h|d|w>):<metric query> <comparator> <threshold>",
            query="mission success is low",
        ),
        rejected(
            "other-monitor-type",
            "mission-success-rate",
            "type 'composite' is not a metric monitor: declare a 'query alert' on "
            "mission.success_rate",
            type="composite",
        ),
        rejected(
            "stalled-ingestion-without-no-data",
            "telemetry-ingestion-stalled",
            "notifyNoData is not on: for 'telemetry ingestion stalled >15m' no data counts "
            "as stalled; set notify_no_data=True with no_data_timeframe=30",
            notifyNoData=False,
        ),
        rejected(
            "stalled-ingestion-no-data-timeframe-unset",
            "telemetry-ingestion-stalled",
            "noDataTimeframe is not set: set it to twice the query's window, 30 minutes",
            noDataTimeframe=None,
        ),
        rejected(
            "stalled-ingestion-no-data-timeframe-too-long",
            "telemetry-ingestion-stalled",
            "noDataTimeframe 31 minutes is longer than twice the playbook's 15m: a silent "
            "pipeline would alert late; set it to 30",
            noDataTimeframe=31,
        ),
        rejected(
            "stalled-ingestion-no-data-timeframe-equal-to-the-window",
            "telemetry-ingestion-stalled",
            "noDataTimeframe 15 minutes is shorter than twice the query's window (15m): late "
            "points raise early, flapping No Data alerts; set it to 30",
            noDataTimeframe=15,
        ),
        rejected(
            "library-reuse-anomaly-above",
            "library-reuse-drop",
            "anomalies direction 'above' never fires on a drop: use direction='below' (or 'both')",
            query=ANOMALY.replace("below", "above"),
        ),
        rejected(
            "anomaly-query-for-a-threshold-alert",
            "mission-success-rate",
            "query is an anomalies(...) query: 'Mission success <97% (5m window)' is a "
            "threshold on mission.success_rate",
            **queried(
                ANOMALY.replace("library.reuse.rate", "mission.success_rate").replace(
                    "last_4h", "last_5m"
                )
            ),
        ),
    ],
)
def test_monitor_that_misses_the_playbook_is_rejected(
    analyze, make, slug, changes, overrides, detail
):
    resource = monitor(make, slug, **changes)
    checked = analyze([resource], overrides=overrides)
    assert checked.of(NAME) == [(resource["urn"], msg(detail))]
    assert checked.levels(NAME) == ["mandatory"]


def test_missing_query_is_rejected_on_purpose():
    # Decided: a monitor without a query cannot alert on the playbook's metric.
    assert META.on_missing == "violation"


def test_missing_severity_tag_is_left_to_the_tags_policy(analyze, make):
    resource = monitor(
        make, "sse-heartbeat", tags=[t for t in HEARTBEAT_TAGS if not t.startswith("severity:")]
    )
    checked = analyze([resource])
    assert checked.of(NAME) == []
    assert checked.of("labels-datadogmonitor-missing-required-tags") == [
        (
            resource["urn"],
            "Ensure every Datadog monitor carries env and severity tags with allowed values.\n"
            "tags lack severity: add '<key>:<value>' tags for them",
        )
    ]


def test_library_reuse_must_be_an_anomaly_query(analyze, make):
    text = f"avg(last_4h):avg:library.reuse.rate{WHERE} < 0.2"
    resource = query(make, "library-reuse-drop", text, "1")
    assert violations(analyze, resource)[0] == (
        resource["urn"],
        msg(
            "query is not an anomalies(...) query: 'Library reuse drops below rolling average' "
            "compares library.reuse.rate with its rolling average"
        ),
    )


def test_monitors_of_other_alerts_are_not_checked(analyze, make):
    resource = make(
        shapes.MONITOR,
        "slo-burn",
        {"type": "slo alert", "query": "burn_rate(x) > 14", "tags": ["alert:slo-burn"]},
    )
    checked = analyze([resource])
    assert checked.of(NAME) == [] and checked.exempt(NAME) == []


def test_exclude_pattern_exempts(analyze, make):
    resource = query(make, "mission-success-rate", f"avg(last_5m):{MISSION} < 0.5")
    checked = analyze([resource], overrides={NAME: {"exclude": ["*-mission-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern '*-mission-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = query(make, "mission-success-rate", f"avg(last_5m):{MISSION} < 0.5")
    checked = analyze([resource], overrides={NAME: {"include": ["*-sse-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['*-sse-*']")]
