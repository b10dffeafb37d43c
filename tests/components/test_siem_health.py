"""SiemHealth: the stalled-forwarding and dead-letter monitors of SIEM forwarding, their
queries, thresholds and windows, and their route (security route, or the environment's)."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from components.datadog_common import AlertRouting
from components.siem_health import SecurityRoute, SiemHealth, SiemHealthArgs
from config.monitoring import MonitoringSection
from config.routing import RoutingSection
from config.siem import SiemAlertsSpec
from tests.support.components import PROJECT, Registered, naming_for, run_program

MONITOR = "datadog:index/monitor:Monitor"
SUBSCRIPTION = "acme-prod-siem-datadog"
DEAD_LETTER = "acme-prod-siem-dead-letter"
SECURITY_SERVICE = "acme-prod-security-service"
LEAD = "security@company.com"
# Datadog's Google Cloud Pub/Sub integration, written out here on purpose (not imported).
AGE_METRIC = "gcp.pubsub.subscription.oldest_unacked_message_age"
UNDELIVERED_METRIC = "gcp.pubsub.subscription.num_undelivered_messages"
QUERY_RE = re.compile(r"^(min|max)\(last_(\d+)m\):max:([\w.]+)\{([^}]*)\} > (\d+)$")


def _build(spec: SiemAlertsSpec, *, security: bool, env: str = "prod") -> Registered:
    naming = naming_for(env)  # type: ignore[arg-type]
    routing = RoutingSection(
        critical=["pagerduty", "slack:ops"], high=["pagerduty"], informational=["slack:ops"]
    )

    def program() -> None:
        SiemHealth(
            "siemhealth",
            SiemHealthArgs(
                naming=naming,
                project=PROJECT,
                subscription_id=SUBSCRIPTION,
                dead_letter_subscription_id=DEAD_LETTER,
                spec=spec,
                monitoring=MonitoringSection(),
                service="agent",
                alerts=AlertRouting(routing=routing, pagerduty_service_name=f"acme-{env}-oncall"),
                security=SecurityRoute(service_name=SECURITY_SERVICE, security_lead=LEAD)
                if security
                else None,
            ),
        )

    return run_program(program, stack=env)


def _by_alert(run: Registered) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for monitor in run.of_type(MONITOR):
        [alert] = [
            t.removeprefix("alert:") for t in monitor.inputs["tags"] if t.startswith("alert:")
        ]
        found[alert] = {"urn": monitor.urn, **monitor.inputs}
    return found


def _query(monitor: dict) -> tuple[str, int, str, dict[str, str], int]:
    match = QUERY_RE.match(monitor["query"])
    assert match, monitor["urn"]
    time_agg, window, metric, scope, threshold = match.groups()
    tags = dict(term.split(":", 1) for term in scope.split(","))
    return time_agg, int(window), metric, tags, int(threshold)


def stalled_monitor_ok(monitor: dict, spec: SiemAlertsSpec, subscription: str) -> None:
    """The stall monitor: metric, the forwarding subscription, the age and window."""
    time_agg, window, metric, tags, threshold = _query(monitor)
    assert metric == AGE_METRIC, monitor["urn"]
    assert tags == {"project_id": PROJECT, "subscription_id": subscription}, monitor["urn"]
    # min over the window: the oldest message stayed above the age the whole window.
    assert time_agg == "min", monitor["urn"]
    assert window == spec.backlog_window_minutes, monitor["urn"]
    assert threshold == spec.backlog_age_minutes * 60, monitor["urn"]
    assert monitor["monitorThresholds"]["critical"] == str(threshold), monitor["urn"]


def dead_letter_monitor_ok(monitor: dict, spec: SiemAlertsSpec, subscription: str) -> None:
    """The dead-letter monitor: any undelivered message on the hold subscription."""
    time_agg, window, metric, tags, threshold = _query(monitor)
    assert metric == UNDELIVERED_METRIC, monitor["urn"]
    assert tags == {"project_id": PROJECT, "subscription_id": subscription}, monitor["urn"]
    assert time_agg == "max", monitor["urn"]
    assert window == spec.dead_letter_window_minutes, monitor["urn"]
    assert threshold == 0, monitor["urn"]
    assert monitor["monitorThresholds"]["critical"] == "0", monitor["urn"]


@pytest.mark.parametrize(
    "spec",
    [
        SiemAlertsSpec(),
        SiemAlertsSpec(
            backlog_age_minutes=90, backlog_window_minutes=20, dead_letter_window_minutes=30
        ),
    ],
)
def test_queries_carry_the_metric_subscription_threshold_and_window(spec) -> None:
    monitors = _by_alert(_build(spec, security=True))
    assert sorted(monitors) == ["siem-dead-letters", "siem-forwarding-stalled"]
    stalled_monitor_ok(monitors["siem-forwarding-stalled"], spec, SUBSCRIPTION)
    dead_letter_monitor_ok(monitors["siem-dead-letters"], spec, DEAD_LETTER)
    for monitor in monitors.values():
        assert monitor["type"] == "query alert", monitor["urn"]
        assert monitor["requireFullWindow"] is False, monitor["urn"]


def test_defaults_are_thirty_minutes_over_fifteen_and_ten_minutes() -> None:
    monitors = _by_alert(_build(SiemAlertsSpec(), security=True))
    assert monitors["siem-forwarding-stalled"]["query"] == (
        f"min(last_15m):max:{AGE_METRIC}{{project_id:{PROJECT},subscription_id:{SUBSCRIPTION}}}"
        " > 1800"
    )
    assert monitors["siem-dead-letters"]["query"] == (
        f"max(last_10m):max:{UNDELIVERED_METRIC}{{project_id:{PROJECT},"
        f"subscription_id:{DEAD_LETTER}}} > 0"
    )


def test_a_planted_wrong_subscription_is_caught() -> None:
    """The checks above fail when a monitor watches another subscription."""
    spec = SiemAlertsSpec()
    monitors = _by_alert(_build(spec, security=True))
    with pytest.raises(AssertionError):
        stalled_monitor_ok(monitors["siem-forwarding-stalled"], spec, DEAD_LETTER)
    with pytest.raises(AssertionError):
        dead_letter_monitor_ok(monitors["siem-dead-letters"], spec, SUBSCRIPTION)
    other = SiemAlertsSpec(backlog_age_minutes=60)
    with pytest.raises(AssertionError):
        stalled_monitor_ok(monitors["siem-forwarding-stalled"], other, SUBSCRIPTION)


def test_security_route_pages_the_security_service_and_the_lead() -> None:
    for alert, monitor in _by_alert(_build(SiemAlertsSpec(), security=True)).items():
        message, tags = monitor["message"], monitor["tags"]
        assert f"@pagerduty-{SECURITY_SERVICE}" in message, alert
        assert f"@{LEAD}" in message, alert
        assert "@pagerduty-acme-prod-oncall" not in message, alert
        assert "Runbook: docs/runbooks/siem-forwarding.md" in message, alert
        assert {"route:security", "sev:sev1", "severity:critical", "env:prod"} <= set(tags), alert
        assert monitor["name"].startswith("[critical] "), alert
        assert monitor["priority"] == "1", alert


def test_without_the_security_route_they_alert_as_critical_through_routing() -> None:
    for alert, monitor in _by_alert(_build(SiemAlertsSpec(), security=False, env="dev")).items():
        message, tags = monitor["message"], monitor["tags"]
        assert "@pagerduty-acme-dev-oncall" in message, alert
        assert "@slack-ops" in message, alert
        assert "route:security" not in tags, alert
        assert {"severity:critical", "env:dev", "alert:" + alert} <= set(tags), alert


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"backlog_age_minutes": 5}, "greater than or equal to 10"),
        ({"dead_letter_window_minutes": 61}, "less than or equal to 60"),
        ({"backlog_age_minutes": 10, "backlog_window_minutes": 15}, "at most backlogAgeMinutes"),
    ],
)
def test_bad_thresholds_are_refused(fields, expected) -> None:
    with pytest.raises(ValidationError, match=expected):
        SiemAlertsSpec(**fields)
