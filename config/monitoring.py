"""Playbook §3, §4: Datadog monitors and synthetics (``controlplane:monitoring``).

Metric names, the threshold and window of every §4 alert, the team tag, the synthetic checks.
Alert defaults come from :data:`controlplane.playbook.PLAYBOOK`; a config may be stricter than
the playbook but never looser.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from config.base import Model
from config.common import (
    MetricName,
    PinnedImage,
    Window,
    alias,
    num,
    shorter_than,
    window_minutes,
)
from controlplane.playbook import MAX_ALERT_WINDOW, PLAYBOOK, SCALE_BOUNDS, Severity

TagValue = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,99}$")]
"""A Datadog tag value (lowercase)."""
SyntheticsLocation = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+:[a-z0-9-]+$")]
"""A Datadog synthetics location, e.g. ``aws:eu-central-1``."""
UrlPath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]*$")]
"""An absolute URL path."""
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s/$.?#][^\s]*$")]
"""An ``https://`` URL."""


class MetricNames(Model):
    """Datadog metric names; the first six are the ones playbook §4 names."""

    mission_success_rate: MetricName = Field(
        "mission.success_rate", description="Mission success rate, a ratio 0-1 (§4)."
    )
    planner_latency_p95: MetricName = Field(
        "planner.latency.p95", description="Planner latency p95 in seconds (§4)."
    )
    executor_heartbeat_latency: MetricName = Field(
        "executor.heartbeat.latency",
        description="Seconds between SSE heartbeats of the executor stream (§4).",
    )
    undo_success_rate: MetricName = Field(
        "undo.success_rate", description="Undo success rate, a ratio 0-1 (§4)."
    )
    safeguard_overrides_count: MetricName = Field(
        "safeguard.overrides.count", description="Safeguard overrides, a count (§4)."
    )
    telemetry_events_ingested: MetricName = Field(
        "telemetry.events.ingested", description="Telemetry events ingested, a count (§4)."
    )
    oauth_failure_rate: MetricName = Field(
        "oauth.failure_rate", description="OAuth failure rate, a ratio 0-1."
    )
    planner_retries: MetricName = Field(
        "planner.retries.count", description="Planner retries, a count."
    )
    composio_rate_limit_warnings: MetricName = Field(
        "composio.rate_limit.warnings", description="Composio rate-limit warnings, a count."
    )
    library_reuse_rate: MetricName = Field(
        "library.reuse.rate", description="Share of missions that reuse a library entry, 0-1."
    )


class ThresholdAlert(Model):
    """A threshold alert: fires when the metric crosses ``threshold`` over ``window``."""

    threshold: float = Field(
        description="The alert threshold in the metric's scale (ratios 0-1, seconds, counts)."
    )
    window: Window = Field(description="Evaluation window, e.g. `5m` or `1h`.")

    @field_validator("threshold")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("a finite number")
        return value


class AnomalyAlert(Model):
    """An anomaly alert: fires when the metric drops below its expected (rolling) range."""

    algorithm: Literal["basic", "agile", "robust"] = Field(
        "basic",
        description="Datadog anomaly algorithm; `basic` compares with a rolling quantile.",
    )
    deviations: float = Field(2.0, gt=0, le=6, description="Width of the expected band.")
    evaluation_window: Window = Field("4h", description="History the monitor evaluates.")
    alert_window: Window = Field(
        "30m", description="How long the metric must be anomalous before the alert fires."
    )
    seasonality: Literal["hourly", "daily", "weekly"] = Field(
        "weekly", description="Seasonality for the `agile` and `robust` algorithms."
    )

    @field_validator("alert_window")
    @classmethod
    def _shorter(cls, window: str, info: ValidationInfo) -> str:
        return shorter_than(window, info, "evaluation_window", "evaluationWindow")


def _default(field: str) -> ThresholdAlert:
    """The default of the alert whose config key is ``field``: the playbook's threshold and
    window, else the program's (:attr:`controlplane.playbook.PlaybookAlert.default_threshold`)."""
    book = PLAYBOOK.alert(field)
    return ThresholdAlert(threshold=book.default_threshold, window=book.default_window)


