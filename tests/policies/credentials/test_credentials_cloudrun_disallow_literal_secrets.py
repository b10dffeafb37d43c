"""CP-CRD-001 credentials-cloudrun-disallow-literal-secrets."""

from __future__ import annotations

import json

import pytest

from policies.credentials.credentials_cloudrun_disallow_literal_secrets import META
from tests.support.policies import message_for

NAME = META.name
SERVICE = "gcp:cloudrunv2/service:Service"
JOB = "gcp:cloudrunv2/job:Job"
CANARY = "canary-7f3a9c1e-literal-api-key-value"
REF = {"secretKeyRef": {"secret": "acme-prod-gemini-api-key", "version": "latest"}}

msg = message_for(META)


def literal(env: str) -> str:
    """The message for the literal value of ``env`` (its path and name)."""
    return msg(
        f"{env} has a literal value: reference a Secret Manager secret with "
        "valueSource.secretKeyRef instead"
    )


def service(make, envs):
    return make(
        SERVICE,
        "agent-service",
        {
            "name": "acme-prod-agent",
            "template": {
                "serviceAccount": "acme-prod-agent-sa@p.iam.gserviceaccount.com",
                "containers": [{"image": "agent:1", "envs": envs}],
            },
        },
    )


def baseline_envs():
    return [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "KEYCLOAK_REALM", "value": "ops"},
        {"name": "GEMINI_API_KEY", "valueSource": REF},
    ]


def test_compliant_baseline_passes(analyze, make):
    assert analyze([service(make, baseline_envs())]).of(NAME) == []


@pytest.mark.parametrize(
    ("envs", "overrides", "env"),
    [
        *[
            pytest.param([{"name": name, "value": CANARY}], None, name, id=name)
            for name in [
                "GEMINI_API_KEY",
                "SUPABASE_SERVICE_ROLE_KEY",
                "JWT_SECRET",
                "DB_PASSWORD",
                "OAUTH_TOKEN",
                "sentry-dsn",
            ]
        ],
        pytest.param(
            [{"name": "COMPOSIO_API_KEY", "value": "[secret]"}],
            None,
            "COMPOSIO_API_KEY",
            id="secret-marked-literal",
        ),
        pytest.param(
            [{"name": "DD_API_KEY", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}],
            None,
            "DD_API_KEY",
            id="unknown-literal",
        ),
        pytest.param(
            [{"name": "KEYCLOAK_REALM", "value": "ops"}, {"name": "API_KEY", "value": CANARY}],
            {NAME: {"credentialWords": ["KEYCLOAK"]}},
            "KEYCLOAK_REALM",
            id="configured-credential-words",
        ),
    ],
)
def test_literal_credential_is_rejected_without_its_value(analyze, make, envs, overrides, env):
    resource = service(make, envs)
    checked = analyze([resource], overrides=overrides)
    assert checked.of(NAME) == [(resource["urn"], literal(f"template.containers[0].envs[0] {env}"))]
    assert CANARY not in json.dumps([v.to_json() for v in checked.result.violations])
    assert CANARY not in json.dumps([log.to_json() for log in checked.result.logs])


def test_missing_secret_reference_is_rejected_on_purpose(analyze, make):
    # Decided: a credential-named variable without a secret reference bypasses the catalogue.
    resource = service(make, [{"name": "GEMINI_API_KEY", "valueSource": {}}])
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [
        (
            resource["urn"],
            msg(
                "template.containers[0].envs[0] GEMINI_API_KEY has no "
                "valueSource.secretKeyRef.secret: reference the Secret Manager secret that holds it"
            ),
        )
    ]


def test_job_envs_are_checked(analyze, make):
    job = make(
        JOB,
        "vacuum-job",
        {
            "template": {
                "template": {
                    "containers": [
                        {"envs": [{"name": "A"}, {"name": "SUPABASE_KEY", "value": CANARY}]}
                    ]
                }
            }
        },
    )
    assert analyze([job]).of(NAME) == [
        (job["urn"], literal("template.template.containers[0].envs[1] SUPABASE_KEY"))
    ]


def test_unknown_unrelated_values_do_not_block_the_check(analyze, make):
    resource = service(make, [{"name": "JWT_SECRET", "value": CANARY}])
    resource["inputs"]["template"]["containers"][0]["image"] = (
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    )
    assert len(analyze([resource]).of(NAME)) == 1


def test_exclude_pattern_exempts(analyze, make):
    resource = service(make, [{"name": "API_KEY", "value": CANARY}])
    checked = analyze([resource], overrides={NAME: {"exclude": ["agent-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'agent-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = service(make, [{"name": "API_KEY", "value": CANARY}])
    checked = analyze([resource], overrides={NAME: {"include": ["frontend-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['frontend-*']")]
