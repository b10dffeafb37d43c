"""The snapshot's resources as the engine marshals them for an Analyzer."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from preflight.analyzer.snapshot import Marshaller, properties
from preflight.snapshot import SECRET_SIG, SPECIAL_SIG_KEY, validate

# -- marshalling like the engine --------------------------------------------------------------


def test_internal_keys_are_dropped_at_every_level_and_secrets_are_wrapped():
    struct = properties(
        {
            "__provider": "canary-pickled-provider",
            "accessToken": "[secret]",
            "nested": {"__defaults": ["x"], "keep": 1, "fingerprinted": "[secret:0a1b2c]"},
            "list": [{"__x": 1, "y": "[secret]"}],
            "plain": "[secret] is not a marker when it has more text",
        }
    )
    wrapped = {SPECIAL_SIG_KEY: SECRET_SIG, "value": "[secret]"}
    assert json_format.MessageToDict(struct) == {
        "accessToken": wrapped,
        "nested": {
            "keep": 1.0,
            "fingerprinted": {SPECIAL_SIG_KEY: SECRET_SIG, "value": "[secret:0a1b2c]"},
        },
        "list": [{"y": wrapped}],
        "plain": "[secret] is not a marker when it has more text",
    }


def resource(urn: str, type_token: str, **extra: Any) -> dict[str, Any]:
    return {"urn": urn, "type": type_token, "name": urn.rsplit("::", 1)[-1], "inputs": {}, **extra}


def test_requests_carry_options_parent_dependencies_and_provider():
    provider_urn = "urn:pulumi:prod::controlplane::pulumi:providers:gcp::default_10_2_0"
    parent = "urn:pulumi:prod::controlplane::controlplane:runtime:LogRetention::logs"
    resources = [
        resource(
            provider_urn, "pulumi:providers:gcp", inputs={"project": "p", "credentials": "[secret]"}
        ),
        resource(
            "urn:pulumi:prod::controlplane::controlplane:runtime:LogRetention$gcp:storage/bucket:Bucket::logs-archive",
            "gcp:storage/bucket:Bucket",
            parent=parent,
            provider=f"{provider_urn}::04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            protect=True,
            deleteBeforeReplace=True,
            ignoreChanges=["labels"],
            dependencies=[provider_urn],
            propertyDependencies={"name": [provider_urn], "labels": []},
        ),
    ]
    marshaller = Marshaller(validate({"resources": resources}, "t"))
    request = marshaller.analyze_request(resources[1])
    assert (request.name, request.type) == ("logs-archive", "gcp:storage/bucket:Bucket")
    assert request.options.protect and request.options.parent == parent
    assert request.options.deleteBeforeReplace and request.options.deleteBeforeReplaceDefined
    assert list(request.options.ignoreChanges) == ["labels"]
    assert (request.provider.urn, request.provider.type, request.provider.name) == (
        provider_urn,
        "pulumi:providers:gcp",
        "default_10_2_0",
    )
    assert json_format.MessageToDict(request.provider.properties)["project"] == "p"
    stack = marshaller.stack_request()
    bucket = stack.resources[1]
    assert bucket.parent == parent and list(bucket.dependencies) == [provider_urn]
    assert {k: list(v.urns) for k, v in bucket.propertyDependencies.items()} == {
        "name": [provider_urn]
    }
    assert not stack.resources[0].HasField("provider")


def test_provider_missing_from_the_snapshot_is_described_by_its_urn():
    urn = "urn:pulumi:prod::controlplane::pulumi:providers:datadog::default"
    res = resource(
        "urn:pulumi:prod::controlplane::datadog:index/monitor:Monitor::m",
        "datadog:index/monitor:Monitor",
        provider=f"{urn}::id",
    )
    request = Marshaller([res]).analyze_request(res)
    assert (request.provider.urn, request.provider.type, request.provider.name) == (
        urn,
        "pulumi:providers:datadog",
        "default",
    )
