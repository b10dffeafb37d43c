"""Alerts that cannot reach anyone: mutes beyond the §9 window, pages that never leave Datadog
on alert, PagerDuty rules and bindings that swallow or re-route them, and queries or options that
keep a monitor from firing. Each case leaves the compliant resources in place."""

from __future__ import annotations

from typing import Any

from tests.support.adversary import Case, Resource, Snapshot, add, first

MONITOR = "datadog:index/monitor:Monitor"
DOWNTIME = "datadog:index/downtimeSchedule:DowntimeSchedule"
DOWNTIME_V1 = "datadog:index/downtime:Downtime"
SERVICE_OBJECT = "datadog:pagerduty/serviceObject:ServiceObject"
PD_SERVICE = "pagerduty:index/service:Service"
PD_INTEGRATION = "pagerduty:index/serviceIntegration:ServiceIntegration"
PD_ESCALATION = "pagerduty:index/escalationPolicy:EscalationPolicy"
PD_MAINTENANCE = "pagerduty:index/maintenanceWindow:MaintenanceWindow"
PD_ORCHESTRATION = "pagerduty:index/eventOrchestration:EventOrchestration"
PD_SERVICE_ORCHESTRATION = "pagerduty:index/eventOrchestrationService:EventOrchestrationService"
PD_GLOBAL = "pagerduty:index/eventOrchestrationGlobal:EventOrchestrationGlobal"
PD_ROUTER = "pagerduty:index/eventOrchestrationRouter:EventOrchestrationRouter"
PD_SERVICE_EVENT_RULE = "pagerduty:index/serviceEventRule:ServiceEventRule"

MUTE = "alerting-mute-disallow-outside-maintenance-window"
PAGING = "alerting-pagerduty-enforce-critical-paging"
QUERY = "alerting-monitor-enforce-playbook-query"

PAGE = "@pagerduty-acme-prod-oncall-service"


def _monitor(snapshot: Snapshot, slug: str) -> Resource:
    return first(snapshot, MONITOR, f"-monitoring-{slug}")


def _weekly(snapshot: Snapshot) -> Resource:
    return first(snapshot, DOWNTIME, "maintenance-weekly")


def _oncall(snapshot: Snapshot) -> Resource:
    return first(snapshot, PD_SERVICE, "oncall-service")


def _urgency(snapshot: Snapshot) -> Resource:
    return first(snapshot, PD_SERVICE_ORCHESTRATION, "oncall-urgency")


def _downtime_beside(snapshot: Snapshot, name: str, **changes: Any) -> None:
    weekly = _weekly(snapshot)
    inputs = {**weekly["inputs"], **changes}
    add(snapshot, DOWNTIME, name, {k: v for k, v in inputs.items() if v is not None}, beside=weekly)


def _recurrence(snapshot: Snapshot, name: str, **recurrence: str) -> None:
    weekly = _weekly(snapshot)
    schedule = weekly["inputs"]["recurringSchedule"]
    changed = {**schedule, "recurrences": [{**schedule["recurrences"][0], **recurrence}]}
    _downtime_beside(snapshot, name, recurringSchedule=changed)


# --- downtimes and maintenance windows beyond §9 ------------------------------------------------


def wildcard_scope(snapshot: Snapshot) -> None:
    _downtime_beside(
        snapshot, "acme-prod-maintenance-all", scope="*", monitorIdentifier={"monitorTags": ["*"]}
    )


def any_environment_monitors(snapshot: Snapshot) -> None:
    _downtime_beside(
        snapshot, "acme-prod-maintenance-broad", monitorIdentifier={"monitorTags": ["*"]}
    )


def or_scope(snapshot: Snapshot) -> None:
    _downtime_beside(snapshot, "acme-prod-maintenance-either", scope="env:prod OR env:staging")


def one_time_for_half_a_year(snapshot: Snapshot) -> None:
    _downtime_beside(
        snapshot,
        "acme-prod-maintenance-migration",
        recurringSchedule=None,
        oneTimeSchedule={"start": "2026-12-06T03:00:00Z", "end": "2027-06-06T05:00:00Z"},
    )


