"""Slos: the three §1 objectives with 7- and 30-day targets, and their burn-rate monitors."""

from __future__ import annotations

import pytest

from components.slos import burn_rate_query
from config.slos import BurnRateAlert
from preflight.mocks import Registration
from tests.support.components import Registered
from tests.support.observability import MONITOR, SLO, run_observability

# Playbook §1, copied on purpose:
#   "1. **Reliability:** Maintain mission completion success ≥99% (inspection and governed runs)"
#   "2. **Latency:** Streaming heartbeat ≤5s p95, API latency ≤300ms p95"
MISSION_COMPLETION_TARGET = 99.0
HEARTBEAT_P95_SECONDS = 5.0
API_LATENCY_P95_SECONDS = 0.3
SCOPE = "{env:prod,service:controlplane-agent}"


@pytest.fixture(scope="module")
def prod() -> Registered:
    return run_observability("prod")


def slos(run: Registered) -> dict[str, Registration]:
    found: dict[str, Registration] = {}
    for r in run.of_type(SLO):
        tags = [t for t in r.inputs["tags"] if t.startswith("slo:")]
        assert len(tags) == 1, f"{r.urn}: {tags}"
        found[tags[0].removeprefix("slo:")] = r
    return found


def test_three_slos_with_both_windows(prod: Registered):
    found = slos(prod)
    assert sorted(found) == ["api-latency", "mission-completion", "streaming-heartbeat"]
    component = prod.one("controlplane:observability:Slos")
    for slug, r in found.items():
        inputs = r.inputs
        urn = r.urn
        assert r.parent == component.urn, urn
        assert r.name == f"acme-prod-slos-{slug}", urn
        assert sorted(t["timeframe"] for t in inputs["thresholds"]) == ["30d", "7d"], urn
        assert inputs["timeframe"] == "30d", urn
        thirty = next(t for t in inputs["thresholds"] if t["timeframe"] == "30d")
        assert inputs["targetThreshold"] == thirty["target"], urn
        for tag in ("env:prod", "service:controlplane-agent", "team:sre"):
            assert tag in inputs["tags"], f"{urn}: {tag}"


def test_mission_completion_is_count_based_at_99(prod: Registered):
    r = slos(prod)["mission-completion"]
    inputs = r.inputs
    assert inputs["type"] == "metric", r.urn
    assert inputs["query"] == {
        "numerator": f"sum:mission.runs.succeeded{SCOPE}.as_count()",
        "denominator": f"sum:mission.runs.total{SCOPE}.as_count()",
    }
    for threshold in inputs["thresholds"]:
        assert threshold["target"] == MISSION_COMPLETION_TARGET, threshold


@pytest.mark.parametrize(
    ("slug", "metric", "seconds"),
    [
        ("streaming-heartbeat", "executor.heartbeat.latency", HEARTBEAT_P95_SECONDS),
        ("api-latency", "trace.fastapi.request", API_LATENCY_P95_SECONDS),
    ],
)
def test_latency_slos_are_p95_time_slices(prod: Registered, slug: str, metric: str, seconds: float):
    r = slos(prod)[slug]
    inputs = r.inputs
    assert inputs["type"] == "time_slice", r.urn
    assert inputs["sliSpecification"] == {
        "timeSlice": {
            "comparator": "<=",
            "threshold": seconds,
            "queryIntervalSeconds": 300,
            "query": {
                "formula": {"formulaExpression": "query1"},
                "queries": [
                    {
                        "metricQuery": {
                            "dataSource": "metrics",
                            "name": "query1",
                            "query": f"p95:{metric}{SCOPE}",
                        }
                    }
                ],
            },
        }
    }, r.urn


def test_burn_rate_monitors_per_slo(prod: Registered):
    found = slos(prod)
    burn = [r for r in prod.of_type(MONITOR) if r.inputs["type"] == "slo alert"]
    assert len(burn) == 6, [r.urn for r in burn]
    for slug, slo in found.items():
        slo_id = prod.id_of(slo)
        mine = {r.name: r for r in burn if f"slo:{slug}" in r.inputs["tags"]}
        assert sorted(mine) == [
            f"acme-prod-slos-{slug}-burn-fast",
            f"acme-prod-slos-{slug}-burn-slow",
        ]
        fast = mine[f"acme-prod-slos-{slug}-burn-fast"]
        assert fast.inputs["query"] == (
            f'burn_rate("{slo_id}").over("30d").long_window("1h").short_window("5m") > 14.4'
        ), fast.urn
        assert fast.inputs["monitorThresholds"] == {"critical": "14.4"}, fast.urn
        assert "severity:high" in fast.inputs["tags"], fast.urn
        assert "@pagerduty-acme-prod-oncall-service" in fast.inputs["message"], fast.urn
        slow = mine[f"acme-prod-slos-{slug}-burn-slow"]
        assert slow.inputs["query"].endswith('.long_window("6h").short_window("30m") > 6'), slow.urn
        assert "severity:informational" in slow.inputs["tags"], slow.urn
        assert "@pagerduty" not in slow.inputs["message"], f"{slow.urn}: informational pages"
        assert slow.inputs["name"].startswith("[informational] "), slow.urn


def test_burn_rate_query():
    alert = BurnRateAlert(
        name="fast",
        timeframe="7d",
        burn_rate=16.8,
        long_window="1h",
        short_window="5m",
        severity="critical",
    )
    assert burn_rate_query("abc123", alert) == (
        'burn_rate("abc123").over("7d").long_window("1h").short_window("5m") > 16.8'
    )


def test_targets_from_config():
    run = run_observability(
        "staging",
        slos={
            "missionCompletion": {"targets": {"sevenDays": 99.5, "thirtyDays": 99.9}},
            "burnRateAlerts": [
                {
                    "name": "page",
                    "timeframe": "7d",
                    "burnRate": 16.8,
                    "longWindow": "1h",
                    "shortWindow": "5m",
                    "severity": "critical",
                }
            ],
        },
    )
    r = slos(run)["mission-completion"]
    assert r.inputs["thresholds"] == [
        {"target": 99.5, "timeframe": "7d"},
        {"target": 99.9, "timeframe": "30d"},
    ]
    assert r.inputs["name"] == "Mission completion ≥ 99.5% (staging)"
    burn = [m for m in run.of_type(MONITOR) if m.inputs["type"] == "slo alert"]
    assert sorted(m.name for m in burn) == [
        "acme-staging-slos-api-latency-burn-page",
        "acme-staging-slos-mission-completion-burn-page",
        "acme-staging-slos-streaming-heartbeat-burn-page",
    ]


pytestmark = pytest.mark.playbook("mission-completion", "streaming-heartbeat", "api-latency")
