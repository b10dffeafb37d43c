"""Log lines from the pack to the engine that launched it.

The engine passes its gRPC address as the first argument of ``python -m pulumi.policy``; it
serves the ``pulumirpc.Engine`` service there (the Pulumi CLI does, and so does
``preflight check``). The Python policy runtime does not connect ``pulumi.log`` to it, so the
pack sends its own ``Engine.Log`` requests: that is how exemptions show up in the CLI's output and
in ``preflight check`` reports instead of being silent. Outside a pack process (or when the engine
cannot be reached) lines go to stderr, which the engine also captures. Never log a property value.
"""

from __future__ import annotations

import sys
import threading
from typing import Literal

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

Level = Literal["debug", "info", "warning", "error"]

_SEVERITY = {
    "debug": engine_pb2.DEBUG,
    "info": engine_pb2.INFO,
    "warning": engine_pb2.WARNING,
    "error": engine_pb2.ERROR,
}
_TIMEOUT_SECONDS = 10.0

_lock = threading.Lock()
_stub: engine_pb2_grpc.EngineStub | None = None


def connect(address: str) -> None:
    """Send later log lines to the engine at ``address`` (``host:port``)."""
    global _stub
    with _lock:
        _stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))


def disconnect() -> None:
    global _stub
    with _lock:
        _stub = None


def log(level: Level, message: str, urn: str = "") -> None:
    """One log line, attached to the resource ``urn`` when given."""
    stub = _stub
    if stub is not None:
        try:
            stub.Log(
                engine_pb2.LogRequest(severity=_SEVERITY[level], message=message, urn=urn),
                timeout=_TIMEOUT_SECONDS,
            )
            return
        except grpc.RpcError:
            pass
    where = f" ({urn})" if urn else ""
    print(f"{level}: {message}{where}", file=sys.stderr, flush=True)
