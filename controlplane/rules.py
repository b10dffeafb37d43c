"""The operations playbook's rules, one slug each, and where each one lives in the project.

A rule's slug is used unchanged everywhere the rule shows: the runbook file
(``docs/runbooks/<slug>.md``), the ``alert:<slug>`` tag of its monitor, the key of the
playbook tables (the program's here, the policy pack's own copy), the ``playbook`` marker and
the ids of the tests that prove it. ``docs/traceability.md`` is generated from this catalogue
(``python -m preflight docs``) and a test checks every path, config key, policy and test in it.

A rule with no config, component and policy is a gap: the table lists it as not yet declared.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One rule of the playbook and the places that declare, enforce and prove it."""

    slug: str
    """Stable id: lowercase words joined by '-'."""
    section: int
    """The playbook section (``§<n>``)."""
    quote: str
    """The rule as the playbook states it (shortened, never reworded)."""
    config: tuple[str, ...] = ()
    """Config paths under ``controlplane:`` that set it (as written in the stack file)."""
    declared_by: tuple[str, ...] = ()
    """Repository paths of the code that declares it."""
    enforced_by: tuple[str, ...] = ()
    """Names of the CrossGuard policies that enforce it."""


_ALERT_POLICIES = (
    "alerting-monitor-missing-playbook-alerts",
    "alerting-monitor-configure-playbook-thresholds",
    "alerting-monitor-enforce-pagerduty-routing",
    "alerting-monitor-enforce-playbook-query",
    "labels-datadogmonitor-missing-required-tags",
)


def _alert(slug: str, config_key: str, quote: str) -> Rule:
    return Rule(
        slug,
        4,
        quote,
        config=(f"monitoring.alerts.{config_key}",),
        declared_by=("components/monitoring.py",),
        enforced_by=_ALERT_POLICIES,
    )


