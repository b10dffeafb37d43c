"""CP-IAM-006: a probe must be able to invoke the Cloud Run service it calls.

A probe (a Datadog synthetic test, a Cloud Monitoring uptime check, a Cloud Scheduler HTTP job)
that calls a Cloud Run service neither public nor granting ``roles/run.invoker`` to the probe's
runner gets 403 on every run: a health check that always fails pages for nothing and hides
real outages. The runner of each probe:

- a synthetic test run from a private location: the account its workers run as, named by the
  location's ``runner-account:<account id>`` tag (components/synthetics_runner.py); from a
  managed location: anonymous (Datadog's API tests cannot send a Google ID token);
- an uptime check with ``serviceAgentAuthentication`` of type ``OIDC_TOKEN``: the project's
  Cloud Monitoring service agent; without it: anonymous;
- a scheduler job with ``httpTarget.oidcToken``: that service account; without it: anonymous.

The target is the Cloud Run service the probe's inputs are built from (its property
dependencies, e.g. a URL made from the service's ``uri``); a URL typed in as text is not
followed.

During the preview of a new stack the values built from outputs of resources not yet created are
unknown: a test's private location id, an invoker grant's ``member`` and ``name``, a job's OIDC
e-mail. The policy decides from what is known and from the property dependencies: the number of
``locations`` (not their values) against the private locations they are built from, a grant's
service from its ``name`` dependency, a grant's member from the resources its ``member`` is
built from. A member built only from service accounts, service agents or writer identities
(``IDENTITY_OUTPUTS``, the inference of ``iam_principal_enforce_stack_service_accounts.py``) is
that account; any other unknown member or role could still be the runner's grant: when no other
grant decides, the policy stays undecided (the runtime's "can't run policy ... during preview"),
it never reports a violation for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from policies._lib.config import Schema, string_list
from policies._lib.gcp import CLOUD_RUN_SERVICE, IDENTITY_OUTPUTS, iam_grants, iam_kind
from policies._lib.meta import Meta
from policies._lib.policy import stack_policy, types
from policies._lib.props import Unknown, get, is_missing, peek, size

META = Meta(
    id="CP-IAM-006",
    name="iam-probe-missing-invoker-grant",
    description=(
        "Ensure every probe (synthetic test, uptime check, scheduler job) that calls a Cloud Run "
        "service runs as an identity holding roles/run.invoker on it, or the service is public."
    ),
    severity="high",
    section="§3 Deployment Workflows: health checks cover SSE endpoints and Composio",
    remediation=(
        "Run the probe as a service account and grant it roles/run.invoker on the service: "
        "for Datadog tests set controlplane:monitoring.synthetics.privateLocation "
        "(docs/synthetics.md); "
        "for uptime checks set serviceAgentAuthentication OIDC_TOKEN and grant the Monitoring "
        "service agent; for scheduler jobs set httpTarget.oidcToken. Never make the service "
        "public for a probe."
    ),
    on_missing="pass",
    missing_rationale=(
        "a probe whose inputs are built from no Cloud Run service calls something else, which "
        "this policy does not judge"
    ),
)

SYNTHETICS_TEST = "datadog:index/syntheticsTest:SyntheticsTest"
PRIVATE_LOCATION = "datadog:index/syntheticsPrivateLocation:SyntheticsPrivateLocation"
UPTIME_CHECK = "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"
SCHEDULER_JOB = "gcp:cloudscheduler/job:Job"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
MONITORING_AGENT = "@gcp-sa-monitoring-notification.iam.gserviceaccount.com"

CONFIG: Schema = {
    "invokerRoles": string_list(
        ["roles/run.invoker"], "Roles that let a caller invoke a Cloud Run service."
    ),
    "publicPrincipals": string_list(
        ["allUsers"], "Members that let anyone invoke a service (no token needed)."
    ),
    "runnerTag": {
        "type": "string",
        "default": "runner-account",
        "description": "Tag key of a private location naming the account id its workers run as.",
    },
}


@dataclass(frozen=True)
class Runner:
    """Who a probe's requests come from: IAM members and the resources that define them."""

    label: str
    members: frozenset[str] = frozenset()
    urns: frozenset[str] = frozenset()
    member_suffix: str | None = None
    problem: str | None = None

    def holds(self, member: str | Unknown, member_urns: set[str]) -> bool:
        """Whether the grant's member is this runner (an unknown member only by what it is
        built from)."""
        if member_urns & self.urns:
            return True
        if isinstance(member, Unknown):
            return False
        if member in self.members:
            return True
        return self.member_suffix is not None and member.endswith(self.member_suffix)


