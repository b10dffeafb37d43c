"""CP-ALR-009: every alert can fire: the query is the playbook's, and no setting holds it back.

CP-ALR-002 compares a §4 monitor's threshold, window and metric with the playbook; this policy
makes sure the rest of the query and the monitor's options leave that threshold able to fire:

* the query of each §4 alert's monitor (tag ``alert:<slug>``) has the program's shape
  (``policies._lib.playbook.QUERY_SHAPES``): ``<time>(last_<n>):<space>:<metric>{<scope>}``, with
  ``1 - `` before it for undo failures and ``.as_count()`` after it for counts, or the
  ``anomalies(...)`` of the library-reuse alert, and nothing else: no arithmetic (``* 0``,
  ``/ 1000000``), no functions (``.rollup(...)``, ``timeshift(...)``), no other aggregation;
  the comparator is one that fires on the playbook's side; the scope holds only the monitor's
  own ``env`` and ``service`` tags (an extra filter can select nothing);
* every SLO burn-rate monitor (``type: slo alert``) reads an SLO of the stack and is no looser
  than one of ``burnRateAlerts`` (rate, long window, short window);
* no synthetic test that notifies is paused (``status: paused`` runs nothing);
* no alerting monitor (tagged ``alert:``) is a draft (``draftStatus: draft`` sends nothing),
  evaluates on a custom schedule or cumulative window (``schedulingOptions``), delays its
  evaluation or new groups beyond the config's bounds, waits for a full window
  (``requireFullWindow``), or resolves on missing data where no data is the alert.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies._lib.config import Schema
from policies._lib.meta import Meta
from policies._lib.observability import (
    DATADOG_MONITOR,
    DATADOG_SYNTHETICS_TEST,
    parse_query,
    scope_terms,
    tag,
    tags,
)
from policies._lib.playbook import (
    ALERT_TAG_KEY,
    ALERTS_BY_SLUG,
    BURN_RATE_ALERTS,
    QUERY_SHAPES,
    metrics_schema,
)
from policies._lib.policy import stack_policy, types
from policies._lib.props import get, is_missing, is_unknown, number, peek

META = Meta(
    id="CP-ALR-009",
    name="alerting-monitor-enforce-playbook-query",
    description=(
        "Ensure every alert can fire: each playbook §4 monitor's query is the playbook's metric, "
        "aggregation and comparator with no arithmetic or functions around it, each burn-rate "
        "alert reads a stack SLO no looser than the program's, and no monitor is a draft, "
        "scheduled, delayed or resolved on missing data."
    ),
    severity="critical",
    section="§4 Alerts: critical, high and informational alerts",
    remediation=(
        "Restore the query components.monitoring writes (controlplane:monitoring.alerts) and drop "
        "the option that holds the monitor back (draftStatus, schedulingOptions, evaluationDelay, "
        "newGroupDelay, requireFullWindow, onMissingData)."
    ),
    on_missing="pass",
    missing_rationale=(
        "an unset option is Datadog's default, which evaluates every minute with no delay; a "
        "missing query is CP-ALR-002's to report; a burn-rate query unknown until apply (the SLO "
        "id) is decided at apply"
    ),
)

CONFIG: Schema = {
    "metrics": metrics_schema("The metric each alert's monitor reads (as CP-ALR-002's metrics)."),
    "maxEvaluationDelaySeconds": {
        "type": "number",
        "minimum": 0,
        "default": 60,
        "description": (
            "Longest evaluationDelay: the agent's metrics arrive within seconds (DogStatsD); "
            "only backfilled cloud metrics need a delay (Datadog's monitor options)."
        ),
    },
    "maxNewGroupDelaySeconds": {
        "type": "number",
        "minimum": 0,
        "default": 300,
        "description": "Longest newGroupDelay/newHostDelay (300 s is Datadog's own default).",
    },
    "burnRateAlerts": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "burnRate": {"type": "number", "exclusiveMinimum": 0},
                "longWindow": {"type": "string", "pattern": "^[1-9][0-9]*[mhd]$"},
                "shortWindow": {"type": "string", "pattern": "^[1-9][0-9]*[mhd]$"},
            },
            "required": ["burnRate", "longWindow", "shortWindow"],
            "additionalProperties": False,
        },
        "default": [
            {"burnRate": rate, "longWindow": long, "shortWindow": short}
            for rate, long, short in BURN_RATE_ALERTS
        ],
        "description": (
            "The loosest burn-rate alerts allowed; a monitor must be no looser than one of them "
            "(rate and both windows at most theirs)."
        ),
    },
}

_NUMBER = r"[-+]?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_TERM = r"(?P<space>[a-z]+):(?P<metric>[A-Za-z][A-Za-z0-9_.]*)\{(?P<scope>[^}]*)\}"
_PLAIN = re.compile(rf"^(?P<complement>1\s*-\s*)?{_TERM}(?P<count>\.as_count\(\))?$")
_ANOMALY = re.compile(
    rf"^anomalies\(\s*{_TERM}\s*,\s*'(?:basic|agile|robust)'\s*,\s*{_NUMBER}"
    r"(?:\s*,\s*[a-z_]+\s*=\s*(?:'[^']*'|[0-9]+))*\s*\)$"
)
_BURN = re.compile(
    r'^burn_rate\("(?P<slo>[^"]+)"\)\.over\("(?P<over>[0-9]+[mhdw])"\)'
    r'\.long_window\("(?P<long>[0-9]+[mhd])"\)\.short_window\("(?P<short>[0-9]+[mhd])"\)'
    rf"\s*(?P<cmp>>=|>)\s*(?P<rate>{_NUMBER})$"
)
_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
SLO_MONITOR_TYPE = "slo alert"
SLO_TYPE = "datadog:index/serviceLevelObjective:ServiceLevelObjective"


def _minutes(text: str) -> int:
    return int(text[:-1]) * _MINUTES[text[-1]]


def _own_term(term: str, own: Mapping[str, str | None]) -> bool:
    """Whether a scope term is the monitor's own env or service tag (any value of a key whose
    tag is missing passes: the missing tag is CP-LBL-002's to report)."""
    key, _, value = term.partition(":")
    return key in own and own[key] in (None, value)


