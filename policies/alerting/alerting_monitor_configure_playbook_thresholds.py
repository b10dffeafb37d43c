"""CP-ALR-002: each §4 alert's monitor has the playbook's severity, threshold and window.

The monitor of an alert is the Datadog monitor tagged ``alert:<slug>``. Its ``query`` is read as
Datadog writes a metric monitor query, ``<aggregation>(last_<window>):<body> <comparator>
<threshold>``, and compared with the pack's copy of the playbook (``policies._lib.playbook``):

* the metric is the alert's (``metrics`` in the config), scoped to the monitor's ``env`` tag;
* the threshold fires at least whenever the playbook's would ("no looser"), compared in the
  metric's scale (``scales``: a rate is a ratio 0-1 unless the config says percent, a latency is
  seconds unless it says milliseconds); a body ``1 - <rate>`` is read as the complement, so
  ``1 - avg:undo.success_rate > 0.01`` and ``avg:undo.success_rate < 0.99`` are the same alert;
* the window is no longer than the playbook's, where the playbook names one;
* the time aggregation is not the one that waits for every point (``max`` for an alert that
  fires below its threshold, ``min`` for one that fires above);
* ``monitorThresholds.critical``, when set, equals the query's threshold (Datadog rejects a
  monitor where they differ);
* an alert where no data counts as firing (telemetry ingestion stalled) notifies on no data
  after twice the query's window (Datadog's recommended minimum) and no later than twice the
  playbook's window;
* the library-reuse alert is an ``anomalies(...)`` query that fires on a drop.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema
from policies._lib.meta import Meta
from policies._lib.observability import (
    DATADOG_MONITOR,
    METRIC_MONITOR_TYPES,
    MetricQuery,
    minutes_text,
    parse_query,
    tag,
    tags,
)
from policies._lib.playbook import (
    ALERT_TAG_KEY,
    ALERTS,
    ALERTS_BY_SLUG,
    COMPLEMENT_OF,
    SCALE_FACTOR,
    SCALE_TEXT,
    SCALES_BY_KIND,
    PlaybookAlert,
    metrics_schema,
)
from policies._lib.policy import resource_policy
from policies._lib.props import get, is_missing, number

META = Meta(
    id="CP-ALR-002",
    name="alerting-monitor-configure-playbook-thresholds",
    description=(
        "Ensure the monitor of every playbook §4 alert has the playbook's severity, reads the "
        "alert's metric in its environment, and alerts no later than the playbook's threshold "
        "and window."
    ),
    severity="high",
    section="§4 Alerts: thresholds and windows",
    remediation=(
        "Fix the monitor's query (threshold, comparator, window, metric, env scope), its "
        "severity tag or its no-data settings as the message says; the program takes them from "
        "controlplane:monitoring.alerts."
    ),
    on_missing="violation",
    missing_rationale=(
        "a monitor without a query cannot alert, and a stalled-ingestion monitor without "
        "no-data settings stays silent when the data stops; a missing severity or env tag is "
        "CP-LBL-002's to report, and a missing monitorThresholds takes the query's threshold"
    ),
)

CONFIG: Schema = {
    "metrics": metrics_schema(
        "The metric each alert's monitor reads (§4 names mission.success_rate, "
        "executor.heartbeat.latency, undo.success_rate and telemetry.events.ingested)."
    ),
    "scales": {
        "type": "object",
        "properties": {
            alert.slug: {"type": "string", "enum": list(SCALES_BY_KIND[alert.kind])}
            for alert in ALERTS
        },
        "additionalProperties": False,
        "default": {alert.slug: SCALES_BY_KIND[alert.kind][0] for alert in ALERTS},
        "description": (
            "The scale each metric is written in: rates ratio (0.97) or percent (97), latencies "
            "seconds or milliseconds."
        ),
    },
}

_EPSILON = 1e-9


def _num(value: float) -> str:
    return f"{value:.10g}"


def alert_of(props: Mapping[str, Any]) -> PlaybookAlert | None:
    """The playbook alert a monitor is tagged with, if any."""
    for slug in tags(props).get(ALERT_TAG_KEY, []):
        if slug in ALERTS_BY_SLUG:
            return ALERTS_BY_SLUG[slug]
    return None


def applies(resource_type: str, props: Mapping[str, Any], _config: Mapping[str, Any]) -> bool:
    return resource_type == DATADOG_MONITOR and alert_of(props) is not None


def _covers(
    direction: str, found: float, inclusive: bool, book: float, book_inclusive: bool
) -> bool:
    """Whether alerting at ``found`` fires whenever the playbook's alert at ``book`` would."""
    tolerance = _EPSILON * max(1.0, abs(book))
    if abs(found - book) <= tolerance:
        return inclusive or not book_inclusive
    return found > book if direction == "below" else found < book


