"""CP-LBL-002 labels-datadogmonitor-missing-required-tags."""

from __future__ import annotations

import pytest

from policies.labels.labels_datadogmonitor_missing_required_tags import META
from tests.support.policies import message_for

NAME = META.name
MONITOR = "datadog:index/monitor:Monitor"

msg = message_for(META)


def monitor(make, tags):
    inputs = {"name": "Mission success < 97%", "type": "metric alert", "query": "q"}
    if tags is not None:
        inputs["tags"] = tags
    return make(MONITOR, "alert-mission-success", inputs)


def test_compliant_baseline_passes(analyze, make):
    assert analyze([monitor(make, ["env:prod", "severity:critical", "team:sre"])]).of(NAME) == []


@pytest.mark.parametrize(
    ("tags", "lacking"),
    [(["severity:high"], "env"), (["env:prod"], "severity"), (["env:", "severity:high"], "env")],
)
def test_missing_tag_is_rejected(analyze, make, tags, lacking):
    resource = monitor(make, tags)
    checked = analyze([resource])
    assert checked.of(NAME) == [
        (resource["urn"], msg(f"tags lack {lacking}: add '<key>:<value>' tags for them"))
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_missing_tags_are_rejected_on_purpose(analyze, make):
    # Decided: routing and the scorecard filter by env and severity.
    resource = monitor(make, None)
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("tags lack env, severity: add '<key>:<value>' tags for them"))
    ]


def test_unknown_severity_is_rejected(analyze, make):
    resource = monitor(make, ["env:prod", "severity:p1"])
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("tag severity:p1 is not allowed; use one of: critical, high, informational"),
        )
    ]


def test_other_environment_is_rejected(analyze, make):
    resource = monitor(make, ["env:staging", "severity:high"])
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("tag env:staging is not allowed; use one of: prod"))
    ]


def test_other_datadog_types_are_ignored(analyze, make):
    slo = make("datadog:index/serviceLevelObjective:ServiceLevelObjective", "slo", {"tags": []})
    assert analyze([slo]).of(NAME) == []


def test_exclude_pattern_exempts(analyze, make):
    resource = monitor(make, None)
    checked = analyze([resource], overrides={NAME: {"exclude": ["alert-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'alert-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = monitor(make, None)
    checked = analyze([resource], overrides={NAME: {"include": ["synthetic-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['synthetic-*']")]