class Alerts(Model):
    """The alerts of playbook §4. Defaults are the playbook's numbers where it names them."""

    mission_success_rate: ThresholdAlert = Field(
        _default("missionSuccessRate"),
        description="Critical: mission success ratio below threshold (§4: <97% over 5m).",
    )
    sse_heartbeat: ThresholdAlert = Field(
        _default("sseHeartbeat"),
        description="Critical: SSE heartbeat latency above threshold seconds (§4: >8s).",
    )
    undo_failures: ThresholdAlert = Field(
        _default("undoFailures"),
        description="Critical: undo failure ratio above threshold (§4: >1% in an hour).",
    )
    telemetry_ingestion_stalled: ThresholdAlert = Field(
        _default("telemetryIngestionStalled"),
        description="Critical: events ingested over the window at most threshold; no data "
        "for twice the window counts as stalled (§4: stalled >15m).",
    )
    oauth_failure_rate: ThresholdAlert = Field(
        _default("oauthFailureRate"),
        description="High: OAuth failure ratio above threshold (§4: >5%).",
    )
    planner_retry_spikes: ThresholdAlert = Field(
        _default("plannerRetrySpikes"),
        description="High: planner retries over the window above threshold (§4: spikes).",
    )
    composio_rate_limit_warnings: ThresholdAlert = Field(
        _default("composioRateLimitWarnings"),
        description="High: Composio rate-limit warnings over the window above threshold.",
    )
    library_reuse_drop: AnomalyAlert = Field(
        AnomalyAlert(),
        description="Informational: library reuse below its rolling range (anomaly).",
    )

    @field_validator(
        "mission_success_rate",
        "sse_heartbeat",
        "undo_failures",
        "telemetry_ingestion_stalled",
        "oauth_failure_rate",
    )
    @classmethod
    def _not_looser_than_playbook(
        cls, alert: ThresholdAlert, info: ValidationInfo
    ) -> ThresholdAlert:
        key = alias(cls, info)
        book = PLAYBOOK.alert(key)
        wants = []
        if book.threshold is not None:
            direction = "or higher" if book.comparator in ("<", "<=") else "or lower"
            wants.append(f"threshold {num(book.threshold)} {direction}")
        if book.window is not None:
            wants.append(f"window {book.window} or shorter")
        problems = []
        if book.looser(alert.threshold):
            problems.append(f"threshold {num(alert.threshold)}")
        if book.window is not None and window_minutes(alert.window) > window_minutes(book.window):
            problems.append(f"window {alert.window}")
        if problems:
            raise ValueError(
                f"{' and '.join(wants)} (playbook §4: {book.quote!r}); "
                f"{' and '.join(problems)} would alert later than the playbook allows"
            )
        return alert

    @field_validator(
        "mission_success_rate",
        "sse_heartbeat",
        "undo_failures",
        "telemetry_ingestion_stalled",
        "oauth_failure_rate",
        "planner_retry_spikes",
        "composio_rate_limit_warnings",
    )
    @classmethod
    def _plausible(cls, alert: ThresholdAlert, info: ValidationInfo) -> ThresholdAlert:
        """A threshold in the range of what the alert measures (the playbook's scale: a ratio,
        seconds, a count) and a window no longer than :data:`MAX_ALERT_WINDOW`; a negative
        heartbeat or a failure ratio of 5 would make a monitor that never, or always, fires."""
        book = PLAYBOOK.alert(alias(cls, info))
        if book.scale is not None:
            low, high, what = SCALE_BOUNDS[book.scale]
            below = alert.threshold <= low if book.scale == "seconds" else alert.threshold < low
            if below or alert.threshold > high:
                raise ValueError(f"threshold {what}; found {num(alert.threshold)}")
        if window_minutes(alert.window) > window_minutes(MAX_ALERT_WINDOW):
            raise ValueError(
                f"window {MAX_ALERT_WINDOW} or shorter; found {alert.window}, which reports a "
                "problem long after it started"
            )
        return alert


