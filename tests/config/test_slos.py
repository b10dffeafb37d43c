"""controlplane:slos: objectives no looser than the playbook, reachable burn rates."""

from __future__ import annotations

from typing import Any

import pytest

from config.slos import SlosSection
from tests.support.config import errors


@pytest.mark.parametrize(
    ("data", "loc", "message"),
    [
        (
            {"missionCompletion": {"targets": {"sevenDays": 98, "thirtyDays": 99}}},
            ("missionCompletion",),
            "targets 99 or higher (playbook §1: 'Maintain mission completion success ≥99%'); "
            "7d 98 is looser than the playbook allows",
        ),
        (
            {"streamingHeartbeat": {"metric": "executor.heartbeat.latency", "thresholdSeconds": 6}},
            ("streamingHeartbeat",),
            "thresholdSeconds 5 or lower (playbook §1: 'Streaming heartbeat ≤5s p95'); 6 is "
            "looser than the playbook allows",
        ),
        (
            {"apiLatency": {"metric": "trace.fastapi.request", "thresholdSeconds": 0.5}},
            ("apiLatency",),
            "thresholdSeconds 0.3 or lower (playbook §1: 'API latency ≤300ms p95'); 0.5 is "
            "looser than the playbook allows",
        ),
        (
            {
                "burnRateAlerts": [
                    {
                        "name": "x",
                        "burnRate": 150,
                        "longWindow": "1h",
                        "shortWindow": "5m",
                        "severity": "high",
                    }
                ]
            },
            ("burnRateAlerts",),
            "burn rates of at most 100 for the 99% 30d target of missionCompletion (Datadog "
            "refuses a burn rate above 1/(1 - target)); burnRate 150 of item 0 can never fire",
        ),
    ],
)
def test_slo_errors(data: dict[str, Any], loc: tuple[Any, ...], message: str):
    assert errors(SlosSection, data) == [(loc, f"Value error, {message}")]