def _query(monitor: PolicyResource, slug: str, config: Mapping[str, Any]) -> Iterator[str]:
    text = get(monitor.props, "query")
    query = parse_query(str(text)) if not is_missing(text) else None
    if query is None:
        return  # CP-ALR-002 reports a missing or unreadable query
    shape = QUERY_SHAPES[slug]
    alert = ALERTS_BY_SLUG[slug]
    metric = str(config["metrics"].get(slug, alert.metric))
    matcher = _ANOMALY if alert.kind == "anomaly" else _PLAIN
    body = matcher.match(query.body)
    if body is None:
        expected = f"{shape.space_aggregation}:{metric}{{...}}"
        if alert.complement:
            expected = f"1 - {expected}"
        if shape.as_count:
            expected += ".as_count()"
        if alert.kind == "anomaly":
            expected = f"anomalies({expected}, '<algorithm>', <deviations>, <options>)"
        yield (
            f"query body {query.body!r} is not {expected}: arithmetic or functions around the "
            "metric change what the threshold compares"
        )
        return
    if body.group("metric") != metric or body.group("space") != shape.space_aggregation:
        yield (
            f"query reads {body.group('space')}:{body.group('metric')}: the alert reads "
            f"{shape.space_aggregation}:{metric}"
        )
    if alert.kind != "anomaly":
        if bool(body.group("complement")) != alert.complement:
            change = "adds" if body.group("complement") else "drops"
            yield f"query {change} '1 - ': it reads {alert.measure}"
        if bool(body.group("count")) != shape.as_count:
            yield f"query {'adds' if body.group('count') else 'drops'} .as_count()"
    if query.aggregation not in shape.time_aggregations:
        yield (
            f"time aggregation {query.aggregation}() is not {' or '.join(shape.time_aggregations)}"
            f"() for '{alert.quote}'"
        )
    if query.comparator not in shape.comparators:
        yield (
            f"comparator {query.comparator} does not fire on the playbook's side: use "
            f"{' or '.join(shape.comparators)}"
        )
    own = {key: tag(monitor.props, key) for key in ("env", "service")}
    extra = sorted(t for t in scope_terms(body.group("scope")) if not _own_term(t, own))
    if extra:
        yield (
            f"query scope {{{body.group('scope')}}} adds {', '.join(extra)}: scope it to the "
            "monitor's env and service tags only"
        )


