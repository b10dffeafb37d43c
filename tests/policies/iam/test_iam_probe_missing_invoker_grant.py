"""CP-IAM-006 iam-probe-missing-invoker-grant (stack policy)."""

from __future__ import annotations

import pytest

from policies.iam.iam_probe_missing_invoker_grant import META
from preflight.snapshot import UNKNOWN
from tests.support.policies import message_for

NAME = META.name
SERVICE = "gcp:cloudrunv2/service:Service"
INVOKER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
ACCOUNT = "gcp:serviceaccount/account:Account"
LOCATION = "datadog:index/syntheticsPrivateLocation:SyntheticsPrivateLocation"
TEST = "datadog:index/syntheticsTest:SyntheticsTest"
UPTIME = "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"
JOB = "gcp:cloudscheduler/job:Job"
RUNNER_ID = "acme-prod-synthetics-sa"
RUNNER = f"serviceAccount:{RUNNER_ID}@acme-cp-prod.iam.gserviceaccount.com"
URI = "https://acme-prod-agent-abc123-ew.a.run.app"

msg = message_for(META)


def depend(resource, key, *on):
    urns = [r["urn"] for r in on]
    resource.setdefault("propertyDependencies", {})[key] = urns
    resource["dependencies"] = sorted({*resource.get("dependencies", []), *urns})
    return resource


def agent(make):
    return make(SERVICE, "acme-prod-agent-service", {"name": "acme-prod-agent"})


def account(make):
    return make(
        ACCOUNT, "acme-prod-synthetics-sa", {"accountId": RUNNER_ID, "project": "acme-cp-prod"}
    )


def grant(make, service, member=RUNNER, on=None, name="acme-prod-agent-invoker-synthetics"):
    inputs = {"name": "acme-prod-agent", "role": "roles/run.invoker", "member": member}
    resource = depend(make(INVOKER, name, inputs), "name", service)
    return depend(resource, "member", on) if on is not None else resource


def location(make, tags=(f"runner-account:{RUNNER_ID}",)):
    inputs = {"name": "acme-prod-synthetics", "tags": ["env:prod", *tags]}
    return make(LOCATION, "acme-prod-synthetics-location", inputs)


def synthetic(make, service, locations, managed=()):
    inputs = {"name": "sse", "type": "api", "subtype": "multi", "locations": [*managed]}
    inputs["locations"] += ["pl:acme-prod-synthetics" for _ in locations]
    test = depend(make(TEST, "acme-prod-synthetics-sse", inputs), "apiSteps", service)
    return depend(test, "locations", *locations) if locations else test


def test_compliant_baseline_passes(analyze, make):
    service, sa, pl = agent(make), account(make), location(make)
    resources = [service, sa, pl, grant(make, service, on=sa), synthetic(make, service, [pl])]
    assert analyze(resources).of(NAME) == []


def test_private_location_without_grant_is_rejected(analyze, make):
    service, sa, pl = agent(make), account(make), location(make)
    test = synthetic(make, service, [pl])
    checked = analyze([service, sa, pl, test])
    assert checked.of(NAME) == [
        (
            test["urn"],
            msg(
                "acme-prod-synthetics-sse calls Cloud Run service acme-prod-agent as private "
                f"location acme-prod-synthetics (account {RUNNER_ID}), which holds no "
                "roles/run.invoker on it, and the service is not public: every run gets 403"
            ),
        )
    ]
    assert checked.levels(NAME) == ["mandatory"]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_unreachable_probe_is_mandatory_in_staging_and_prod(analyze, make, env):
    service = make(SERVICE, "agent", {"name": "agent"}, stack=env)
    test = make(TEST, "sse", {"name": "sse", "locations": ["aws:eu-central-1"]}, stack=env)
    checked = analyze([service, depend(test, "requestDefinition", service)], env=env)
    assert checked.levels(NAME) == ["mandatory"]


def test_grant_to_another_account_does_not_count(analyze, make):
    service, sa, pl = agent(make), account(make), location(make)
    other = grant(make, service, member="serviceAccount:fe@acme-cp-prod.iam.gserviceaccount.com")
    checked = analyze([service, sa, pl, other, synthetic(make, service, [pl])])
    assert len(checked.of(NAME)) == 1


def test_grant_matched_by_member_text_without_dependency(analyze, make):
    service, sa, pl = agent(make), account(make), location(make)
    resources = [service, sa, pl, grant(make, service), synthetic(make, service, [pl])]
    assert analyze(resources).of(NAME) == []


def test_managed_locations_cannot_invoke_a_private_service(analyze, make):
    service = agent(make)
    test = synthetic(make, service, [], managed=["aws:eu-central-1"])
    assert analyze([service, test]).of(NAME) == [
        (
            test["urn"],
            msg(
                "acme-prod-synthetics-sse calls Cloud Run service acme-prod-agent as Datadog "
                "managed locations (no ID token), which holds no roles/run.invoker on it, and "
                "the service is not public: every run gets 403"
            ),
        )
    ]