def one_time_without_end(snapshot: Snapshot) -> None:
    _downtime_beside(
        snapshot,
        "acme-prod-maintenance-open",
        recurringSchedule=None,
        oneTimeSchedule={"start": "2026-12-06T03:00:00Z"},
    )


def one_time_far_in_the_future_on_a_weekday(snapshot: Snapshot) -> None:
    _downtime_beside(
        snapshot,
        "acme-prod-maintenance-later",
        recurringSchedule=None,
        oneTimeSchedule={"start": "2031-03-04T09:00:00Z", "end": "2031-03-04T10:00:00Z"},
    )


def every_day(snapshot: Snapshot) -> None:
    _recurrence(snapshot, "acme-prod-maintenance-daily", rrule="FREQ=DAILY;INTERVAL=1")


def every_weekday_listed(snapshot: Snapshot) -> None:
    _recurrence(
        snapshot,
        "acme-prod-maintenance-allweek",
        rrule="FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR,SA,SU",
    )


def sunday_all_week_long(snapshot: Snapshot) -> None:
    _recurrence(snapshot, "acme-prod-maintenance-long", duration="1w")


def sunday_from_midnight(snapshot: Snapshot) -> None:
    _recurrence(snapshot, "acme-prod-maintenance-early", start="2026-12-06T00:00:00", duration="5h")


def sunday_every_few_hours(snapshot: Snapshot) -> None:
    _recurrence(
        snapshot,
        "acme-prod-maintenance-hourly",
        rrule="FREQ=WEEKLY;BYDAY=SU;BYHOUR=3,9,15,21",
    )


def window_in_another_zone(snapshot: Snapshot) -> None:
    schedule = _weekly(snapshot)["inputs"]["recurringSchedule"]
    _downtime_beside(
        snapshot,
        "acme-prod-maintenance-pacific",
        recurringSchedule={**schedule, "timezone": "America/Los_Angeles"},
    )


def deprecated_downtime(snapshot: Snapshot) -> None:
    add(
        snapshot,
        DOWNTIME_V1,
        "acme-prod-maintenance-legacy",
        {"scopes": ["env:prod"], "start": 1796000000, "monitorTags": ["*"]},
        beside=_weekly(snapshot),
    )


def pagerduty_maintenance_for_a_year(snapshot: Snapshot) -> None:
    service = _oncall(snapshot)
    window = add(
        snapshot,
        PD_MAINTENANCE,
        "acme-prod-oncall-maintenance",
        {
            "description": "Planned migration",
            "startTime": "2026-12-07T00:00:00Z",
            "endTime": "2027-12-07T00:00:00Z",
            "services": [service["id"]],
        },
        beside=service,
    )
    window["propertyDependencies"] = {"services": [service["urn"]]}


SLO = "datadog:index/serviceLevelObjective:ServiceLevelObjective"
SLO_CORRECTION = "datadog:index/sloCorrection:SloCorrection"
SUNDAY_0300_UTC = 1796526000
"""2026-12-06T03:00:00Z, the first prod window, in epoch seconds."""


def _correction(snapshot: Snapshot, name: str, **inputs: Any) -> None:
    slo = first(snapshot, SLO, "mission-completion")
    correction = add(
        snapshot,
        SLO_CORRECTION,
        name,
        {"category": "Scheduled Maintenance", "sloId": slo["id"], "timezone": "UTC", **inputs},
        beside=slo,
    )
    correction["propertyDependencies"] = {"sloId": [slo["urn"]]}


def slo_corrected_every_day(snapshot: Snapshot) -> None:
    _correction(
        snapshot,
        "acme-prod-slos-mission-completion-maintenance",
        start=SUNDAY_0300_UTC,
        duration=7200,
        rrule="FREQ=DAILY;INTERVAL=1",
    )


def slo_corrected_for_a_year(snapshot: Snapshot) -> None:
    _correction(
        snapshot,
        "acme-prod-slos-mission-completion-migration",
        start=SUNDAY_0300_UTC,
        end=SUNDAY_0300_UTC + 365 * 86400,
    )


# --- pages that never reach the on-call chain ---------------------------------------------------


