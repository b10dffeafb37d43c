"""docs/traceability.md: one row per playbook rule, generated, and every claim in it holds."""

from __future__ import annotations

import dataclasses

import pytest

from controlplane import rules
from preflight import traceability
from preflight.cli import ROOT


def test_the_checked_in_table_is_the_generated_one() -> None:
    assert (ROOT / traceability.DOC).read_text() == traceability.render()


def test_every_rule_resolves_to_config_code_policies_and_tests() -> None:
    assert traceability.problems() == []


def test_every_policy_of_the_pack_enforces_a_rule() -> None:
    enforced = {p for rule in rules.RULES for p in rule.enforced_by}
    assert set(traceability.pack_policies()) <= enforced


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"config": ("monitoring.alerts.sseHeartbeet",)}, "config path"),
        ({"declared_by": ("components/nowhere.py",)}, "does not exist"),
        ({"enforced_by": ("iam-binding-disallow-nothing",)}, "no policy named"),
        ({"slug": "sse-heartbeat-renamed"}, "unknown rule"),
    ],
)
def test_a_planted_wrong_row_is_reported(monkeypatch, change, expected) -> None:
    planted = [
        dataclasses.replace(rule, **change) if rule.slug == "sse-heartbeat" else rule
        for rule in rules.RULES
    ]
    monkeypatch.setattr(traceability, "RULES", tuple(planted))
    assert any(expected in problem for problem in traceability.problems())
