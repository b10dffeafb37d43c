"""Policy-pack config files, parsed and reconciled with the running pack as the CLI does it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pulumi.runtime.proto import analyzer_pb2

from preflight.analyzer.config import (
    PolicyConfig,
    PolicyConfigError,
    parse_policy_pack_config,
    reconcile,
    to_proto,
)
from preflight.analyzer.host import PolicyPackHost
from tests.support.preflight import pack_host


@pytest.fixture(scope="module")
def host() -> Iterator[PolicyPackHost]:
    yield from pack_host()


# -- policy-pack config like the CLI ----------------------------------------------------------


def test_config_reconciles_defaults_all_and_overrides(host):
    given = parse_policy_pack_config(
        json.dumps(
            {
                "all": "advisory",
                "iam-serviceaccount-disallow-keys": "disabled",
                "credentials-secret-configure-rotation": {
                    "enforcementLevel": "mandatory",
                    "maxRotationPeriodSeconds": 100,
                },
                "labels-gcp-missing-required-labels": {"exclude": ["x"]},
            }
        )
    )
    config = reconcile(host.info(), given)
    assert config["iam-serviceaccount-disallow-keys"].enforcement_level == "disabled"
    rotation = config["credentials-secret-configure-rotation"]
    assert rotation.enforcement_level == "mandatory"
    assert rotation.properties == {"include": ["*"], "exclude": [], "maxRotationPeriodSeconds": 100}
    labels = config["labels-gcp-missing-required-labels"]
    assert labels.enforcement_level == "advisory" and labels.properties["exclude"] == ["x"]
    assert labels.properties["requiredLabels"]["managed-by"] == ["pulumi"]
    request = to_proto(config)
    assert (
        request.policyConfig["iam-serviceaccount-disallow-keys"].enforcementLevel
        == analyzer_pb2.DISABLED
    )
    assert "all" not in request.policyConfig


def test_empty_config_text_is_no_config():
    assert parse_policy_pack_config("  \n") == {}
    assert parse_policy_pack_config('{"x": {}}') == {}


def test_config_error_names_the_policy(host):
    with pytest.raises(
        PolicyConfigError,
        match=r"audit-project-missing-data-access-logs: logTypes\.0: 'DATA' is not one of",
    ):
        reconcile(
            host.info(),
            {
                "audit-project-missing-data-access-logs": PolicyConfig(
                    properties={"logTypes": ["DATA"]}
                )
            },
        )
