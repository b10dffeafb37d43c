"""CP-AUD-004 audit-sink-missing-siem-forwarding (stack policy)."""

from __future__ import annotations

import json

import pytest

from policies.audit.audit_sink_missing_siem_forwarding import META
from preflight.snapshot import UNKNOWN
from tests.support.policies import message_for
from tests.support.policies_siem import APPLICATION_FILTER, JOB, SINK, SUBSCRIPTION, siem

NAME = META.name
msg = message_for(META)
PREVIEW = "can't run policy 'audit-sink-missing-siem-forwarding' from policy pack "
TOPIC = "acme-prod-siem-logs"


def forwarding(make) -> list[dict]:
    return siem("prod", make)


def named(resources: list[dict], name: str) -> dict:
    return next(r for r in resources if r["name"] == name)


def violation(detail: str) -> list[tuple[str, str]]:
    return [
        (
            "",
            msg(
                "no log sink forwards the audit logs (activity, data_access) to the SIEM: " + detail
            ),
        )
    ]


def test_compliant_baseline_passes(analyze, make):
    assert analyze(forwarding(make)).of(NAME) == []


def test_the_builders_are_the_synthesized_prod_stack(snapshots):
    # The shapes the tests start from are what components/siem_forwarding.py registers.
    synthesized = {r["name"]: r for r in snapshots["prod"]["resources"]}
    for built in siem("prod", lambda t, n, i: {"type": t, "name": n, "inputs": i}):
        real = synthesized[built["name"]]
        assert real["type"] == built["type"], built["name"]
        for key, value in built["inputs"].items():
            if key in ("exclusions", "filter"):
                continue
            assert real["inputs"][key] == value, (built["name"], key)
    sink = synthesized["acme-prod-siem-sink"]["inputs"]
    for stream in ("activity", "data_access"):
        assert f'log_id("cloudaudit.googleapis.com/{stream}")' in sink["filter"]


def test_missing_filter_means_every_entry(analyze, make):
    resources = forwarding(make)
    del named(resources, "acme-prod-siem-sink")["inputs"]["filter"]
    assert analyze(resources).of(NAME) == []


def test_filter_without_the_audit_logs_is_a_violation(analyze, make):
    # Planted fault: the sink forwards the application logs only.
    resources = forwarding(make)
    named(resources, "acme-prod-siem-sink")["inputs"]["filter"] = f"({APPLICATION_FILTER})"
    checked = analyze(resources)
    assert checked.of(NAME) == violation(
        "sink acme-prod-siem-sink filter lacks the audit logs activity, data_access "
        '(log_id("cloudaudit.googleapis.com/<stream>"))'
    )
    assert checked.levels(NAME) == ["mandatory"]


def test_one_stream_missing_is_named(analyze, make):
    resources = forwarding(make)
    sink = named(resources, "acme-prod-siem-sink")["inputs"]
    sink["filter"] = sink["filter"].replace(
        'log_id("cloudaudit.googleapis.com/data_access") OR ', ""
    )
    assert analyze(resources).of(NAME) == violation(
        "sink acme-prod-siem-sink filter lacks the audit logs data_access "
        '(log_id("cloudaudit.googleapis.com/<stream>"))'
    )


def test_disabled_sink_is_a_violation(analyze, make):
    resources = forwarding(make)
    named(resources, "acme-prod-siem-sink")["inputs"]["disabled"] = True
    assert analyze(resources).of(NAME) == violation("sink acme-prod-siem-sink is disabled")


@pytest.mark.parametrize(
    "exclusion",
    [
        'protoPayload.methodName:"List"',
        'logName:"cloudaudit.googleapis.com"',
        'LOG_ID("cloudaudit.googleapis.com/data_access")',
    ],
)
def test_exclusion_dropping_audit_logs_is_a_violation(analyze, make, exclusion):
    resources = forwarding(make)
    sink = named(resources, "acme-prod-siem-sink")["inputs"]
    sink["exclusions"].append({"name": "noisy", "filter": exclusion})
    assert analyze(resources).of(NAME) == violation(
        f"sink acme-prod-siem-sink exclusion noisy ({exclusion}) drops audit logs"
    )