def _wrap_mention(snapshot: Snapshot, slug: str, opening: str, closing: str) -> None:
    monitor = _monitor(snapshot, slug)
    message = monitor["inputs"]["message"]
    monitor["inputs"]["message"] = message.replace(PAGE, f"{opening}{PAGE}{closing}")


def mention_only_on_warning(snapshot: Snapshot) -> None:
    _wrap_mention(snapshot, "mission-success-rate", "{{#is_warning}}", "{{/is_warning}}")


def mention_when_not_alerting(snapshot: Snapshot) -> None:
    _wrap_mention(snapshot, "sse-heartbeat", "{{^is_alert}}", "{{/is_alert}}")


def mention_only_on_recovery(snapshot: Snapshot) -> None:
    _wrap_mention(snapshot, "telemetry-ingestion-stalled", "{{#is_recovery}}", "{{/is_recovery}}")


def mention_only_for_another_env(snapshot: Snapshot) -> None:
    _wrap_mention(snapshot, "undo-failures", '{{#is_match "env" "staging"}}', "{{/is_match}}")


def service_on_the_security_policy(snapshot: Snapshot) -> None:
    service = _oncall(snapshot)
    security = first(snapshot, PD_ESCALATION, "security-escalation")
    service["inputs"]["escalationPolicy"] = security["id"]
    service["propertyDependencies"] = {"escalationPolicy": [security["urn"]]}


def service_on_a_rogue_policy(snapshot: Snapshot) -> None:
    service = _oncall(snapshot)
    chain = first(snapshot, PD_ESCALATION, "oncall-escalation")
    rogue = add(
        snapshot,
        PD_ESCALATION,
        "acme-prod-quiet-security-escalation",
        {
            "name": "acme-prod-quiet",
            "numLoops": 0,
            "rules": [
                {
                    "escalationDelayInMinutes": 30,
                    "targets": [{"id": "PZZZZZ1", "type": "user_reference"}],
                }
            ],
        },
        beside=chain,
    )
    rogue["id"] = "PQUIET1"
    service["inputs"]["escalationPolicy"] = "PQUIET1"
    service["propertyDependencies"] = {"escalationPolicy": [rogue["urn"]]}


def service_on_an_undeclared_policy(snapshot: Snapshot) -> None:
    service = _oncall(snapshot)
    service["inputs"]["escalationPolicy"] = "PEXTERN"
    service["propertyDependencies"] = {}


def key_of_a_quiet_service(snapshot: Snapshot) -> None:
    """A second PagerDuty service on a rogue policy; the Datadog service object keeps the real
    name but carries the quiet service's integration key."""
    service = _oncall(snapshot)
    chain = first(snapshot, PD_ESCALATION, "oncall-escalation")
    rogue_policy = add(
        snapshot,
        PD_ESCALATION,
        "acme-prod-oncall-quiet-escalation",
        {
            "name": "acme-prod-oncall-quiet-escalation",
            "rules": [
                {
                    "escalationDelayInMinutes": 30,
                    "targets": [{"id": "PZZZZZ1", "type": "user_reference"}],
                }
            ],
        },
        beside=chain,
    )
    rogue_policy["id"] = "PQUIET2"
    quiet = add(
        snapshot,
        PD_SERVICE,
        "acme-prod-oncall-quiet",
        {**service["inputs"], "name": "acme-prod-oncall-quiet", "escalationPolicy": "PQUIET2"},
        beside=service,
    )
    quiet["id"] = "PQUIET3"
    quiet["propertyDependencies"] = {"escalationPolicy": [rogue_policy["urn"]]}
    integration = add(
        snapshot,
        PD_INTEGRATION,
        "acme-prod-oncall-quiet-datadog",
        {"name": "Datadog", "service": "PQUIET3", "vendor": "P692080"},
        beside=service,
    )
    integration["propertyDependencies"] = {"service": [quiet["urn"]]}
    service_object = first(snapshot, SERVICE_OBJECT, "oncall-datadog-service")
    service_object["propertyDependencies"] = {"serviceKey": [integration["urn"]]}


def _critical_actions(snapshot: Snapshot, actions: dict[str, Any]) -> None:
    rules = _urgency(snapshot)["inputs"]["sets"][0]["rules"]
    rules[0]["actions"] = actions