RULES: tuple[Rule, ...] = (
    Rule(
        "mission-completion",
        1,
        "Reliability: Maintain mission completion success ≥99%",
        config=("slos.missionCompletion",),
        declared_by=("components/slos.py", "components/scorecard.py"),
    ),
    Rule(
        "streaming-heartbeat",
        1,
        "Latency: Streaming heartbeat ≤5s p95",
        config=("slos.streamingHeartbeat",),
        declared_by=("components/slos.py",),
    ),
    Rule(
        "api-latency",
        1,
        "Latency: API latency ≤300ms p95",
        config=("slos.apiLatency",),
        declared_by=("components/slos.py",),
    ),
    Rule(
        "security-escalation",
        1,
        "Security: Zero unauthorized actions; immediate containment on anomaly (Security Lead, "
        "§12)",
        config=(
            "security.securityLead",
            "security.overrides",
            "security.unauthorizedActions",
            "security.contacts",
            "monitoring.metrics.safeguardOverridesCount",
        ),
        declared_by=("components/security_escalation.py",),
        enforced_by=("alerting-escalation-enforce-security-route",),
    ),
    Rule(
        "evidence-bundles",
        1,
        "Compliance: Evidence bundles ready for audit within 24 hours",
        declared_by=("preflight/evidence/bundle.py",),
    ),
    Rule(
        "environment-matrix",
        2,
        "Dev: Synthetic, Engineering, QA; Staging: Anonymized, Engineering, Operations; "
        "Production: Live, Operations, On-call",
        config=("dataClass", "access"),
        declared_by=("components/environment_access.py",),
        enforced_by=("labels-gcp-missing-required-labels", "iam-binding-disallow-primitive-roles"),
    ),
    Rule(
        "vault-backed-secrets",
        2,
        "Secrets managed via `.env` locally and vault-backed environment variables in shared "
        "environments",
        config=("secrets", "vault"),
        declared_by=("components/secret_vault.py", "preflight/dotenv.py"),
        enforced_by=(
            "credentials-cloudrun-disallow-literal-secrets",
            "credentials-accessor-enforce-service-account-members",
            "credentials-workload-disallow-disguised-secrets",
        ),
    ),
    Rule(
        "agent-deployment",
        3,
        "Agent (FastAPI): ensure health checks cover SSE endpoints",
        config=("services",),
        declared_by=("components/agent_service.py",),
        enforced_by=(
            "iam-cloudrun-enforce-dedicated-service-account",
            "iam-binding-disallow-public-principals",
        ),
    ),
    Rule(
        "composio-connectivity",
        3,
        "ensure health checks cover SSE endpoints and Composio connectivity",
        config=("monitoring.synthetics", "monitoring.synthetics.privateLocation"),
        declared_by=("components/synthetics.py", "components/synthetics_runner.py"),
        enforced_by=("iam-probe-missing-invoker-grant",),
    ),
    Rule(
        "frontend-rollout",
        3,
        "Frontend (Next.js): containerized; use blue/green or canary releases",
        config=("services",),
        declared_by=("components/agent_service.py",),
        enforced_by=("iam-cloudrun-enforce-dedicated-service-account",),
    ),
    Rule(
        "deploy",
        3,
        "All deployments require: Tests + lint + agent evals green; Evidence artifacts updated",
        declared_by=(".github/workflows/pr.yml", ".github/workflows/deploy.yml"),
    ),
    Rule(
        "rollback",
        3,
        "Rollback plan documented (git revert, Supabase migration down script, agent rollback "
        "instructions)",
        declared_by=("scripts/rollback.py",),
    ),
    _alert(
        "mission-success-rate", "missionSuccessRate", "Critical: Mission success <97% (5m window)"
    ),
    _alert("sse-heartbeat", "sseHeartbeat", "Critical: SSE heartbeat >8s"),
    _alert("undo-failures", "undoFailures", "Critical: undo failures >1% in hour"),
    _alert(
        "telemetry-ingestion-stalled",
        "telemetryIngestionStalled",
        "Critical: telemetry ingestion stalled >15m",
    ),
    _alert("oauth-failure-rate", "oauthFailureRate", "High: OAuth failure rate >5%"),
    _alert("planner-retry-spikes", "plannerRetrySpikes", "High: planner retry spikes"),
    _alert(
        "composio-rate-limit-warnings",
        "composioRateLimitWarnings",
        "High: Composio rate-limit warnings",
    ),
    _alert(
        "library-reuse-drop",
        "libraryReuseDrop",
        "Informational: Library reuse drops below rolling average",
    ),
    Rule(
        "escalation-chain",
        4,
        "Alerts route to PagerDuty schedule: Primary on-call → Secondary on-call → Incident "
        "Commander",
        config=("oncall", "routing"),
        declared_by=("components/on_call.py",),
        enforced_by=(
            "alerting-escalation-enforce-playbook-order",
            "alerting-monitor-enforce-pagerduty-routing",
            "alerting-pagerduty-enforce-critical-paging",
        ),
    ),
    Rule(
        "log-retention",
        4,
        "Retention: 30 days hot, 180 days cold storage",
        config=("logging",),
        declared_by=("components/log_retention.py",),
        enforced_by=(
            "audit-logbucket-configure-hot-retention",
            "audit-archivebucket-missing-delete-lifecycle",
            "audit-logrouting-enforce-playbook-retention",
            "storage-logarchive-disallow-early-deletion",
        ),
    ),
    Rule(
        "siem-forwarding",
        4,
        "Forward to SIEM for anomaly detection",
        config=("siem", "secrets"),
        declared_by=("components/siem_forwarding.py", "components/siem_health.py"),
        enforced_by=("audit-sink-missing-siem-forwarding",),
    ),
    Rule(
        "containment",
        5,
        "Containment: Disable affected flows (feature flag, circuit breaker), pause automation",
        config=("containment",),
        declared_by=("components/maintenance_jobs.py", "components/agent_service.py"),
    ),
    Rule(
        "severity-levels",
        5,
        "SEV1: Customer data at risk; SEV2: Major feature outage; SEV3: Degraded experience",
        config=("security.priorities", "security.responders", "security.conferenceUrl"),
        declared_by=(
            "controlplane/playbook.py",
            "components/severity_response.py",
            "components/on_call.py",
            "components/datadog_common.py",
        ),
    ),
    Rule(
        "least-privilege",
        6,
        "Access Control: Principle of least privilege, scoped tokens",
        config=("access",),
        declared_by=("components/environment_access.py", "bootstrap/ci_identity.py"),
        enforced_by=(
            "iam-binding-disallow-primitive-roles",
            "iam-binding-disallow-public-principals",
            "iam-serviceaccount-disallow-keys",
            "iam-principal-enforce-stack-service-accounts",
            "iam-role-disallow-owner-equivalent-permissions",
            "iam-binding-disallow-impersonation-by-people",
            "credentials-provider-disallow-literal-credentials",
            "inventory-resource-disallow-undeclared-types",
            "inventory-resource-disallow-unknown-values",
        ),
    ),
    Rule(
        "credential-rotation",
        6,
        "Access Control: rotating credentials quarterly",
        config=("vault.rotationDays", "vault.nextRotationTime"),
        declared_by=("components/secret_vault.py",),
        enforced_by=("credentials-secret-configure-rotation",),
    ),
    Rule(
        "audit-trail",
        6,
        "Audit Trail: Every mission action, safeguard edit, and undo stored with timestamp, "
        "actor, before/after state",
        config=("logging.auditServices",),
        declared_by=("components/log_retention.py",),
        enforced_by=(
            "audit-project-missing-data-access-logs",
            "audit-auditconfig-disallow-exemptions",
        ),
    ),
    Rule(
        "encrypt-at-rest",
        6,
        "Data Protection: Encrypt at rest",
        config=("vault.cmek", "logging.cmek"),
        declared_by=("components/secret_vault.py", "components/log_retention.py"),
        enforced_by=(
            "encryption-secret-enable-cmek",
            "encryption-bucket-enable-cmek",
            "encryption-store-enforce-own-keys",
            "storage-bucket-enable-uniform-access",
            "storage-bucket-enforce-public-access-prevention",
        ),
    ),
    Rule(
        "tls-in-transit",
        6,
        "Data Protection: TLS in transit",
        config=("supabase.sslEnforcement",),
        declared_by=("components/supabase_project.py",),
        enforced_by=("encryption-supabase-enforce-ssl",),
    ),
    Rule(
        "security-checks",
        6,
        "Static analysis (Ruff, Bandit); dependency audits (pip-audit); secret scanning enforced "
        "in CI",
        declared_by=("Makefile", ".github/workflows/pr.yml"),
    ),
    Rule(
        "monthly-scans",
        6,
        "Vulnerability Management: Monthly scans, dependency audits",
        declared_by=(".github/workflows/monthly-scan.yml", "scripts/monthly_scan.py"),
    ),
    Rule(
        "backup-verification",
        7,
        "Backups: Supabase nightly backups + weekly verification restore",
        config=("supabase.backups", "maintenance.jobs"),
        declared_by=("components/supabase_project.py", "components/maintenance_jobs.py"),
        enforced_by=("datasafety-stateful-enforce-protect",),
    ),
    Rule(
        "library-re-embedding",
        7,
        "Library Embeddings: Weekly re-embedding job",
        config=("maintenance.jobs",),
        declared_by=("components/maintenance_jobs.py",),
    ),
    Rule(
        "telemetry-vacuum",
        7,
        "Telemetry Vacuum: Purge expired raw events via scheduled job",
        config=("maintenance.jobs",),
        declared_by=("components/maintenance_jobs.py",),
    ),
    Rule(
        "composio-sync",
        7,
        "Composio Sync: Weekly check for new toolkits, metadata refresh",
        config=("maintenance.jobs",),
        declared_by=("components/maintenance_jobs.py",),
    ),
    Rule(
        "maintenance-windows",
        9,
        "Maintenance Window: Saturdays 02:00-04:00 UTC (staging), Sundays 03:00-05:00 UTC "
        "(production)",
        config=("maintenanceWindow",),
        declared_by=("components/maintenance_windows.py",),
        enforced_by=(
            "alerting-downtime-missing-maintenance-window",
            "alerting-mute-disallow-outside-maintenance-window",
        ),
    ),
    Rule(
        "freeze-periods",
        9,
        "Freeze Periods: End-of-quarter (Q4 weeks 12-13) — critical fixes only",
        declared_by=(".github/workflows/deploy.yml", "policies/config/prod-deploy.json"),
        enforced_by=("changes-stack-disallow-freeze-changes",),
    ),
    Rule(
        "change-notice",
        9,
        "notify stakeholders 48 hours prior to high-impact updates",
        declared_by=(
            "preflight/diff/impact.py",
            "scripts/change_notice.py",
            ".github/workflows/deploy-stack.yml",
            "policies/config/prod-deploy.json",
        ),
        enforced_by=("changes-stack-enforce-change-notice",),
    ),
    Rule(
        "operational-scorecard",
        11,
        "Publish operational scorecard",
        config=("monitoring",),
        declared_by=("components/scorecard.py",),
    ),
    Rule(
        "game-day",
        11,
        "Quarterly game days (chaos experiments, rollback drills)",
        declared_by=(".github/workflows/rollback-drill.yml", "scripts/rollback_drill.py"),
    ),
)
"""Every rule of the playbook the project declares or still owes, in playbook order."""

PROCEDURE_RUNBOOKS = frozenset({"state-backup"})
"""Runbooks of an operator procedure rather than of one rule (``docs/runbooks/<name>.md``)."""
