"""The mock engine the offline preflight runs the program under.

``RecordingMonitor`` sees every ``RegisterResource`` request exactly as the Pulumi engine would
(properties as the serialized protobuf ``Struct``, options, dependencies) and records it;
``ControlPlaneMocks`` answers with plausible computed outputs (service-account e-mails, resource
names) so that wiring between resources resolves to realistic, deterministic values.

With ``preview=True`` the mocks answer the way the engine answers a dry run of a brand-new stack:
no resource exists yet, so the provider assigns no id and every output it would compute (an
e-mail, a full resource name, a URL, a key) is unknown; the inputs the program gave keep their
values. The SDK then treats the empty id and each ``UNKNOWN`` output as unknown
(``pulumi.runtime.resource`` resolves an empty id as unknown during a dry run;
``pulumi.runtime.rpc.deserialize_property`` turns ``UNKNOWN`` into ``Unknown()``), and
``apply`` callbacks over them do not run, exactly as under ``pulumi preview``. Invokes
(``getProject``) still answer: the engine runs them during a preview too.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import resource_pb2

from preflight.snapshot import (
    SECRET_MARKER,
    SECRET_SIG,
    SPECIAL_SIG_KEY,
    STACK_TYPE,
    UNKNOWN,
    secret_marker,
)

# The wire signatures below are not secrets.

_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"

GET_PROJECT = "gcp:organizations/getProject:getProject"
GET_VENDOR = "pagerduty:index/getVendor:getVendor"
GET_PRIORITY = "pagerduty:index/getPriority:getPriority"
GET_GCS_AGENT = "gcp:storage/getProjectServiceAccount:getProjectServiceAccount"
GET_LOGGING_CMEK = "gcp:logging/getProjectCmekSettings:getProjectCmekSettings"


def _digest(*parts: str, length: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass
class Normaliser:
    """Turns a serialized property value into the snapshot's plain JSON form.

    Secrets become ``[secret]`` or, when a fingerprint key is given (for ``preflight diff``),
    ``[secret:<hmac>]`` so a changed value shows as changed without being revealed.
    """

    fingerprint_key: bytes | None = None

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            sig = value.get(SPECIAL_SIG_KEY)
            if sig == SECRET_SIG:
                return self._secret(value.get("value"))
            if sig == _RESOURCE_SIG:
                return value.get("urn", UNKNOWN)
            if sig == _OUTPUT_SIG:
                if value.get("secret"):
                    return self._secret(value.get("value"))
                return self(value["value"]) if "value" in value else UNKNOWN
            if sig in (_ASSET_SIG, _ARCHIVE_SIG):
                return {k: self(v) for k, v in sorted(value.items()) if k != SPECIAL_SIG_KEY}
            return {k: self(v) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value

    def _secret(self, value: Any) -> str:
        if self.fingerprint_key is None or value is None or value == UNKNOWN:
            return SECRET_MARKER
        import json

        text = json.dumps(value, sort_keys=True).encode()
        return secret_marker(hmac.new(self.fingerprint_key, text, hashlib.sha256).hexdigest()[:16])


@dataclass
class Registration:
    """One registered resource, as the engine would have received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    inputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    ignore_changes: list[str]
    replace_on_changes: list[str]
    additional_secret_outputs: list[str]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    id: str | None = None
    """The (mock) provider id of a custom resource; None for components."""

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "inputs": self.inputs,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "deleteBeforeReplace": self.delete_before_replace,
            "ignoreChanges": self.ignore_changes,
            "replaceOnChanges": self.replace_on_changes,
            "additionalSecretOutputs": self.additional_secret_outputs,
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
        }


