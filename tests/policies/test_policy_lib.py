"""The pack's shared helpers, where the Analyzer path cannot reach them."""

from __future__ import annotations

import pytest

from policies._lib import engine_log
from policies._lib.config import exemption, settings
from policies._lib.props import MISSING, fmt, get, number


def test_engine_log_without_an_engine_goes_to_stderr(capsys):
    engine_log.disconnect()
    engine_log.log("warning", "careful", "urn:pulumi:prod::p::t::n")
    assert capsys.readouterr().err == "warning: careful (urn:pulumi:prod::p::t::n)\n"


def test_engine_log_falls_back_when_the_engine_is_gone(capsys):
    engine_log.connect("127.0.0.1:1")
    try:
        engine_log.log("info", "still visible")
    finally:
        engine_log.disconnect()
    assert capsys.readouterr().err == "info: still visible\n"


def test_exemption_shape():
    assert exemption("acme-prod-agent", {"include": ["*"], "exclude": []}) is None
    assert exemption("acme-prod-agent", {"include": ["*-frontend"], "exclude": []}) == (
        "not included by ['*-frontend']"
    )
    assert exemption("acme-prod-agent", {"include": ["*"], "exclude": ["*-agent"]}) == (
        "excluded by pattern '*-agent'"
    )
    # Patterns are case-sensitive, like resource names.
    assert exemption("Acme", {"include": ["acme"], "exclude": []}) == "not included by ['acme']"


def test_settings_fill_defaults_without_sharing_them():
    schema = {"roles": {"type": "array", "default": ["a"]}, "free": {"type": "string"}}
    first = settings(None, schema)
    first["roles"].append("b")
    assert settings({}, schema) == {"roles": ["a"]}
    assert settings({"free": "x"}, schema) == {"roles": ["a"], "free": "x"}


@pytest.mark.parametrize(
    ("obj", "path", "expected"),
    [
        ({"a": {"b": 1}}, "a.b", 1),
        ({"a": {"b": None}}, "a.b", MISSING),
        ({"a": []}, "a.b", MISSING),
        ({}, "a", MISSING),
    ],
)
def test_get(obj, path, expected):
    assert get(obj, path) == expected


def test_numbers_as_the_engine_sends_them():
    assert number(30.0) == 30.0 and number("180") == 180.0
    assert number(True) is None and number("x") is None and number(None) is None
    assert fmt(30.0) == "30" and fmt(2.5) == "2.5"
