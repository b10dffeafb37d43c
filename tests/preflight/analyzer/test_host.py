"""The engine a policy pack talks to, and the pack process the host runs."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from preflight.analyzer.host import EngineServer, PolicyPackHost
from tests.support.preflight import pack_host


@pytest.fixture(scope="module")
def host() -> Iterator[PolicyPackHost]:
    yield from pack_host()


# -- the engine the pack talks to --------------------------------------------------------------


def test_engine_records_log_calls_and_the_root_resource():
    engine = EngineServer()
    try:
        with grpc.insecure_channel(engine.address) as channel:
            stub = engine_pb2_grpc.EngineStub(channel)
            stub.Log(
                engine_pb2.LogRequest(severity=engine_pb2.WARNING, message="careful", urn="urn:x")
            )
            stub.SetRootResource(engine_pb2.SetRootResourceRequest(urn="urn:root"))
            assert stub.GetRootResource(engine_pb2.GetRootResourceRequest()).urn == "urn:root"
        [entry] = engine.servicer.take_logs()
        assert entry.to_json() == {"level": "warning", "message": "careful", "urn": "urn:x"}
        assert engine.servicer.take_logs() == []
    finally:
        engine.stop()


def test_host_reports_pack_metadata(host):
    info = host.info()
    assert info.name == "controlplane-policies"
    assert host.version == "0.1.0"
    assert host.plugin_version()