class ControlPlaneMocks(pulumi_mocks.Mocks):
    """Deterministic outputs for the resource types the program declares.

    ``preview``: answer as the preview of a new stack does (no id, computed outputs unknown).
    """

    def __init__(
        self, project: str, project_number: str = "123456789012", *, preview: bool = False
    ) -> None:
        self.project = project
        self.project_number = project_number
        self.preview = preview

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = self._created(args)
        if not self.preview:
            return resource_id, outputs
        # A dry run creates nothing: what the program passed stays, what the provider would
        # compute is unknown, and so is the id (the engine's response carries an empty one).
        inputs = dict(args.inputs)
        return "", {key: inputs.get(key, UNKNOWN) for key in sorted(outputs)}

    def _created(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """The id and outputs the resource has once the provider has created it."""
        inputs = dict(args.inputs)
        project = inputs.get("project") or self.project
        name = inputs.get("name") or args.name
        computed: dict[str, Any] = {}
        kind = args.typ
        if kind == "gcp:serviceaccount/account:Account":
            email = f"{inputs['accountId']}@{project}.iam.gserviceaccount.com"
            computed = {
                "email": email,
                "member": f"serviceAccount:{email}",
                "name": f"projects/{project}/serviceAccounts/{email}",
                "uniqueId": str(int(_digest(email, length=12), 16)),
            }
            return computed["name"], {**inputs, **computed}
        if kind == "gcp:secretmanager/secret:Secret":
            full = f"projects/{self.project_number}/secrets/{inputs['secretId']}"
            return full, {**inputs, "name": full}
        if kind == "gcp:secretmanager/secretVersion:SecretVersion":
            full = f"{inputs.get('secret', 'secret')}/versions/1"
            return full, {**inputs, "name": full, "version": "1"}
        if kind == "gcp:pubsub/topic:Topic":
            full = f"projects/{project}/topics/{name}"
            return full, {**inputs, "name": name}
        if kind == "gcp:kms/keyRing:KeyRing":
            full = f"projects/{project}/locations/{inputs.get('location')}/keyRings/{name}"
            return full, {**inputs, "name": name}
        if kind == "gcp:kms/cryptoKey:CryptoKey":
            full = f"{inputs.get('keyRing')}/cryptoKeys/{name}"
            return full, {**inputs, "name": name}
        if kind == "gcp:storage/bucket:Bucket":
            computed = {"url": f"gs://{name}", "selfLink": f"storage/v1/b/{name}"}
        elif kind in ("gcp:cloudrunv2/service:Service", "gcp:cloudrunv2/job:Job"):
            region = inputs.get("location", "region")
            computed = {
                "uri": f"https://{name}-{_digest(project, name)}-{region}.a.run.app",
                "name": name,
            }
        elif kind == "gcp:logging/projectSink:ProjectSink":
            computed = {
                "writerIdentity": (
                    f"serviceAccount:service-{self.project_number}"
                    "@gcp-sa-logging.iam.gserviceaccount.com"
                )
            }
        elif kind == "gcp:projects/serviceIdentity:ServiceIdentity":
            service = str(inputs.get("service", "service")).split(".")[0]
            computed = {
                "email": f"service-{self.project_number}@gcp-sa-{service}.iam.gserviceaccount.com"
            }
            computed["member"] = f"serviceAccount:{computed['email']}"
        elif kind == "pulumi-python:dynamic/supabase:SupabaseProjectKeys":
            # Offline stand-ins; they reach the snapshot only as "[secret]".
            computed = {
                "serviceRoleKey": f"offline-service-role-key-{_digest(args.name)}",
                "jwtSecret": f"offline-jwt-secret-{_digest(args.name)}",
            }
        elif kind.startswith("pagerduty:"):
            computed = {"id": "P" + _digest(kind, args.name, length=6).upper()}
            if kind == "pagerduty:index/serviceIntegration:ServiceIntegration":
                computed["integrationKey"] = _digest("key", args.name, length=32)
        elif kind.startswith("datadog:"):
            computed = {"id": str(int(_digest(kind, args.name, length=8), 16))}
        resource_id = str(computed.get("id") or f"{args.name}-id")
        return resource_id, {"name": name, **inputs, **computed}

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == GET_PROJECT:
            project = args.args.get("projectId") or self.project
            return {
                "projectId": project,
                "number": self.project_number,
                "name": project,
                "id": f"projects/{project}",
            }, []
        if args.token == GET_GCS_AGENT:
            email = f"service-{self.project_number}@gs-project-accounts.iam.gserviceaccount.com"
            project = args.args.get("project") or self.project
            return {
                "emailAddress": email,
                "member": f"serviceAccount:{email}",
                "project": project,
                "id": email,
            }, []
        if args.token == GET_LOGGING_CMEK:
            project = args.args.get("project") or self.project
            return {
                "project": project,
                "name": f"projects/{project}/cmekSettings",
                "serviceAccountId": (
                    f"service-{self.project_number}@gcp-sa-logging.iam.gserviceaccount.com"
                ),
                "id": f"projects/{project}/cmekSettings",
            }, []
        if args.token == GET_VENDOR:
            name = str(args.args.get("name", "vendor"))
            return {"id": "P" + _digest("vendor", name, length=6).upper(), "name": name}, []
        if args.token == GET_PRIORITY:
            name = str(args.args.get("name", "priority"))
            return {
                "id": "P" + _digest("priority", name, length=6).upper(),
                "name": name,
                "description": name,
            }, []
        return dict(args.args), []


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that records every registration the way the engine receives it."""

    def __init__(self, mocks: pulumi_mocks.Mocks, normalise: Normaliser) -> None:
        super().__init__(mocks)
        self.normalise = normalise
        self.registrations: list[Registration] = []
        self._types: dict[str, str] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a child's type with its parent's full type chain, and leaves the
        # root stack out of it (the stock mock keeps only the last segment).
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        stack, project = self._stack_project()
        return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"

    @staticmethod
    def _stack_project() -> tuple[str, str]:
        from pulumi.runtime.settings import get_project, get_stack

        return get_stack(), get_project()

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        urn = response.urn
        raw = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
        self.registrations.append(
            Registration(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=request.provider or None,
                inputs=self.normalise(raw),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                delete_before_replace=bool(request.deleteBeforeReplace),
                ignore_changes=sorted(request.ignoreChanges),
                replace_on_changes=sorted(request.replaceOnChanges),
                additional_secret_outputs=sorted(request.additionalSecretOutputs),
                dependencies=sorted(set(request.dependencies)),
                property_dependencies={
                    key: sorted(set(deps.urns))
                    for key, deps in sorted(request.propertyDependencies.items())
                    if deps.urns
                },
                id=(response.id or None) if request.custom else None,
            )
        )
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        return response
