"""Reading the checked-in stack files and the synthesized snapshots of the observability tests.

Shared by the conformance tests of tests/stacks/ that read PagerDuty and Datadog resources.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml
from pulumi.runtime.mocks import MockResourceArgs

from preflight.cli import ROOT
from preflight.mocks import ControlPlaneMocks

MONITOR = "datadog:index/monitor:Monitor"
PD_SCHEDULE = "pagerduty:index/schedule:Schedule"
PD_POLICY = "pagerduty:index/escalationPolicy:EscalationPolicy"
PD_SERVICE = "pagerduty:index/service:Service"

ANOMALY_RE = re.compile(
    r"^avg\(last_(?P<history>[1-9][0-9]*[mhd])\):anomalies\("
    r"(?P<series>[^{,]+\{[^}]*\}), '(?P<algorithm>basic|agile|robust)', (?P<deviations>[0-9.]+), "
    r"(?P<options>.*)\) >= (?P<threshold>[0-9.]+)$"
)


@functools.cache
def stack_file(stack: str) -> dict[str, Any]:
    """The ``config:`` map of ``Pulumi.<stack>.yaml``."""
    return dict(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"])


def tag_value(resource: dict[str, Any], key: str) -> str:
    values = [t.split(":", 1)[1] for t in resource["inputs"]["tags"] if t.startswith(f"{key}:")]
    assert len(values) == 1, f"{resource['urn']}: {key} tags {values}"
    return values[0]


def by_urn(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in snapshot["resources"]}


def mock_outputs(stack: str, resource: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The id and outputs the synthesis's mocks gave ``resource`` (they derive from its inputs)."""
    mocks = ControlPlaneMocks(str(stack_file(stack)["gcp:project"]))
    return mocks.new_resource(
        MockResourceArgs(resource["type"], resource["name"], dict(resource["inputs"]), None, None)
    )


def notified(resource: dict[str, Any]) -> list[str]:
    """The handles of the ``Notify:`` line of a monitor's or synthetic test's message."""
    lines = [
        line for line in resource["inputs"]["message"].splitlines() if line.startswith("Notify: ")
    ]
    assert len(lines) == 1, f"{resource['urn']}: Notify lines {lines}"
    return lines[0].removeprefix("Notify: ").split()
