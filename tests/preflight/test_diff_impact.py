"""preflight.diff.impact: each reason a change is high-impact (playbook §9), with a planted change.

Every case starts from a base snapshot and plants one change in the head; the baseline case
(a threshold change) is not high-impact, so each reason is what the planted change adds.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from preflight import diff
from preflight.diff import impact
from preflight.diff.model import StackDiff
from tests.support.resource_records import record


def res(stack: str, type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return record(
        f"urn:pulumi:{stack}::controlplane::{type_}::{name}",
        type_,
        name,
        custom=True,
        parent=None,
        inputs=inputs,
        dependencies=[],
        property_dependencies={},
    )


def snapshot(stack: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"project": "controlplane", "stack": stack, "resources": resources}


def monitor(stack: str, critical: int) -> dict[str, Any]:
    return res(
        stack,
        "datadog:index/monitor:Monitor",
        "mission-success",
        {
            "name": "Mission success rate below 97%",
            "type": "query alert",
            "query": f"avg(last_5m):avg:mission.success_rate{{env:{stack}}} < {critical}",
            "monitorThresholds": {"critical": critical},
        },
    )


IN_FREEZE = datetime(2026, 12, 20, 10, tzinfo=UTC)
BEFORE_FREEZE = datetime(2026, 12, 13, 10, tzinfo=UTC)


def paged_monitor(stack: str = "prod", **inputs: Any) -> dict[str, Any]:
    m = monitor(stack, 97)
    m["inputs"] |= {"message": "Mission success low. @pagerduty-acme-prod-agent", "priority": 1}
    m["inputs"] |= inputs
    return m


def iam_member(member: str) -> dict[str, Any]:
    return res(
        "prod",
        "gcp:projects/iAMMember:IAMMember",
        "agent-logwriter",
        {"project": "acme-prod", "role": "roles/logging.logWriter", "member": member},
    )


def escalation(delay: int) -> dict[str, Any]:
    return res(
        "prod",
        "pagerduty:index/escalationPolicy:EscalationPolicy",
        "oncall-escalation",
        {"name": "acme-prod-oncall", "rules": [{"escalationDelayInMinutes": delay}]},
    )


def base() -> list[dict[str, Any]]:
    return [
        paged_monitor(),
        iam_member("serviceAccount:agent@acme-prod.iam.gserviceaccount.com"),
        escalation(30),
    ]


def kinds(head: list[dict[str, Any]], before: list[dict[str, Any]] | None = None) -> list[str]:
    d = diff.diff_snapshots("prod", snapshot("prod", before or base()), snapshot("prod", head))
    return [r.kind for r in d.high_impact]


def test_a_threshold_change_is_not_high_impact():
    head = base()
    head[0] = paged_monitor()
    head[0]["inputs"]["monitorThresholds"]["critical"] = 95
    assert kinds(head) == []


def test_iam_member_change_is_high_impact():
    head = base()
    head[1] = iam_member("serviceAccount:other@acme-prod.iam.gserviceaccount.com")
    d = diff.diff_snapshots("prod", snapshot("prod", base()), snapshot("prod", head))
    [reason] = d.high_impact
    assert (reason.kind, reason.urn) == ("iam", head[1]["urn"])
    assert reason.text == "IAM change: replace `gcp:projects/iAMMember:IAMMember`"


@pytest.mark.parametrize(
    "rtype",
    [
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "gcp:projects/iAMBinding:IAMBinding",
        "gcp:secretmanager/secretIamMember:SecretIamMember",
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "gcp:organizations/iamCustomRole:IamCustomRole",
    ],
)
def test_every_iam_type_is_iam(rtype):
    added = res("prod", rtype, "grant", {"project": "acme-prod"})
    assert kinds([*base(), added]) == ["iam"]


def test_escalation_policy_change_is_paging():
    head = base()
    head[2] = escalation(15)
    assert kinds(head) == ["paging"]


@pytest.mark.parametrize(
    "rtype", ["pagerduty:index/schedule:Schedule", "pagerduty:index/service:Service"]
)
def test_pagerduty_schedules_and_services_are_paging(rtype):
    assert kinds([*base(), res("prod", rtype, "x", {"name": "x"})]) == ["paging"]


@pytest.mark.parametrize(
    "rtype",
    [
        "pagerduty:index/eventOrchestration:EventOrchestration",
        "pagerduty:index/eventOrchestrationRouter:EventOrchestrationRouter",
        "datadog:pagerduty/serviceObject:ServiceObject",
        "datadog:index/downtimeSchedule:DowntimeSchedule",
        "datadog:index/downtime:Downtime",
    ],
)
def test_orchestrations_service_objects_and_downtimes_are_routing(rtype):
    assert kinds([*base(), res("prod", rtype, "x", {"name": "x"})]) == ["routing"]


def test_monitor_notification_handle_change_is_routing():
    head = base()
    head[0] = paged_monitor(message="Mission success low. @slack-acme-prod-alerts")
    d = diff.diff_snapshots("prod", snapshot("prod", base()), snapshot("prod", head))
    assert [(r.kind, r.text) for r in d.high_impact] == [
        (
            "routing",
            "routing change: monitor `message` notifies @slack-acme-prod-alerts; stops "
            "notifying @pagerduty-acme-prod-agent",
        )
    ]


def test_monitor_message_wording_without_handle_change_is_not_high_impact():
    head = base()
    head[0] = paged_monitor(message="Mission success is low. @pagerduty-acme-prod-agent")
    assert kinds(head) == []


def test_monitor_priority_change_is_routing():
    head = base()
    head[0] = paged_monitor(priority=3)
    d = diff.diff_snapshots("prod", snapshot("prod", base()), snapshot("prod", head))
    assert [(r.kind, r.text) for r in d.high_impact] == [
        ("routing", "routing change: monitor priority 1 → 3")
    ]


def test_monitor_added_or_removed_with_handles_is_routing():
    assert kinds(base()[1:]) == ["routing"]  # removed
    assert kinds(base(), before=base()[1:]) == ["routing"]  # added
    silent = paged_monitor(message="no handle here")
    assert kinds(base()[1:], before=[silent, *base()[1:]]) == []


def test_stateful_replacement_and_data_loss():
    bucket = res(
        "prod", "gcp:storage/bucket:Bucket", "logs-archive", {"name": "a", "location": "EU"}
    )
    moved = copy.deepcopy(bucket)
    moved["inputs"]["location"] = "US"
    assert kinds([*base(), moved], before=[*base(), bucket]) == ["data-loss"]
    retained = copy.deepcopy(bucket) | {"retainOnDelete": True}
    assert kinds(base(), before=[*base(), retained]) == ["stateful"]


def freeze_config(tmp_path: Path, level: str = "mandatory", **settings: Any) -> Path:
    entry: Any = {"enforcementLevel": level, **settings} if settings else level
    document = {"all": "mandatory", impact.FREEZE_POLICY: entry}
    (tmp_path / "prod-deploy.json").write_text(json.dumps(document))
    (tmp_path / "prod.json").write_text(json.dumps({impact.FREEZE_POLICY: "disabled"}))
    return tmp_path


def changed() -> StackDiff:
    head = base()
    head[0] = paged_monitor()
    head[0]["inputs"]["monitorThresholds"]["critical"] = 95
    return diff.diff_snapshots("prod", snapshot("prod", base()), snapshot("prod", head))


def test_any_change_inside_the_freeze_of_the_deploy_config_is_high_impact(tmp_path):
    config = freeze_config(tmp_path)
    d = changed()
    impact.classify_freeze(d, BEFORE_FREEZE, config)
    assert d.high_impact == []
    impact.classify_freeze(d, IN_FREEZE, config)
    assert [r.to_json() for r in d.high_impact] == [
        {
            "kind": "freeze",
            "urn": "",
            "reason": "the change lands in the change freeze (Q4 2026 weeks 12-13, 2026-12-17 "
            "to 2026-12-31 UTC, prod-deploy.json): critical fixes only",
        }
    ]


def test_freeze_follows_the_policy_settings_and_level(tmp_path):
    d = changed()
    impact.classify_freeze(d, IN_FREEZE, freeze_config(tmp_path, "disabled"))
    assert d.high_impact == []
    impact.classify_freeze(d, IN_FREEZE, freeze_config(tmp_path, freezeQuarters=[1]))
    assert d.high_impact == []


def test_no_change_is_never_in_the_freeze(tmp_path):
    d = diff.diff_snapshots("prod", snapshot("prod", base()), snapshot("prod", base()))
    impact.classify_freeze(d, IN_FREEZE, freeze_config(tmp_path))
    assert d.high_impact == []


def test_committed_prod_deploy_config_freezes_prod_only():
    d = changed()
    impact.classify_freeze(d, IN_FREEZE)
    assert [r.kind for r in d.high_impact] == ["freeze"]
    staging = diff.diff_snapshots("staging", snapshot("staging", [monitor("staging", 97)]), None)
    impact.classify_freeze(staging, IN_FREEZE)
    assert staging.high_impact == []


def test_json_and_markdown_carry_the_classification():
    head = base()
    head[2] = escalation(15)
    d = diff.diff_snapshots("prod", snapshot("prod", base()), snapshot("prod", head))
    report = diff.render_json([d], {"rev": "b", "commit": "c"}, allow_data_loss=False)
    assert report["highImpact"] is True
    [stack] = report["stacks"]
    assert stack["highImpact"] is True
    assert stack["highImpactReasons"] == [
        {
            "kind": "paging",
            "urn": head[2]["urn"],
            "reason": "paging change: update `pagerduty:index/escalationPolicy:EscalationPolicy`",
        }
    ]
    text = diff.render_markdown([d], "b", allow_data_loss=False, full_report="r")
    lines = text.splitlines()
    assert "| prod | 0 | 1 | 0 | 0 | none | yes: paging | not compared |" in lines
    assert "> [!IMPORTANT]" in lines
    assert (
        "> - `prod` paging `oncall-escalation`: paging change: update "
        "`pagerduty:index/escalationPolicy:EscalationPolicy`"
    ) in lines
    quiet = changed()
    assert diff.render_json([quiet], {}, allow_data_loss=False)["highImpact"] is False
    assert "[!IMPORTANT]" not in diff.render_markdown(
        [quiet], "b", allow_data_loss=False, full_report="r"
    )
