"""Scorecard: the §11 dashboard holds the §4 metrics, the environment's alerts and the SLOs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.components import Registered
from tests.support.observability import DASHBOARD, SLO, run_observability
from tests.support.playbook_metrics import PLAYBOOK_METRICS


@pytest.fixture(scope="module")
def prod() -> Registered:
    return run_observability("prod")


def widgets(definition: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for widget in definition["widgets"]:
        found.append(widget["definition"])
        if widget["definition"]["type"] == "group":
            found.extend(widgets(widget["definition"]))
    return found


def test_dashboard_holds_metrics_alerts_and_slos(prod: Registered):
    dashboard = prod.one(DASHBOARD)
    component = prod.one("controlplane:observability:Scorecard")
    assert dashboard.parent == component.urn, dashboard.urn
    definition = json.loads(dashboard.inputs["dashboard"])
    assert definition["title"] == "Operational scorecard (prod)"
    assert definition["layout_type"] == "ordered"
    every = widgets(definition)
    queries = [
        q["query"]
        for w in every
        if w["type"] == "timeseries"
        for r in w["requests"]
        for q in r["queries"]
    ]
    for metric in PLAYBOOK_METRICS:
        assert any(f":{metric}{{env:prod," in q for q in queries), f"{metric} not on dashboard"
    slo_ids = sorted(prod.id_of(r) for r in prod.of_type(SLO))
    shown = sorted(w["slo_id"] for w in every if w["type"] == "slo")
    assert shown == slo_ids
    assert all(w["time_windows"] == ["7d", "30d"] for w in every if w["type"] == "slo")
    (status,) = [w for w in every if w["type"] == "manage_status"]
    assert status["query"] == 'tag:"env:prod" tag:"managed-by:pulumi"'
    mission = next(w for w in every if w.get("title") == "Mission success rate (ratio)")
    assert mission["markers"] == [
        {"label": "critical", "value": "y = 0.97", "display_type": "error dashed"}
    ]


def test_same_config_same_bytes(prod: Registered):
    again = run_observability("prod")
    assert again.one(DASHBOARD).inputs == prod.one(DASHBOARD).inputs


pytestmark = pytest.mark.playbook("operational-scorecard")
