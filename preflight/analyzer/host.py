"""Run a policy pack the way the Pulumi CLI does, and drive it over the Analyzer protocol.

For a ``runtime: python`` pack the CLI starts ``python -u -m pulumi.policy <engine> .`` in the
pack directory with ``PULUMI_PROJECT``, ``PULUMI_STACK``, ``PULUMI_DRY_RUN`` (and
``PULUMI_ORGANIZATION``, ``PULUMI_CONFIG`` when it has them) in the environment, reads the
Analyzer's port from the first line of its stdout, then calls ``Handshake`` (the Python runtime
answers UNIMPLEMENTED, which the CLI accepts), ``ConfigureStack``, ``GetAnalyzerInfo``,
``Configure`` with the reconciled policy config, ``Analyze`` for each resource as it is
registered, and ``AnalyzeStack`` once at the end. ``PolicyPackHost`` does the same, and serves a
minimal ``pulumirpc.Engine`` on loopback at the engine address so the pack's log lines are kept.

One pack process serves several stacks: before each stack the host calls ``ConfigureStack`` and
``Configure`` again (``Configure`` replaces the whole config). ``PULUMI_DRY_RUN`` says whether the
deployment is a preview (``true``) or an update (``false``), as the CLI sets it for each
deployment it starts the pack for; a snapshot is analyzed by a process started in the snapshot's
mode (``"dryRun": true`` is a preview), so the host restarts the pack when the mode changes. The
pack reads it (``policies/_lib/mode.py``): a value unknown during an update cannot be honest.
``PULUMI_STACK`` is set only when the host is made for one stack; the pack reads the environment
from its policy config, never from the stack name. ``PULUMI_ORGANIZATION`` and ``PULUMI_CONFIG``
(the stack's config, which may hold decrypted secrets) are not set: the pack reads neither, and
the offline path has no decrypted config to give.
"""

from __future__ import annotations

import os
import queue
import subprocess  # nosec B404
import sys
import threading
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import IO, Any

import grpc
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from preflight.analyzer.config import PolicyConfig, level_from_proto, to_proto
from preflight.analyzer.results import LogEntry, NotApplicable, StackResult, Violation
from preflight.analyzer.snapshot import Marshaller

_MAX_MESSAGE = 1024 * 1024 * 400
_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ("grpc.max_send_message_length", _MAX_MESSAGE),
]
_SEVERITY_NAMES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_LOG_LEVELS = {
    engine_pb2.DEBUG: "debug",
    engine_pb2.INFO: "info",
    engine_pb2.WARNING: "warning",
    engine_pb2.ERROR: "error",
}


def close_plugin(
    channel: grpc.Channel | None, process: subprocess.Popen[bytes] | None, timeout: float = 10
) -> None:
    """Close a plugin's gRPC channel, then stop its process as the engine does: terminate, and
    kill it if it lingers."""
    if channel is not None:
        channel.close()
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


class PackError(Exception):
    """The pack could not be started or failed while analyzing (not a policy violation)."""


class _EngineServicer(engine_pb2_grpc.EngineServicer):
    """The part of ``pulumirpc.Engine`` a policy pack may call: logs and the root resource."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logs: list[LogEntry] = []
        self._root = ""

    def Log(self, request: engine_pb2.LogRequest, context: Any) -> empty_pb2.Empty:
        entry = LogEntry(_LOG_LEVELS.get(request.severity, "info"), request.message, request.urn)
        with self._lock:
            self._logs.append(entry)
        return empty_pb2.Empty()

    def GetRootResource(
        self, request: engine_pb2.GetRootResourceRequest, context: Any
    ) -> engine_pb2.GetRootResourceResponse:
        return engine_pb2.GetRootResourceResponse(urn=self._root)

    def SetRootResource(
        self, request: engine_pb2.SetRootResourceRequest, context: Any
    ) -> engine_pb2.SetRootResourceResponse:
        self._root = request.urn
        return engine_pb2.SetRootResourceResponse()

    def take_logs(self) -> list[LogEntry]:
        with self._lock:
            logs, self._logs = self._logs, []
        return logs


class EngineServer:
    """A minimal engine on 127.0.0.1 for the pack's ``Engine.Log`` calls."""

    def __init__(self) -> None:
        self.servicer = _EngineServicer()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), options=_GRPC_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(self.servicer, self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{port}"
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)


def pack_version(pack_dir: Path) -> str:
    """The version in ``PulumiPolicy.yaml`` (the CLI prefers it over the pack's own)."""
    manifest = pack_dir / "PulumiPolicy.yaml"
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise PackError(f"{manifest}: cannot read the policy pack manifest ({err})") from None
    if not isinstance(data, dict) or "runtime" not in data:
        raise PackError(f"{manifest}: not a policy pack manifest (no 'runtime')")
    return str(data.get("version", ""))


