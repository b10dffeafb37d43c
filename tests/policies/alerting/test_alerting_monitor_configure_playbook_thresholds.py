"""CP-ALR-002 alerting-monitor-configure-playbook-thresholds."""

from __future__ import annotations

import pytest

from policies.alerting.alerting_monitor_configure_playbook_thresholds import META
from tests.support import policies_alerting as shapes

NAME = META.name
WHERE = "{env:prod,service:controlplane-agent}"
MISSION = f"avg:mission.success_rate{WHERE}"
UNDO = f"avg:undo.success_rate{WHERE}"
TELEMETRY = f"sum:telemetry.events.ingested{WHERE}.as_count()"
HEARTBEAT = f"avg:executor.heartbeat.latency{WHERE}"


def msg(detail: str) -> str:
    return f"{META.description}\n{detail}"


def monitor(make, slug, env="prod", **changes):
    inputs = shapes.monitor_inputs(env, slug)
    for key, value in changes.items():
        if value is None:
            inputs.pop(key, None)
        else:
            inputs[key] = value
    return make(shapes.MONITOR, f"acme-{env}-monitoring-{slug}", inputs)


def query(make, slug, text, threshold=None):
    """The monitor of ``slug`` with ``text`` as query (and the matching critical threshold)."""
    critical = threshold if threshold is not None else text.rsplit(" ", 1)[1]
    return monitor(make, slug, query=text, monitorThresholds={"critical": critical})


def violations(analyze, resource, **kwargs):
    return analyze([resource], **kwargs).of(NAME)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_compliant_baseline_passes(analyze, make, env):
    resources = [monitor(make, slug, env) for slug in shapes.SLUGS]
    checked = analyze(resources, env=env)
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == []


@pytest.mark.parametrize(
    "text",
    [
        f"avg(last_5m):{MISSION} < 0.98",  # stricter threshold
        f"avg(last_5m):{MISSION} <= 0.97",  # fires at the threshold too
        f"avg(last_1m):{MISSION} < 0.97",  # shorter window
        f"min(last_5m):{MISSION} < 0.97",  # any point below
    ],
)
def test_stricter_mission_monitors_pass(analyze, make, text):
    assert violations(analyze, query(make, "mission-success-rate", text)) == []


def test_looser_threshold_is_rejected(analyze, make):
    resource = query(make, "mission-success-rate", f"avg(last_5m):{MISSION} < 0.95")
    checked = analyze([resource])
    assert checked.of(NAME) == [
        (
            resource["urn"],
            msg(
                "query alerts at mission.success_rate < 0.95, later than the playbook's "
                "'Mission success <97% (5m window)': alert at < 0.97 or a higher threshold "
                "(mission.success_rate as a ratio 0-1)"
            ),
        )
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_wrong_direction_is_rejected(analyze, make):
    resource = query(make, "mission-success-rate", f"avg(last_5m):{MISSION} > 0.97")
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "query alerts at mission.success_rate > 0.97: 'Mission success <97% (5m window)' "
                "fires when mission.success_rate is below its threshold"
            ),
        )
    ]


def test_longer_window_is_rejected(analyze, make):
    resource = query(make, "mission-success-rate", f"avg(last_10m):{MISSION} < 0.97")
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "window last_10m is longer than the playbook's 5m ('Mission success <97% (5m "
                "window)'): use last_5m or shorter"
            ),
        )
    ]


def test_window_is_free_where_the_playbook_names_none(analyze, make):
    resource = query(make, "sse-heartbeat", f"max(last_1h):{HEARTBEAT} > 8")
    assert violations(analyze, resource) == []


@pytest.mark.parametrize(
    ("slug", "text", "waits", "instead"),
    [
        ("mission-success-rate", f"max(last_5m):{MISSION} < 0.97", "max", "min"),
        ("sse-heartbeat", f"min(last_5m):{HEARTBEAT} > 8", "min", "max"),
    ],
)
def test_aggregation_that_waits_for_every_point_is_rejected(
    analyze, make, slug, text, waits, instead
):
    resource = query(make, slug, text)
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                f"time aggregation {waits}() fires only when every point of the window crosses "
                f"the threshold: use avg() or {instead}()"
            ),
        )
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"avg(last_1h):1 - {UNDO} > 0.02", "1 - undo.success_rate > 0.02"),
        (f"avg(last_1h):{UNDO} < 0.98", "1 - undo.success_rate > 0.02"),
        (f"avg(last_1h):{UNDO} <= 0.98", "1 - undo.success_rate >= 0.02"),
    ],
)
def test_undo_failures_are_compared_as_the_complement(analyze, make, text, found):
    resource = query(make, "undo-failures", text)
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                f"query alerts at {found}, later than the playbook's 'undo failures >1% in "
                "hour': alert at > 0.01 or a lower threshold (1 - undo.success_rate as a ratio "
                "0-1)"
            ),
        )
    ]


