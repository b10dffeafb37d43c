"""The observability keys together: the environment rules that span keys."""

from __future__ import annotations

import pytest

from config.base import Problem
from config.observability import ObservabilitySections
from tests.support.observability import EXAMPLES, example, sections


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_examples_are_valid_for_their_environment(env: str):
    assert sections(env).env_rules(env) == []  # type: ignore[arg-type]


def test_dev_must_not_page_at_night():
    oncall = {k: v for k, v in EXAMPLES["dev"]["oncall"].items() if k != "supportHours"}
    cfg = sections("dev", oncall=oncall)
    assert cfg.env_rules("dev") == [
        Problem.found(
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
    assert quiet.env_rules("dev") == []


def test_maintenance_window_must_be_the_playbooks():
    wrong = {**EXAMPLES["staging"]["maintenanceWindow"], "start": "03:00", "end": "05:00"}
    assert sections("staging", maintenanceWindow=wrong).env_rules("staging") == [
        Problem.found(
            "maintenanceWindow",
            "saturday 03:00-05:00 UTC",
            "saturday 02:00-04:00 UTC for staging (playbook §9: 'Saturdays 02:00-04:00 UTC "
            "(staging)')",
        )
    ]
    data = example("prod")
    del data["maintenanceWindow"]
    assert ObservabilitySections.model_validate(data).env_rules("prod") == [
        Problem.found(
            "maintenanceWindow",
            "none",
            "sunday 03:00-05:00 UTC for prod (playbook §9: 'Sundays 03:00-05:00 UTC (production)')",
        )
    ]
