"""CP-ALR-003 alerting-monitor-enforce-pagerduty-routing (stack policy)."""

from __future__ import annotations

import pytest

from policies.alerting.alerting_monitor_enforce_pagerduty_routing import META
from tests.support import policies_alerting as shapes
from tests.support.policies import message_for

NAME = META.name

msg = message_for(META)


def service_object(make, env="prod", name=None):
    return make(
        shapes.SERVICE_OBJECT,
        f"acme-{env}-oncall-datadog-service",
        {"serviceKey": "[secret]", "serviceName": name or shapes.pagerduty_service(env)},
    )


def monitor(make, slug, env="prod", message=None, tags=None):
    inputs = shapes.monitor_inputs(env, slug)
    if message is not None:
        inputs["message"] = message
    if tags is not None:
        inputs["tags"] = tags
    if message == "":
        del inputs["message"]
    return make(shapes.MONITOR, f"acme-{env}-monitoring-{slug}", inputs)


def stack(make, env="prod"):
    return [service_object(make, env)] + [monitor(make, slug, env) for slug in shapes.SLUGS]


def must_page(severity: str, where: str, services: str = "acme-prod-oncall-service") -> str:
    return msg(
        f"severity {severity} {where} must page: mention @pagerduty-<service> in the message "
        f"(PagerDuty services: {services})"
    )


def unknown_service(handle: str, known: str = "acme-prod-oncall-service") -> str:
    return msg(
        f"{handle} names no PagerDuty service that Datadog knows: use @pagerduty-<service> with "
        f"one of: {known} (a datadog.pagerduty.ServiceObject of the stack, or pagerDutyServices "
        "in the policy config)"
    )


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_compliant_baseline_passes(analyze, make, env):
    assert analyze(stack(make, env), env=env).of(NAME) == []


def test_dev_may_route_high_alerts_to_slack_only(analyze, make):
    # The dev example routes high alerts to Slack; that is allowed outside pagingEnvironments.
    high = shapes.monitor_inputs("dev", "oauth-failure-rate")
    assert "@pagerduty" not in high["message"]
    assert analyze(stack(make, "dev"), env="dev").of(NAME) == []