def test_public_service_passes_any_runner(analyze, make):
    service = agent(make)
    public = grant(make, service, member="allUsers", name="acme-prod-agent-public")
    test = synthetic(make, service, [], managed=["aws:eu-central-1"])
    assert analyze([service, public, test]).of(NAME) == []


def test_private_location_without_runner_tag_is_rejected(analyze, make):
    service, sa, pl = agent(make), account(make), location(make, tags=())
    test = synthetic(make, service, [pl])
    assert analyze([service, sa, pl, grant(make, service, on=sa), test]).of(NAME) == [
        (
            test["urn"],
            msg(
                "acme-prod-synthetics-sse calls Cloud Run service acme-prod-agent from private "
                "location acme-prod-synthetics has no runner-account:<account id> tag, so its "
                "workers' identity is unknown"
            ),
        )
    ]


def test_probe_of_no_cloud_run_service_passes(analyze, make):
    test = make(TEST, "external", {"name": "ext", "locations": ["aws:eu-central-1"]})
    assert analyze([test]).of(NAME) == []


def test_uptime_check_needs_oidc_and_a_grant_to_the_monitoring_agent(analyze, make):
    service = agent(make)
    check = {"httpCheck": {"path": "/healthz"}, "monitoredResource": {"type": "uptime_url"}}
    uptime = depend(make(UPTIME, "agent-uptime", check), "monitoredResource", service)
    assert len(analyze([service, uptime]).of(NAME)) == 1
    check["httpCheck"]["serviceAgentAuthentication"] = {"type": "OIDC_TOKEN"}
    uptime = depend(make(UPTIME, "agent-uptime", check), "monitoredResource", service)
    assert len(analyze([service, uptime]).of(NAME)) == 1
    member = "serviceAccount:service-1@gcp-sa-monitoring-notification.iam.gserviceaccount.com"
    monitoring = grant(make, service, member=member, name="agent-invoker-monitoring")
    assert analyze([service, monitoring, uptime]).of(NAME) == []


def test_scheduler_job_with_oidc_token_of_a_granted_account_passes(analyze, make):
    service, sa = agent(make), account(make)
    email = RUNNER.removeprefix("serviceAccount:")
    target = {"uri": URI + "/jobs", "oidcToken": {"serviceAccountEmail": email}}
    job = depend(make(JOB, "nightly", {"httpTarget": target}), "httpTarget", service, sa)
    assert analyze([service, sa, grant(make, service, on=sa), job]).of(NAME) == []
    bare = depend(make(JOB, "nightly", {"httpTarget": {"uri": URI}}), "httpTarget", service)
    assert len(analyze([service, sa, grant(make, service, on=sa), bare]).of(NAME)) == 1


# -- preview of a new stack: ids, e-mails and grant targets are unknown ---------------------------

PREVIEW = (
    f"can't run policy '{NAME}' from policy pack 'controlplane-policies@v0.0.1' during preview: "
)


def preview_case(make, member_from):
    """The private-location setup as the first preview sends it: the test's location id, the
    grant's service name and member are unknown, known only by what they are built from."""
    service, sa, pl = agent(make), account(make), location(make)
    test = synthetic(make, service, [pl])
    test["inputs"]["locations"] = [UNKNOWN]
    invoker = grant(make, service, member=UNKNOWN, on=member_from(sa))
    invoker["inputs"]["name"] = UNKNOWN
    return service, sa, pl, invoker, test


def test_preview_decides_from_what_the_unknowns_are_built_from(analyze, make):
    resources = preview_case(make, lambda sa: sa)
    assert analyze(list(resources)).of(NAME) == []


def test_preview_grant_to_another_account_is_rejected(analyze, make):
    # Planted fault: the only invoker grant is built from the frontend's account, not the runner's.
    frontend = make(ACCOUNT, "acme-prod-frontend-sa", {"accountId": "acme-prod-fe", "project": "p"})
    *resources, test = preview_case(make, lambda _sa: frontend)
    checked = analyze([frontend, *resources, test])
    assert [urn for urn, _ in checked.of(NAME)] == [test["urn"]]
    assert "holds no roles/run.invoker on it" in checked.of(NAME)[0][1]
    assert checked.levels(NAME) == ["mandatory"]


def test_preview_grant_built_from_something_else_stays_undecided(analyze, make):
    # Planted fault: a member built from a secret's output could be anyone, the runner included.
    secret = make("gcp:secretmanager/secret:Secret", "odd", {"secretId": "odd"})
    *resources, test = preview_case(make, lambda _sa: secret)
    checked = analyze([secret, *resources, test])
    assert checked.of(NAME) == [
        (
            "",
            PREVIEW + "1 probe(s) call a Cloud Run service whose invoker grants can't be known "
            "during preview: acme-prod-synthetics-sse as private location acme-prod-synthetics "
            f"(account {RUNNER_ID}) on acme-prod-agent",
        )
    ]
    assert checked.levels(NAME) == ["advisory"]
