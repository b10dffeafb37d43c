"""CP-AUD-003 audit-project-missing-data-access-logs (stack policy)."""

from __future__ import annotations

from policies.audit.audit_project_missing_data_access_logs import META
from tests.support.policies import message_for

NAME = META.name
AUDIT = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
SERVICES = [
    "cloudkms.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
]

msg = message_for(META)


def audit(make, service, types=("ADMIN_READ", "DATA_READ", "DATA_WRITE")):
    slug = service.split(".")[0].lower()
    return make(
        AUDIT,
        f"logs-audit-{slug}",
        {
            "project": "acme-cp-prod",
            "service": service,
            "auditLogConfigs": [{"logType": t} for t in types],
        },
    )


def missing(service):
    return (
        "",
        msg(
            f"no {AUDIT} turns on DATA_READ, DATA_WRITE for {service}: "
            f"declare one for {service} (or allServices)"
        ),
    )


def test_compliant_baseline_passes(analyze, make):
    assert analyze([audit(make, s) for s in SERVICES]).of(NAME) == []


def test_all_services_covers_every_service(analyze, make):
    assert analyze([audit(make, "allServices")]).of(NAME) == []


def test_uncovered_service_is_a_stack_violation(analyze, make):
    checked = analyze([audit(make, s) for s in SERVICES if s != "run.googleapis.com"])
    assert checked.of(NAME) == [missing("run.googleapis.com")]
    assert checked.levels(NAME) == ["mandatory"]


def test_no_audit_config_at_all(analyze, make):
    assert analyze([]).of(NAME) == [missing(s) for s in SERVICES]


def test_config_without_data_write_is_reported_on_it(analyze, make):
    partial = audit(make, "secretmanager.googleapis.com", types=("ADMIN_READ", "DATA_READ"))
    others = [audit(make, s) for s in SERVICES if s != "secretmanager.googleapis.com"]
    assert analyze([*others, partial]).of(NAME) == [
        (partial["urn"], msg("auditLogConfigs of secretmanager.googleapis.com lacks DATA_WRITE"))
    ]


def test_partial_all_services_is_reported_once(analyze, make):
    partial = audit(make, "allServices", types=("DATA_READ",))
    assert analyze([partial]).of(NAME) == [
        (partial["urn"], msg("auditLogConfigs of allServices lacks DATA_WRITE"))
    ]


def test_missing_audit_log_configs_is_rejected_on_purpose(analyze, make):
    # Decided: data-access logs are off by default.
    bare = make(AUDIT, "logs-audit-all", {"service": "allServices"})
    assert META.on_missing == "violation"
    assert analyze([bare]).of(NAME) == [
        (bare["urn"], msg("auditLogConfigs of allServices lacks DATA_READ, DATA_WRITE"))
    ]


def test_configured_services_and_types(analyze, make):
    resources = [audit(make, "run.googleapis.com", types=("DATA_READ", "DATA_WRITE"))]
    overrides = {
        NAME: {"services": ["run.googleapis.com"], "logTypes": ["ADMIN_READ", "DATA_READ"]}
    }
    assert analyze(resources, overrides=overrides).of(NAME) == [
        (resources[0]["urn"], msg("auditLogConfigs of run.googleapis.com lacks ADMIN_READ"))
    ]


def test_exclude_pattern_removes_a_config_from_the_stack_check(analyze, make):
    resources = [audit(make, s) for s in SERVICES]
    checked = analyze(resources, overrides={NAME: {"exclude": ["logs-audit-run"]}})
    assert checked.of(NAME) == [missing("run.googleapis.com")]
    assert checked.logs() == [
        (
            "info",
            f"{NAME}: logs-audit-run is exempt: excluded by pattern 'logs-audit-run'",
            resources[1]["urn"],
        )
    ]


def test_include_pattern_limits_the_stack_check(analyze, make):
    resources = [audit(make, s) for s in SERVICES]
    checked = analyze(
        resources, overrides={NAME: {"include": ["logs-audit-run", "logs-audit-storage"]}}
    )
    assert checked.of(NAME) == [
        missing("cloudkms.googleapis.com"),
        missing("secretmanager.googleapis.com"),
    ]
