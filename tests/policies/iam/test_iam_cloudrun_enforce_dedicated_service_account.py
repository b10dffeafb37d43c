"""CP-IAM-004 iam-cloudrun-enforce-dedicated-service-account."""

from __future__ import annotations

import pytest

from policies.iam.iam_cloudrun_enforce_dedicated_service_account import META
from tests.support.policies import message_for

NAME = META.name
SERVICE = "gcp:cloudrunv2/service:Service"
JOB = "gcp:cloudrunv2/job:Job"
POOL = "gcp:cloudrunv2/workerPool:WorkerPool"
SA = "acme-prod-agent-sa@acme-cp-prod.iam.gserviceaccount.com"

msg = message_for(META)


def workload(make, kind, account=SA):
    template = {"containers": [{"image": "europe-docker.pkg.dev/x/agent:1"}]}
    if account is not None:
        template["serviceAccount"] = account
    if kind == JOB:
        return make(
            JOB, "vacuum-job", {"name": "acme-prod-vacuum", "template": {"template": template}}
        )
    return make(kind, "agent-service", {"name": "acme-prod-agent", "template": template})


@pytest.mark.parametrize("kind", [SERVICE, JOB, POOL])
def test_compliant_baseline_passes(analyze, make, kind):
    assert analyze([workload(make, kind)]).of(NAME) == []


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (SERVICE, "template.serviceAccount"),
        (JOB, "template.template.serviceAccount"),
        (POOL, "template.serviceAccount"),
    ],
)
def test_missing_service_account_is_rejected_on_purpose(analyze, make, kind, path):
    # Decided: without one, Cloud Run runs as the default compute service account.
    resource = workload(make, kind, account=None)
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg(f"{path} is not set, so the workload runs as the default compute service account"),
        )
    ]


@pytest.mark.parametrize(
    ("kind", "account", "overrides", "detail"),
    [
        pytest.param(
            SERVICE,
            "123456789012-compute@developer.gserviceaccount.com",
            None,
            "template.serviceAccount is the shared default service account "
            "123456789012-compute@developer.gserviceaccount.com",
            id="default-compute-account",
        ),
        pytest.param(
            JOB,
            "acme-cp-prod@appspot.gserviceaccount.com",
            None,
            "template.template.serviceAccount is the shared default service account "
            "acme-cp-prod@appspot.gserviceaccount.com",
            id="app-engine-default-account",
        ),
        pytest.param(
            SERVICE,
            "",
            None,
            "template.serviceAccount is not set, so the workload runs as the default "
            "compute service account",
            id="empty-service-account",
        ),
        pytest.param(
            SERVICE,
            "shared@acme-cp-prod.iam.gserviceaccount.com",
            {NAME: {"forbiddenServiceAccounts": ["shared@*"]}},
            "template.serviceAccount is the shared default service account "
            "shared@acme-cp-prod.iam.gserviceaccount.com",
            id="configured-forbidden-account",
        ),
    ],
)
def test_shared_service_account_is_rejected(analyze, make, kind, account, overrides, detail):
    resource = workload(make, kind, account=account)
    assert analyze([resource], overrides=overrides).of(NAME) == [(resource["urn"], msg(detail))]


def test_exclude_pattern_exempts(analyze, make):
    resource = workload(make, SERVICE, account=None)
    checked = analyze([resource], overrides={NAME: {"exclude": ["agent-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'agent-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = workload(make, SERVICE, account=None)
    checked = analyze([resource], overrides={NAME: {"include": ["frontend-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['frontend-*']")]
