"""What the pack knows about pulumi-gcp 10.x resource shapes (type tokens and camelCase inputs).

Checked against the installed SDK by tests/policies/test_gcp_shapes.py, so an SDK upgrade that
renames a token or an input fails a test instead of silently passing every policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from policies._lib.props import Unknown, get, is_missing, peek, size

IAM_CLASS_RE = re.compile(r"(?i)iam(?P<kind>member|binding|policy)$")
"""The class part of every IAM grant token (``IAMMember``, ``ServiceIamBinding``, ...)."""

CLOUD_RUN_SERVICE = "gcp:cloudrunv2/service:Service"
CLOUD_RUN_JOB = "gcp:cloudrunv2/job:Job"
CLOUD_RUN_WORKER_POOL = "gcp:cloudrunv2/workerPool:WorkerPool"
CLOUD_RUN_SERVICE_IAM_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
CLOUD_RUN_SERVICE_IAM_BINDING = "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding"

CLOUD_RUN_SERVICE_ACCOUNT_PATHS: dict[str, str] = {
    CLOUD_RUN_SERVICE: "template.serviceAccount",
    CLOUD_RUN_JOB: "template.template.serviceAccount",
    CLOUD_RUN_WORKER_POOL: "template.serviceAccount",
}
"""Where each Cloud Run v2 workload names the service account it runs as."""

CLOUD_RUN_V1_SERVICE = "gcp:cloudrun/service:Service"
CLOUD_FUNCTION = "gcp:cloudfunctions/function:Function"
CLOUD_FUNCTION_V2 = "gcp:cloudfunctionsv2/function:Function"

WORKLOAD_SERVICE_ACCOUNT_PATHS: dict[str, str] = {
    **CLOUD_RUN_SERVICE_ACCOUNT_PATHS,
    CLOUD_RUN_V1_SERVICE: "template.spec.serviceAccountName",
    CLOUD_FUNCTION: "serviceAccountEmail",
    CLOUD_FUNCTION_V2: "serviceConfig.serviceAccountEmail",
}
"""Every serverless workload type that runs code as a service account (Cloud Run v2 and v1,
Cloud Functions 1st and 2nd gen), and where it names that account: the same capability under
another type token is judged alike."""

ENV_LIST_KEYS = ("envs",)
"""Keys of lists of ``{name, value | valueSource/valueFrom}`` (Cloud Run v2 and v1)."""
ENV_MAP_KEYS = ("environmentVariables", "buildEnvironmentVariables")
"""Keys of ``{NAME: value}`` maps (Cloud Functions, ``buildConfig`` of 2nd gen)."""
ARGUMENT_KEYS = ("args", "commands", "command")
"""Keys of container argument and command lists (Cloud Run v2: ``args``/``commands``; v1:
``args``/``commands``; Cloud Run jobs the same under ``template.template``)."""

SERVICE_ACCOUNT_KEY = "gcp:serviceaccount/key:Key"
# A type token, not a credential.
SECRET = "gcp:secretmanager/secret:Secret"  # noqa: S105  # nosec B105
REGIONAL_SECRET = "gcp:secretmanager/regionalSecret:RegionalSecret"  # noqa: S105  # nosec B105
"""The same capability as ``SECRET`` in one region: rotation, CMEK and accessors apply alike."""
BUCKET = "gcp:storage/bucket:Bucket"
KMS_CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
PROJECT_LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
PROJECT_AUDIT_CONFIG = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
DATADOG_MONITOR = "datadog:index/monitor:Monitor"
DYNAMIC_RESOURCE = "pulumi-python:dynamic:Resource"
"""A Python dynamic resource declared without ``module``/``name``; ``resourceKind`` names it."""
SUPABASE_SETTINGS = "pulumi-python:dynamic/supabase:SupabaseSettings"
"""components/supabase_provider.py's ``SupabaseSettings(Resource, module="supabase", ...)``."""
SUPABASE_RESOURCE_KIND = "supabase-settings"


DYNAMIC_TYPE_RE = re.compile(r"^pulumi-[a-z]+:dynamic(?:/|:)")
"""Any dynamic resource, whatever module and class it is declared with (``pulumi-python:dynamic:
Resource``, ``pulumi-python:dynamic/<module>:<Name>``, and the Node.js runtime's)."""
SUPABASE_SETTINGS_SECTIONS = ("sslEnforcement", "auth", "network", "pitr", "pooler", "api")