class PrivateLocation(Model):
    """A Datadog synthetics private location run inside the environment (docs/synthetics.md).

    Its workers run as a Cloud Run worker pool under their own service account, which holds
    ``roles/run.invoker`` on the agent; each test first asks the metadata server for an ID
    token of that account, then calls the agent with it.
    """

    image: PinnedImage = Field(
        description="The worker image (datadog/synthetics-private-location-worker), pinned by "
        "digest or an immutable tag."
    )
    workers: int = Field(
        2, ge=1, le=10, description="Worker instances (more than one survives a restart)."
    )
    cpu: Literal["1", "2", "4"] = Field("1", description="CPU of each worker.")
    memory: Literal["512Mi", "1Gi", "2Gi", "4Gi"] = Field(
        "1Gi", description="Memory of each worker."
    )


class SyntheticsSettings(Model):
    """Synthetic API tests of the agent's SSE endpoint and Composio check (playbook §3)."""

    private_location: PrivateLocation | None = Field(
        None,
        description="Run the tests from a private location inside the environment, the only "
        "runner that can invoke a non-public agent; without it the tests run from `locations`.",
    )
    locations: list[SyntheticsLocation] = Field(
        ["aws:eu-central-1", "aws:us-east-1"],
        min_length=1,
        description="Datadog managed locations the tests run from when there is no "
        "privateLocation (they reach only a public agent).",
    )
    tick_every_seconds: int = Field(300, ge=30, le=604800, description="Run interval.")
    base_url: HttpsUrl | None = Field(
        None,
        description="Base URL of the agent; default: the agent service URL of the environment.",
    )
    sse_path: UrlPath = Field(
        "/healthz/sse", description="Health check that opens an SSE stream and closes it."
    )
    composio_path: UrlPath = Field(
        "/healthz/composio", description="Health check of the agent's Composio connectivity."
    )
    timeout_seconds: int = Field(30, ge=1, le=60, description="Request timeout.")
    max_response_time_ms: int = Field(
        2000, ge=1, le=60000, description="Slower responses fail the test."
    )
    min_location_failed: int = Field(
        1, ge=1, description="Failing locations needed before the test alerts."
    )
    retries: int = Field(1, ge=0, le=3, description="Retries before a location counts failed.")
    sse_severity: Severity = Field("critical", description="Severity of the SSE test's alert.")
    composio_severity: Severity = Field(
        "high", description="Severity of the Composio test's alert."
    )

    @field_validator("locations")
    @classmethod
    def _unique_locations(cls, locations: list[str]) -> list[str]:
        if len(set(locations)) != len(locations):
            raise ValueError("each location once")
        return locations

    @field_validator("min_location_failed")
    @classmethod
    def _reachable(cls, count: int, info: ValidationInfo) -> int:
        if info.data.get("private_location") is not None:
            if count != 1:
                raise ValueError(
                    "1: the tests run from one location, the private location (remove "
                    "minLocationFailed)"
                )
            return count
        locations = info.data.get("locations")
        if locations is not None and count > len(locations):
            raise ValueError(f"at most the number of locations ({len(locations)})")
        return count

    @model_validator(mode="after")
    def _one_runner(self) -> SyntheticsSettings:
        if self.private_location is not None and "locations" in self.model_fields_set:
            raise ValueError(
                "locations: remove it when privateLocation is set; the tests run from the "
                "private location only (managed locations cannot invoke a non-public agent)"
            )
        return self

    @property
    def managed_locations(self) -> list[str]:
        """The managed locations the tests run from (none with a private location)."""
        return [] if self.private_location is not None else list(self.locations)


class MonitoringSection(Model):
    """``controlplane:monitoring``: Datadog monitors and synthetics (playbook §3, §4)."""

    team: TagValue = Field("sre", description="The `team:` tag of every monitor.")
    runbook_base_url: HttpsUrl | None = Field(
        None,
        description="URL of the repository root for runbook links (e.g. "
        "`https://github.com/<org>/<repo>/blob/main`); without it messages link the "
        "repository path `docs/runbooks/<alert>.md`.",
    )
    metrics: MetricNames = Field(MetricNames(), description="Metric names.")
    alerts: Alerts = Field(Alerts(), description="Threshold and window of each §4 alert.")
    synthetics: SyntheticsSettings = Field(SyntheticsSettings(), description="Synthetic API tests.")

    def runbook(self, slug: str) -> str:
        """The runbook link for ``slug``."""
        path = f"docs/runbooks/{slug}.md"
        if self.runbook_base_url is None:
            return path
        return f"{self.runbook_base_url.rstrip('/')}/{path}"
