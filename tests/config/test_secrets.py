"""controlplane:secrets: the catalogue against the services that read it."""

from __future__ import annotations

from config.runtime import RuntimeSections
from tests.support.config import errors
from tests.support.runtime import EXAMPLE, example


def test_a_secret_read_by_an_unknown_service_names_the_readers_to_use() -> None:
    data = example()
    data["secrets"][1]["readers"] = ["agent", "agnet"]
    assert errors(RuntimeSections, data) == [
        (
            ("secrets", 1, "readers", 1),
            "a reader among agent, frontend, maintenance, synthetics, siem: secret "
            "'supabase-jwt-secret' names 'agnet', which is not a service of this stack",
        )
    ]


def test_a_duplicate_env_var_for_one_reader_is_refused() -> None:
    data = example()
    data["secrets"][2]["envVar"] = "SUPABASE_JWT_SECRET"  # frontend already reads it
    assert errors(RuntimeSections, data) == [
        (
            ("secrets", 2, "envVar"),
            "a distinct env var for reader 'frontend': SUPABASE_JWT_SECRET is already set by "
            "secrets[1] (supabase-jwt-secret); rename one of them",
        )
    ]


def test_a_secret_env_var_that_clashes_with_plain_env_is_refused() -> None:
    data = example()
    data["secrets"][0]["envVar"] = "LOG_FORMAT"
    assert errors(RuntimeSections, data) == [
        (
            ("secrets", 0, "envVar"),
            "a distinct env var for reader 'agent': LOG_FORMAT is already set by "
            "services.agent.env; rename one of them",
        )
    ]


def test_the_same_env_var_for_different_readers_is_fine() -> None:
    data = example()
    data["secrets"][2]["readers"] = ["maintenance"]
    data["secrets"][2]["envVar"] = "SUPABASE_JWT_SECRET"
    RuntimeSections.model_validate(data)


def test_duplicate_secret_names_are_refused() -> None:
    data = example()
    data["secrets"][2]["name"] = "composio-api-key"
    assert errors(RuntimeSections, data) == [
        (
            ("secrets", 2, "name"),
            "a unique name: secrets[0] is already 'composio-api-key'",
        )
    ]


def test_from_config_must_be_a_declared_secret_key() -> None:
    data = example()
    data["secrets"][0]["fromConfig"] = "composioKey"
    [(loc, msg)] = errors(RuntimeSections, data)
    assert loc == ("secrets", 0, "fromConfig")
    assert msg == (
        "Value error, one of the secret config keys composioApiKey, datadogApiKey, "
        "geminiApiKey, googleOauthClientSecret, supabaseDbPassword (new keys are added to "
        "SECRET_CONFIG_KEYS in config/secrets.py)"
    )


def test_secret_config_keys_are_the_from_config_keys() -> None:
    cfg = RuntimeSections.model_validate(EXAMPLE)
    assert cfg.secret_config_keys() == ["controlplane:composioApiKey"]
