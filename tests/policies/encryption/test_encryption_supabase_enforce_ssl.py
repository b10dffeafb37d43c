"""CP-ENC-003 encryption-supabase-enforce-ssl."""

from __future__ import annotations

from policies.encryption.encryption_supabase_enforce_ssl import META
from tests.support.policies import message_for

NAME = META.name
SETTINGS = "pulumi-python:dynamic/supabase:SupabaseSettings"
GENERIC = "pulumi-python:dynamic:Resource"

msg = message_for(META)


def settings(make, ssl=True, type_token=SETTINGS, **extra):
    inputs = {
        "projectRef": "abcdefghijklmnopqrst",
        "accessToken": "[secret]",
        "__provider": "[secret]",
        "network": {"dbAllowedCidrs": ["10.0.0.0/8"]},
        **extra,
    }
    if ssl is not None:
        inputs["sslEnforcement"] = {"database": ssl}
    return make(type_token, "supabase-settings", inputs, protect=True)


def test_compliant_baseline_passes(analyze, make):
    assert analyze([settings(make)]).of(NAME) == []


def test_ssl_off_is_rejected(analyze, make):
    resource = settings(make, ssl=False)
    checked = analyze([resource])
    assert checked.of(NAME) == [
        (resource["urn"], msg("sslEnforcement.database is False: set it to true"))
    ]
    assert checked.levels(NAME) == ["mandatory"]


def test_non_boolean_is_rejected(analyze, make):
    resource = settings(make, ssl="true")
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("sslEnforcement.database is 'true': set it to true"))
    ]


def test_missing_section_is_rejected_on_purpose(analyze, make):
    # Decided: a section left out is left unmanaged, and Supabase then accepts non-SSL clients.
    resource = settings(make, ssl=None)
    assert META.on_missing == "violation"
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("sslEnforcement.database is not set: set it to true"))
    ]


def test_generic_dynamic_resource_matched_by_resource_kind(analyze, make):
    resource = settings(make, ssl=False, type_token=GENERIC, resourceKind="supabase-settings")
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("sslEnforcement.database is False: set it to true"))
    ]


def test_other_dynamic_resources_are_ignored(analyze, make):
    keys = make(
        "pulumi-python:dynamic/supabase:SupabaseProjectKeys", "supabase-keys", {"projectRef": "x"}
    )
    generic = make(GENERIC, "something-else", {"resourceKind": "other"})
    assert analyze([keys, generic]).of(NAME) == []


def test_configured_path(analyze, make):
    resource = settings(make, ssl=None, database={"sslEnforcement": True})
    assert (
        analyze([resource], overrides={NAME: {"sslEnforcementPath": "database.sslEnforcement"}}).of(
            NAME
        )
        == []
    )
    assert analyze([resource]).of(NAME) == [
        (resource["urn"], msg("sslEnforcement.database is not set: set it to true"))
    ]


def test_exclude_pattern_exempts(analyze, make):
    resource = settings(make, ssl=False)
    checked = analyze([resource], overrides={NAME: {"exclude": ["supabase-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "excluded by pattern 'supabase-*'")]


def test_include_pattern_limits_the_check(analyze, make):
    resource = settings(make, ssl=False)
    checked = analyze([resource], overrides={NAME: {"include": ["other-*"]}})
    assert checked.of(NAME) == []
    assert checked.exempt(NAME) == [(resource["urn"], "not included by ['other-*']")]