def critical_suppressed(snapshot: Snapshot) -> None:
    _critical_actions(snapshot, {"suppress": True})


def critical_made_warning(snapshot: Snapshot) -> None:
    rules = _urgency(snapshot)["inputs"]["sets"][0]["rules"]
    rules[0]["actions"] = {**rules[0]["actions"], "severity": "warning"}


def critical_to_another_policy(snapshot: Snapshot) -> None:
    security = first(snapshot, PD_ESCALATION, "severity-incident-commander")
    rules = _urgency(snapshot)["inputs"]["sets"][0]["rules"]
    rules[0]["actions"] = {**rules[0]["actions"], "escalationPolicy": security["id"]}


def everything_suspended_first(snapshot: Snapshot) -> None:
    rules = _urgency(snapshot)["inputs"]["sets"][0]["rules"]
    rules.insert(
        0,
        {
            "label": "Hold Datadog alerts",
            "conditions": [{"expression": "event.source matches part 'datadog'"}],
            "actions": {"suspend": 86400},
        },
    )


def critical_rule_dropped_catch_all_suppresses(snapshot: Snapshot) -> None:
    orchestration = _urgency(snapshot)["inputs"]
    orchestration["sets"][0]["rules"] = orchestration["sets"][0]["rules"][1:]
    orchestration["catchAll"] = {"actions": {"suppress": True}}


def low_urgency_service(snapshot: Snapshot) -> None:
    _oncall(snapshot)["inputs"]["incidentUrgencyRule"] = {"type": "constant", "urgency": "low"}


def low_urgency_at_night(snapshot: Snapshot) -> None:
    _oncall(snapshot)["inputs"]["incidentUrgencyRule"] = {
        "type": "use_support_hours",
        "duringSupportHours": {"type": "constant", "urgency": "severity_based"},
        "outsideSupportHours": {"type": "constant", "urgency": "low"},
    }


def notifications_paused(snapshot: Snapshot) -> None:
    _oncall(snapshot)["inputs"]["autoPauseNotificationsParameters"] = {
        "enabled": True,
        "timeout": 300,
    }


def escalation_after_four_hours(snapshot: Snapshot) -> None:
    chain = first(snapshot, PD_ESCALATION, "oncall-escalation")
    for rule in chain["inputs"]["rules"]:
        rule["escalationDelayInMinutes"] = 240


def global_orchestration_drops(snapshot: Snapshot) -> None:
    service = _oncall(snapshot)
    orchestration = add(
        snapshot, PD_ORCHESTRATION, "acme-prod-events", {"name": "acme-prod-events"}, beside=service
    )
    orchestration["id"] = "PORCH01"
    rules = add(
        snapshot,
        PD_GLOBAL,
        "acme-prod-events-global",
        {
            "eventOrchestration": "PORCH01",
            "sets": [{"id": "start", "rules": []}],
            "catchAll": {"actions": {"dropEvent": True}},
        },
        beside=service,
    )
    rules["propertyDependencies"] = {"eventOrchestration": [orchestration["urn"]]}


def router_sends_critical_elsewhere(snapshot: Snapshot) -> None:
    service = _oncall(snapshot)
    add(
        snapshot,
        PD_ROUTER,
        "acme-prod-events-router",
        {
            "eventOrchestration": "PORCH01",
            "set": {
                "id": "start",
                "rules": [
                    {
                        "label": "Datadog",
                        "conditions": [{"expression": "event.summary matches part '[critical]'"}],
                        "actions": {"routeTo": "PBLACKH"},
                    }
                ],
            },
            "catchAll": {"actions": {"routeTo": "unrouted"}},
        },
        beside=service,
    )


def legacy_service_rule_suppresses(snapshot: Snapshot) -> None:
    service = _oncall(snapshot)
    rule = add(
        snapshot,
        PD_SERVICE_EVENT_RULE,
        "acme-prod-oncall-quiet-rule",
        {
            "service": service["id"],
            "position": 0,
            "conditions": {
                "operator": "and",
                "subconditions": [
                    {
                        "operator": "contains",
                        "parameters": [{"path": "summary", "value": "prod"}],
                    }
                ],
            },
            "actions": {"suppresses": [{"value": True}]},
        },
        beside=service,
    )
    rule["propertyDependencies"] = {"service": [service["urn"]]}