def test_undo_success_rate_below_099_is_the_same_alert(analyze, make):
    resource = query(make, "undo-failures", f"avg(last_1h):{UNDO} < 0.99")
    assert violations(analyze, resource) == []


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        (f"sum(last_15m):{TELEMETRY} <= 0", True),
        (f"sum(last_15m):{TELEMETRY} < 1", True),
        (f"sum(last_15m):{TELEMETRY} < 0", False),
    ],
)
def test_stalled_ingestion_fires_at_zero(analyze, make, text, ok):
    resource = query(make, "telemetry-ingestion-stalled", text)
    expected = (
        []
        if ok
        else [
            (
                resource["urn"],
                msg(
                    "query alerts at telemetry.events.ingested < 0, later than the playbook's "
                    "'telemetry ingestion stalled >15m': alert at <= 0 or a higher threshold "
                    "(telemetry.events.ingested as a count)"
                ),
            )
        ]
    )
    assert violations(analyze, resource) == expected


def test_percent_threshold_under_ratio_scale_is_rejected(analyze, make):
    resource = query(make, "mission-success-rate", f"avg(last_5m):{MISSION} < 97")
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "threshold 97 is not a ratio (0-1): write it as a ratio (97% is 0.97), or set "
                "scales.mission-success-rate to percent in the policy config"
            ),
        )
    ]


def test_percent_scale_is_configurable(analyze, make):
    scales = {NAME: {"scales": {"mission-success-rate": "percent", "undo-failures": "percent"}}}
    good = query(make, "mission-success-rate", f"avg(last_5m):{MISSION} < 97")
    assert violations(analyze, good, overrides=scales) == []
    undo = query(make, "undo-failures", f"avg(last_1h):100 - {UNDO} > 1")
    assert violations(analyze, undo, overrides=scales) == []
    loose = query(make, "mission-success-rate", f"avg(last_5m):{MISSION} < 95")
    assert violations(analyze, loose, overrides=scales) == [
        (
            loose["urn"],
            msg(
                "query alerts at mission.success_rate < 95, later than the playbook's 'Mission "
                "success <97% (5m window)': alert at < 97 or a higher threshold "
                "(mission.success_rate as a percentage 0-100)"
            ),
        )
    ]


def test_complement_in_the_other_scale_is_rejected(analyze, make):
    resource = query(make, "undo-failures", f"avg(last_1h):100 - {UNDO} > 1")
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "query reads 100 - undo.success_rate, but the metric is a ratio 0-1 "
                "(scales.undo-failures): write it in that scale"
            ),
        )
    ]


def test_milliseconds_scale_is_configurable(analyze, make):
    scales = {NAME: {"scales": {"sse-heartbeat": "milliseconds"}}}
    good = query(make, "sse-heartbeat", f"max(last_5m):{HEARTBEAT} > 8000")
    assert violations(analyze, good, overrides=scales) == []
    loose = query(make, "sse-heartbeat", f"max(last_5m):{HEARTBEAT} > 9000")
    assert violations(analyze, loose, overrides=scales) == [
        (
            loose["urn"],
            msg(
                "query alerts at executor.heartbeat.latency > 9000, later than the playbook's "
                "'SSE heartbeat >8s': alert at > 8000 or a lower threshold "
                "(executor.heartbeat.latency as milliseconds)"
            ),
        )
    ]


def test_threshold_free_alert_checks_direction_only(analyze, make):
    where = f"sum:planner.retries.count{WHERE}.as_count()"
    assert (
        violations(analyze, query(make, "planner-retry-spikes", f"sum(last_1h):{where} > 500"))
        == []
    )
    below = query(make, "planner-retry-spikes", f"sum(last_10m):{where} < 25")
    assert violations(analyze, below) == [
        (
            below["urn"],
            msg(
                "query alerts at planner.retries.count < 25: 'planner retry spikes' fires when "
                "planner.retries.count is above its threshold"
            ),
        )
    ]


def test_wrong_metric_is_rejected(analyze, make):
    resource = query(make, "oauth-failure-rate", f"avg(last_15m):avg:oauth.errors{WHERE} > 0.05")
    assert violations(analyze, resource) == [
        (resource["urn"], msg("query reads oauth.errors: the alert is on oauth.failure_rate"))
    ]


def test_metric_is_configurable(analyze, make):
    resource = monitor(make, "oauth-failure-rate")
    overrides = {NAME: {"metrics": {"oauth-failure-rate": "auth.failure_ratio"}}}
    assert violations(analyze, resource, overrides=overrides) == [
        (resource["urn"], msg("query reads oauth.failure_rate: the alert is on auth.failure_ratio"))
    ]