ANONYMOUS = Runner("an anonymous caller (no ID token)")


def _accounts(stack: list[PolicyResource]) -> dict[str, PolicyResource]:
    return {
        str(get(r.props, "accountId")): r
        for r in stack
        if r.resource_type == SERVICE_ACCOUNT and not is_missing(get(r.props, "accountId"))
    }


def _account_runner(label: str, account: PolicyResource | None, email: str | None) -> Runner:
    members, urns = set(), set()
    if email:
        members.add(f"serviceAccount:{email}")
    if account is not None:
        urns.add(account.urn)
        account_id, project = get(account.props, "accountId"), get(account.props, "project")
        if not is_missing(account_id) and not is_missing(project):
            members.add(f"serviceAccount:{account_id}@{project}.iam.gserviceaccount.com")
    return Runner(label, frozenset(members), frozenset(urns))


def _synthetics_runners(
    probe: PolicyResource, stack: list[PolicyResource], config: Mapping[str, Any]
) -> list[Runner]:
    locations = size(get(probe.props, "locations"))  # a private location's id is unknown in preview
    private = [
        r
        for r in probe.property_dependencies.get("locations", [])
        if r.resource_type == PRIVATE_LOCATION
    ]
    runners: list[Runner] = []
    accounts = _accounts(stack)
    prefix = f"{config['runnerTag']}:"
    for location in private:
        name = get(location.props, "name")
        tags = [str(t) for t in (get(location.props, "tags") or [])]
        account_ids = [t[len(prefix) :] for t in tags if t.startswith(prefix)]
        label = f"private location {name}"
        if not account_ids:
            runners.append(
                Runner(
                    label,
                    problem=f"{label} has no {prefix}<account id> tag, so its "
                    "workers' identity is unknown",
                )
            )
            continue
        account_id = account_ids[0]
        account = accounts.get(account_id)
        runners.append(
            _account_runner(f"{label} (account {account_id})", account, None)
            if account is not None
            else Runner(
                f"{label} (account {account_id})",
                problem=f"{label} names account {account_id}, which this stack does not declare",
            )
        )
    if locations > len(private) or not locations:
        runners.append(Runner("Datadog managed locations (no ID token)"))
    return runners


def _runners(
    probe: PolicyResource, stack: list[PolicyResource], config: Mapping[str, Any]
) -> list[Runner]:
    if probe.resource_type == SYNTHETICS_TEST:
        return _synthetics_runners(probe, stack, config)
    if probe.resource_type == UPTIME_CHECK:
        auth = get(probe.props, "httpCheck.serviceAgentAuthentication.type")
        if auth == "OIDC_TOKEN":
            return [Runner("the Cloud Monitoring service agent", member_suffix=MONITORING_AGENT)]
        return [ANONYMOUS]
    if is_missing(get(probe.props, "httpTarget.oidcToken")):
        return [ANONYMOUS]
    email = peek(probe.props, "httpTarget.oidcToken.serviceAccountEmail")
    deps = [
        r
        for r in probe.property_dependencies.get("httpTarget", [])
        if r.resource_type == SERVICE_ACCOUNT
    ]
    known = not is_missing(email) and not isinstance(email, Unknown)
    shown = str(email) if known else "its OIDC service account"
    return [
        _account_runner(
            f"service account {shown}", deps[0] if deps else None, str(email) if known else None
        )
    ]


