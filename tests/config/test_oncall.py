"""controlplane:oncall: the playbook's escalation order and the field rules."""

from __future__ import annotations

from typing import Any

import pytest

from config.oncall import OnCallSection
from tests.support.config import errors
from tests.support.observability import example


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
