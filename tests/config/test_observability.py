"""The observability keys together: the environment rules that span keys."""

from __future__ import annotations

import pytest

from config.base import Problem
from config.observability import ObservabilitySections
from tests.support.observability import EXAMPLES, SECURITY, example, sections


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_examples_are_valid_for_their_environment(env: str):
    security = {"security": SECURITY} if env == "prod" else {}
    assert sections(env, **security).env_rules(env) == []  # type: ignore[arg-type]


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
    data = example("prod", security=SECURITY)
    del data["maintenanceWindow"]
    assert ObservabilitySections.model_validate(data).env_rules("prod") == [
        Problem.found(
            "maintenanceWindow",
            "none",
            "sunday 03:00-05:00 UTC for prod (playbook §9: 'Sundays 03:00-05:00 UTC (production)')",
        )
    ]


def test_prod_requires_the_security_route():
    # Planted fault: prod without controlplane:security would page only the operations chain.
    data = example("prod")
    assert "security" not in data
    assert ObservabilitySections.model_validate(data).env_rules("prod") == [
        Problem.found(
            "security",
            "none",
            "the security route in prod (playbook §1, §12: security alerts page the Security "
            "Lead first; see docs/config.md, controlplane:security)",
        )
    ]
    staging = example("staging")
    assert "security" not in staging
    assert ObservabilitySections.model_validate(staging).env_rules("staging") == []
