"""CP-CRD-005 credentials-provider-disallow-literal-credentials."""

from __future__ import annotations

from policies.credentials.credentials_provider_disallow_literal_credentials import META

NAME = META.name
FAKE = "canary-provider-0b7e"  # test data, not a credential


def test_an_explicit_provider_without_credentials_passes(analyze, make):
    provider = make("pulumi:providers:datadog", "datadog-eu", {"apiUrl": "https://x"})
    assert analyze([provider]).of(NAME) == []


def test_an_explicit_provider_with_a_credential_is_rejected(analyze, make):
    provider = make("pulumi:providers:datadog", "datadog-eu", {"apiKey": FAKE, "appKey": FAKE})
    checked = analyze([provider])
    details = [
        f"{key} is set on an explicit provider: set it as the stack's secret config for the "
        "default provider instead"
        for key in ("apiKey", "appKey")
    ]
    assert checked.of(NAME) == [(provider["urn"], f"{META.description}\n{d}") for d in details]
    assert checked.levels(NAME) == ["mandatory", "mandatory"]
    assert FAKE not in " ".join(m for _, m in checked.of(NAME))


def test_a_default_provider_reads_the_stack_config(analyze, make):
    provider = make("pulumi:providers:pagerduty", "default_4_x", {"token": "[secret]"})
    assert analyze([provider]).of(NAME) == []


def test_a_dynamic_resource_must_keep_its_credential_secret(analyze, make):
    plain = make("pulumi-python:dynamic/supa:Settings", "s", {"accessToken": FAKE, "x": 1})
    secret = make("pulumi-python:dynamic/supa:Keys", "k", {"accessToken": "[secret]"})
    listed = make("pulumi-python:dynamic:Resource", "r", {"accessToken": FAKE})
    listed["additionalSecretOutputs"] = ["accessToken"]
    checked = analyze([plain, secret, listed])
    detail = (
        "accessToken is not in additional_secret_outputs, so the dynamic resource keeps the "
        "credential in clear in the state"
    )
    assert checked.of(NAME) == [(plain["urn"], f"{META.description}\n{detail}")]