def _operator(direction: str, inclusive: bool) -> str:
    return ("<" if direction == "below" else ">") + ("=" if inclusive else "")


def _threshold(alert: PlaybookAlert, query: MetricQuery, scale: str) -> Iterator[str]:
    if query.is_anomaly:
        yield f"query is an anomalies(...) query: '{alert.quote}' is a threshold on {alert.measure}"
        return
    whole = COMPLEMENT_OF.get(scale)
    if query.complement_of is not None and query.complement_of != whole:
        yield (
            f"query reads {_num(query.complement_of)} - {alert.metric}, but the metric is "
            f"{SCALE_TEXT[scale]} (scales.{alert.slug}): write it in that scale"
        )
        return
    if scale == "ratio" and not 0.0 <= query.threshold <= 1.0:
        yield (
            f"threshold {_num(query.threshold)} is not a ratio (0-1): write it as a ratio "
            f"(97% is 0.97), or set scales.{alert.slug} to percent in the policy config"
        )
        return
    direction = "below" if query.comparator in ("<", "<=") else "above"
    inclusive = query.comparator in ("<=", ">=")
    value = query.threshold
    if (query.complement_of is not None) != alert.complement and whole is not None:
        # `1 - rate > t` is `rate < 1 - t`: compare on the playbook's side of the rate.
        direction = "below" if direction == "above" else "above"
        value = whole - value
    factor = SCALE_FACTOR[scale]
    found = f"{alert.measure} {_operator(direction, inclusive)} {_num(value)}"
    if direction != alert.direction:
        yield (
            f"query alerts at {found}: '{alert.quote}' fires when {alert.measure} is "
            f"{alert.direction} its threshold"
        )
        return
    if alert.threshold is None:
        return
    book = alert.threshold * factor
    if not _covers(direction, value, inclusive, book, alert.inclusive):
        stricter = "higher" if direction == "below" else "lower"
        yield (
            f"query alerts at {found}, later than the playbook's '{alert.quote}': alert at "
            f"{_operator(direction, alert.inclusive)} {_num(book)} or a {stricter} threshold "
            f"({alert.measure} as {SCALE_TEXT[scale]})"
        )


def _anomaly(alert: PlaybookAlert, query: MetricQuery) -> Iterator[str]:
    if not query.is_anomaly:
        yield (
            f"query is not an anomalies(...) query: '{alert.quote}' compares {alert.metric} "
            "with its rolling average"
        )
    elif query.anomaly_direction not in ("below", "both"):
        yield (
            f"anomalies direction '{query.anomaly_direction}' never fires on a drop: use "
            "direction='below' (or 'both')"
        )


def _window_and_aggregation(alert: PlaybookAlert, query: MetricQuery) -> Iterator[str]:
    if alert.window_minutes is not None and query.window_minutes > alert.window_minutes:
        book = minutes_text(alert.window_minutes)
        yield (
            f"window {query.window} is longer than the playbook's {book} ('{alert.quote}'): "
            f"use last_{book} or shorter"
        )
    if alert.kind == "anomaly":
        return
    fires_below = query.comparator in ("<", "<=")
    waits, instead = ("max", "min") if fires_below else ("min", "max")
    if query.aggregation == waits:
        yield (
            f"time aggregation {waits}() fires only when every point of the window crosses the "
            f"threshold: use avg() or {instead}()"
        )


