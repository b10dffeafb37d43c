"""Slos: the objectives of playbook §1 as Datadog SLOs, with burn-rate monitors.

- mission completion ≥ 99 %: a count-based (``metric``) SLO, good missions over all missions;
- streaming heartbeat ≤ 5 s p95 and API latency ≤ 300 ms p95: ``time_slice`` SLOs whose slices
  are good when the p95 of the latency metric (seconds) is at or under the threshold;
- every SLO has 7-day and 30-day targets (percent); the 30-day one is primary;
- every SLO gets the burn-rate monitors of ``slos.burnRateAlerts`` (long and short window),
  routed by their severity like the §4 monitors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_datadog as datadog

from components.datadog_common import (
    SLO_SLUGS,
    AlertRouting,
    number,
    scope,
)
from config.monitoring import MonitoringSection
from config.slos import BurnRateAlert, CountSlo, LatencySlo, SlosSection, SloTargets
from controlplane.naming import Naming

SLO_RUNBOOKS = {
    "missionCompletion": "mission-success-rate",
    "streamingHeartbeat": "sse-heartbeat",
    "apiLatency": "api-latency",
}
"""The runbook a burn-rate alert of each objective links."""
PRIMARY_TIMEFRAME = "30d"

_TimeSlice = datadog.ServiceLevelObjectiveSliSpecificationTimeSliceArgs
_TimeSliceQuery = datadog.ServiceLevelObjectiveSliSpecificationTimeSliceQueryArgs
_Formula = datadog.ServiceLevelObjectiveSliSpecificationTimeSliceQueryFormulaArgs
_Query = datadog.ServiceLevelObjectiveSliSpecificationTimeSliceQueryQueryArgs
_MetricQuery = datadog.ServiceLevelObjectiveSliSpecificationTimeSliceQueryQueryMetricQueryArgs


def burn_rate_query(slo_id: str, alert: BurnRateAlert) -> str:
    """Datadog's burn-rate query for ``alert`` on the SLO ``slo_id``."""
    return (
        f'burn_rate("{slo_id}").over("{alert.timeframe}")'
        f'.long_window("{alert.long_window}").short_window("{alert.short_window}") '
        f"> {number(alert.burn_rate)}"
    )


@dataclass(frozen=True)
class SlosArgs:
    """Inputs of :class:`Slos`."""

    naming: Naming
    """Names and tags of the environment."""
    config: SlosSection
    """``controlplane:slos``: objectives, targets, burn-rate alerts."""
    monitoring: MonitoringSection
    """``controlplane:monitoring``: the team tag and runbook links."""
    service: str
    """The agent's Datadog service name; scopes the SLI queries."""
    alerts: AlertRouting
    """Where the burn-rate alerts notify (``controlplane:routing``, the PagerDuty service)."""


