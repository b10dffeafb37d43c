"""The Datadog and PagerDuty type tokens and camelCase inputs the alerting policies read exist in
the installed SDKs (pulumi-datadog, pulumi-pagerduty), scanned as text like test_gcp_shapes.py.
"""

from __future__ import annotations

import pytest

from policies._lib import observability as obs
from tests.support.policies_sdk import getters, tokens


@pytest.mark.parametrize(
    ("package", "token"),
    [
        ("pulumi_datadog", obs.DATADOG_MONITOR),
        ("pulumi_datadog", obs.DATADOG_SYNTHETICS_TEST),
        ("pulumi_datadog", obs.DATADOG_DOWNTIME_SCHEDULE),
        ("pulumi_datadog", obs.DATADOG_PAGERDUTY_SERVICE),
        ("pulumi_pagerduty", obs.PAGERDUTY_SCHEDULE),
        ("pulumi_pagerduty", obs.PAGERDUTY_ESCALATION_POLICY),
    ],
)
def test_tokens_exist(package, token):
    assert token in tokens(package)


# (package, module, class, properties read by the pack)
SHAPES = [
    (
        "pulumi_datadog",
        ".",
        "MonitorArgs",
        {
            "query",
            "message",
            "tags",
            "type",
            "monitorThresholds",
            "notifyNoData",
            "noDataTimeframe",
        },
    ),
    ("pulumi_datadog", ".", "MonitorMonitorThresholdsArgs", {"critical"}),
    ("pulumi_datadog", ".", "SyntheticsTestArgs", {"message", "tags"}),
    (
        "pulumi_datadog",
        ".",
        "DowntimeScheduleArgs",
        {"scope", "monitorIdentifier", "recurringSchedule"},
    ),
    (
        "pulumi_datadog",
        ".",
        "DowntimeScheduleMonitorIdentifierArgs",
        {"monitorTags", "monitorId"},
    ),
    ("pulumi_datadog", ".", "DowntimeScheduleRecurringScheduleArgs", {"timezone", "recurrences"}),
    (
        "pulumi_datadog",
        ".",
        "DowntimeScheduleRecurringScheduleRecurrenceArgs",
        {"rrule", "start", "duration"},
    ),
    ("pulumi_datadog", "pagerduty", "ServiceObjectArgs", {"serviceName"}),
    ("pulumi_pagerduty", ".", "EscalationPolicyArgs", {"rules"}),
    ("pulumi_pagerduty", ".", "EscalationPolicyRuleArgs", {"targets"}),
    ("pulumi_pagerduty", ".", "EscalationPolicyRuleTargetArgs", {"id", "type"}),
]


@pytest.mark.parametrize(
    ("package", "module", "class_name", "names"),
    SHAPES,
    ids=lambda v: v if isinstance(v, str) and v[0].isupper() else None,
)
def test_input_names_exist(package, module, class_name, names):
    assert names <= getters(package, module, class_name)