def _no_data(alert: PlaybookAlert, query: MetricQuery, props: Mapping[str, Any]) -> Iterator[str]:
    """No data counts as stalled: notify once nothing has reported for twice the query's window
    (Datadog's API reference recommends a no-data timeframe of at least twice the window, so
    late or sparse points do not raise early, flapping No Data alerts) and no later than twice
    the playbook's window."""
    if not alert.no_data_fires or alert.window_minutes is None:
        return
    earliest = 2 * query.window_minutes
    latest = 2 * alert.window_minutes
    if get(props, "notifyNoData") is not True:
        yield (
            f"notifyNoData is not on: for '{alert.quote}' no data counts as stalled; set "
            f"notify_no_data=True with no_data_timeframe={earliest}"
        )
        return
    timeframe = number(get(props, "noDataTimeframe"))
    if timeframe is None:
        yield (
            f"noDataTimeframe is not set: set it to twice the query's window, {earliest} minutes"
        )
    elif timeframe < earliest:
        yield (
            f"noDataTimeframe {_num(timeframe)} minutes is shorter than twice the query's "
            f"window ({minutes_text(query.window_minutes)}): late points raise early, flapping "
            f"No Data alerts; set it to {earliest}"
        )
    elif timeframe > latest:
        yield (
            f"noDataTimeframe {_num(timeframe)} minutes is longer than twice the playbook's "
            f"{minutes_text(alert.window_minutes)}: a silent pipeline would alert late; set it "
            f"to {earliest}"
        )


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    props = args.props
    alert = alert_of(props)
    if alert is None:  # pragma: no cover - applies() selected only tagged monitors
        return
    severity = tag(props, "severity")
    if severity is not None and severity != alert.severity:
        yield (
            f"tag severity:{severity}: the playbook makes '{alert.quote}' a {alert.severity} "
            f"alert; tag it severity:{alert.severity}"
        )
    kind = get(props, "type")
    if not is_missing(kind) and kind not in METRIC_MONITOR_TYPES:
        yield f"type '{kind}' is not a metric monitor: declare a 'query alert' on {alert.metric}"
        return
    text = get(props, "query")
    if is_missing(text):
        yield f"no query: '{alert.quote}' needs a metric query on {alert.metric}"
        return
    query = parse_query(str(text))
    if query is None:
        yield (
            f"query '{text}' cannot be read: write <avg|max|min|sum>(last_<n><m|h|d|w>):"
            "<metric query> <comparator> <threshold>"
        )
        return
    metric = str(config["metrics"].get(alert.slug, alert.metric))
    scale = str(config["scales"].get(alert.slug, SCALES_BY_KIND[alert.kind][0]))
    if query.metrics != [metric]:
        yield f"query reads {', '.join(query.metrics) or 'no metric'}: the alert is on {metric}"
    env = tag(props, "env")
    unscoped = [t for t in query.terms if env is not None and f"env:{env}" not in t.scope]
    if unscoped:
        yield (
            f"query scope {{{','.join(unscoped[0].scope)}}} does not select env:{env}: add "
            f"env:{env} so the monitor watches its own environment"
        )
    if alert.kind == "anomaly":
        yield from _anomaly(alert, query)
    else:
        yield from _threshold(alert, query, scale)
    yield from _window_and_aggregation(alert, query)
    critical = number(get(props, "monitorThresholds.critical"))
    if critical is not None and abs(critical - query.threshold) > _EPSILON * max(
        1.0, abs(query.threshold)
    ):
        yield (
            f"monitorThresholds.critical {_num(critical)} differs from the query's threshold "
            f"{_num(query.threshold)}: Datadog rejects the monitor; make them equal"
        )
    yield from _no_data(alert, query, props)


POLICY = resource_policy(META, applies_to=applies, check=check, config=CONFIG)