def test_scope_must_select_the_monitors_environment(analyze, make):
    text = "avg(last_5m):avg:mission.success_rate{env:staging,service:controlplane-agent} < 0.97"
    resource = query(make, "mission-success-rate", text)
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "query scope {env:staging,service:controlplane-agent} does not select env:prod: "
                "add env:prod so the monitor watches its own environment"
            ),
        )
    ]


def test_severity_must_be_the_playbooks(analyze, make):
    inputs = shapes.monitor_inputs("prod", "sse-heartbeat")
    tags = [t.replace("severity:critical", "severity:high") for t in inputs["tags"]]
    resource = monitor(make, "sse-heartbeat", tags=tags)
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "tag severity:high: the playbook makes 'SSE heartbeat >8s' a critical alert; tag "
                "it severity:critical"
            ),
        )
    ]


def test_missing_severity_tag_is_left_to_the_tags_policy(analyze, make):
    inputs = shapes.monitor_inputs("prod", "sse-heartbeat")
    resource = monitor(
        make, "sse-heartbeat", tags=[t for t in inputs["tags"] if not t.startswith("severity:")]
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


def test_critical_threshold_must_match_the_query(analyze, make):
    resource = query(
        make,
        "oauth-failure-rate",
        shapes.monitor_inputs("prod", "oauth-failure-rate")["query"],
        "0.1",
    )
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "monitorThresholds.critical 0.1 differs from the query's threshold 0.05: "
                "Datadog rejects the monitor; make them equal"
            ),
        )
    ]


def test_missing_monitor_thresholds_take_the_querys(analyze, make):
    assert violations(analyze, monitor(make, "oauth-failure-rate", monitorThresholds=None)) == []


def test_missing_query_is_rejected_on_purpose(analyze, make):
    assert META.on_missing == "violation"
    resource = monitor(make, "mission-success-rate", query=None)
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "no query: 'Mission success <97% (5m window)' needs a metric query on "
                "mission.success_rate"
            ),
        )
    ]


def test_unreadable_query_is_rejected(analyze, make):
    resource = monitor(make, "mission-success-rate", query="mission success is low")
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "query 'mission success is low' cannot be read: write <avg|max|min|sum>"
                "(last_<n><m|h|d|w>):<metric query> <comparator> <threshold>"
            ),
        )
    ]


def test_other_monitor_types_are_rejected(analyze, make):
    resource = monitor(make, "mission-success-rate", type="composite")
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "type 'composite' is not a metric monitor: declare a 'query alert' on "
                "mission.success_rate"
            ),
        )
    ]


def test_stalled_ingestion_must_notify_on_no_data(analyze, make):
    resource = monitor(make, "telemetry-ingestion-stalled", notifyNoData=False)
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "notifyNoData is not on: for 'telemetry ingestion stalled >15m' no data counts "
                "as stalled; set notify_no_data=True with no_data_timeframe=15"
            ),
        )
    ]


@pytest.mark.parametrize(
    ("timeframe", "detail"),
    [
        (
            None,
            "noDataTimeframe is not set (Datadog then waits twice the query's window): set it "
            "to 15 minutes or less",
        ),
        (
            30,
            "noDataTimeframe 30 minutes is longer than the playbook's 15m: set it to 15 or less",
        ),
    ],
)
def test_stalled_ingestion_no_data_window(analyze, make, timeframe, detail):
    resource = monitor(make, "telemetry-ingestion-stalled", noDataTimeframe=timeframe)
    assert violations(analyze, resource) == [(resource["urn"], msg(detail))]


def test_other_alerts_need_no_no_data(analyze, make):
    resource = monitor(make, "mission-success-rate", notifyNoData=None)
    assert violations(analyze, resource) == []


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


@pytest.mark.parametrize(("direction", "ok"), [("below", True), ("both", True), ("above", False)])
def test_library_reuse_anomaly_direction(analyze, make, direction, ok):
    text = shapes.monitor_inputs("prod", "library-reuse-drop")["query"]
    resource = monitor(make, "library-reuse-drop", query=text.replace("below", direction))
    expected = (
        []
        if ok
        else [
            (
                resource["urn"],
                msg(
                    "anomalies direction 'above' never fires on a drop: use direction='below' "
                    "(or 'both')"
                ),
            )
        ]
    )
    assert violations(analyze, resource) == expected


def test_anomaly_query_for_a_threshold_alert_is_rejected(analyze, make):
    text = shapes.monitor_inputs("prod", "library-reuse-drop")["query"].replace(
        "library.reuse.rate", "mission.success_rate"
    )
    resource = query(make, "mission-success-rate", text.replace("last_4h", "last_5m"))
    assert violations(analyze, resource) == [
        (
            resource["urn"],
            msg(
                "query is an anomalies(...) query: 'Mission success <97% (5m window)' is a "
                "threshold on mission.success_rate"
            ),
        )
    ]


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