@pytest.mark.parametrize(
    ("slug", "severity"), [("oauth-failure-rate", "high"), ("mission-success-rate", "critical")]
)
@pytest.mark.parametrize("env", ["staging", "prod"])
def test_paging_severity_without_pagerduty_is_rejected(analyze, make, env, slug, severity):
    text = shapes.monitor_inputs(env, slug)["message"].replace(
        f"@pagerduty-{shapes.pagerduty_service(env)}", ""
    )
    resource = monitor(make, slug, env, message=text)
    checked = analyze([service_object(make, env), resource], env=env)
    assert checked.of(NAME) == [
        (resource["urn"], must_page(severity, f"in {env}", shapes.pagerduty_service(env)))
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_paging_environments_are_configurable(analyze, make):
    resource = monitor(make, "oauth-failure-rate", "dev")
    checked = analyze(
        [service_object(make, "dev"), resource],
        env="dev",
        overrides={NAME: {"pagingEnvironments": ["dev", "staging", "prod"]}},
    )
    assert checked.of(NAME) == [
        (resource["urn"], must_page("high", "in dev", "acme-dev-oncall-service"))
    ]
    assert checked.levels(NAME) == ["advisory"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_informational_never_pages(analyze, make, env):
    text = shapes.monitor_inputs(env, "library-reuse-drop")["message"] + (
        f" @pagerduty-{shapes.pagerduty_service(env)}"
    )
    resource = monitor(make, "library-reuse-drop", env, message=text)
    assert analyze([service_object(make, env), resource], env=env).of(NAME) == [
        (
            resource["urn"],
            msg(
                f"severity informational must not page: remove "
                f"@pagerduty-{shapes.pagerduty_service(env)} from the message"
            ),
        )
    ]


@pytest.mark.parametrize("handle", ["@pagerduty-acme-prod-oncall-servce", "@pagerduty"])
def test_handle_of_an_unknown_service_is_rejected(analyze, make, handle):
    text = shapes.monitor_inputs("prod", "sse-heartbeat")["message"].replace(
        "@pagerduty-acme-prod-oncall-service", handle
    )
    resource = monitor(make, "sse-heartbeat", message=text)
    assert analyze([service_object(make), resource]).of(NAME) == [
        (resource["urn"], unknown_service(handle))
    ]


def test_services_known_outside_the_stack_are_configurable(analyze, make):
    resource = monitor(make, "sse-heartbeat")
    without = analyze([resource])
    assert without.of(NAME) == [
        (
            resource["urn"],
            unknown_service("@pagerduty-acme-prod-oncall-service", known="none in the stack"),
        )
    ]
    configured = {NAME: {"pagerDutyServices": ["acme-prod-oncall-service"]}}
    assert analyze([resource], overrides=configured).of(NAME) == []


def test_missing_message_is_rejected_on_purpose(analyze, make):
    # Decided: a paging monitor without a message notifies nobody.
    assert META.on_missing == "violation"
    resource = monitor(make, "undo-failures", message="")
    assert "message" not in resource["inputs"]
    assert analyze([service_object(make), resource]).of(NAME) == [
        (resource["urn"], must_page("critical", "in prod"))
    ]


def test_missing_env_tag_must_page(analyze, make):
    # Fail closed: without an env tag the monitor may be prod's.
    tags = [t for t in shapes.monitor_inputs("dev", "oauth-failure-rate")["tags"]]
    resource = monitor(
        make, "oauth-failure-rate", "dev", tags=[t for t in tags if not t.startswith("env:")]
    )
    assert analyze([service_object(make, "dev"), resource], env="dev").of(NAME) == [
        (resource["urn"], must_page("high", "without an env tag", "acme-dev-oncall-service"))
    ]


def test_missing_severity_tag_is_left_to_the_tags_policy(analyze, make):
    tags = shapes.monitor_inputs("prod", "mission-success-rate")["tags"]
    resource = monitor(
        make,
        "mission-success-rate",
        message="no handle at all",
        tags=[t for t in tags if not t.startswith("severity:")],
    )
    assert analyze([service_object(make), resource]).of(NAME) == []


def test_synthetic_tests_are_routed_too(analyze, make):
    resource = make(
        shapes.SYNTHETICS,
        "acme-prod-synthetics-sse",
        {
            "message": "GET /healthz/sse failed. Notify: @slack-cp-prod-incidents",
            "tags": ["env:prod", "severity:critical"],
            "type": "api",
        },
    )
    assert analyze([service_object(make), resource]).of(NAME) == [
        (resource["urn"], must_page("critical", "in prod"))
    ]


def test_monitor_types_are_configurable(analyze, make):
    resource = make(
        shapes.SYNTHETICS, "synthetic", {"message": "x", "tags": ["env:prod", "severity:high"]}
    )
    overrides = {NAME: {"monitorTypes": [shapes.MONITOR]}}
    assert analyze([service_object(make), resource], overrides=overrides).of(NAME) == []


def test_exclude_pattern_exempts(analyze, make):
    resource = monitor(make, "oauth-failure-rate", message="Notify: @slack-x")
    checked = analyze(
        [service_object(make), resource], overrides={NAME: {"exclude": ["*-oauth-*"]}}
    )
    assert checked.of(NAME) == []
    assert (
        "info",
        f"{NAME}: acme-prod-monitoring-oauth-failure-rate is exempt: excluded by pattern "
        "'*-oauth-*'",
        resource["urn"],
    ) in checked.logs()


def test_include_pattern_limits_the_check(analyze, make):
    resource = monitor(make, "oauth-failure-rate", message="Notify: @slack-x")
    checked = analyze(
        [service_object(make), resource], overrides={NAME: {"include": ["*-mission-*"]}}
    )
    assert checked.of(NAME) == []