def test_disabled_exclusion_drops_nothing(analyze, make):
    resources = forwarding(make)
    sink = named(resources, "acme-prod-siem-sink")["inputs"]
    sink["exclusions"].append({"name": "off", "filter": "protoPayload:*", "disabled": True})
    assert analyze(resources).of(NAME) == []


def test_personal_data_exclusions_keep_the_audit_logs(analyze, make):
    resources = forwarding(make)
    sink = named(resources, "acme-prod-siem-sink")["inputs"]
    sink["exclusions"].append({"name": "pii-phone", "filter": "jsonPayload.phone:*"})
    assert analyze(resources).of(NAME) == []


def test_topic_not_in_the_stack_is_a_violation(analyze, make):
    resources = [r for r in forwarding(make) if r["name"] != TOPIC]
    assert analyze(resources).of(NAME) == violation(
        f"sink acme-prod-siem-sink topic projects/acme-cp-prod/topics/{TOPIC} is not declared "
        "in the stack"
    )


def test_no_delivery_is_a_violation(analyze, make):
    resources = [r for r in forwarding(make) if r["type"] != JOB]
    assert analyze(resources).of(NAME) == violation(
        f"sink acme-prod-siem-sink nothing delivers topic {TOPIC} to Datadog (a Dataflow job "
        "reading one of its subscriptions, or a push subscription, to a Datadog intake)"
    )


def test_job_sending_elsewhere_is_no_delivery(analyze, make):
    resources = forwarding(make)
    job = named(resources, "acme-prod-siem-job")["inputs"]
    job["parameters"]["url"] = "https://logs.example.com"
    assert len(analyze(resources).of(NAME)) == 1


def test_job_reading_another_subscription_is_no_delivery(analyze, make):
    resources = forwarding(make)
    job = named(resources, "acme-prod-siem-job")["inputs"]
    job["parameters"]["inputSubscription"] = "projects/acme-cp-prod/subscriptions/other"
    assert len(analyze(resources).of(NAME)) == 1


def test_push_subscription_to_datadog_is_a_delivery(analyze, make):
    resources = [r for r in forwarding(make) if r["type"] != JOB]
    sub = named(resources, "acme-prod-siem-datadog")["inputs"]
    sub["pushConfig"] = {"pushEndpoint": "https://gcp-intake.logs.datadoghq.eu/api/v2/logs"}
    assert analyze(resources).of(NAME) == []


def test_sink_to_a_bucket_only_is_a_violation(analyze, make):
    archive = make(
        SINK,
        "logs-archive-sink",
        {"destination": "storage.googleapis.com/acme-prod-logs-archive", "filter": ""},
    )
    assert analyze([archive]).of(NAME) == violation("no log sink routes to a Pub/Sub topic")


def test_no_sink_at_all_is_a_violation(analyze):
    assert analyze([]).of(NAME) == violation("no log sink routes to a Pub/Sub topic")


def test_one_forwarding_sink_among_others_passes(analyze, make):
    archive = make(
        SINK, "logs-archive-sink", {"destination": "storage.googleapis.com/b", "filter": ""}
    )
    assert analyze([archive, *forwarding(make)]).of(NAME) == []


def test_unknown_destination_is_undecided_until_apply(analyze, make):
    resources = forwarding(make)
    named(resources, "acme-prod-siem-sink")["inputs"]["destination"] = UNKNOWN
    found = analyze(resources).of(NAME)
    assert len(found) == 1
    assert found[0][1].startswith(PREVIEW), found


def test_subscription_types_are_what_the_policy_follows(snapshots):
    # The policy follows the subscription by its topic and name: both plain strings in the
    # program (not outputs), so a preview decides too.
    sub = next(r for r in snapshots["prod"]["resources"] if r["name"] == "acme-prod-siem-datadog")
    assert sub["type"] == SUBSCRIPTION
    assert json.dumps(sub["inputs"]["topic"]).startswith('"projects/')