# --- alerts that cannot fire --------------------------------------------------------------------


def _query(snapshot: Snapshot, slug: str, old: str, new: str) -> None:
    monitor = _monitor(snapshot, slug)
    assert old in monitor["inputs"]["query"], (slug, old)
    monitor["inputs"]["query"] = monitor["inputs"]["query"].replace(old, new)


def times_zero(snapshot: Snapshot) -> None:
    _query(snapshot, "mission-success-rate", "} < 0.97", "} * 0 + 1 < 0.97")


def heartbeat_in_microseconds(snapshot: Snapshot) -> None:
    _query(snapshot, "sse-heartbeat", "} > 8", "} / 1000000 > 8")


def undo_rolled_up_daily(snapshot: Snapshot) -> None:
    _query(snapshot, "undo-failures", "} > 0.01", "}.rollup(avg, 86400) > 0.01")


def oauth_a_week_ago(snapshot: Snapshot) -> None:
    monitor = _monitor(snapshot, "oauth-failure-rate")
    query = monitor["inputs"]["query"]
    head, body = query.split(":", 1)
    metric, threshold = body.rsplit(" > ", 1)
    monitor["inputs"]["query"] = f"{head}:timeshift({metric}, -604800) > {threshold}"


def telemetry_in_a_region_that_does_not_exist(snapshot: Snapshot) -> None:
    _query(snapshot, "telemetry-ingestion-stalled", "service:agent}", "service:agent,region:mars}")


def heartbeat_comparator_flipped(snapshot: Snapshot) -> None:
    _query(snapshot, "sse-heartbeat", "} > 8", "} < 1e9")


def planner_averaged(snapshot: Snapshot) -> None:
    _query(snapshot, "planner-retry-spikes", "sum(last_10m)", "avg(last_10m)")


def _option(snapshot: Snapshot, slug: str, **options: Any) -> None:
    _monitor(snapshot, slug)["inputs"].update(options)


def heartbeat_delayed_a_day(snapshot: Snapshot) -> None:
    _option(snapshot, "sse-heartbeat", evaluationDelay=86400)


def mission_new_groups_wait(snapshot: Snapshot) -> None:
    _option(snapshot, "mission-success-rate", newGroupDelay=86400)


def mission_as_draft(snapshot: Snapshot) -> None:
    _option(snapshot, "mission-success-rate", draftStatus="draft")


def undo_on_new_year_only(snapshot: Snapshot) -> None:
    _option(
        snapshot,
        "undo-failures",
        requireFullWindow=False,
        schedulingOptions={
            "customSchedule": {
                "recurrence": {
                    "rrule": "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1",
                    "start": "2027-01-01T00:00:00",
                    "timezone": "UTC",
                }
            }
        },
    )


def telemetry_waits_for_a_full_window(snapshot: Snapshot) -> None:
    _option(snapshot, "telemetry-ingestion-stalled", requireFullWindow=True)


def telemetry_resolves_without_data(snapshot: Snapshot) -> None:
    _option(snapshot, "telemetry-ingestion-stalled", onMissingData="resolve")


def synthetic_paused(snapshot: Snapshot) -> None:
    first(snapshot, "datadog:index/syntheticsTest:SyntheticsTest", "synthetics-sse")["inputs"][
        "status"
    ] = "paused"


def burn_rate_out_of_reach(snapshot: Snapshot) -> None:
    monitor = first(snapshot, MONITOR, "mission-completion-burn-fast")
    monitor["inputs"]["query"] = monitor["inputs"]["query"].replace("> 14.4", "> 1000")
    monitor["inputs"]["monitorThresholds"] = {"critical": "1000"}


def burn_rate_of_another_slo(snapshot: Snapshot) -> None:
    monitor = first(snapshot, MONITOR, "api-latency-burn-fast")
    slo = monitor["inputs"]["query"].split('"')[1]
    monitor["inputs"]["query"] = monitor["inputs"]["query"].replace(slo, "99999999")