def looks_like_supabase_settings(resource_type: str, props: Mapping[str, Any]) -> bool:
    """A dynamic resource of any type token shaped like the Supabase settings: a ``projectRef``
    and one of the settings sections. An imitation under another token is judged alike."""
    if not DYNAMIC_TYPE_RE.match(resource_type) or not isinstance(props, Mapping):
        return False
    keys = set(iter(props))
    return "projectRef" in keys and any(k in keys for k in SUPABASE_SETTINGS_SECTIONS)


def is_dynamic_kind(
    resource_type: str, props: Mapping[str, Any], types: list[str], kinds: list[str]
) -> bool:
    """A dynamic resource by type token, a generic one by its ``resourceKind`` input, or, when
    ``types`` names the Supabase settings, any dynamic resource shaped like them."""
    if resource_type in types:
        return True
    if SUPABASE_SETTINGS in types and looks_like_supabase_settings(resource_type, props):
        return True
    return resource_type == DYNAMIC_RESOURCE and get(props, "resourceKind") in kinds


def iam_kind(resource_type: str) -> str | None:
    """``member``, ``binding`` or ``policy`` for a GCP IAM grant type, else None."""
    if not resource_type.startswith("gcp:"):
        return None
    match = IAM_CLASS_RE.search(resource_type.rsplit(":", 1)[-1])
    return match.group("kind").lower() if match else None


def is_iam_grant(resource_type: str, _props: Mapping[str, Any], _config: Mapping[str, Any]) -> bool:
    return iam_kind(resource_type) is not None


IDENTITY_OUTPUTS: dict[str, str] = {
    "gcp:serviceaccount/account:Account": "email, member",
    "gcp:projects/serviceIdentity:ServiceIdentity": "email, member",
    "gcp:logging/projectSink:ProjectSink": "writerIdentity",
}
"""Resource types whose outputs name a Google service account (value: those outputs): a user-
managed service account, a service agent, a log sink's writer identity. None of them can name
a person, a group or the public."""

SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"


@dataclass(frozen=True)
class Grant:
    """One (role, member) pair an IAM resource grants, and where it is written.

    During a preview the role or the member can be ``Unknown`` (built from an output of a
    resource that does not exist yet); a check that needs such a value calls its
    ``undecided()``, or leaves an unknown member to the stack policy that resolves it.
    """

    role: str | Unknown
    member: str | Unknown
    where: str

    @property
    def member_key(self) -> str:
        """The top-level input the member is written in (``member``, ``members``, ...), the key
        of the engine's ``propertyDependencies``."""
        return self.where.split("[", 1)[0].split(".", 1)[0]


def _text(value: Any) -> str | Unknown:
    return value if isinstance(value, Unknown) else str(value)


def iam_grants(resource_type: str, props: Mapping[str, Any]) -> tuple[list[Grant], list[str]]:
    """The grants of an IAM member, binding or policy resource, and any reasons it is unreadable.

    Missing ``role``/``member(s)`` give no grant: the provider rejects such a resource, so it
    grants nothing. A ``policyData`` that is not an IAM policy document is unreadable, which the
    caller reports (a policy that cannot be read cannot be shown to be safe).
    """
    kind = iam_kind(resource_type)
    grants: list[Grant] = []
    if kind == "member":
        role, member = peek(props, "role"), peek(props, "member")
        if not is_missing(role) and not is_missing(member):
            grants.append(Grant(_text(role), _text(member), "member"))
        return grants, []
    if kind == "binding":
        role = peek(props, "role")
        if not is_missing(role):
            members = get(props, "members")  # a wholly unknown list cannot be enumerated
            for index in range(size(members)):
                member = _item(members, index)
                if member is not None:
                    grants.append(Grant(_text(role), _text(member), f"members[{index}]"))
        return grants, []
    if kind == "policy":
        data = get(props, "policyData")
        if is_missing(data):
            return grants, []
        try:
            document = json.loads(str(data))
        except ValueError:
            return grants, ["policyData is not valid JSON, so its grants cannot be checked"]
        if not isinstance(document, dict):
            return grants, ["policyData is not an IAM policy object, so it cannot be checked"]
        for b_index, binding in enumerate(document.get("bindings") or []):  # known: it parsed
            if not isinstance(binding, dict) or "role" not in binding:
                continue
            for m_index, member in enumerate(binding.get("members") or []):
                where = f"policyData.bindings[{b_index}].members[{m_index}]"
                grants.append(Grant(str(binding["role"]), str(member), where))
        return grants, []
    return grants, []


def _item(values: Any, index: int) -> Any:
    """Element ``index`` of a list property (``Unknown`` when unknown, None when null)."""
    try:
        return values[index]
    except UnknownValueError as err:
        return Unknown(err)
