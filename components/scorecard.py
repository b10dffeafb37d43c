"""Scorecard: the operational-scorecard dashboard of playbook §11 for one environment.

One Datadog dashboard (JSON definition, ordered layout) with three groups:

- the state of the environment's monitors (the §4 alerts, SLO burn rates, synthetics);
- the §4 metrics as timeseries, with the alert thresholds drawn as markers;
- the three §1 SLOs with their 7-day and 30-day status and error budget.

The definition is built as a dict and serialised with sorted keys so that the same config
gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_datadog as datadog

from components.datadog_common import SLO_SLUGS, number, scope
from config.monitoring import MonitoringSection
from controlplane.naming import Naming


@dataclass(frozen=True)
class ScorecardArgs:
    """Inputs of :class:`Scorecard`."""

    naming: Naming
    """Names of the environment."""
    config: MonitoringSection
    """``controlplane:monitoring``: metric names and thresholds drawn as markers."""
    service: str
    """The agent's Datadog service name; scopes the queries."""
    slo_ids: Mapping[str, pulumi.Input[str]]
    """Datadog ids of the three SLOs keyed by config key (``Slos.slo_ids``)."""


def _timeseries(
    title: str, query: str, *, markers: tuple[tuple[str, str], ...] = (), bars: bool = False
) -> dict[str, Any]:
    return {
        "definition": {
            "type": "timeseries",
            "title": title,
            "show_legend": False,
            "requests": [
                {
                    "response_format": "timeseries",
                    "queries": [{"data_source": "metrics", "name": "query1", "query": query}],
                    "formulas": [{"formula": "query1"}],
                    "display_type": "bars" if bars else "line",
                }
            ],
            "markers": [
                {"label": label, "value": value, "display_type": "error dashed"}
                for label, value in markers
            ],
        }
    }


def _group(title: str, widgets: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "definition": {
            "type": "group",
            "title": title,
            "layout_type": "ordered",
            "widgets": widgets,
        }
    }


def dashboard_definition(args: ScorecardArgs, slo_ids: Mapping[str, str]) -> dict[str, Any]:
    """The dashboard as Datadog's dashboard JSON."""
    env = args.naming.env
    m = args.config.metrics
    a = args.config.alerts
    where = "{" + scope(args.naming, args.service) + "}"
    metric_widgets = [
        _timeseries(
            "Mission success rate (ratio)",
            f"avg:{m.mission_success_rate}{where}",
            markers=(("critical", f"y = {number(a.mission_success_rate.threshold)}"),),
        ),
        _timeseries("Planner latency p95 (s)", f"avg:{m.planner_latency_p95}{where}"),
        _timeseries(
            "Executor SSE heartbeat latency (s)",
            f"max:{m.executor_heartbeat_latency}{where}",
            markers=(("critical", f"y = {number(a.sse_heartbeat.threshold)}"),),
        ),
        _timeseries(
            "Undo success rate (ratio)",
            f"avg:{m.undo_success_rate}{where}",
            markers=(("critical", f"y = {number(1 - a.undo_failures.threshold)}"),),
        ),
        _timeseries(
            "Safeguard overrides",
            f"sum:{m.safeguard_overrides_count}{where}.as_count()",
            bars=True,
        ),
        _timeseries(
            "Telemetry events ingested",
            f"sum:{m.telemetry_events_ingested}{where}.as_count()",
            bars=True,
        ),
        _timeseries(
            "OAuth failure rate (ratio)",
            f"avg:{m.oauth_failure_rate}{where}",
            markers=(("high", f"y = {number(a.oauth_failure_rate.threshold)}"),),
        ),
        _timeseries("Planner retries", f"sum:{m.planner_retries}{where}.as_count()", bars=True),
        _timeseries(
            "Composio rate-limit warnings",
            f"sum:{m.composio_rate_limit_warnings}{where}.as_count()",
            bars=True,
        ),
        _timeseries("Library reuse rate (ratio)", f"avg:{m.library_reuse_rate}{where}"),
    ]
    slo_widgets = [
        {
            "definition": {
                "type": "slo",
                "title": f"SLO {SLO_SLUGS[key]}",
                "slo_id": slo_ids[key],
                "view_type": "detail",
                "view_mode": "overall",
                "time_windows": ["7d", "30d"],
                "show_error_budget": True,
            }
        }
        for key in SLO_SLUGS
    ]
    status = {
        "definition": {
            "type": "manage_status",
            "title": "Alerts of the environment",
            "query": f'tag:"env:{env}" tag:"managed-by:pulumi"',
            "display_format": "countsAndList",
            "summary_type": "monitors",
            "sort": "status,asc",
        }
    }
    return {
        "title": f"Operational scorecard ({env})",
        "description": (
            f"Playbook §11 scorecard of {args.naming.physical('observability', 'scorecard')}: "
            "§4 metrics and alerts, §1 SLOs. Managed by Pulumi."
        ),
        "layout_type": "ordered",
        "reflow_type": "auto",
        "widgets": [
            _group("Alerts (playbook §4)", [status]),
            _group("Metrics (playbook §4)", metric_widgets),
            _group("Service level objectives (playbook §1)", slo_widgets),
        ],
    }


class Scorecard(pulumi.ComponentResource):
    """The §11 operational-scorecard dashboard of one environment."""

    dashboard: datadog.DashboardJson
    """The dashboard."""

    def __init__(
        self, name: str, args: ScorecardArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:observability:Scorecard", name, None, opts)
        missing = sorted(set(SLO_SLUGS) - set(args.slo_ids))
        if missing:
            raise ValueError(f"slo_ids lacks {', '.join(missing)}: pass Slos.slo_ids")
        definition = pulumi.Output.all(**dict(args.slo_ids)).apply(
            lambda ids: json.dumps(
                dashboard_definition(args, ids), sort_keys=True, ensure_ascii=False
            )
        )
        self.dashboard = datadog.DashboardJson(
            f"{name}-dashboard",
            dashboard=definition,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dashboardUrl": self.dashboard.url})
