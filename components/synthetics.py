"""Synthetics: Datadog API tests of the agent's health checks (playbook §3), per environment.

Playbook §3 asks that the agent's health checks cover its SSE endpoints and its Composio
connectivity. Two HTTP API tests call them from the configured locations:

- the SSE check (``monitoring.synthetics.ssePath``) must answer 200 with a
  ``text/event-stream`` content type within the response-time budget;
- the Composio check (``monitoring.synthetics.composioPath``) must answer 200 within the
  budget (the agent answers non-2xx when Composio is unreachable).

Each test alerts through the same routing as the §4 monitors: its severity (config) picks
the notification targets, and its monitor name carries the ``[<severity>]`` marker.

The agent is not public, so with ``monitoring.synthetics.privateLocation`` each test is a
multistep API test run from the private location (components/synthetics_runner.py): step one
asks the metadata server for an ID token of the workers' service account with the agent's URL
as audience, step two calls the agent with ``Authorization: Bearer`` and that token
(docs/synthetics.md). Without it, a plain HTTP test runs from the managed ``locations``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_datadog as datadog

from components.datadog_common import PRIORITY, RENOTIFY_MINUTES, AlertRouting, monitor_name
from config.monitoring import MonitoringSection
from controlplane.naming import Naming
from controlplane.playbook import Severity


@dataclass(frozen=True)
class SyntheticsArgs:
    """Inputs of :class:`Synthetics`."""

    naming: Naming
    """Names and tags of the environment."""
    config: MonitoringSection
    """``controlplane:monitoring``: synthetics settings, team tag, runbook links."""
    service: str
    """The agent's Datadog service name (tags)."""
    alerts: AlertRouting
    """Where the tests' monitors notify (``controlplane:routing``, the PagerDuty service)."""
    agent_url: pulumi.Input[str] | None = None
    """Base URL of the agent service (e.g. the Cloud Run service ``uri``); config
    ``monitoring.synthetics.baseUrl`` overrides it. One of the two is required."""
    private_location: pulumi.Input[str] | None = None
    """Id of the private location the tests run from (``SyntheticsRunner.location_id``);
    required when ``monitoring.synthetics.privateLocation`` is set."""


@dataclass(frozen=True)
class _Check:
    key: str
    slug: str
    title: str
    summary: str
    path: str
    severity: Severity
    runbook: str
    accept: str
    extra: tuple[datadog.SyntheticsTestAssertionArgs, ...]


