"""Playbook §1: the objectives and their burn-rate alerts (``controlplane:slos``).

Targets in percent (Datadog's ``(0, 100)``); defaults and limits come from
:data:`controlplane.playbook.PLAYBOOK`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from config.base import Model
from config.common import MetricName, Window, alias, num, shorter_than, window_minutes
from controlplane.playbook import PLAYBOOK, Severity

_COMPLETION = PLAYBOOK.slos["missionCompletion"]
_HEARTBEAT = PLAYBOOK.slos["streamingHeartbeat"]
_API = PLAYBOOK.slos["apiLatency"]


class SloTargets(Model):
    """The objective over both windows Datadog reports: 7 and 30 days (percent, 0-100)."""

    seven_days: float = Field(gt=0, lt=100, description="Target over 7 days, in percent.")
    thirty_days: float = Field(gt=0, lt=100, description="Target over 30 days, in percent.")

    def by_timeframe(self) -> dict[str, float]:
        return {"7d": self.seven_days, "30d": self.thirty_days}


class CountSlo(Model):
    """A count-based objective: good events over total events."""

    good_metric: MetricName = Field(
        "mission.runs.succeeded", description="Count of missions that completed successfully."
    )
    total_metric: MetricName = Field("mission.runs.total", description="Count of missions.")
    targets: SloTargets = Field(
        SloTargets(seven_days=_COMPLETION.min_target, thirty_days=_COMPLETION.min_target),
        description="Targets in percent.",
    )


class LatencySlo(Model):
    """A time-slice objective: the p95 of a latency metric stays at or under a threshold."""

    metric: MetricName = Field(description="Latency metric in seconds (a distribution).")
    threshold_seconds: float = Field(gt=0, description="p95 threshold in seconds.")
    targets: SloTargets = Field(
        SloTargets(seven_days=99.0, thirty_days=99.0),
        description="Share of good time slices, in percent.",
    )
    query_interval_seconds: Literal[60, 300] = Field(300, description="Time-slice size.")


class BurnRateAlert(Model):
    """A burn-rate monitor on every SLO (multiwindow: long and short window)."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,19}$")] = Field(
        description="Short name, part of the monitor's logical name (`fast`, `slow`)."
    )
    timeframe: Literal["7d", "30d"] = Field("30d", description="The SLO window it burns.")
    burn_rate: float = Field(gt=0, description="Alert when the burn rate is at least this.")
    long_window: Window = Field(description="Long window, 1h to 48h.")
    short_window: Window = Field(description="Short window, shorter than the long window.")
    severity: Severity = Field(description="Severity, which decides the routing.")

    @field_validator("long_window")
    @classmethod
    def _long(cls, window: str) -> str:
        if not 60 <= window_minutes(window) <= 48 * 60:
            raise ValueError("a window between 1h and 48h (Datadog's limits)")
        return window

    @field_validator("short_window")
    @classmethod
    def _short(cls, window: str, info: ValidationInfo) -> str:
        return shorter_than(window, info, "long_window", "longWindow")


class SlosSection(Model):
    """``controlplane:slos``: the objectives of playbook §1 and their burn-rate alerts."""

    mission_completion: CountSlo = Field(
        CountSlo(), description="Mission completion ≥ 99% (playbook §1)."
    )
    streaming_heartbeat: LatencySlo = Field(
        LatencySlo(
            metric="executor.heartbeat.latency", threshold_seconds=_HEARTBEAT.max_threshold_seconds
        ),
        description="Streaming heartbeat ≤ 5 s p95 (playbook §1).",
    )
    api_latency: LatencySlo = Field(
        LatencySlo(metric="trace.fastapi.request", threshold_seconds=_API.max_threshold_seconds),
        description="API latency ≤ 300 ms p95 (playbook §1).",
    )
    burn_rate_alerts: list[BurnRateAlert] = Field(
        [
            BurnRateAlert(
                name="fast", burn_rate=14.4, long_window="1h", short_window="5m", severity="high"
            ),
            BurnRateAlert(
                name="slow",
                burn_rate=6.0,
                long_window="6h",
                short_window="30m",
                severity="informational",
            ),
        ],
        min_length=1,
        description="Burn-rate monitors created for every SLO.",
    )

    @field_validator("mission_completion")
    @classmethod
    def _completion_target(cls, slo: CountSlo) -> CountSlo:
        book = _COMPLETION
        low = {k: v for k, v in slo.targets.by_timeframe().items() if v < book.min_target}
        if low:
            found = ", ".join(f"{k} {num(v)}" for k, v in low.items())
            raise ValueError(
                f"targets {num(book.min_target)} or higher (playbook §1: {book.quote!r}); "
                f"{found} is looser than the playbook allows"
            )
        return slo

    @field_validator("streaming_heartbeat", "api_latency")
    @classmethod
    def _latency_threshold(cls, slo: LatencySlo, info: ValidationInfo) -> LatencySlo:
        book = PLAYBOOK.slos[alias(cls, info)]
        if slo.threshold_seconds > book.max_threshold_seconds:
            raise ValueError(
                f"thresholdSeconds {num(book.max_threshold_seconds)} or lower (playbook §1: "
                f"{book.quote!r}); {num(slo.threshold_seconds)} is looser than the playbook "
                "allows"
            )
        return slo

    @field_validator("burn_rate_alerts")
    @classmethod
    def _reachable_burn_rates(
        cls, alerts: list[BurnRateAlert], info: ValidationInfo
    ) -> list[BurnRateAlert]:
        names = [alert.name for alert in alerts]
        if len(set(names)) != len(names):
            raise ValueError("each name once")
        objectives = {
            key: info.data[field]
            for key, field in (
                ("missionCompletion", "mission_completion"),
                ("streamingHeartbeat", "streaming_heartbeat"),
                ("apiLatency", "api_latency"),
            )
            if field in info.data
        }
        for index, alert in enumerate(alerts):
            for key, slo in objectives.items():
                target = slo.targets.by_timeframe()[alert.timeframe]
                ceiling = 100.0 / (100.0 - target)
                if alert.burn_rate > ceiling:
                    raise ValueError(
                        f"burn rates of at most {ceiling:.4g} for the {num(target)}% "
                        f"{alert.timeframe} target of {key} (Datadog refuses a burn rate above "
                        f"1/(1 - target)); burnRate {num(alert.burn_rate)} of item {index} can "
                        "never fire"
                    )
        return alerts

    def objectives(self) -> dict[str, CountSlo | LatencySlo]:
        """The three objectives keyed by their config key."""
        return {
            "missionCompletion": self.mission_completion,
            "streamingHeartbeat": self.streaming_heartbeat,
            "apiLatency": self.api_latency,
        }
