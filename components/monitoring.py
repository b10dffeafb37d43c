"""Monitoring: one Datadog monitor per alert of playbook §4, routed by severity.

Every monitor carries the threshold and window of its alert twice, in the query
(``avg(last_5m):... < 0.97``) and in ``monitor_thresholds``, is scoped to the environment and
the agent's service (``{env:prod,service:...}``), is tagged ``env``, ``service``, ``severity``,
``team`` and ``alert:<slug>``, and has a message that links ``docs/runbooks/<slug>.md`` and
mentions the notification targets that ``controlplane:routing`` gives its severity.

Scales (see :mod:`config.observability`): rates are ratios 0-1, latencies seconds,
counts are summed over the window with ``.as_count()``.

Monitor names start with ``[<severity>]``: the on-call service's event orchestration reads that
marker to set the PagerDuty urgency (:mod:`components.datadog_common`, :mod:`components.on_call`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_datadog as datadog

from components.datadog_common import (
    AlertRouting,
    number,
    scope,
)
from config.common import window_minutes
from config.monitoring import AnomalyAlert, MonitoringSection
from controlplane.naming import Naming
from controlplane.playbook import PLAYBOOK


@dataclass(frozen=True)
class MonitoringArgs:
    """Inputs of :class:`Monitoring`."""

    naming: Naming
    """Names and tags of the environment."""
    config: MonitoringSection
    """``controlplane:monitoring``: metric names, thresholds and windows, team."""
    service: str
    """The agent's Datadog service name (its ``DD_SERVICE``); scopes queries and tags. A plain
    string so that queries, tags and messages stay known at preview for the policy pack."""
    alerts: AlertRouting
    """Where the monitors notify (``controlplane:routing``, the PagerDuty service)."""


@dataclass(frozen=True)
class _Spec:
    key: str
    title: str
    summary: str
    query: str
    threshold: str


class Monitoring(pulumi.ComponentResource):
    """The §4 alerts of one environment as Datadog monitors."""

    monitors: dict[str, datadog.Monitor]
    """Monitors keyed by the alert's config key (``missionSuccessRate``, ...)."""
    monitor_ids: dict[str, pulumi.Output[str]]
    """Datadog ids of :attr:`monitors`, same keys."""

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:observability:Monitoring", name, None, opts)
        cfg = args.config
        metrics = cfg.metrics
        alerts = cfg.alerts
        where = "{" + scope(args.naming, args.service) + "}"
        self.monitors = {}

        stalled = alerts.telemetry_ingestion_stalled
        for spec in _threshold_specs(cfg, where):
            self.monitors[spec.key] = self._monitor(
                name,
                args,
                spec,
                thresholds=datadog.MonitorMonitorThresholdsArgs(critical=spec.threshold),
                # No data counts as stalled: notify when nothing has reported for twice the
                # window. Datadog's monitor API reference recommends a no-data timeframe of at
                # least twice the query's window, so late points raise no early, flapping alert;
                # a pipeline that still reports zero counts alerts at the window (the threshold).
                no_data_minutes=(
                    2 * window_minutes(stalled.window)
                    if spec.key == "telemetryIngestionStalled"
                    else None
                ),
            )

        anomaly = alerts.library_reuse_drop
        self.monitors["libraryReuseDrop"] = self._monitor(
            name,
            args,
            _Spec(
                key="libraryReuseDrop",
                title=f"Library reuse below its rolling range over {anomaly.alert_window}",
                summary="Library reuse dropped below its rolling average (anomaly, "
                f"{number(anomaly.deviations)} deviations, algorithm {anomaly.algorithm}).",
                query=anomaly_query(metrics.library_reuse_rate, where, anomaly),
                threshold="1",
            ),
            thresholds=datadog.MonitorMonitorThresholdsArgs(critical="1", critical_recovery="0"),
            windows=datadog.MonitorMonitorThresholdWindowsArgs(
                trigger_window=f"last_{anomaly.alert_window}",
                recovery_window=f"last_{anomaly.alert_window}",
            ),
        )
        self.monitor_ids = {key: monitor.id for key, monitor in self.monitors.items()}
        self.register_outputs({"monitorIds": self.monitor_ids})

    def _monitor(
        self,
        name: str,
        args: MonitoringArgs,
        spec: _Spec,
        *,
        thresholds: datadog.MonitorMonitorThresholdsArgs,
        windows: datadog.MonitorMonitorThresholdWindowsArgs | None = None,
        no_data_minutes: int | None = None,
    ) -> datadog.Monitor:
        book = PLAYBOOK.alert(spec.key)
        severity = book.severity
        return args.alerts.monitor(
            self,
            f"{name}-{book.slug}",
            naming=args.naming,
            severity=severity,
            title=spec.title,
            summary=spec.summary,
            runbook=args.config.runbook(book.slug),
            tags={"service": args.service, "team": args.config.team, "alert": book.slug},
            type="query alert",
            query=spec.query,
            monitor_thresholds=thresholds,
            monitor_threshold_windows=windows,
            notify_no_data=no_data_minutes is not None,
            no_data_timeframe=no_data_minutes,
            require_full_window=False,
            include_tags=True,
        )


