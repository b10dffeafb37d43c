"""CP-LBL-001 labels-gcp-missing-required-labels."""

from __future__ import annotations

import pytest

from policies.labels.labels_gcp_missing_required_labels import META
from tests.support.policies import inputs_given, message_for

NAME = META.name
BUCKET = "gcp:storage/bucket:Bucket"
PROD = {"environment": "prod", "data-class": "live", "managed-by": "pulumi", "component": "logs"}

msg = message_for(META)


def bucket(make, labels):
    return make(BUCKET, "logs-archive", inputs_given(name="acme-prod-logs-archive", labels=labels))


def test_compliant_baseline_passes(analyze, make):
    assert analyze([bucket(make, PROD)]).of(NAME) == []


@pytest.mark.parametrize("key", ["environment", "data-class", "managed-by"])
def test_each_missing_label_is_rejected(analyze, make, key):
    labels = {k: v for k, v in PROD.items() if k != key}
    resource = bucket(make, labels)
    checked = analyze([resource])
    assert checked.of(NAME) == [
        (resource["urn"], msg(f"labels lack {key}: pass labels=naming.labels(...)"))
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_empty_value_counts_as_missing(analyze, make):
    resource = bucket(make, {**PROD, "environment": ""})
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("labels lack environment: pass labels=naming.labels(...)"))
    ]


def test_missing_labels_are_rejected_on_purpose(analyze, make):
    # Decided: an unlabelled resource cannot be attributed to an environment or data class.
    resource = bucket(make, None)
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg("labels lack data-class, environment, managed-by: pass labels=naming.labels(...)"),
        )
    ]


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("environment", "dev", "prod"),
        ("data-class", "synthetic", "live"),
        ("managed-by", "terraform", "pulumi"),
    ],
)
def test_wrong_environment_value_is_rejected(analyze, make, key, value, allowed):
    resource = bucket(make, {**PROD, key: value})
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg(f"label {key} is {value!r}; this environment requires one of: {allowed}"),
        )
    ]


def test_each_environment_pins_its_own_values(analyze, make):
    resource = bucket(make, {**PROD, "environment": "staging", "data-class": "anonymized"})
    assert analyze([resource], env="staging").of(NAME) == []
    assert [m for _, m in analyze([resource], env="dev").of(NAME)] == [
        msg("label data-class is 'anonymized'; this environment requires one of: synthetic"),
        msg("label environment is 'staging'; this environment requires one of: dev"),
    ]


def test_non_labelable_types_are_ignored(analyze, make):
    account = make("gcp:serviceaccount/account:Account", "agent-sa", {"accountId": "x"})
    member = make(
        "gcp:projects/iAMMember:IAMMember", "m", {"role": "r", "member": "group:g@example.com"}
    )
    assert analyze([account, member]).of(NAME) == []


def test_other_labelable_types_are_checked(analyze, make):
    service = make("gcp:cloudrunv2/service:Service", "agent-service", {"name": "acme-prod-agent"})
    assert analyze([service]).of(NAME) == [
        (
            service["urn"],
            msg("labels lack data-class, environment, managed-by: pass labels=naming.labels(...)"),
        )
    ]


def test_exclude_pattern_exempts(analyze, make):
    resource = bucket(make, None)
    checked = analyze([resource], overrides={NAME: {"exclude": ["logs-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'logs-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = bucket(make, None)
    checked = analyze([resource], overrides={NAME: {"include": ["backup-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['backup-*']")]


def test_unknown_labels_give_the_engines_preview_advisory(analyze, make):
    # As under `pulumi preview`: a value that is unknown until apply cannot be judged, and the
    # policy runtime reports that as an advisory, whatever the configured level.
    resource = bucket(make, "04da6b54-80e4-46f7-96ec-b56ff0331ba9")
    checked = analyze([resource])
    assert checked.of(NAME) == [
        (
            resource["urn"],
            f"can't run policy '{NAME}' from policy pack 'controlplane-policies@v0.0.1' during "
            "preview: string value at .labels can't be known during preview",
        )
    ]
    assert checked.levels(NAME) == ["advisory"]
