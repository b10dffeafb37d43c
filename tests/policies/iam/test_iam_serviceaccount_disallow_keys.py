"""CP-IAM-003 iam-serviceaccount-disallow-keys."""

from __future__ import annotations

from policies.iam.iam_serviceaccount_disallow_keys import META

NAME = META.name
KEY = "gcp:serviceaccount/key:Key"
DETAIL = (
    "a service account key is a long-lived credential: use the workload's attached "
    "service account or Workload Identity Federation instead"
)


def test_compliant_baseline_passes(analyze, make):
    account = make(
        "gcp:serviceaccount/account:Account", "agent-sa", {"accountId": "acme-prod-agent-sa"}
    )
    assert analyze([account]).of(NAME) == []


def test_key_is_rejected(analyze, make):
    key = make(KEY, "agent-key", {"serviceAccountId": "acme-prod-agent-sa"})
    checked = analyze([key])
    assert checked.of(NAME) == [(key["urn"], f"{META.description}\n{DETAIL}")]
    assert checked.levels(NAME) == ["mandatory"]


def test_key_without_properties_is_rejected_on_purpose(analyze, make):
    # Decided: the resource itself is the violation, whatever its properties.
    key = make(KEY, "bare-key", {})
    assert META.on_missing == "violation"
    assert analyze([key]).of(NAME) == [(key["urn"], f"{META.description}\n{DETAIL}")]


def test_exclude_pattern_exempts(analyze, make):
    key = make(KEY, "legacy-export-key", {"serviceAccountId": "x"})
    checked = analyze([key], overrides={NAME: {"exclude": ["legacy-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(key["urn"], "excluded by pattern 'legacy-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    key = make(KEY, "legacy-export-key", {"serviceAccountId": "x"})
    checked = analyze([key], overrides={NAME: {"include": ["ci-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(key["urn"], "not included by ['ci-*']")]
