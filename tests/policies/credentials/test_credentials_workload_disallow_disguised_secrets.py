"""CP-CRD-004 credentials-workload-disallow-disguised-secrets."""

from __future__ import annotations

import pytest

from policies.credentials.credentials_workload_disallow_disguised_secrets import META
from preflight.snapshot import UNKNOWN

NAME = META.name
RUN_V2 = "gcp:cloudrunv2/service:Service"
FAKE = "canary0b7e" * 3  # test data, not a credential


def service(make, envs=None, args=None, type_token=RUN_V2):
    container = {"image": "img", "envs": envs or [], "args": args or []}
    return make(type_token, "agent", {"template": {"containers": [container]}})


def test_plain_values_pass(analyze, make):
    envs = [
        {"name": "SUPABASE_URL", "value": "https://prdcontrolplaneaaaaa.supabase.co"},
        {"name": "AGENT_URL", "value": "https://acme-prod-agent-c8cc8659-europe-west1.a.run.app"},
        {"name": "DD_API_KEY", "valueSource": {"secretKeyRef": {"secret": "dd", "version": "1"}}},
    ]
    resource = service(make, envs, ["backup-verify", "--restore-to=scratch"])
    assert analyze([resource]).of(NAME) == []


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (f"postgresql://app:{FAKE}@db.internal:5432/app", "a connection string with a password"),
        (f"sk_live_{FAKE}", "a token with the prefix 'sk_live_'"),
        (f"ghp_{FAKE}", "a token with the prefix 'ghp_'"),
        (f"xoxb-{FAKE}", "a token with the prefix 'xoxb-'"),
        (f"AKIA{FAKE.upper()}", "a token with the prefix 'AKIA'"),
        (f"eyJhbGciOiJI{FAKE}.eyJzdWIiOiIx{FAKE}.{FAKE}", "a JSON web token"),
        ("Zx8q2Lk9Pm4Rt7Vb1Nc6Hy3Jw5Df0Gs8Ae2Qo", "a long random-looking string (a key)"),
    ],
)
def test_a_credential_under_an_innocent_name_is_rejected(analyze, make, value, why):
    resource = service(make, [{"name": "DATABASE_URL", "value": value}])
    checked = analyze([resource])
    detail = (
        f"template.containers[0].envs[0] DATABASE_URL holds {why} in plain text: keep it in "
        "Secret Manager and reference the secret"
    )
    assert checked.of(NAME) == [(resource["urn"], f"{META.description}\n{detail}")]
    assert checked.levels(NAME) == ["mandatory"]
    assert value not in checked.of(NAME)[0][1]


def test_a_credential_in_the_arguments_is_rejected(analyze, make):
    resource = service(make, args=["serve", f"--db-password={FAKE}"])
    detail = (
        "template.containers[0].args[1] holds a command-line flag that carries a credential in "
        "plain text: keep it in Secret Manager and reference the secret"
    )
    assert analyze([resource]).of(NAME) == [(resource["urn"], f"{META.description}\n{detail}")]


def test_cloud_functions_variable_maps_are_read(analyze, make):
    resource = make(
        "gcp:cloudfunctionsv2/function:Function",
        "fn",
        {"serviceConfig": {"environmentVariables": {"STRIPE": f"sk_live_{FAKE}"}}},
    )
    assert len(analyze([resource]).of(NAME)) == 1


def test_an_unknown_value_in_a_preview_is_no_literal(analyze, make):
    resource = service(make, [{"name": "AGENT_URL", "value": UNKNOWN}])
    assert analyze([resource], preview=True).of(NAME) == []
