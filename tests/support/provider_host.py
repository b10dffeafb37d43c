"""The dynamic provider host, run as the Pulumi engine runs it, and a gRPC client that speaks to it.

How the engine runs it (pulumi 3.x): for a ``pulumi-python:dynamic/...`` resource it starts the
``pulumi-resource-pulumi-python`` shim (``sdk/python/dist`` in pulumi/pulumi), which, with the
project's ``virtualenv: .venv`` runtime option, runs ``.venv/bin/python -u -m pulumi.dynamic`` in
the project directory with ``PULUMI_RUNTIME_VIRTUALENV``/``PULUMI_RUNTIME_TOOLCHAIN`` set and the
virtualenv's ``bin`` first on ``PATH``. The host (``pulumi/dynamic/__main__.py``) prints its gRPC
port on the first line of stdout and serves ``ResourceProvider``; the project is importable only
because the working directory is the project root (``python -m`` puts it on ``sys.path``), so no
``PYTHONPATH`` is passed. Provider logs go to the host's stderr (it has no engine connection).

What the engine sends (``sdk/go/common/resource/plugin/provider_plugin.go``):

- ``Configure`` first, with the whole stack config under namespaced keys; the host answers
  ``acceptSecrets: false``, so every later request carries secrets as plain values;
- numbers as protobuf doubles (``15`` arrives as ``15.0``);
- during preview, unknown inputs to ``Check`` and ``Diff`` as the string ``rpc.UNKNOWN``;
- ``__provider``: the base64 dill pickle of the provider, as the program serialized it.

``ProviderHost`` encodes Python dicts the same way (``google.protobuf.Struct``: ints become
doubles; put ``pulumi.runtime.rpc.UNKNOWN`` where a value is unknown) and decodes answers back
to plain dicts (numbers stay floats, as the engine stores them in the state).
"""

from __future__ import annotations

import base64
import os
import pickletools
import struct
import subprocess  # nosec B404
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from preflight.analyzer.host import close_plugin

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_KEY = "__provider"


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """``props`` as the engine marshals them: numbers as doubles, secrets as plain values."""
    message = struct_pb2.Struct()
    message.update(props)
    return message


def from_struct(message: struct_pb2.Struct) -> dict[str, Any]:
    """A property struct as a plain dict (numbers are floats, as in the state)."""
    decoded: dict[str, Any] = json_format.MessageToDict(message)
    return decoded


def with_base_url(pickled: str, old: str, new: str) -> str:
    """A base64 provider pickle with the one string ``old`` replaced by ``new``, nothing else.

    Used to point a pickle recorded from a release at the loopback API: every other byte (the
    class path, the attribute names and values) stays as recorded. Only protocol-4 pickles with
    one frame and the URL as a ``SHORT_BINUNICODE`` are handled, which is what dill writes.
    """
    data = base64.b64decode(pickled)
    ops = [(op.name, arg, pos) for op, arg, pos in pickletools.genops(data) if pos is not None]
    frames = [(int(str(arg)), pos) for name, arg, pos in ops if name == "FRAME"]
    hits = [pos for name, arg, pos in ops if name == "SHORT_BINUNICODE" and arg == old]
    assert len(frames) == 1 and frames[0][1] == 2, "expected one frame right after PROTO"
    assert len(hits) == 1, f"expected {old!r} exactly once in the pickle"
    old_op = b"\x8c" + bytes([len(old.encode())]) + old.encode()
    new_op = b"\x8c" + bytes([len(new.encode())]) + new.encode()
    at = hits[0]
    assert data[at : at + len(old_op)] == old_op
    body = data[:at] + new_op + data[at + len(old_op) :]
    frame_len = frames[0][0] + len(new_op) - len(old_op)
    body = body[:3] + struct.pack("<Q", frame_len) + body[11:]
    return base64.b64encode(body).decode()


@dataclass
class Checked:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]


@dataclass
class Diffed:
    changes: str
    """``DIFF_SOME``, ``DIFF_NONE`` or ``DIFF_UNKNOWN``."""
    replaces: list[str]
    delete_before_replace: bool


@dataclass
class Read:
    id: str
    outs: dict[str, Any]
    inputs: dict[str, Any] | None


