"""Snapshot resources as the engine marshals them for an Analyzer.

The engine sends a resource's inputs to ``Analyze`` (and, for a preview of new resources, the
same values to ``AnalyzeStack``) through ``MarshalProperties`` with ``KeepUnknowns``,
``KeepSecrets`` and ``SkipInternalKeys``. Offline that means:

* keys that start with ``__`` (internal: ``__provider`` of dynamic resources, ``__defaults``) are
  dropped at every level;
* a secret is a signature object ``{"4dabf...": "1b470...", "value": ...}``; the snapshot only
  keeps the ``[secret]`` marker, which goes inside it (the value is never there to send);
* unknowns keep their sentinel string, so the pack raises its "can't run during preview"
  advisory exactly as it does under ``pulumi preview``;
* numbers become doubles (protobuf ``Struct``).

Not reproduced: properties a provider's ``Check`` would add (defaults, autonames), and output
properties a real ``AnalyzeStack`` would see (the engine sends it each resource's outputs). What
the policies see therefore depends on how the snapshot was synthesized:

* an update snapshot (``synth --mode update``) has concrete mock values wherever the program
  wired one resource's output into another's input: that is what ``Analyze`` sees during
  ``pulumi up`` and during a preview of a stack whose resources exist. It is *not* what a preview
  of a brand-new stack sees;
* a preview snapshot (``synth --mode preview``, ``"dryRun": true``) has the unknown sentinel for
  every input built from a provider-computed output (a service account's e-mail, a secret's
  name), as the first ``pulumi preview`` and the preview step of the first ``pulumi up`` send it.

One output is added to ``AnalyzeStack`` only: a custom resource's ``id`` (the snapshot's mock id,
so update snapshots only; a preview has no ids), as the engine's stack analysis of ``pulumi up``
sees it among a bridged resource's outputs, so that stack policies can resolve references by id
(an escalation rule's schedule targets). ``AnalyzeStack`` also carries each resource's
``dependencies`` and ``propertyDependencies``, which ``Analyze`` never does: a resource policy
sees only the resource itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from preflight.snapshot import SECRET_SIG, SPECIAL_SIG_KEY, is_secret_marker


def _marshal(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _marshal(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list | tuple):
        return [_marshal(v) for v in value]
    if is_secret_marker(value):
        return {SPECIAL_SIG_KEY: SECRET_SIG, "value": value}
    return value


def properties(inputs: Mapping[str, Any]) -> struct_pb2.Struct:
    """The ``properties`` Struct for a resource's inputs."""
    struct = struct_pb2.Struct()
    struct.update(_marshal(inputs))
    return struct


def _name_from_urn(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _type_from_urn(urn: str) -> str:
    parts = urn.split("::")
    return parts[-2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def _identity(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The urn, type and name fields of a resource's analyzer message (the name taken from the
    URN when the record has none)."""
    urn = resource["urn"]
    return {
        "urn": urn,
        "type": resource["type"],
        "name": str(resource.get("name") or _name_from_urn(urn)),
    }


def options(resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
    """Resource options as the engine sends them (``protect``, ``parent``, ...)."""
    delete_before_replace = bool(resource.get("deleteBeforeReplace", False))
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(resource.get("protect", False)),
        ignoreChanges=[str(x) for x in resource.get("ignoreChanges", [])],
        deleteBeforeReplace=delete_before_replace,
        deleteBeforeReplaceDefined=delete_before_replace,
        additionalSecretOutputs=[str(x) for x in resource.get("additionalSecretOutputs", [])],
        aliases=[],
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
        parent=str(resource.get("parent") or ""),
    )


class Marshaller:
    """Turns the resources of one snapshot into Analyzer requests."""

    def __init__(self, resources: list[dict[str, Any]]) -> None:
        self.resources = resources
        self._by_urn = {r["urn"]: r for r in resources}
        self._props: dict[str, struct_pb2.Struct] = {}

    def props(self, resource: Mapping[str, Any]) -> struct_pb2.Struct:
        urn = resource["urn"]
        if urn not in self._props:
            self._props[urn] = properties(resource.get("inputs") or {})
        return self._props[urn]

    def stack_props(self, resource: Mapping[str, Any]) -> struct_pb2.Struct:
        """Inputs plus the resource's id, as the stack analysis of an update sees them."""
        inputs = resource.get("inputs") or {}
        if resource.get("id") and "id" not in inputs:
            return properties({**inputs, "id": resource["id"]})
        return self.props(resource)

    def provider(self, resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerProviderResource | None:
        """The provider the resource is bound to (a ``<urn>::<id>`` reference), if any."""
        ref = resource.get("provider")
        if not ref:
            return None
        urn = str(ref).rsplit("::", 1)[0] if str(ref).count("::") >= 4 else str(ref)
        known = self._by_urn.get(urn)
        return analyzer_pb2.AnalyzerProviderResource(
            urn=urn,
            type=str(known["type"]) if known else _type_from_urn(urn),
            name=_name_from_urn(urn),
            properties=self.props(known) if known else struct_pb2.Struct(),
        )

    def analyze_request(self, resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzeRequest:
        request = analyzer_pb2.AnalyzeRequest(
            **_identity(resource),
            properties=self.props(resource),
            options=options(resource),
        )
        provider = self.provider(resource)
        if provider is not None:
            request.provider.CopyFrom(provider)
        return request

    def stack_request(self) -> analyzer_pb2.AnalyzeStackRequest:
        request = analyzer_pb2.AnalyzeStackRequest()
        for resource in self.resources:
            item = analyzer_pb2.AnalyzerResource(
                **_identity(resource),
                properties=self.stack_props(resource),
                options=options(resource),
                parent=str(resource.get("parent") or ""),
                dependencies=[str(d) for d in resource.get("dependencies", [])],
            )
            for key, urns in (resource.get("propertyDependencies") or {}).items():
                if urns:
                    item.propertyDependencies[key].urns.extend(str(u) for u in urns)
            provider = self.provider(resource)
            if provider is not None:
                item.provider.CopyFrom(provider)
            request.resources.append(item)
        return request
