"""The playbook's numbers, copied on purpose: the program's PLAYBOOK must agree with them."""

from __future__ import annotations

# The playbook's words:
#   §4 "Critical: Mission success <97% (5m window), SSE heartbeat >8s, undo failures >1% in
#       hour, telemetry ingestion stalled >15m"
#   §4 "High: OAuth failure rate >5%, planner retry spikes, Composio rate-limit warnings"
#   §1 "mission completion success ≥99%", "Streaming heartbeat ≤5s p95, API latency ≤300ms p95"
#   §4 "Primary on-call → Secondary on-call → Incident Commander"
#   §9 "Saturdays 02:00-04:00 UTC (staging), Sundays 03:00-05:00 UTC (production)"
ALERTS = {
    "mission-success-rate": ("missionSuccessRate", 0.97, "5m"),
    "sse-heartbeat": ("sseHeartbeat", 8.0, None),
    "undo-failures": ("undoFailures", 0.01, "1h"),
    "telemetry-ingestion-stalled": ("telemetryIngestionStalled", 0.0, "15m"),
    "oauth-failure-rate": ("oauthFailureRate", 0.05, None),
}
"""Alert slug (runbook file name, ``alert:<slug>`` tag) -> (config key, threshold, window)."""
SLO_TARGET = 99.0
HEARTBEAT_SECONDS = 5.0
API_SECONDS = 0.3
ESCALATION = ("primary", "secondary", "incidentCommander")
WINDOWS = {
    "staging": ("saturday", "02:00", "04:00", "UTC"),
    "prod": ("sunday", "03:00", "05:00", "UTC"),
}
