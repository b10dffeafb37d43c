"""The pack's shared helpers, where the Analyzer path cannot reach them."""

from __future__ import annotations

from datetime import date

import pytest

from policies._lib import engine_log
from policies._lib.config import exemption, settings
from policies._lib.observability import (
    duration_minutes,
    pagerduty_handles,
    parse_query,
    rrule_parts,
)
from policies._lib.props import MISSING, fmt, get, number
from policies._lib.quarters import freeze_at, parse_now, week_of_quarter


def test_engine_log_without_an_engine_goes_to_stderr(capsys):
    engine_log.disconnect()
    engine_log.log("warning", "careful", "urn:pulumi:prod::p::t::n")
    assert capsys.readouterr().err == "warning: careful (urn:pulumi:prod::p::t::n)\n"


def test_engine_log_falls_back_when_the_engine_is_gone(capsys):
    engine_log.connect("127.0.0.1:1")
    try:
        engine_log.log("info", "still visible")
    finally:
        engine_log.disconnect()
    assert capsys.readouterr().err == "info: still visible\n"


def test_exemption_shape():
    assert exemption("acme-prod-agent", {"include": ["*"], "exclude": []}) is None
    assert exemption("acme-prod-agent", {"include": ["*-frontend"], "exclude": []}) == (
        "not included by ['*-frontend']"
    )
    assert exemption("acme-prod-agent", {"include": ["*"], "exclude": ["*-agent"]}) == (
        "excluded by pattern '*-agent'"
    )
    # Patterns are case-sensitive, like resource names.
    assert exemption("Acme", {"include": ["acme"], "exclude": []}) == "not included by ['acme']"


def test_settings_fill_defaults_without_sharing_them():
    schema = {"roles": {"type": "array", "default": ["a"]}, "free": {"type": "string"}}
    first = settings(None, schema)
    first["roles"].append("b")
    assert settings({}, schema) == {"roles": ["a"]}
    assert settings({"free": "x"}, schema) == {"roles": ["a"], "free": "x"}


@pytest.mark.parametrize(
    ("obj", "path", "expected"),
    [
        ({"a": {"b": 1}}, "a.b", 1),
        ({"a": {"b": None}}, "a.b", MISSING),
        ({"a": []}, "a.b", MISSING),
        ({}, "a", MISSING),
    ],
)
def test_get(obj, path, expected):
    assert get(obj, path) == expected


def test_numbers_as_the_engine_sends_them():
    assert number(30.0) == 30.0 and number("180") == 180.0
    assert number(True) is None and number("x") is None and number(None) is None
    assert fmt(30.0) == "30" and fmt(2.5) == "2.5"


# -- policies._lib.quarters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "week"),
    [
        ("2026-10-01", 1),
        ("2026-10-07", 1),
        ("2026-10-08", 2),
        ("2026-12-16", 11),
        ("2026-12-17", 12),
        ("2026-12-23", 12),
        ("2026-12-24", 13),
        ("2026-12-31", 13),  # day 92: week 13 runs to the quarter's end
        ("2027-03-31", 13),  # day 90
        ("2028-03-18", 12),  # leap year: day 78
    ],
)
def test_week_of_quarter(day, week):
    assert week_of_quarter(date.fromisoformat(day)) == week


def test_freeze_runs_are_consecutive_weeks():
    freeze = freeze_at(date(2026, 11, 1), [5, 6, 12, 13], [4])
    assert freeze is not None
    assert (freeze.first_week, freeze.last_week, str(freeze.start), str(freeze.end)) == (
        5,
        6,
        "2026-10-29",
        "2026-11-11",
    )
    assert freeze.describe() == "Q4 2026 weeks 5-6, 2026-10-29 to 2026-11-11 UTC"
    assert freeze_at(date(2026, 11, 20), [5, 6, 12, 13], [4]) is None


def test_parse_now():
    assert parse_now("2026-12-17T00:30:00+01:00").isoformat() == "2026-12-16T23:30:00+00:00"
    with pytest.raises(ValueError, match="has no UTC offset"):
        parse_now("2026-12-17T00:30:00")


# -- policies._lib.observability --------------------------------------------------------------


def test_parse_query_reads_the_parts():
    query = parse_query("avg(last_1h):1 - avg:undo.success_rate{env:prod AND service:a} > 1e-2")
    assert query is not None
    assert (query.aggregation, query.window_minutes, query.comparator, query.threshold) == (
        "avg",
        60,
        ">",
        0.01,
    )
    assert query.metrics == ["undo.success_rate"]
    assert query.terms[0].scope == ("env:prod", "service:a")
    assert query.complement_of == 1.0 and not query.is_anomaly


@pytest.mark.parametrize(
    "text",
    [
        "",
        "mission success is low",
        "avg(last_5):avg:m{*} < 1",  # no unit
        "avg(last_5m):avg:m{*}",  # no comparison
        "change(avg(last_5m),last_5m):avg:m{*} > 1",  # change alerts are not read
    ],
)
def test_parse_query_refuses_what_it_cannot_read(text):
    assert parse_query(text) is None


def test_anomaly_direction_defaults_to_both():
    query = parse_query("avg(last_4h):anomalies(avg:m{*}, 'basic', 2) >= 1")
    assert query is not None and query.anomaly_direction == "both"


def test_pagerduty_handles():
    found = pagerduty_handles("@pagerduty-svc-a x@pagerduty-no @slack-c (@pagerduty) @pagerduty-b,")
    assert [(h.text, h.service) for h in found] == [
        ("@pagerduty-svc-a", "svc-a"),
        ("@pagerduty", None),
        ("@pagerduty-b", "b"),
    ]


@pytest.mark.parametrize(
    ("text", "minutes"), [("2h", 120), ("90m", 90), ("1d", 1440), ("1w", 10080), ("2", None)]
)
def test_durations(text, minutes):
    assert duration_minutes(text) == minutes


def test_rrule_parts():
    assert rrule_parts("RRULE:freq=weekly;BYDAY=su") == {"FREQ": "WEEKLY", "BYDAY": "SU"}
