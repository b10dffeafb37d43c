"""Building CrossGuard policies from metadata, an applicability test and a check.

A policy module defines only what is specific to its rule::

    POLICY = resource_policy(META, applies_to=types("gcp:storage/bucket:Bucket"), check=check)

and the shared wrapper here does the rest, identically for every policy: it skips resources of
other types, applies the policy's config over the schema defaults, applies the exemption shape
(``include``/``exclude``, see ``config.py``) with a log line per exemption, and reports each
message the check yields. Checks yield messages; they never report, filter or exempt by
themselves.

A value unknown until apply stops a check (``UnknownValueError``). During a preview the runtime
turns that into its "can't run policy ... during preview" advisory; during an update the wrapper
reports it as a violation instead (``mode.cannot_verify``): nothing is unknown in an update, so
such a value can only hide a property from the check, and the pack fails closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pulumi_policy import (
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies._lib import engine_log, mode
from policies._lib.config import Schema, exemption, schema_with_exemptions, settings
from policies._lib.meta import PLAYBOOK, PLAYBOOK_VERSION, Meta

AppliesTo = Callable[[str, Mapping[str, Any], Mapping[str, Any]], bool]
"""``(resource_type, props, config) -> bool``: whether the policy looks at this resource."""

ResourceCheck = Callable[[ResourceValidationArgs, Mapping[str, Any]], Iterable[str]]
"""``(args, config) -> messages``: one message per violation of this resource."""

StackCheck = Callable[
    [list[PolicyResource], Mapping[str, Any], list[PolicyResource]],
    Iterable[tuple[str, str | None]],
]
"""``(resources, config, stack) -> (message, urn or None)``: the stack's violations.

``resources`` are the ones the policy checks (``applies_to`` minus the exempt ones); ``stack`` is
every resource of the stack, for looking up what they refer to (the schedules an escalation
policy targets, the PagerDuty services Datadog knows). Violations are about ``resources``."""

_SEVERITY = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def types(*tokens: str) -> AppliesTo:
    """Applicability by exact type token."""
    wanted = frozenset(tokens)

    def applies(resource_type: str, _props: Mapping[str, Any], _config: Mapping[str, Any]) -> bool:
        return resource_type in wanted

    return applies


def _common(meta: Meta, schema: Schema) -> dict[str, Any]:
    problems = meta.problems()
    if problems:
        raise ValueError("; ".join(problems))
    return {
        "name": meta.name,
        "description": meta.description,
        "config_schema": PolicyConfigSchema(properties=schema),
        "display_name": meta.display_name,
        "severity": _SEVERITY[meta.severity],
        "framework": PolicyComplianceFramework(
            name=PLAYBOOK, version=PLAYBOOK_VERSION, reference=meta.section
        ),
        "tags": [f"id:{meta.id}", f"area:{meta.area}"],
        "remediation_steps": meta.remediation,
    }


class ControlPlaneResourcePolicy(ResourceValidationPolicy):
    """A resource policy that carries its metadata and schema for docs and tests."""

    meta: Meta
    schema: Schema
    applies_to: AppliesTo
    """Which resources it checks (also read by the coverage table in docs/checkov.md)."""


class ControlPlaneStackPolicy(StackValidationPolicy):
    """A stack policy that carries its metadata and schema for docs and tests."""

    meta: Meta
    schema: Schema
    applies_to: AppliesTo
    """Which resources it checks (also read by the coverage table in docs/checkov.md)."""


ControlPlanePolicy = ControlPlaneResourcePolicy | ControlPlaneStackPolicy


_Policy = TypeVar("_Policy", ControlPlaneResourcePolicy, ControlPlaneStackPolicy)


def _built(
    policy_class: type[_Policy],
    validate: Callable[..., None],
    meta: Meta,
    schema: Schema,
    applies_to: AppliesTo,
) -> _Policy:
    """A ``policy_class`` described by ``meta``, carrying what docs and tests read of it: its
    metadata, schema and selector."""
    policy = policy_class(validate=validate, **_common(meta, schema))
    policy.meta = meta
    policy.schema = schema
    policy.applies_to = applies_to
    return policy


def _exemption_logged(meta: Meta, name: str, urn: str, effective: Mapping[str, Any]) -> str | None:
    """Why resource ``name`` is exempt from the policy (logged for the engine), or ``None``."""
    reason = exemption(name, effective)
    if reason is not None:
        engine_log.log("info", f"{meta.name}: {name} is exempt: {reason}", urn)
    return reason


def resource_policy(
    meta: Meta,
    *,
    applies_to: AppliesTo,
    check: ResourceCheck,
    config: Schema | None = None,
) -> ControlPlaneResourcePolicy:
    """A resource validation policy (checked once per resource, as it is registered)."""
    schema = schema_with_exemptions(config)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        effective = settings(args.get_config(), schema)
        try:
            if not applies_to(args.resource_type, args.props, effective):
                return
            reason = _exemption_logged(meta, args.name, args.urn, effective)
            if reason is not None:
                args.not_applicable(reason)
            for message in check(args, effective):
                report_violation(message, None)
        except UnknownValueError as err:
            if mode.is_preview():
                raise
            report_violation(mode.cannot_verify(err.message), None)

    return _built(ControlPlaneResourcePolicy, validate, meta, schema, applies_to)


def stack_policy(
    meta: Meta,
    *,
    applies_to: AppliesTo,
    check: StackCheck,
    config: Schema | None = None,
) -> ControlPlaneStackPolicy:
    """A stack validation policy (checked once, over all resources of the stack).

    ``check`` receives the resources ``applies_to`` selects, minus the exempt ones, and every
    resource of the stack for lookups.
    """
    schema = schema_with_exemptions(config)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        effective = settings(args.get_config(), schema)
        selected: list[PolicyResource] = []
        try:
            for resource in args.resources:
                if not applies_to(resource.resource_type, resource.props, effective):
                    continue
                if _exemption_logged(meta, resource.name, resource.urn, effective) is None:
                    selected.append(resource)
            for message, urn in check(selected, effective, list(args.resources)):
                report_violation(message, urn)
        except UnknownValueError as err:
            if mode.is_preview():
                raise
            report_violation(mode.cannot_verify(err.message), None)

    return _built(ControlPlaneStackPolicy, validate, meta, schema, applies_to)