class Slos(pulumi.ComponentResource):
    """The three §1 objectives of one environment and their burn-rate monitors."""

    objectives: dict[str, datadog.ServiceLevelObjective]
    """SLOs keyed by config key (``missionCompletion``, ``streamingHeartbeat``, ``apiLatency``)."""
    slo_ids: dict[str, pulumi.Output[str]]
    """Datadog ids of :attr:`objectives`, same keys."""
    burn_rate_monitors: dict[str, datadog.Monitor]
    """Burn-rate monitors keyed ``<slo key>/<alert name>``."""

    def __init__(
        self, name: str, args: SlosArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:observability:Slos", name, None, opts)
        naming = args.naming
        where = "{" + scope(naming, args.service) + "}"
        self.objectives = {}
        self.burn_rate_monitors = {}

        for key, objective in args.config.objectives().items():
            slug = SLO_SLUGS[key]
            tags = naming.tags(service=args.service, team=args.monitoring.team, slo=slug)
            if isinstance(objective, CountSlo):
                slo = self._objective(
                    f"{name}-{slug}",
                    objective.targets,
                    tags,
                    name=f"Mission completion ≥ {_pct(objective.targets)} ({naming.env})",
                    description="Share of missions that complete successfully (playbook §1).",
                    type="metric",
                    query=datadog.ServiceLevelObjectiveQueryArgs(
                        numerator=f"sum:{objective.good_metric}{where}.as_count()",
                        denominator=f"sum:{objective.total_metric}{where}.as_count()",
                    ),
                )
            else:
                slo = self._latency_slo(name, slug, key, objective, where, tags, naming)
            self.objectives[key] = slo

            for alert in args.config.burn_rate_alerts:
                self.burn_rate_monitors[f"{key}/{alert.name}"] = self._burn_rate_monitor(
                    name, key, slo, alert, args
                )

        self.slo_ids = {key: slo.id for key, slo in self.objectives.items()}
        self.register_outputs({"sloIds": self.slo_ids})

    def _latency_slo(
        self,
        name: str,
        slug: str,
        key: str,
        objective: LatencySlo,
        where: str,
        tags: list[str],
        naming: Naming,
    ) -> datadog.ServiceLevelObjective:
        what = {"streamingHeartbeat": "Streaming heartbeat", "apiLatency": "API latency"}[key]
        return self._objective(
            f"{name}-{slug}",
            objective.targets,
            tags,
            name=f"{what} p95 ≤ {number(objective.threshold_seconds)}s ({naming.env})",
            description=(
                f"Share of {objective.query_interval_seconds}s slices whose p95 "
                f"{objective.metric} is at most {number(objective.threshold_seconds)} s "
                "(playbook §1)."
            ),
            type="time_slice",
            sli_specification=datadog.ServiceLevelObjectiveSliSpecificationArgs(
                time_slice=_TimeSlice(
                    comparator="<=",
                    threshold=objective.threshold_seconds,
                    query_interval_seconds=objective.query_interval_seconds,
                    query=_TimeSliceQuery(
                        formula=_Formula(formula_expression="query1"),
                        queries=[
                            _Query(
                                metric_query=_MetricQuery(
                                    name="query1",
                                    data_source="metrics",
                                    query=f"p95:{objective.metric}{where}",
                                )
                            )
                        ],
                    ),
                )
            ),
        )

    def _objective(
        self, logical_name: str, targets: SloTargets, tags: list[str], **definition: Any
    ) -> datadog.ServiceLevelObjective:
        """An SLO with its 7-day and 30-day targets, the 30-day one primary."""
        return datadog.ServiceLevelObjective(
            logical_name,
            **definition,
            thresholds=_thresholds(targets),
            timeframe=PRIMARY_TIMEFRAME,
            target_threshold=targets.thirty_days,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _burn_rate_monitor(
        self,
        name: str,
        key: str,
        slo: datadog.ServiceLevelObjective,
        alert: BurnRateAlert,
        args: SlosArgs,
    ) -> datadog.Monitor:
        slug = SLO_SLUGS[key]
        severity = alert.severity
        rate = number(alert.burn_rate)
        return args.alerts.monitor(
            self,
            f"{name}-{slug}-burn-{alert.name}",
            naming=args.naming,
            severity=severity,
            title=(
                f"SLO {slug} burning its {alert.timeframe} error budget at {rate}x "
                f"({alert.long_window}/{alert.short_window})"
            ),
            summary=(
                f"The {slug} SLO is burning its {alert.timeframe} error budget at "
                f"{rate}x or more over {alert.long_window} and {alert.short_window}."
            ),
            runbook=args.monitoring.runbook(SLO_RUNBOOKS[key]),
            tags={
                "service": args.service,
                "team": args.monitoring.team,
                "slo": slug,
                "alert": f"slo-{slug}-burn-{alert.name}",
            },
            type="slo alert",
            query=slo.id.apply(lambda slo_id: burn_rate_query(slo_id, alert)),
            monitor_thresholds=datadog.MonitorMonitorThresholdsArgs(critical=rate),
        )


def _thresholds(targets: SloTargets) -> list[datadog.ServiceLevelObjectiveThresholdArgs]:
    return [
        datadog.ServiceLevelObjectiveThresholdArgs(timeframe=timeframe, target=target)
        for timeframe, target in targets.by_timeframe().items()
    ]


def _pct(targets: SloTargets) -> str:
    return f"{number(min(targets.seven_days, targets.thirty_days))}%"
