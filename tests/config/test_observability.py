"""The observability config keys: playbook defaults, and configs looser than the playbook fail."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from config.observability import (
    PLAYBOOK,
    MaintenanceWindowSection,
    MonitoringSection,
    ObservabilitySections,
    OnCallSection,
    RoutingSection,
    SlosSection,
    validate_for_env,
)
from tests.components.conftest_observability import EXAMPLES, example, sections

# The playbook's numbers, copied on purpose (the program's PLAYBOOK must agree with them):
#   §4 "Critical: Mission success <97% (5m window), SSE heartbeat >8s, undo failures >1% in
#       hour, telemetry ingestion stalled >15m"
#   §4 "High: OAuth failure rate >5%, planner retry spikes, Composio rate-limit warnings"
#   §1 "mission completion success ≥99%", "Streaming heartbeat ≤5s p95, API latency ≤300ms p95"
#   §4 "Primary on-call → Secondary on-call → Incident Commander"
#   §9 "Saturdays 02:00-04:00 UTC (staging), Sundays 03:00-05:00 UTC (production)"
ALERTS = {
    "missionSuccessRate": (0.97, "5m"),
    "sseHeartbeat": (8.0, None),
    "undoFailures": (0.01, "1h"),
    "telemetryIngestionStalled": (0.0, "15m"),
    "oauthFailureRate": (0.05, None),
}
SLO_TARGET = 99.0
HEARTBEAT_SECONDS = 5.0
API_SECONDS = 0.3
ESCALATION = ("primary", "secondary", "incidentCommander")
WINDOWS = {
    "staging": ("saturday", "02:00", "04:00", "UTC"),
    "prod": ("sunday", "03:00", "05:00", "UTC"),
}


def errors(model: type[BaseModel], data: Any) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as err:
        model.model_validate(data)
    return [(tuple(e["loc"]), e["msg"]) for e in err.value.errors(include_url=False)]


def test_program_playbook_agrees_with_the_copy():
    for key, (threshold, window) in ALERTS.items():
        assert (PLAYBOOK.alerts[key].threshold, PLAYBOOK.alerts[key].window) == (
            threshold,
            window,
        ), key
    assert PLAYBOOK.slos["missionCompletion"].min_target == SLO_TARGET
    assert PLAYBOOK.slos["streamingHeartbeat"].max_threshold_seconds == HEARTBEAT_SECONDS
    assert PLAYBOOK.slos["apiLatency"].max_threshold_seconds == API_SECONDS
    assert PLAYBOOK.escalation == ESCALATION
    for env, window in WINDOWS.items():
        book = PLAYBOOK.maintenance[env]
        assert (book.day, book.start, book.end, book.time_zone) == window, env
    assert sorted(PLAYBOOK.maintenance) == ["prod", "staging"]


def test_defaults_are_the_playbook_numbers():
    alerts = MonitoringSection().alerts
    by_key = {
        "missionSuccessRate": alerts.mission_success_rate,
        "sseHeartbeat": alerts.sse_heartbeat,
        "undoFailures": alerts.undo_failures,
        "telemetryIngestionStalled": alerts.telemetry_ingestion_stalled,
        "oauthFailureRate": alerts.oauth_failure_rate,
    }
    for key, (threshold, window) in ALERTS.items():
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
    ] == [
        "mission.success_rate",
        "planner.latency.p95",
        "executor.heartbeat.latency",
        "undo.success_rate",
        "safeguard.overrides.count",
        "telemetry.events.ingested",
    ]


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


def test_dropping_the_incident_commander_level_fails():
    data = example("prod")["oncall"]
    data["escalation"] = data["escalation"][:2]
    assert errors(OnCallSection, data) == [
        (
            ("escalation",),
            "Value error, levels primary → secondary → incidentCommander in that order "
            "(playbook §4: 'Primary on-call → Secondary on-call → Incident Commander'); found "
            "primary → secondary: add the incidentCommander level",
        )
    ]


def test_dropping_the_incident_commander_schedule_fails():
    data = example("prod")["oncall"]
    del data["schedules"]["incidentCommander"]
    assert errors(OnCallSection, data) == [
        (
            ("schedules",),
            "Value error, a rotation (users, handoff) for incidentCommander (the incident "
            "commander): playbook §4 escalates Primary on-call → Secondary on-call → Incident "
            "Commander",
        )
    ]


def test_levels_out_of_order_fail():
    data = example("prod")["oncall"]
    data["escalation"] = [data["escalation"][i] for i in (1, 0, 2)]
    assert errors(OnCallSection, data)[0][1].endswith(
        "found secondary → primary → incidentCommander: reorder the levels"
    )


@pytest.mark.parametrize(
    ("change", "loc", "message"),
    [
        ({"numLoops": 0}, ("numLoops",), "Input should be greater than or equal to 1"),
        (
            {"schedules": {"primary": {"users": ["PAAAAA1"], "handoff": "2026-12-07T09:00:00"}}},
            ("schedules", "primary", "handoff"),
            "Input should have timezone info",
        ),
        (
            {"supportHours": {"start": "18:00", "end": "09:00"}},
            ("supportHours", "end"),
            "Value error, a time after start (18:00) on the same day",
        ),
    ],
)
def test_oncall_field_errors(change: dict[str, Any], loc: tuple[Any, ...], message: str):
    data = example("prod")["oncall"]
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    assert (loc, message) in errors(OnCallSection, data)


def test_informational_never_pages():
    assert errors(
        RoutingSection,
        {"critical": ["pagerduty"], "high": ["pagerduty"], "informational": ["pagerduty"]},
    ) == [
        (
            ("informational",),
            "Value error, only non-paging targets (slack:<channel> or email:<address>): "
            "informational alerts never page (playbook §4); remove 'pagerduty'",
        )
    ]


def test_unknown_routing_target():
    assert errors(
        RoutingSection,
        {"critical": ["opsgenie"], "high": ["pagerduty"], "informational": ["slack:ops"]},
    ) == [
        (
            ("critical",),
            "Value error, targets written pagerduty, slack:<channel> or email:<address>; "
            "'opsgenie' is none of these",
        )
    ]


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


def test_maintenance_window_fields():
    assert errors(
        MaintenanceWindowSection,
        {"day": "saturday", "start": "02:00", "end": "04:00", "firstOccurrence": "2026-12-06"},
    ) == [
        (
            ("firstOccurrence",),
            "Value error, a saturday (the window's day); 2026-12-06 is a sunday",
        )
    ]
    window = MaintenanceWindowSection.model_validate(example("staging")["maintenanceWindow"])
    assert window.duration_minutes() == 120
    assert window.describe() == "saturday 02:00-04:00 UTC"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_examples_are_valid_for_their_environment(env: str):
    assert validate_for_env(env, sections(env)) == []  # type: ignore[arg-type]


def test_staging_and_prod_must_page_critical_and_high():
    cfg = sections("prod", routing={**EXAMPLES["prod"]["routing"], "high": ["slack:cp-prod"]})
    assert validate_for_env("prod", cfg) == [
        (
            "routing.high",
            "['slack:cp-prod']",
            "'pagerduty' among the targets in prod: high alerts page the on-call (playbook §4)",
        )
    ]


def test_dev_must_not_page_at_night():
    oncall = {k: v for k, v in EXAMPLES["dev"]["oncall"].items() if k != "supportHours"}
    cfg = sections("dev", oncall=oncall)
    assert validate_for_env("dev", cfg) == [
        (
            "oncall.supportHours",
            "none while routing.critical pages PagerDuty in dev",
            "support hours (e.g. days [1, 2, 3, 4, 5], start 09:00, end 18:00): dev must not "
            "page anyone at night, so outside support hours its incidents are low urgency",
        )
    ]
    quiet = sections(
        "dev",
        oncall=oncall,
        routing={"critical": ["slack:a"], "high": ["slack:a"], "informational": ["slack:a"]},
    )
    assert validate_for_env("dev", quiet) == []


def test_maintenance_window_must_be_the_playbooks():
    wrong = {**EXAMPLES["staging"]["maintenanceWindow"], "start": "03:00", "end": "05:00"}
    assert validate_for_env("staging", sections("staging", maintenanceWindow=wrong)) == [
        (
            "maintenanceWindow",
            "saturday 03:00-05:00 UTC",
            "saturday 02:00-04:00 UTC for staging (playbook §9: 'Saturdays 02:00-04:00 UTC "
            "(staging)')",
        )
    ]
    data = example("prod")
    del data["maintenanceWindow"]
    assert validate_for_env("prod", ObservabilitySections.model_validate(data)) == [
        (
            "maintenanceWindow",
            "none",
            "sunday 03:00-05:00 UTC for prod (playbook §9: 'Sundays 03:00-05:00 UTC (production)')",
        )
    ]