CASES = [
    Case(
        "downtime-scoped-to-everything", "muting", MUTE, "reaches beyond env:prod", wildcard_scope
    ),
    Case(
        "downtime-muting-every-environments-monitors",
        "muting",
        MUTE,
        "mutes monitors of any environment",
        any_environment_monitors,
    ),
    Case("downtime-scope-with-or", "muting", MUTE, "reaches beyond env:prod", or_scope),
    Case(
        "one-time-downtime-for-half-a-year",
        "muting",
        MUTE,
        "past 05:00",
        one_time_for_half_a_year,
    ),
    Case("one-time-downtime-without-end", "muting", MUTE, "it has no end", one_time_without_end),
    Case(
        "one-time-downtime-on-a-weekday-years-ahead",
        "muting",
        MUTE,
        "not a sunday",
        one_time_far_in_the_future_on_a_weekday,
    ),
    Case("downtime-every-day", "muting", MUTE, "repeats beyond every sunday", every_day),
    Case(
        "downtime-every-day-of-the-week",
        "muting",
        MUTE,
        "repeats beyond every sunday",
        every_weekday_listed,
    ),
    Case("downtime-a-week-long", "muting", MUTE, "past 05:00", sunday_all_week_long),
    Case("downtime-from-midnight", "muting", MUTE, "before 03:00", sunday_from_midnight),
    Case("downtime-several-times-a-sunday", "muting", MUTE, "adds BYHOUR", sunday_every_few_hours),
    Case(
        "downtime-in-another-time-zone",
        "muting",
        MUTE,
        "timezone America/Los_Angeles",
        window_in_another_zone,
    ),
    Case(
        "deprecated-downtime-type",
        "another-type",
        MUTE,
        "deprecated datadog.Downtime",
        deprecated_downtime,
    ),
    Case(
        "pagerduty-maintenance-window-for-a-year",
        "another-type",
        MUTE,
        "PagerDuty maintenance window acme-prod-oncall-maintenance",
        pagerduty_maintenance_for_a_year,
    ),
    Case(
        "slo-corrected-every-day",
        "another-type",
        MUTE,
        "SLO correction acme-prod-slos-mission-completion-maintenance",
        slo_corrected_every_day,
    ),
    Case(
        "slo-corrected-for-a-year",
        "another-type",
        MUTE,
        "past 05:00",
        slo_corrected_for_a_year,
    ),
    Case(
        "mention-only-on-warning",
        "muting",
        PAGING,
        "only inside conditional blocks",
        mention_only_on_warning,
    ),
    Case(
        "mention-only-when-not-alerting",
        "muting",
        PAGING,
        "{{^is_alert}}",
        mention_when_not_alerting,
    ),
    Case(
        "mention-only-on-recovery",
        "muting",
        PAGING,
        "{{#is_recovery}}",
        mention_only_on_recovery,
    ),
    Case(
        "mention-only-for-staging-groups",
        "muting",
        PAGING,
        "{{#is_match}}",
        mention_only_for_another_env,
    ),
    Case(
        "oncall-service-on-the-exempt-security-policy",
        "decoys",
        PAGING,
        "escalation policy acme-prod-security-escalation of acme-prod-oncall-service",
        service_on_the_security_policy,
    ),
    Case(
        "oncall-service-on-a-rogue-policy-named-like-an-exemption",
        "decoys",
        PAGING,
        "escalation policy acme-prod-quiet-security-escalation",
        service_on_a_rogue_policy,
    ),
    Case(
        "oncall-service-on-an-undeclared-policy",
        "muting",
        PAGING,
        "escalationPolicy PEXTERN is no escalation policy of the stack",
        service_on_an_undeclared_policy,
    ),
    Case(
        "datadog-key-of-a-quiet-second-service",
        "decoys",
        PAGING,
        "carries the integration key of PagerDuty service acme-prod-oncall-quiet",
        key_of_a_quiet_service,
    ),
    Case(
        "orchestration-suppresses-critical",
        "muting",
        PAGING,
        "suppresses it (no incident) for critical alerts",
        critical_suppressed,
    ),
    Case(
        "orchestration-makes-critical-a-warning",
        "muting",
        PAGING,
        "sets its severity to warning (low urgency) for critical alerts",
        critical_made_warning,
    ),
    Case(
        "orchestration-hands-critical-to-another-policy",
        "muting",
        PAGING,
        "not the playbook's chain",
        critical_to_another_policy,
    ),
    Case(
        "orchestration-suspends-datadog-for-a-day",
        "muting",
        PAGING,
        "suspends it 86400 s",
        everything_suspended_first,
    ),
    Case(
        "orchestration-catch-all-suppresses",
        "muting",
        PAGING,
        "catch-all suppresses it",
        critical_rule_dropped_catch_all_suppresses,
    ),
    Case("service-low-urgency", "muting", PAGING, "urgency low", low_urgency_service),
    Case(
        "service-low-urgency-at-night",
        "muting",
        PAGING,
        "outside support hours: urgency low",
        low_urgency_at_night,
    ),
    Case(
        "service-pauses-notifications",
        "muting",
        PAGING,
        "autoPauseNotificationsParameters",
        notifications_paused,
    ),
    Case(
        "escalation-after-four-hours",
        "muting",
        PAGING,
        "waits 240 minutes before escalating",
        escalation_after_four_hours,
    ),
    Case(
        "global-orchestration-drops-everything",
        "another-type",
        PAGING,
        "drops it",
        global_orchestration_drops,
    ),
    Case(
        "router-sends-critical-to-another-service",
        "another-type",
        PAGING,
        "routes it to PBLACKH",
        router_sends_critical_elsewhere,
    ),
    Case(
        "legacy-service-event-rule-suppresses",
        "another-type",
        PAGING,
        "suppresses it (ruleset)",
        legacy_service_rule_suppresses,
    ),
    Case("query-times-zero", "muting", QUERY, "arithmetic or functions", times_zero),
    Case(
        "heartbeat-divided-by-a-million",
        "muting",
        QUERY,
        "arithmetic or functions",
        heartbeat_in_microseconds,
    ),
    Case("undo-rolled-up-daily", "muting", QUERY, "arithmetic or functions", undo_rolled_up_daily),
    Case("oauth-timeshifted", "muting", QUERY, "arithmetic or functions", oauth_a_week_ago),
    Case(
        "telemetry-scoped-to-nothing",
        "muting",
        QUERY,
        "adds region:mars",
        telemetry_in_a_region_that_does_not_exist,
    ),
    Case(
        "heartbeat-comparator-flipped",
        "muting",
        QUERY,
        "comparator < does not fire",
        heartbeat_comparator_flipped,
    ),
    Case("planner-retries-averaged", "muting", QUERY, "avg() is not sum()", planner_averaged),
    Case(
        "heartbeat-evaluation-delayed-a-day",
        "muting",
        QUERY,
        "evaluationDelay 86400 s",
        heartbeat_delayed_a_day,
    ),
    Case(
        "mission-new-groups-wait-a-day",
        "muting",
        QUERY,
        "newGroupDelay 86400 s",
        mission_new_groups_wait,
    ),
    Case("mission-monitor-as-draft", "muting", QUERY, "draftStatus is draft", mission_as_draft),
    Case(
        "undo-evaluated-once-a-year",
        "muting",
        QUERY,
        "schedulingOptions.customSchedule",
        undo_on_new_year_only,
    ),
    Case(
        "telemetry-waits-for-a-full-window",
        "muting",
        QUERY,
        "requireFullWindow",
        telemetry_waits_for_a_full_window,
    ),
    Case(
        "telemetry-resolves-without-data",
        "muting",
        QUERY,
        "onMissingData resolve",
        telemetry_resolves_without_data,
    ),
    Case("sse-synthetic-paused", "muting", QUERY, "status paused", synthetic_paused),
    Case(
        "burn-rate-out-of-reach",
        "muting",
        QUERY,
        "burn rate 1000x over 1h/5m is looser",
        burn_rate_out_of_reach,
    ),
    Case(
        "burn-rate-of-another-slo",
        "decoys",
        QUERY,
        "which is no SLO of this stack",
        burn_rate_of_another_slo,
    ),
]