def anomaly_query(metric: str, where: str, alert: AnomalyAlert, *, direction: str = "below") -> str:
    """A Datadog anomaly query that fires when ``metric`` leaves its expected band on the
    ``direction`` side (``below``: drops; ``above``: spikes)."""
    interval = 60 if window_minutes(alert.evaluation_window) <= 6 * 60 else 300
    options = [
        f"direction='{direction}'",
        f"alert_window='last_{alert.alert_window}'",
        f"interval={interval}",
        "count_default_zero='true'",
    ]
    if alert.algorithm != "basic":
        options.append(f"seasonality='{alert.seasonality}'")
    return (
        f"avg(last_{alert.evaluation_window}):anomalies(avg:{metric}{where}, "
        f"'{alert.algorithm}', {number(alert.deviations)}, {', '.join(options)}) >= 1"
    )


def _threshold_specs(cfg: MonitoringSection, where: str) -> list[_Spec]:
    m = cfg.metrics
    a = cfg.alerts
    mission = number(a.mission_success_rate.threshold)
    heartbeat = number(a.sse_heartbeat.threshold)
    undo = number(a.undo_failures.threshold)
    stalled = number(a.telemetry_ingestion_stalled.threshold)
    oauth = number(a.oauth_failure_rate.threshold)
    retries = number(a.planner_retry_spikes.threshold)
    composio = number(a.composio_rate_limit_warnings.threshold)
    return [
        _Spec(
            "missionSuccessRate",
            f"Mission success rate below {mission} over {a.mission_success_rate.window}",
            f"Mission success rate (ratio 0-1) fell below {mission} over the last "
            f"{a.mission_success_rate.window}.",
            f"avg(last_{a.mission_success_rate.window}):avg:{m.mission_success_rate}{where} "
            f"< {mission}",
            mission,
        ),
        _Spec(
            "sseHeartbeat",
            f"SSE heartbeat above {heartbeat}s",
            f"Executor SSE heartbeat latency rose above {heartbeat} s (max over the last "
            f"{a.sse_heartbeat.window}).",
            f"max(last_{a.sse_heartbeat.window}):avg:{m.executor_heartbeat_latency}{where} "
            f"> {heartbeat}",
            heartbeat,
        ),
        _Spec(
            "undoFailures",
            f"Undo failures above {undo} over {a.undo_failures.window}",
            f"Undo failure ratio (1 - undo success rate) rose above {undo} over the last "
            f"{a.undo_failures.window}.",
            f"avg(last_{a.undo_failures.window}):1 - avg:{m.undo_success_rate}{where} > {undo}",
            undo,
        ),
        _Spec(
            "telemetryIngestionStalled",
            f"Telemetry ingestion stalled for {a.telemetry_ingestion_stalled.window}",
            f"At most {stalled} telemetry events were ingested over the last "
            f"{a.telemetry_ingestion_stalled.window}; no data counts as stalled.",
            f"sum(last_{a.telemetry_ingestion_stalled.window}):sum:{m.telemetry_events_ingested}"
            f"{where}.as_count() <= {stalled}",
            stalled,
        ),
        _Spec(
            "oauthFailureRate",
            f"OAuth failure rate above {oauth} over {a.oauth_failure_rate.window}",
            f"OAuth failure rate (ratio 0-1) rose above {oauth} over the last "
            f"{a.oauth_failure_rate.window}.",
            f"avg(last_{a.oauth_failure_rate.window}):avg:{m.oauth_failure_rate}{where} > {oauth}",
            oauth,
        ),
        _Spec(
            "plannerRetrySpikes",
            f"Planner retries above {retries} in {a.planner_retry_spikes.window}",
            f"Planner retries spiked above {retries} over the last "
            f"{a.planner_retry_spikes.window}.",
            f"sum(last_{a.planner_retry_spikes.window}):sum:{m.planner_retries}{where}"
            f".as_count() > {retries}",
            retries,
        ),
        _Spec(
            "composioRateLimitWarnings",
            f"Composio rate-limit warnings above {composio} in "
            f"{a.composio_rate_limit_warnings.window}",
            f"Composio returned more than {composio} rate-limit warnings over the last "
            f"{a.composio_rate_limit_warnings.window}.",
            f"sum(last_{a.composio_rate_limit_warnings.window}):sum:{m.composio_rate_limit_warnings}"
            f"{where}.as_count() > {composio}",
            composio,
        ),
    ]
