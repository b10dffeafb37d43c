"""Decode each resource's properties once per analysis, not once per policy.

The Python policy runtime (pulumi-policy 1.21.0, ``pulumi_policy/policy.py``) turns a resource's
``google.protobuf.Struct`` into the props a policy sees, with
``unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(...)))``, inside its
loop over the policies: ``Analyze`` does it for every resource policy (line 997), and
``AnalyzeStack`` for every resource of the stack, again for every stack policy (line 1049). With
this pack's 42 policies that is about 7,000 decodings of a 174-resource stack, most of the time a
check takes; the Pulumi CLI pays it as ``preflight check`` does, since both run the same runtime.

``install()`` makes the runtime decode each distinct properties message once while ``Analyze`` or
``AnalyzeStack`` runs, and hand every policy the same read-only props:

- the key is the message's deterministic serialization, so equal properties (the same resource in
  ``Analyze`` and then in ``AnalyzeStack``) share one decoding, and different ones never do;
- the props are the runtime's own proxies (``UnknownValueError`` on an unknown value, exactly as
  before), except that assigning into them raises ``TypeError``: one policy cannot change what
  the next one sees;
- the cache is emptied when an ``AnalyzeStack`` ends and when the stack or the config changes, so a
  pack process that serves several stacks never mixes them;
- a resource's provider properties, decoded in the same calls, are shared the same way;
- everything else (``Remediate`` with its secret-preserving proxies, the policy config in
  ``Configure``) keeps the runtime's own path.

It replaces three names in ``pulumi_policy.policy`` and wraps four servicer methods. When the
runtime is not the version read here, or lacks one of them, ``install()`` changes nothing and says
why: the pack is then as correct as before, only slower (``tests/policies/test_decode_once.py``
pins both outcomes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulumi_policy.policy as runtime
from google.protobuf import json_format, struct_pb2
from pulumi_policy.proxy import _DictProxy, _ListProxy, unknown_checking_proxy
from pulumi_policy.version import VERSION

RUNTIME_VERSION = "1.21.0"
"""The pulumi-policy version whose ``policy.py`` this module was written against."""

_NAMES = ("json_format", "deserialize_properties", "unknown_checking_proxy")
_WRAPPED = ("Analyze", "AnalyzeStack", "Configure", "ConfigureStack")
_MAX_ENTRIES = 20_000
"""A bound on the cache (a stack far larger than this project's simply decodes again)."""


class FrozenDictProxy(_DictProxy):
    """The runtime's dict proxy, shared between policies, so it refuses assignment."""

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TypeError(
            "resource props are shared by every policy of the pack: copy them before changing them"
        )


def _frozen_proxy(value: Any, path: list[str]) -> Any:
    """``pulumi_policy.proxy._proxy_helper`` with ``FrozenDictProxy`` for dicts."""
    if isinstance(value, list):
        return _ListProxy(
            [_frozen_proxy(item, [*path, str(i)]) for i, item in enumerate(value)], path
        )
    if isinstance(value, dict):
        return FrozenDictProxy(
            {key: _frozen_proxy(item, [*path, str(key)]) for key, item in value.items()}, path
        )
    return value


class _Entry:
    __slots__ = ("decoded", "props", "raw")

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.decoded: dict[str, Any] | None = None
        self.props: Any = None


class _Cache:
    """Decodings by serialized message, and the same entries by the identity of what the runtime
    holds between its three calls (the raw dict, then the deserialized dict)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_bytes: dict[bytes, _Entry] = {}
        self.by_raw: dict[int, _Entry] = {}
        self.by_decoded: dict[int, _Entry] = {}
        self.active = threading.local()

    def is_active(self) -> bool:
        return getattr(self.active, "depth", 0) > 0

    @contextmanager
    def analysis(self, *, clear_after: bool) -> Iterator[None]:
        self.active.depth = getattr(self.active, "depth", 0) + 1
        try:
            yield
        finally:
            self.active.depth -= 1
            if clear_after:
                self.clear()

    def clear(self) -> None:
        with self.lock:
            self.by_bytes.clear()
            self.by_raw.clear()
            self.by_decoded.clear()

    def raw(self, message: struct_pb2.Struct) -> dict[str, Any]:
        key = message.SerializeToString(deterministic=True)
        with self.lock:
            entry = self.by_bytes.get(key)
            if entry is not None:
                return entry.raw
        raw: dict[str, Any] = json_format.MessageToDict(message)
        with self.lock:
            if len(self.by_bytes) >= _MAX_ENTRIES:
                self.by_bytes.clear()
                self.by_raw.clear()
                self.by_decoded.clear()
            entry = self.by_bytes.setdefault(key, _Entry(raw))
            self.by_raw[id(entry.raw)] = entry
            return entry.raw

    def decoded(self, raw: dict[str, Any], decode: Callable[[dict[str, Any]], Any]) -> Any:
        with self.lock:
            entry = self.by_raw.get(id(raw))
        if entry is None or entry.raw is not raw:
            return decode(raw)
        with self.lock:
            if entry.decoded is None:
                entry.decoded = decode(raw)
                self.by_decoded[id(entry.decoded)] = entry
            return entry.decoded

    def props(self, decoded: dict[str, Any]) -> Any:
        with self.lock:
            entry = self.by_decoded.get(id(decoded))
            if entry is None or entry.decoded is not decoded:
                return None
            if entry.props is None:
                entry.props = _frozen_proxy(decoded, [])
            return entry.props


_CACHE = _Cache()


class _JsonFormat:
    """``google.protobuf.json_format`` as ``pulumi_policy.policy`` sees it: ``MessageToDict`` of a
    ``Struct`` during an analysis comes from the cache, everything else is the real module."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(message, struct_pb2.Struct):
            return json_format.MessageToDict(message, *args, **kwargs)
        if not _CACHE.is_active():
            return json_format.MessageToDict(message)
        return _CACHE.raw(message)


def _deserialize_properties(
    decode: Callable[..., dict[str, Any]],
) -> Callable[..., dict[str, Any]]:
    def deserialize_properties(props: dict[str, Any], proxy_secrets: bool = False) -> Any:
        if proxy_secrets or not _CACHE.is_active():
            return decode(props, proxy_secrets)
        return _CACHE.decoded(props, decode)

    return deserialize_properties


def _unknown_checking_proxy(props: dict[str, Any]) -> Any:
    if _CACHE.is_active():
        shared = _CACHE.props(props)
        if shared is not None:
            return shared
    return unknown_checking_proxy(props)


def _wrap(method: Callable[..., Any], *, analysis: bool, clear_after: bool) -> Callable[..., Any]:
    def wrapped(self: Any, request: Any, context: Any) -> Any:
        if not analysis:
            _CACHE.clear()
            return method(self, request, context)
        with _CACHE.analysis(clear_after=clear_after):
            return method(self, request, context)

    wrapped.__wrapped__ = method  # type: ignore[attr-defined]
    wrapped.__name__ = method.__name__
    return wrapped


def why_not() -> str | None:
    """Why ``install()`` would leave the runtime alone, or ``None`` when it can install."""
    if VERSION != RUNTIME_VERSION:
        return f"pulumi-policy {VERSION} is not {RUNTIME_VERSION}, the version this was read from"
    missing = [name for name in _NAMES if not hasattr(runtime, name)]
    servicer = getattr(runtime, "_PolicyAnalyzerServicer", None)
    if servicer is None:
        missing.append("_PolicyAnalyzerServicer")
    else:
        missing += [name for name in _WRAPPED if not callable(getattr(servicer, name, None))]
    if missing:
        return f"pulumi_policy.policy has no {', '.join(missing)}"
    return None


def installed() -> bool:
    servicer = getattr(runtime, "_PolicyAnalyzerServicer", None)
    return servicer is not None and hasattr(servicer.Analyze, "__wrapped__")


_ORIGINALS: dict[str, Any] = {}


def install() -> str | None:
    """Decode once per analysis from now on; returns why not, or ``None`` when installed."""
    reason = why_not()
    if reason is not None or installed():
        return reason
    servicer = runtime._PolicyAnalyzerServicer
    _ORIGINALS.update(
        {name: getattr(runtime, name) for name in _NAMES},
        **{f"servicer.{name}": getattr(servicer, name) for name in _WRAPPED},
    )
    runtime.json_format = _JsonFormat()  # type: ignore[assignment]
    runtime.deserialize_properties = _deserialize_properties(runtime.deserialize_properties)
    runtime.unknown_checking_proxy = _unknown_checking_proxy
    for name in _WRAPPED:
        analysis = name.startswith("Analyze")
        wrapped = _wrap(
            getattr(servicer, name), analysis=analysis, clear_after=name == "AnalyzeStack"
        )
        setattr(servicer, name, wrapped)
    return None


def uninstall() -> None:
    """Give the runtime its own functions back (for tests that compare both)."""
    if not installed():
        return
    servicer = runtime._PolicyAnalyzerServicer
    for name, value in _ORIGINALS.items():
        if name.startswith("servicer."):
            setattr(servicer, name.removeprefix("servicer."), value)
        else:
            setattr(runtime, name, value)
    _ORIGINALS.clear()
    _CACHE.clear()
