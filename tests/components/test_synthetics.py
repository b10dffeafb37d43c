"""Synthetics: API tests of the agent's SSE endpoint and Composio check, routed by severity."""

from __future__ import annotations

import pulumi
import pytest

from components.datadog_common import AlertRouting
from components.synthetics import Synthetics, SyntheticsArgs
from config.monitoring import MonitoringSection
from config.routing import RoutingSection
from preflight.mocks import Registration
from tests.support.components import Registered, naming_for, run_program
from tests.support.observability import AGENT_URL, SYNTHETICS, run_observability


@pytest.fixture(scope="module")
def stacks() -> dict[str, Registered]:
    return {env: run_observability(env) for env in ("dev", "staging", "prod")}


def synthetics_of(registered: Registered) -> dict[str, Registration]:
    return {r.name.rsplit("-", 1)[-1]: r for r in registered.of_type(SYNTHETICS)}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_sse_and_composio_tests_per_environment(stacks: dict[str, Registered], env: str):
    found = synthetics_of(stacks[env])
    assert sorted(found) == ["composio", "sse"], sorted(found)
    component = stacks[env].one("controlplane:observability:Synthetics")
    for key, r in found.items():
        assert r.parent == component.urn, r.urn
        assert r.name == f"acme-{env}-synthetics-{key}", r.urn
        assert r.inputs["type"] == "api", r.urn
        assert r.inputs["subtype"] == "http", r.urn
        assert r.inputs["status"] == "live", r.urn
        assert f"env:{env}" in r.inputs["tags"], r.urn
        assert r.inputs["requestDefinition"]["method"] == "GET", r.urn
        assert {"operator": "is", "target": "200", "type": "statusCode"} in r.inputs[
            "assertions"
        ], r.urn
    sse = found["sse"]
    assert sse.inputs["requestDefinition"]["url"] == f"{AGENT_URL}/healthz/sse", sse.urn
    assert sse.inputs["requestHeaders"] == {"Accept": "text/event-stream"}, sse.urn
    assert {
        "operator": "contains",
        "property": "content-type",
        "target": "text/event-stream",
        "type": "header",
    } in sse.inputs["assertions"], sse.urn
    composio = found["composio"]
    assert composio.inputs["requestDefinition"]["url"] == f"{AGENT_URL}/healthz/composio"


def test_prod_locations_and_options(stacks: dict[str, Registered]):
    sse = synthetics_of(stacks["prod"])["sse"]
    assert sse.inputs["locations"] == ["aws:eu-central-1", "aws:us-east-1", "aws:ap-southeast-1"]
    assert sse.inputs["optionsList"] == {
        "tickEvery": 60,
        "minLocationFailed": 2,
        "retry": {"count": 1, "interval": 300},
        "monitorName": "[critical] Agent SSE endpoint health check failing (prod)",
        "monitorPriority": 2,  # critical: SEV2 (playbook §5)
        "monitorOptions": {"renotifyInterval": 30},
    }, sse.urn
    assert {"operator": "lessThan", "target": "2000", "type": "responseTime"} in sse.inputs[
        "assertions"
    ]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_alerts_route_like_the_monitors(stacks: dict[str, Registered], env: str):
    found = synthetics_of(stacks[env])
    pagerduty = f"@pagerduty-acme-{env}-oncall-service"
    assert "severity:critical" in found["sse"].inputs["tags"]
    assert "severity:high" in found["composio"].inputs["tags"]
    for r in found.values():
        assert pagerduty in r.inputs["message"], r.urn
        assert r.inputs["name"] == r.inputs["optionsList"]["monitorName"], r.urn
    assert "Runbook: docs/runbooks/sse-heartbeat.md" in found["sse"].inputs["message"]
    assert "Runbook: docs/runbooks/composio-connectivity.md" in found["composio"].inputs["message"]


def test_dev_high_severity_synthetic_does_not_page(stacks: dict[str, Registered]):
    composio = synthetics_of(stacks["dev"])["composio"]
    assert "@pagerduty" not in composio.inputs["message"], composio.urn
    assert "@slack-cp-dev-alerts" in composio.inputs["message"], composio.urn


def test_base_url_from_config_wins():
    registered = run_observability(
        "staging",
        monitoring={
            "synthetics": {"baseUrl": "https://agent.staging.example.com/", "ssePath": "/sse/ping"}
        },
    )
    sse = synthetics_of(registered)["sse"]
    assert sse.inputs["requestDefinition"]["url"] == "https://agent.staging.example.com/sse/ping"


ALERTS = AlertRouting(
    routing=RoutingSection(critical=["pagerduty"], high=["pagerduty"], informational=["slack:ops"]),
    pagerduty_service_name="acme-dev-oncall-service",
)


def test_missing_url_is_a_clear_error():
    args = SyntheticsArgs(
        naming=naming_for("dev"), config=MonitoringSection(), service="agent", alerts=ALERTS
    )
    with pytest.raises(ValueError) as err:
        run_program(lambda: Synthetics("s", args) and None, stack="dev")
    assert str(err.value) == (
        "synthetics need the agent's URL: pass agent_url or set "
        "controlplane:monitoring.synthetics.baseUrl"
    )


def test_agent_url_may_be_an_output():
    def program() -> None:
        Synthetics(
            "s",
            SyntheticsArgs(
                naming=naming_for("dev"),
                config=MonitoringSection(),
                service="agent",
                alerts=ALERTS,
                agent_url=pulumi.Output.from_input("https://x.run.app/"),
            ),
        )

    found = synthetics_of(run_program(program, stack="dev"))
    assert found["sse"].inputs["requestDefinition"]["url"] == "https://x.run.app/healthz/sse"


pytestmark = pytest.mark.playbook("composio-connectivity", "agent-deployment")
