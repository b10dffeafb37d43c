"""The composition of one shared environment: every component, wired together from the config."""

from __future__ import annotations

from typing import Any

import pulumi

from components.agent_service import AgentService, AgentServiceArgs
from components.datadog_common import AlertRouting
from components.environment_access import EnvironmentAccess, EnvironmentAccessArgs
from components.log_retention import LogRetention, LogRetentionArgs
from components.maintenance_jobs import MaintenanceJobs, MaintenanceJobsArgs
from components.maintenance_windows import MaintenanceWindows, MaintenanceWindowsArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.on_call import OnCall, OnCallArgs
from components.scorecard import Scorecard, ScorecardArgs
from components.secret_vault import SecretVault, SecretVaultArgs
from components.security_escalation import SecurityEscalation, SecurityEscalationArgs
from components.severity_response import SeverityResponse, SeverityResponseArgs
from components.siem_forwarding import SiemForwarding, SiemForwardingArgs
from components.siem_health import SecurityRoute, SiemHealth, SiemHealthArgs
from components.slos import Slos, SlosArgs
from components.supabase_project import SupabaseProject, SupabaseProjectArgs
from components.synthetics import Synthetics, SyntheticsArgs
from components.synthetics_runner import CONFIG_SECRET, SyntheticsRunner, SyntheticsRunnerArgs
from config.observability import ObservabilitySections
from config.secrets import SIEM_READER, SYNTHETICS_READER
from config.stack import StackConfig
from controlplane.naming import Naming


def access_iam(cfg: StackConfig) -> dict[str, list[str]]:
    """The access list of the config in the ``{role: [members]}`` shape."""
    iam: dict[str, list[str]] = {}
    for group in cfg.access.values():
        for role in group.roles:
            iam.setdefault(role, []).append(group.member)
    return iam


def build_runtime(cfg: StackConfig, supabase: SupabaseProject, protect: bool) -> dict[str, Any]:
    """The runtime (playbook §3, §4, §6, §7): secret vault, Cloud Run services, maintenance
    jobs, log retention and audit, and the logs' forwarding to the SIEM."""
    naming, project, region = cfg.naming, cfg.gcp.project, cfg.gcp.region
    prod = cfg.environment == "prod"
    vault = SecretVault(
        naming.physical("vault"),
        SecretVaultArgs(
            naming=naming,
            project=project,
            catalogue=cfg.secrets,
            vault=cfg.vault,
            protect=protect,
        ),
    )
    # Versions from other components first, so the readers' services wait for them.
    vault.add_version("supabase-service-role-key", supabase.service_role_key)
    vault.add_version("supabase-jwt-secret", supabase.jwt_secret)
    supabase_env = {
        "SUPABASE_URL": supabase.project_ref.apply(lambda ref: f"https://{ref}.supabase.co")
    }
    services: dict[str, AgentService] = {}
    for name in sorted(cfg.services):  # agent before frontend: the frontend gets its URL
        env = dict(supabase_env)
        if name == "frontend" and "agent" in services:
            env["AGENT_URL"] = services["agent"].url
        services[name] = AgentService(
            naming.physical(name),
            AgentServiceArgs(
                naming=naming,
                project=project,
                region=region,
                service=name,
                spec=cfg.services[name],
                containment=cfg.containment,
                secrets=vault.binding_for(name),
                env=env,
                deletion_protection=prod,
            ),
        )
    if "agent" in services and "frontend" in services:
        services["agent"].allow_invoker("frontend", services["frontend"].service_account_member)
    runner: SyntheticsRunner | None = None
    private_location = cfg.monitoring.synthetics.private_location
    if private_location is not None:
        # The tests call the agent from inside the project, as an account that may invoke it.
        runner = SyntheticsRunner(
            naming.physical("synthetics"),
            SyntheticsRunnerArgs(
                naming=naming,
                project=project,
                region=region,
                spec=private_location,
                secrets=vault.binding_for(SYNTHETICS_READER),
                store_config=lambda value: vault.add_version(CONFIG_SECRET, value),
            ),
        )
        if "agent" in services:
            services["agent"].allow_invoker("synthetics", runner.service_account_member)
    jobs = MaintenanceJobs(
        naming.physical("maint"),
        MaintenanceJobsArgs(
            naming=naming,
            project=project,
            region=region,
            spec=cfg.maintenance,
            containment=cfg.containment,
            secrets=vault.binding_for("maintenance"),
            env=supabase_env,
            deletion_protection=prod,
        ),
    )
    logs = LogRetention(
        naming.physical("logs"),
        LogRetentionArgs(
            naming=naming,
            project=project,
            spec=cfg.logging,
            protect=protect,
        ),
    )
    siem: SiemForwarding | None = None
    if cfg.siem is not None:
        siem = SiemForwarding(
            naming.physical("siem"),
            SiemForwardingArgs(
                naming=naming,
                project=project,
                region=region,
                spec=cfg.siem,
                api_key_secret_id=vault.secret_ids[cfg.siem.api_key_secret],
                secrets=vault.binding_for(SIEM_READER),
                protect=protect,
            ),
        )
    return {
        "serviceUrls": {name: s.url for name, s in services.items()},
        "serviceNames": {name: s.service_name for name, s in services.items()},
        "serviceAccounts": {
            **{name: s.service_account_email for name, s in services.items()},
            "maintenance": jobs.service_account_email,
            **({"siem": siem.service_account_email} if siem is not None else {}),
        },
        "maintenanceJobs": jobs.job_names,
        "secretIds": vault.secret_ids,
        "logArchiveBucket": logs.archive_bucket,
        "siemTopic": siem.topic if siem is not None else None,
        "siemJob": siem.job_name if siem is not None else None,
        "siemForwarding": siem,
        "containment": cfg.containment,
        "syntheticsLocation": runner.location_id if runner is not None else None,
    }