class Synthetics(pulumi.ComponentResource):
    """The SSE and Composio API tests of one environment."""

    tests: dict[str, datadog.SyntheticsTest]
    """Tests keyed ``sse`` and ``composio``."""

    def __init__(
        self, name: str, args: SyntheticsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("controlplane:observability:Synthetics", name, None, opts)
        settings = args.config.synthetics
        base: pulumi.Input[str] | None = settings.base_url or args.agent_url
        if base is None:
            raise ValueError(
                "synthetics need the agent's URL: pass agent_url or set "
                "controlplane:monitoring.synthetics.baseUrl"
            )
        private = settings.private_location is not None
        if private and args.private_location is None:
            raise ValueError(
                "monitoring.synthetics.privateLocation is set: pass the runner's "
                "private_location id"
            )
        locations: list[pulumi.Input[str]] = (
            [args.private_location]
            if private and args.private_location is not None
            else list(settings.managed_locations)
        )
        checks = [
            _Check(
                key="sse",
                slug="synthetic-sse-endpoint",
                title="Agent SSE endpoint health check failing",
                summary=(
                    f"GET {settings.sse_path} did not answer 200 with an event stream within "
                    f"{settings.max_response_time_ms} ms from {settings.min_location_failed} "
                    "or more locations."
                ),
                path=settings.sse_path,
                severity=settings.sse_severity,
                runbook="sse-heartbeat",
                accept="text/event-stream",
                extra=(
                    datadog.SyntheticsTestAssertionArgs(
                        type="header",
                        property="content-type",
                        operator="contains",
                        target="text/event-stream",
                    ),
                ),
            ),
            _Check(
                key="composio",
                slug="synthetic-composio-connectivity",
                title="Agent Composio connectivity check failing",
                summary=(
                    f"GET {settings.composio_path} did not answer 200 within "
                    f"{settings.max_response_time_ms} ms from {settings.min_location_failed} "
                    "or more locations: the agent cannot reach Composio."
                ),
                path=settings.composio_path,
                severity=settings.composio_severity,
                runbook="composio-connectivity",
                accept="application/json",
                extra=(),
            ),
        ]
        self.tests = {}
        for check in checks:
            url = pulumi.Output.from_input(base).apply(_joiner(check.path))
            title = monitor_name(check.severity, check.title, args.naming)
            request = datadog.SyntheticsTestRequestDefinitionArgs(
                method="GET", url=url, timeout=settings.timeout_seconds
            )
            assertions = [
                datadog.SyntheticsTestAssertionArgs(type="statusCode", operator="is", target="200"),
                datadog.SyntheticsTestAssertionArgs(
                    type="responseTime",
                    operator="lessThan",
                    target=str(settings.max_response_time_ms),
                ),
                *check.extra,
            ]
            steps = (
                _authenticated_steps(check, base, request, assertions, settings.timeout_seconds)
                if private
                else None
            )
            self.tests[check.key] = datadog.SyntheticsTest(
                f"{name}-{check.key}",
                name=title,
                type="api",
                status="live",
                locations=locations,
                subtype="multi" if private else "http",
                api_steps=steps,
                request_definition=None if private else request,
                request_headers=None if private else {"Accept": check.accept},
                assertions=None if private else assertions,
                options_list=datadog.SyntheticsTestOptionsListArgs(
                    tick_every=settings.tick_every_seconds,
                    min_location_failed=settings.min_location_failed,
                    retry=datadog.SyntheticsTestOptionsListRetryArgs(
                        count=settings.retries, interval=300
                    ),
                    monitor_name=title,
                    monitor_priority=int(PRIORITY[check.severity]),
                    monitor_options=datadog.SyntheticsTestOptionsListMonitorOptionsArgs(
                        renotify_interval=RENOTIFY_MINUTES[check.severity]
                    ),
                ),
                message=args.alerts.message(
                    summary=check.summary,
                    runbook=args.config.runbook(check.runbook),
                    severity=check.severity,
                ),
                tags=args.naming.tags(
                    service=args.service,
                    severity=check.severity,
                    team=args.config.team,
                    alert=check.slug,
                ),
                opts=args.alerts.options(self),
            )
        self.register_outputs({"testIds": {key: t.id for key, t in self.tests.items()}})


TOKEN_VARIABLE = "ID_TOKEN"  # noqa: S105  # nosec B105: a variable name, not a token
METADATA_IDENTITY = (
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity"
)
"""The metadata server's ID-token endpoint (Cloud Run container contract); the token it returns
is signed by Google for the workload's own service account."""


def _authenticated_steps(
    check: _Check,
    base: pulumi.Input[str],
    request: datadog.SyntheticsTestRequestDefinitionArgs,
    assertions: list[datadog.SyntheticsTestAssertionArgs],
    timeout: int,
) -> list[datadog.SyntheticsTestApiStepArgs]:
    """Step one: an ID token for the agent's URL (the audience Cloud Run checks) from the
    metadata server, kept in a secure (obfuscated) variable; step two: the check itself."""
    audience = pulumi.Output.from_input(base).apply(lambda root: root.rstrip("/"))
    token_url = audience.apply(lambda aud: f"{METADATA_IDENTITY}?audience={aud}")
    return [
        datadog.SyntheticsTestApiStepArgs(
            name="ID token from the metadata server",
            subtype="http",
            is_critical=True,
            request_definition=datadog.SyntheticsTestApiStepRequestDefinitionArgs(
                method="GET", url=token_url, timeout=timeout
            ),
            request_headers={"Metadata-Flavor": "Google"},
            assertions=[
                datadog.SyntheticsTestApiStepAssertionArgs(
                    type="statusCode", operator="is", target="200"
                )
            ],
            extracted_values=[
                datadog.SyntheticsTestApiStepExtractedValueArgs(
                    name=TOKEN_VARIABLE,
                    type="http_body",
                    parser=datadog.SyntheticsTestApiStepExtractedValueParserArgs(type="raw"),
                    secure=True,
                )
            ],
        ),
        datadog.SyntheticsTestApiStepArgs(
            name=f"GET {check.path}",
            subtype="http",
            is_critical=True,
            request_definition=datadog.SyntheticsTestApiStepRequestDefinitionArgs(
                method=request.method, url=request.url, timeout=timeout
            ),
            request_headers={
                "Accept": check.accept,
                "Authorization": f"Bearer {{{{ {TOKEN_VARIABLE} }}}}",
            },
            assertions=[
                datadog.SyntheticsTestApiStepAssertionArgs(
                    type=a.type, operator=a.operator, target=a.target, property=a.property
                )
                for a in assertions
            ],
        ),
    ]


def _joiner(path: str) -> Callable[[str], str]:
    """A function that appends ``path`` to a base URL."""

    def join(root: str) -> str:
        return root.rstrip("/") + path

    return join