def _burn_rate(
    monitor: PolicyResource, slo_ids: set[str], config: Mapping[str, Any]
) -> Iterator[str]:
    text = peek(monitor.props, "query")
    if is_unknown(text) or is_missing(text):
        return
    match = _BURN.match(str(text).strip())
    if match is None:
        yield (
            f'query {text!r} is not burn_rate("<slo id>").over(...).long_window(...)'
            ".short_window(...) > <rate>"
        )
        return
    if slo_ids and match.group("slo") not in slo_ids:
        yield f"burn_rate reads SLO {match.group('slo')}, which is no SLO of this stack"
    rate = float(match.group("rate"))
    long, short = _minutes(match.group("long")), _minutes(match.group("short"))
    allowed = [
        (float(a["burnRate"]), _minutes(str(a["longWindow"])), _minutes(str(a["shortWindow"])))
        for a in config["burnRateAlerts"]
    ]
    if not any(rate <= r and long <= lw and short <= sw for r, lw, sw in allowed):
        loosest = ", ".join(
            f"{a['burnRate']:g}x over {a['longWindow']}/{a['shortWindow']}"
            for a in config["burnRateAlerts"]
        )
        yield (
            f"burn rate {rate:g}x over {match.group('long')}/{match.group('short')} is looser "
            f"than every allowed burn-rate alert ({loosest}): it may never fire"
        )
    critical = number(get(monitor.props, "monitorThresholds.critical"))
    if critical is not None and abs(critical - rate) > 1e-9 * max(1.0, rate):
        yield f"monitorThresholds.critical {critical:g} differs from the query's rate {rate:g}"


def _options(monitor: PolicyResource, slug: str | None, config: Mapping[str, Any]) -> Iterator[str]:
    props = monitor.props
    if get(props, "draftStatus") == "draft":
        yield "draftStatus is draft: a draft monitor sends no notification"
    for key in ("customSchedule", "evaluationWindow"):
        if not is_missing(get(props, f"schedulingOptions.{key}")):
            yield (
                f"schedulingOptions.{key} evaluates on a calendar instead of the playbook's "
                "rolling window: remove it"
            )
    limit = float(config["maxEvaluationDelaySeconds"])
    delay = number(get(props, "evaluationDelay"))
    if delay is not None and delay > limit:
        yield f"evaluationDelay {delay:g} s holds every evaluation back: at most {limit:g} s"
    group_limit = float(config["maxNewGroupDelaySeconds"])
    for key in ("newGroupDelay", "newHostDelay"):
        value = number(get(props, key))
        if value is not None and value > group_limit:
            yield f"{key} {value:g} s skips new groups: at most {group_limit:g} s"
    alert = ALERTS_BY_SLUG.get(slug or "")
    if alert is None or alert.kind == "anomaly":
        return
    if get(props, "requireFullWindow") is True:
        yield "requireFullWindow skips evaluations of a sparse metric: set it to false"
    missing = get(props, "onMissingData")
    if (
        alert.no_data_fires
        and not is_missing(missing)
        and str(missing) not in ("default", "show_and_notify_no_data")
    ):
        yield (
            f"onMissingData {missing}: for '{alert.quote}' no data is the alert; use "
            "show_and_notify_no_data"
        )


def check(
    resources: list[PolicyResource], config: Mapping[str, Any], stack: list[PolicyResource]
) -> Iterator[tuple[str, str | None]]:
    slo_ids = {
        str(ident)
        for r in stack
        if r.resource_type == SLO_TYPE and isinstance(ident := peek(r.props, "id"), str)
    }
    for monitor in resources:
        if monitor.resource_type == DATADOG_SYNTHETICS_TEST:
            if get(monitor.props, "status") == "paused":
                yield (
                    "status paused: a paused synthetic test runs and alerts on nothing",
                    monitor.urn,
                )
            continue
        slugs = tags(monitor.props).get(ALERT_TAG_KEY, [])
        if not slugs:
            continue
        slug = next((s for s in slugs if s in QUERY_SHAPES), None)
        problems: list[str] = []
        if slug is not None:
            problems += _query(monitor, slug, config)
        if get(monitor.props, "type") == SLO_MONITOR_TYPE:
            problems += _burn_rate(monitor, slo_ids, config)
        problems += _options(monitor, slug, config)
        for problem in problems:
            yield problem, monitor.urn


POLICY = stack_policy(
    META, applies_to=types(DATADOG_MONITOR, DATADOG_SYNTHETICS_TEST), check=check, config=CONFIG
)
