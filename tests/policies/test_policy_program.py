"""The pack over the program as it declares dev, staging and prod (the session's snapshots).

``preflight check --all`` must pass on the stacks as declared; here each alerting rule is also
shown to bite on the program's own resources (one change to the real prod snapshot each), so a
pass is not a policy that silently found nothing to check.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from preflight.analyzer.config import load_policy_pack_config, parse_policy_pack_config, reconcile
from preflight.snapshot import validate

CONFIG = Path(__file__).resolve().parents[2] / "policies" / "config"
FREEZE = "changes-stack-disallow-freeze-changes"
NOTICE = "changes-stack-enforce-change-notice"


def check(pack_host, snapshot: dict[str, Any], config: dict[str, Any] | Path):
    given = (
        load_policy_pack_config(config)
        if isinstance(config, Path)
        else parse_policy_pack_config(json.dumps(config))
    )
    reconciled = reconcile(pack_host.info(), given)
    return pack_host.analyze(snapshot, validate(snapshot, "program"), reconciled)


def named(snapshot: dict[str, Any], suffix: str) -> dict[str, Any]:
    [found] = [r for r in snapshot["resources"] if r["name"].endswith(suffix)]
    return found


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_program_stacks_pass_their_config(pack_host, snapshots, env):
    result = check(pack_host, snapshots[env], CONFIG / f"{env}.json")
    assert [(v.policy_name, v.urn, v.message) for v in result.violations] == []


def test_program_prod_is_refused_in_a_freeze_by_the_deploy_config_only(pack_host, snapshots):
    deploy = json.loads((CONFIG / "prod-deploy.json").read_text())
    deploy[FREEZE] = {"enforcementLevel": "mandatory", "now": "2026-12-20T10:00:00Z"}
    # the deploy classified the change as not high-impact: no 48-hour notice involved
    deploy[NOTICE] = {"enforcementLevel": "mandatory", "classification": {"highImpact": False}}
    result = check(pack_host, snapshots["prod"], deploy)
    assert {(v.policy_name, v.enforcement_level) for v in result.violations} == {
        (FREEZE, "mandatory")
    }
    deploy[FREEZE]["now"] = "2026-12-13T10:00:00Z"
    assert check(pack_host, snapshots["prod"], deploy).violations == []


def _mission_threshold(snapshot: dict[str, Any]) -> None:
    monitor = named(snapshot, "-monitoring-mission-success-rate")
    monitor["inputs"]["query"] = monitor["inputs"]["query"].replace("< 0.97", "< 0.9")
    monitor["inputs"]["monitorThresholds"]["critical"] = "0.9"


def _no_undo_monitor(snapshot: dict[str, Any]) -> None:
    snapshot["resources"].remove(named(snapshot, "-monitoring-undo-failures"))


def _high_to_slack_only(snapshot: dict[str, Any]) -> None:
    monitor = named(snapshot, "-monitoring-oauth-failure-rate")
    monitor["inputs"]["message"] = monitor["inputs"]["message"].replace(
        "@pagerduty-acme-prod-oncall-service", ""
    )


def _escalation_without_commander(snapshot: dict[str, Any]) -> None:
    policy = named(snapshot, "-oncall-escalation")
    policy["inputs"]["rules"] = policy["inputs"]["rules"][:2]
    policy["propertyDependencies"]["rules"] = [
        u for u in policy["propertyDependencies"]["rules"] if not u.endswith("incident-commander")
    ]


def _escalation_secondary_first(snapshot: dict[str, Any]) -> None:
    # Same schedules, same dependencies, other order: only the schedules' ids can tell.
    policy = named(snapshot, "-oncall-escalation")
    rules = policy["inputs"]["rules"]
    rules[0]["targets"], rules[1]["targets"] = rules[1]["targets"], rules[0]["targets"]


def _downtime_on_saturday(snapshot: dict[str, Any]) -> None:
    downtime = named(snapshot, "-maintenance-weekly")
    recurrence = downtime["inputs"]["recurringSchedule"]["recurrences"][0]
    recurrence["rrule"] = recurrence["rrule"].replace("BYDAY=SU", "BYDAY=SA")


ALSO_REJECTED_BY = {
    "_downtime_on_saturday": {"alerting-mute-disallow-outside-maintenance-window"},
}
"""Changes that break two rules at once: a Saturday downtime misses prod's Sunday window and
mutes prod outside it."""


@pytest.mark.parametrize(
    ("change", "policy"),
    [
        (_mission_threshold, "alerting-monitor-configure-playbook-thresholds"),
        (_no_undo_monitor, "alerting-monitor-missing-playbook-alerts"),
        (_high_to_slack_only, "alerting-monitor-enforce-pagerduty-routing"),
        (_escalation_without_commander, "alerting-escalation-enforce-playbook-order"),
        (_escalation_secondary_first, "alerting-escalation-enforce-playbook-order"),
        (_downtime_on_saturday, "alerting-downtime-missing-maintenance-window"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_each_alerting_rule_bites_on_the_program(pack_host, snapshots, change, policy):
    snapshot = copy.deepcopy(snapshots["prod"])
    change(snapshot)
    result = check(pack_host, snapshot, CONFIG / "prod.json")
    also = ALSO_REJECTED_BY.get(change.__name__, set())
    assert {(v.policy_name, v.enforcement_level) for v in result.violations} == {
        (name, "mandatory") for name in {policy, *also}
    }