def _targets(probe: PolicyResource) -> list[PolicyResource]:
    found = {
        r.urn: r
        for deps in probe.property_dependencies.values()
        for r in deps
        if r.resource_type == CLOUD_RUN_SERVICE
    }
    return sorted(found.values(), key=lambda r: r.urn)


def _grants_on(
    service: PolicyResource, stack: list[PolicyResource], roles: set[str]
) -> tuple[list[tuple[str | Unknown, set[str]]], list[Unknown]]:
    """(member, urns the member is built from) of every invoker grant on ``service``, and the
    unknown roles of grants on it that may be invoker grants (preview)."""
    name = get(service.props, "name")
    found: list[tuple[str | Unknown, set[str]]] = []
    maybe: list[Unknown] = []
    for r in stack:
        if iam_kind(r.resource_type) is None or not r.resource_type.startswith("gcp:cloudrunv2/"):
            continue
        on_service = any(d.urn == service.urn for d in r.property_dependencies.get("name", []))
        target = peek(r.props, "name")
        if not is_missing(target) and not isinstance(target, Unknown) and not is_missing(name):
            on_service = on_service or str(target).rsplit("/", 1)[-1] == str(name)
        if not on_service:
            continue
        member_urns = {
            d.urn
            for key in ("member", "members", "policyData")
            for d in r.property_dependencies.get(key, [])
        }
        grants, _ = iam_grants(r.resource_type, r.props)
        found += [(g.member, member_urns) for g in grants if g.role in roles]
        maybe += [g.role for g in grants if isinstance(g.role, Unknown)]
    return found, maybe


def _unknowns(grants: list[tuple[str | Unknown, set[str]]]) -> list[Unknown]:
    return [m for m, _ in grants if isinstance(m, Unknown)]


def check(
    probes: list[PolicyResource], config: Mapping[str, Any], stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    roles = set(config["invokerRoles"])
    public = set(config["publicPrincipals"])
    undecided: list[str] = []
    first: UnknownValueError | None = None
    kinds = {r.urn: r.resource_type for r in stack}

    def identity(urns: set[str]) -> bool:
        # Built only from service accounts, service agents or writer identities: that account,
        # which ``Runner.holds`` already compared by URN.
        return bool(urns) and all(kinds.get(u) in IDENTITY_OUTPUTS for u in urns)

    for probe in probes:
        for service in _targets(probe):
            service_name = get(service.props, "name")
            shown = service.name if is_missing(service_name) else str(service_name)
            grants, maybe = _grants_on(service, stack, roles)
            if any(member in public for member, _ in grants):
                continue
            unknown = [m for m, urns in grants if isinstance(m, Unknown) and not identity(urns)]
            for runner in _runners(probe, stack, config):
                if runner.problem is not None:
                    yield (
                        f"{probe.name} calls Cloud Run service {shown} from {runner.problem}",
                        probe.urn,
                    )
                elif any(runner.holds(member, urns) for member, urns in grants):
                    continue
                elif unknown or maybe or (runner.member_suffix and _unknowns(grants)):
                    # An unknown grant on the service could be the runner's: undecided.
                    undecided.append(f"{probe.name} as {runner.label} on {shown}")
                    first = first or [*unknown, *maybe, *_unknowns(grants)][0].error
                else:
                    yield (
                        f"{probe.name} calls Cloud Run service {shown} as {runner.label}, which "
                        f"holds no {' or '.join(sorted(roles))} on it, and the service is not "
                        "public: every run gets 403",
                        probe.urn,
                    )
    if first is not None:
        first.message = (
            f"{len(undecided)} probe(s) call a Cloud Run service whose invoker grants can't be "
            f"known during preview: {'; '.join(undecided)}"
        )
        raise first


POLICY = stack_policy(
    META,
    applies_to=types(SYNTHETICS_TEST, UPTIME_CHECK, SCHEDULER_JOB),
    check=check,
    config=CONFIG,
)
