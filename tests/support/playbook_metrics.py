"""The metrics of playbook §4 "Metrics", copied on purpose (never imported from the program).

The config's defaults must name them and the §11 scorecard must chart them.
"""

from __future__ import annotations

PLAYBOOK_METRICS = (
    "mission.success_rate",
    "planner.latency.p95",
    "executor.heartbeat.latency",
    "undo.success_rate",
    "safeguard.overrides.count",
    "telemetry.events.ingested",
)
"""In the playbook's order (the order of the config's ``metrics`` defaults)."""