def build_observability(
    naming: Naming,
    sections: ObservabilitySections,
    dd_service: str,
    agent_url: pulumi.Input[str] | None,
    private_location: pulumi.Input[str] | None = None,
    siem: SiemForwarding | None = None,
) -> dict[str, Any]:
    """PagerDuty on-call, Datadog monitors, SLOs, synthetics, scorecard and downtimes, and the
    health monitors of ``siem`` when the environment forwards to the SIEM.

    ``dd_service`` is the agent's Datadog service name: a plain string, so queries, tags and
    messages stay readable by the policy pack at preview time.
    """
    security_cfg = sections.security
    on_call = OnCall(
        naming.physical("oncall"),
        OnCallArgs(naming=naming, config=sections.oncall)
        if security_cfg is None
        else OnCallArgs(naming=naming, config=sections.oncall, priorities=security_cfg.priorities),
    )
    security: dict[str, Any] = {}
    security_route: SecurityRoute | None = None
    if security_cfg is not None:
        commander = on_call.schedules["incidentCommander"].id
        route = SecurityEscalation(
            naming.physical("security"),
            SecurityEscalationArgs(
                naming=naming,
                config=security_cfg,
                monitoring=sections.monitoring,
                service=dd_service,
                incident_commander_schedule=commander,
            ),
        )
        SeverityResponse(
            naming.physical("severity"),
            SeverityResponseArgs(
                naming=naming,
                config=security_cfg,
                incident_commander_schedule=commander,
                services=[on_call.service.id, route.service.id],
            ),
        )
        security_route = SecurityRoute(
            service_name=route.datadog_service_name,
            security_lead=security_cfg.contacts.security_lead,
            notify_after=[route.service_object],
        )
        security = {
            "securityEscalationPolicyId": route.escalation_policy.id,
            "securityMonitorIds": {key: m.id for key, m in route.monitors.items()},
        }
    alerts = AlertRouting(
        routing=sections.routing,
        pagerduty_service_name=on_call.datadog_service_name,
        notify_after=[on_call.service_object],
    )
    siem_health: dict[str, Any] = {}
    if siem is not None:
        health = SiemHealth(
            naming.physical("siemhealth"),
            SiemHealthArgs(
                naming=naming,
                project=siem.project,
                subscription_id=siem.subscription_id,
                dead_letter_subscription_id=siem.dead_letter_subscription_id,
                spec=siem.alerts,
                monitoring=sections.monitoring,
                service=dd_service,
                alerts=alerts,
                security=security_route,
            ),
        )
        siem_health = {"siemMonitorIds": {key: m.id for key, m in health.monitors.items()}}
    monitoring = Monitoring(
        naming.physical("monitoring"),
        MonitoringArgs(
            naming=naming, config=sections.monitoring, service=dd_service, alerts=alerts
        ),
    )
    slos = Slos(
        naming.physical("slos"),
        SlosArgs(
            naming=naming,
            config=sections.slos,
            monitoring=sections.monitoring,
            service=dd_service,
            alerts=alerts,
        ),
    )
    Synthetics(
        naming.physical("synthetics"),
        SyntheticsArgs(
            naming=naming,
            config=sections.monitoring,
            service=dd_service,
            alerts=alerts,
            agent_url=agent_url,
            private_location=private_location,
        ),
    )
    scorecard = Scorecard(
        naming.physical("scorecard"),
        ScorecardArgs(
            naming=naming, config=sections.monitoring, service=dd_service, slo_ids=slos.slo_ids
        ),
    )
    if sections.maintenance_window is not None:
        MaintenanceWindows(
            naming.physical("maintenance"),
            MaintenanceWindowsArgs(naming=naming, window=sections.maintenance_window),
        )
    return {
        "pagerdutyServiceId": on_call.service.id,
        "escalationPolicyId": on_call.escalation_policy.id,
        "monitorIds": monitoring.monitor_ids,
        "sloIds": slos.slo_ids,
        "scorecardUrl": scorecard.dashboard.url,
        **security,
        **siem_health,
    }


def build_environment(cfg: StackConfig) -> dict[str, Any]:
    """Declare every resource of the environment; return the stack outputs."""
    naming = cfg.naming
    # Stateful resources are protected where losing them loses data (playbook §6, §7).
    stateful = pulumi.ResourceOptions(protect=cfg.environment in ("staging", "prod"))
    access = EnvironmentAccess(
        naming.physical("access"),
        EnvironmentAccessArgs(project=cfg.gcp.project, iam=access_iam(cfg)),
    )
    supabase = SupabaseProject(
        naming.physical("supabase"),
        SupabaseProjectArgs(
            config=cfg.supabase,
            environment=cfg.environment,
            access_token=pulumi.Config().require_secret("supabaseAccessToken"),
        ),
        opts=stateful,
    )
    runtime = build_runtime(cfg, supabase, protect=cfg.environment in ("staging", "prod"))
    agent = cfg.services.get("agent")
    observability = build_observability(
        cfg.naming,
        cfg,
        dd_service=agent.env.get("DD_SERVICE", "agent") if agent is not None else "agent",
        agent_url=runtime["serviceUrls"].get("agent"),
        private_location=runtime.pop("syntheticsLocation"),
        siem=runtime.pop("siemForwarding"),
    )
    return {
        **runtime,
        **observability,
        "supabaseProjectRef": supabase.project_ref,
        "environment": cfg.environment,
        "dataClass": cfg.data_class,
        "accessBindings": sorted(access.members),
    }