class PolicyPackHost:
    """One policy pack process, driven over gRPC; use as a context manager."""

    def __init__(
        self,
        pack_dir: Path,
        *,
        project: str,
        stack: str | None = None,
        python: str = sys.executable,
        startup_timeout: float = 120.0,
        call_timeout: float = 600.0,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.pack_dir = pack_dir.resolve()
        self.project = project
        self.stack = stack
        self.python = python
        self.startup_timeout = startup_timeout
        self.call_timeout = call_timeout
        self.echo = echo or (lambda line: print(f"policy pack: {line}", file=sys.stderr))
        self.version = pack_version(self.pack_dir)
        self.dry_run = True
        """The mode the pack process runs in (``PULUMI_DRY_RUN``); see ``analyze``."""
        self.engine: EngineServer | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr_tail: list[str] = []
        self._stderr_reader: threading.Thread | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._info: analyzer_pb2.AnalyzerInfo | None = None

    # -- process ---------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._process is not None

    def start(self) -> PolicyPackHost:
        """Start the engine and the pack process (returns at once; ``ready`` waits for it)."""
        if self._process is not None:
            return self
        self.engine = EngineServer()
        env = dict(os.environ)
        env["PULUMI_PROJECT"] = self.project
        env["PULUMI_DRY_RUN"] = "true" if self.dry_run else "false"
        if self.stack:
            env["PULUMI_STACK"] = self.stack
        else:
            env.pop("PULUMI_STACK", None)
        command = [self.python, "-u", "-m", "pulumi.policy", self.engine.address, "."]
        # A fixed argv (this interpreter, the pulumi.policy module), no shell.
        self._process = subprocess.Popen(  # noqa: S603  # nosec B603
            command,
            cwd=self.pack_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        if self._process.stdout is None or self._process.stderr is None:
            raise PackError("policy pack started without pipes")
        self._lines = queue.Queue()  # a restarted pack's port, not the last one's end
        threading.Thread(
            target=self._read_stdout, args=(self._process.stdout, self._lines), daemon=True
        ).start()
        self._stderr_reader = threading.Thread(
            target=self._read_stderr, args=(self._process.stderr,), daemon=True
        )
        self._stderr_reader.start()
        return self

    def _read_stdout(self, stream: IO[bytes], lines: queue.Queue[str | None]) -> None:
        first = True
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if first:
                lines.put(line)
                first = False
            else:
                self.echo(line)
        lines.put(None)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._stderr_tail = [*self._stderr_tail[-19:], line]
            self.echo(line)

    def _failure(self, what: str) -> PackError:
        last = next((line for line in reversed(self._stderr_tail) if line.strip()), "")
        detail = f": {last.strip()}" if last else ""
        return PackError(f"policy pack {self.pack_dir} {what}{detail}")

    def ready(self) -> PolicyPackHost:
        """Wait for the port, connect, and handshake (idempotent)."""
        if self._stub is not None:
            return self
        self.start()
        try:
            first = self._lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            raise self._failure(f"printed no port within {self.startup_timeout:.0f}s") from None
        if first is None or not first.strip().isdigit():
            if self._process is not None:
                self._process.wait(timeout=10)
            if self._stderr_reader is not None:
                self._stderr_reader.join(timeout=10)
            raise self._failure("failed to start")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{first.strip()}", options=_GRPC_OPTIONS)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=self.startup_timeout)
        except grpc.FutureTimeoutError:
            raise self._failure("did not accept connections") from None
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self._optional(
            "Handshake",
            analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address=self._engine().address,
                root_directory=str(self.pack_dir),
                program_directory=str(self.pack_dir),
            ),
        )
        return self

    def use_mode(self, *, dry_run: bool) -> PolicyPackHost:
        """Run the pack as a preview (``dry_run``) or an update, restarting it if it runs in the
        other mode (the pack reads ``PULUMI_DRY_RUN`` once, as it starts)."""
        if dry_run != self.dry_run:
            running = self._process is not None
            self.close()
            self.dry_run = dry_run
            if running:
                self.start()
        return self

    def close(self) -> None:
        close_plugin(self._channel, self._process)
        self._channel, self._process = None, None
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        self._stub = None

    def _engine(self) -> EngineServer:
        if self.engine is None:
            raise PackError("the policy pack host is not started")
        return self.engine

    def __enter__(self) -> PolicyPackHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- protocol --------------------------------------------------------------------------
    def _call(self, method: str, request: Any) -> Any:
        self.ready()
        try:
            return getattr(self._stub, method)(request, timeout=self.call_timeout)
        except grpc.RpcError as err:
            raise self._rpc_error(method, err) from None

    def _send(self, method: str, request: Any) -> Any:
        """Start a call without waiting for its answer (``_receive`` takes it)."""
        self.ready()
        try:
            return getattr(self._stub, method).future(request, timeout=self.call_timeout)
        except grpc.RpcError as err:
            raise self._rpc_error(method, err) from None

    def _receive(self, method: str, call: Any) -> Any:
        try:
            return call.result()
        except grpc.RpcError as err:
            raise self._rpc_error(method, err) from None

    def _optional(self, method: str, request: Any) -> Any:
        """A call the CLI tolerates being UNIMPLEMENTED (Handshake, ConfigureStack)."""
        try:
            return getattr(self._stub, method)(request, timeout=self.call_timeout)
        except grpc.RpcError as err:
            if err.code() == grpc.StatusCode.UNIMPLEMENTED:
                return None
            raise self._rpc_error(method, err) from None

    def _rpc_error(self, method: str, err: grpc.RpcError) -> PackError:
        details = err.details() if hasattr(err, "details") else str(err)
        first = (details or str(err.code())).strip().splitlines()
        return PackError(f"policy pack {method} failed: {first[-1] if first else err.code()}")

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        """``GetAnalyzerInfo``: the pack's name and its policies' metadata and schemas."""
        if self._info is None:
            self._info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        return self._info

    def plugin_version(self) -> str:
        return str(self._call("GetPluginInfo", empty_pb2.Empty()).version)

    def analyze(
        self,
        snapshot: dict[str, Any],
        resources: list[dict[str, Any]],
        config: dict[str, PolicyConfig],
    ) -> StackResult:
        """Analyze every resource, then the stack, under ``config`` (already reconciled).

        The pack runs in the snapshot's mode: a preview snapshot (``"dryRun": true``) with
        ``PULUMI_DRY_RUN=true``, any other with ``false``; the process is restarted when the
        mode changes."""
        self.use_mode(dry_run=snapshot.get("dryRun") is True).ready()
        info = self.info()
        engine = self._engine()
        stack = str(snapshot.get("stack", "")) or "stack"
        project = str(snapshot.get("project", "")) or self.project
        engine.servicer.take_logs()
        self._optional(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=stack, project=project, dry_run=self.dry_run
            ),
        )
        self._call("Configure", to_proto(config))
        version = self.version or info.version
        result = StackResult(stack=stack, project=project, resources=len(resources))
        marshaller = Marshaller(resources)

        def collect(response: analyzer_pb2.AnalyzeResponse, urn: str | None) -> None:
            for d in response.diagnostics:
                level = level_from_proto(d.enforcementLevel)
                result.violations.append(
                    Violation(
                        policy_name=d.policyName,
                        policy_pack=d.policyPackName,
                        policy_pack_version=version,
                        enforcement_level="mandatory" if level == "remediate" else level,
                        severity=_SEVERITY_NAMES.get(d.severity, ""),
                        urn=urn if urn is not None else d.urn,
                        description=d.description,
                        message=d.message,
                    )
                )
            for n in response.not_applicable:
                result.not_applicable.append(
                    NotApplicable(n.policy_name, urn if urn is not None else "", n.reason)
                )

        # Every Analyze request is sent before the first answer is awaited: the pack's server
        # answers them on its worker threads, so the round trips overlap instead of adding up.
        # Results and log lines are then taken in resource order, as a sequential run gives them.
        pending: list[tuple[dict[str, Any], Any]] = []
        try:
            for resource in resources:
                pending.append(
                    (resource, self._send("Analyze", marshaller.analyze_request(resource)))
                )
            for resource, answer in pending:
                # The engine reports a resource's diagnostics against that resource's URN.
                collect(self._receive("Analyze", answer), resource["urn"])
        except BaseException:
            # The calls after a failed one are still queued or running in the pack: left there,
            # they would run on into this host's next analysis (preflight diff goes on to the
            # next stack) and their log lines would be read as its own. Cancel them and stop
            # the pack; the next analysis starts a fresh one, as a sequential run would find it.
            for _, answer in pending:
                answer.cancel()
            self.close()
            raise
        order = {str(resource["urn"]): index for index, resource in enumerate(resources)}
        logs = sorted(engine.servicer.take_logs(), key=lambda log: order.get(log.urn, len(order)))
        collect(self._call("AnalyzeStack", marshaller.stack_request()), None)
        result.logs = logs + engine.servicer.take_logs()
        return result
