"""The engine a policy pack talks to, and the pack process the host runs."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from preflight.analyzer.config import reconcile
from preflight.analyzer.host import EngineServer, PackError, PolicyPackHost
from preflight.snapshot import validate
from tests.support.policies import PROJECT, make_resource, snapshot
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


# -- a pack that fails part way through an analysis -----------------------------------------------

_SLOW_PACK = """\
import sys
import time

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc
from pulumi_policy import PolicyPack, ResourceValidationPolicy

engine = engine_pb2_grpc.EngineStub(grpc.insecure_channel(sys.argv[1]))


def look(args, report):
    if args.resource_type == "pulumi:pulumi:Stack":
        return
    if args.name == "bad":
        raise RuntimeError("policy bug: bad input")
    time.sleep(0.2)
    request = engine_pb2.LogRequest(
        severity=engine_pb2.INFO, message=f"looked at {args.name}", urn=args.urn
    )
    engine.Log(request, timeout=10)


PolicyPack(
    name="slow",
    policies=[ResourceValidationPolicy(name="look", description="Ensure x.", validate=look)],
)
"""


def test_an_analysis_that_fails_leaves_no_call_running_into_the_next(tmp_path):
    # The host sends every Analyze before reading the first answer. When one fails, the calls
    # still queued or running in the pack must not go on into the next analysis of the same
    # host (preflight diff keeps its host after a failed stack): their log lines would be
    # reported as the next stack's.
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(_SLOW_PACK)
    failing = snapshot(
        [make_resource("x:y:Z", "bad", stack="dev")]
        + [make_resource("x:y:Z", f"fine-{i}", stack="dev") for i in range(12)],
        "dev",
    )
    passing = snapshot([make_resource("x:y:Z", "next", stack="qa")], "qa")
    with PolicyPackHost(tmp_path, project=PROJECT) as host:
        config = reconcile(host.info(), {})
        with pytest.raises(PackError, match="policy bug: bad input"):
            host.analyze(failing, validate(failing, "dev"), config)
        result = host.analyze(passing, validate(passing, "qa"), config)
    assert [log.message for log in result.logs] == ["looked at next"]
