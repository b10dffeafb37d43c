"""controlplane:monitoring: playbook defaults, and alerts looser than the playbook fail."""

from __future__ import annotations

from typing import Any

import pytest

from config.monitoring import MonitoringSection
from config.slos import SlosSection
from tests.support.config import errors
from tests.support.playbook import ALERTS, API_SECONDS, HEARTBEAT_SECONDS
from tests.support.playbook_metrics import PLAYBOOK_METRICS


def test_defaults_are_the_playbook_numbers():
    alerts = MonitoringSection().alerts
    by_key = {
        "missionSuccessRate": alerts.mission_success_rate,
        "sseHeartbeat": alerts.sse_heartbeat,
        "undoFailures": alerts.undo_failures,
        "telemetryIngestionStalled": alerts.telemetry_ingestion_stalled,
        "oauthFailureRate": alerts.oauth_failure_rate,
    }
    for key, threshold, window in ALERTS.values():
        assert by_key[key].threshold == threshold, key
        if window is not None:
            assert by_key[key].window == window, key
    slos = SlosSection()
    assert slos.mission_completion.targets.by_timeframe() == {"7d": 99.0, "30d": 99.0}
    assert slos.streaming_heartbeat.threshold_seconds == HEARTBEAT_SECONDS
    assert slos.api_latency.threshold_seconds == API_SECONDS
    metrics = MonitoringSection().metrics
    assert [
        metrics.mission_success_rate,
        metrics.planner_latency_p95,
        metrics.executor_heartbeat_latency,
        metrics.undo_success_rate,
        metrics.safeguard_overrides_count,
        metrics.telemetry_events_ingested,
    ] == list(PLAYBOOK_METRICS)


def test_a_looser_critical_threshold_fails_with_a_clear_message():
    found = errors(
        MonitoringSection,
        {"alerts": {"missionSuccessRate": {"threshold": 0.95, "window": "5m"}}},
    )
    assert found == [
        (
            ("alerts", "missionSuccessRate"),
            "Value error, threshold 0.97 or higher and window 5m or shorter (playbook §4: "
            "'Mission success <97% (5m window)'); threshold 0.95 would alert later than the "
            "playbook allows",
        )
    ]


@pytest.mark.parametrize(
    ("key", "alert", "message"),
    [
        (
            "sseHeartbeat",
            {"threshold": 9, "window": "5m"},
            "threshold 8 or lower (playbook §4: 'SSE heartbeat >8s'); threshold 9 would alert "
            "later than the playbook allows",
        ),
        (
            "undoFailures",
            {"threshold": 0.01, "window": "2h"},
            "threshold 0.01 or lower and window 1h or shorter (playbook §4: 'undo failures >1% "
            "in hour'); window 2h would alert later than the playbook allows",
        ),
        (
            "telemetryIngestionStalled",
            {"threshold": -1, "window": "30m"},
            "threshold 0 or higher and window 15m or shorter (playbook §4: 'telemetry ingestion "
            "stalled >15m'); threshold -1 and window 30m would alert later than the playbook "
            "allows",
        ),
        (
            "oauthFailureRate",
            {"threshold": 0.06, "window": "15m"},
            "threshold 0.05 or lower (playbook §4: 'High: OAuth failure rate >5%'); threshold "
            "0.06 would alert later than the playbook allows",
        ),
    ],
)
def test_each_looser_alert_fails(key: str, alert: dict[str, Any], message: str):
    assert errors(MonitoringSection, {"alerts": {key: alert}}) == [
        (("alerts", key), f"Value error, {message}")
    ]


def test_stricter_values_are_accepted():
    section = MonitoringSection.model_validate(
        {
            "alerts": {
                "missionSuccessRate": {"threshold": 0.98, "window": "1m"},
                "sseHeartbeat": {"threshold": 6, "window": "1m"},
                "telemetryIngestionStalled": {"threshold": 10, "window": "10m"},
            }
        }
    )
    assert section.alerts.mission_success_rate.threshold == 0.98


def test_a_typo_in_a_key_is_an_error():
    assert errors(MonitoringSection, {"alerts": {"missionSucessRate": {}}}) == [
        (("alerts", "missionSucessRate"), "Extra inputs are not permitted")
    ]
