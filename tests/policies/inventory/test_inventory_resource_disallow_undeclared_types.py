"""CP-INV-001 inventory-resource-disallow-undeclared-types."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from policies._lib.inventory import declared_types, family
from policies.inventory.inventory_resource_disallow_undeclared_types import META
from preflight.analyzer.config import PolicyConfigError

NAME = META.name
HMAC = "gcp:storage/hmacKey:HmacKey"
ADVICE = "declare it in the program or except it in allowedTypes with a reason"


def test_declared_types_pass(analyze, make):
    bucket = make("gcp:storage/bucket:Bucket", "logs-archive", {"name": "b"})
    assert "gcp:storage/bucket:Bucket" in declared_types()
    assert analyze([bucket]).of(NAME) == []


@pytest.mark.parametrize(
    ("type_token", "kind"),
    [
        (HMAC, "keys"),
        ("gcp:projects/apiKey:ApiKey", "keys"),
        ("gcp:bigquery/datasetIamMember:DatasetIamMember", "IAM"),
        ("gcp:organizations/iAMCustomRole:IAMCustomRole", "IAM"),
        ("gcp:storage/bucketACL:BucketACL", "ACL"),
        ("gcp:logging/projectExclusion:ProjectExclusion", "log exclusions"),
        ("datadog:index/downtime:Downtime", "downtimes"),
        (
            "pagerduty:index/eventOrchestrationRouter:EventOrchestrationRouter",
            "event orchestrations",
        ),
        ("gcp:secretmanager/regionalSecret:RegionalSecret", "secrets"),
        ("pulumi-python:dynamic:Resource", "dynamic resources"),
        ("acme:future/tokenMinter:TokenMinter", "secrets"),
    ],
)
def test_an_undeclared_type_is_rejected_with_its_family(analyze, make, type_token, kind):
    assert family(type_token) == kind
    resource = make(type_token, "odd", {})
    checked = analyze([resource])
    detail = f"{type_token} (sensitive family: {kind}) is not a type the program declares: {ADVICE}"
    assert checked.of(NAME) == [(resource["urn"], f"{META.description}\n{detail}")]
    assert checked.levels(NAME) == ["mandatory"]


def test_a_plain_undeclared_type_is_rejected_without_family(analyze, make):
    resource = make("gcp:compute/instance:Instance", "vm", {})
    detail = f"gcp:compute/instance:Instance is not a type the program declares: {ADVICE}"
    assert analyze([resource]).of(NAME) == [(resource["urn"], f"{META.description}\n{detail}")]


def test_dev_only_advises(analyze, make):
    resource = make(HMAC, "k", {}, stack="dev")
    assert analyze([resource], env="dev").levels(NAME) == ["advisory"]


def test_an_exact_exception_with_a_reason_passes_and_is_logged_for_a_family(analyze, make):
    resource = make(HMAC, "k", {})
    allowed = {"allowedTypes": [{"type": HMAC, "reason": "legacy S3 interop, ticket OPS-1"}]}
    checked = analyze([resource], overrides={NAME: allowed})
    assert checked.of(NAME) == []
    line = (
        f"{NAME}: {HMAC} (keys family) is allowed by the policy config: "
        "legacy S3 interop, ticket OPS-1"
    )
    assert ("warning", line, resource["urn"]) in checked.logs()


def test_an_exception_for_another_type_does_not_apply(analyze, make):
    resource = make(HMAC, "k", {})
    allowed = {"allowedTypes": [{"type": "gcp:projects/apiKey:ApiKey", "reason": "maps"}]}
    assert len(analyze([resource], overrides={NAME: allowed}).of(NAME)) == 1


@pytest.mark.parametrize(
    "entry",
    [
        {"type": "gcp:storage/*", "reason": "wildcards are refused"},
        {"type": HMAC, "reason": " "},
        {"type": HMAC},
        {"type": HMAC, "reason": "x", "until": "never"},
    ],
)
def test_a_wildcard_or_a_missing_reason_is_a_config_error(analyze, make, entry):
    with pytest.raises(PolicyConfigError):
        analyze([make(HMAC, "k", {})], overrides={NAME: {"allowedTypes": [entry]}})


def test_the_documented_exception_is_a_valid_config_that_lets_its_type_through(analyze, make):
    doc = (Path(__file__).resolve().parents[3] / "docs" / "policies.md").read_text()
    [example] = [e for e in re.findall(r"```json\n(.+?)```", doc, re.DOTALL) if "allowedTypes" in e]
    overrides = json.loads(example)
    [entry] = overrides[NAME]["allowedTypes"]
    resource = make(entry["type"], "egress-ip", {})
    assert len(analyze([resource]).of(NAME)) == 1
    assert analyze([resource], overrides=overrides).of(NAME) == []