class ProviderHost:
    """``python -m pulumi.dynamic`` in ``root``, started as the engine starts it, and its client."""

    def __init__(self, root: Path = ROOT, project: str = "controlplane") -> None:
        self.root = root
        self.project = project
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self._stderr: list[str] = []
        self._stdout: list[str] = []
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The variables the engine's shim gives the host (the caller's env, the venv first)."""
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
        venv_bin = str(Path(sys.executable).parent)
        env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
        env["PULUMI_RUNTIME_TOOLCHAIN"] = "uv"
        env["PULUMI_RUNTIME_VIRTUALENV"] = str(Path(sys.executable).parent.parent)
        env["PULUMI_PROJECT"] = self.project
        return env

    def start(self, timeout: float = 20.0) -> ProviderHost:
        process = subprocess.Popen(  # nosec B603: fixed argument list
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=self.root,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._process = process
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline().decode().strip()
        if not first.isdigit():
            process.kill()
            _, err = process.communicate(timeout=timeout)
            raise RuntimeError(
                f"provider host printed {first!r} instead of its port: {err.decode()[-2000:]}"
            )
        self._drain(process.stdout, self._stdout)
        self._drain(process.stderr, self._stderr)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{first}")
        grpc.channel_ready_future(self._channel).result(timeout=timeout)
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    def _drain(self, stream: IO[bytes], into: list[str]) -> None:
        def pump() -> None:
            for line in iter(stream.readline, b""):
                with self._lock:
                    into.append(line.decode("utf-8", "replace"))

        threading.Thread(target=pump, daemon=True).start()

    def stop(self) -> None:
        close_plugin(self._channel, self._process)
        self._channel, self._process = None, None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def output(self) -> str:
        """Everything the host wrote to stdout (after the port) and stderr so far."""
        with self._lock:
            return "".join(self._stdout) + "".join(self._stderr)

    def mark(self) -> int:
        """A position in the host's stderr, for ``logs_since``."""
        with self._lock:
            return len(self._stderr)

    def logs_since(self, mark: int) -> list[str]:
        """The stderr lines since ``mark`` (provider log calls land there), once flushed."""
        with self._lock:
            return [line.rstrip("\n") for line in self._stderr[mark:]]

    @property
    def stub(self) -> provider_pb2_grpc.ResourceProviderStub:
        assert self._stub is not None, "host not started"
        return self._stub

    # -- the ResourceProvider calls, as the engine makes them ------------------------------------

    def configure(self, config: dict[str, str]) -> provider_pb2.ConfigureResponse:
        response: provider_pb2.ConfigureResponse = self.stub.Configure(
            provider_pb2.ConfigureRequest(
                variables=config, args=to_struct(dict(config)), acceptSecrets=True
            )
        )
        return response

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> Checked:
        response = self.stub.Check(
            provider_pb2.CheckRequest(urn=urn, olds=to_struct(olds), news=to_struct(news))
        )
        return Checked(
            from_struct(response.inputs),
            [(f.property, f.reason) for f in response.failures],
        )

    def diff(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Diffed:
        response = self.stub.Diff(
            provider_pb2.DiffRequest(id=id_, urn=urn, olds=to_struct(olds), news=to_struct(news))
        )
        return Diffed(
            provider_pb2.DiffResponse.DiffChanges.Name(response.changes),
            list(response.replaces),
            bool(response.deleteBeforeReplace),
        )

    def create(self, urn: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self.stub.Create(
            provider_pb2.CreateRequest(urn=urn, properties=to_struct(props))
        )
        return response.id, from_struct(response.properties)

    def read(
        self, urn: str, id_: str, props: dict[str, Any], inputs: dict[str, Any] | None = None
    ) -> Read:
        response = self.stub.Read(
            provider_pb2.ReadRequest(
                id=id_, urn=urn, properties=to_struct(props), inputs=to_struct(inputs or {})
            )
        )
        read_inputs = from_struct(response.inputs) if response.HasField("inputs") else None
        return Read(response.id, from_struct(response.properties), read_inputs)

    def update(
        self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        response = self.stub.Update(
            provider_pb2.UpdateRequest(id=id_, urn=urn, olds=to_struct(olds), news=to_struct(news))
        )
        return from_struct(response.properties)

    def delete(self, urn: str, id_: str, props: dict[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=urn, properties=to_struct(props)))
