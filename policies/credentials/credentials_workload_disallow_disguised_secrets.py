"""CP-CRD-004: no credential sits in a workload's plain values, whatever it is called.

CP-CRD-001 judges variables by name. A credential can also hide under an innocent name
(``DATABASE_URL=postgres://app:hunter2@db``), in a container's ``args`` or ``commands``
(``--db-password=...``), or in a Cloud Functions variable map. This policy reads the values:
every literal env value, argument and command of every serverless workload type (Cloud Run v2
and v1, Cloud Functions) is checked against the shapes of ``policies/_lib/credentials.py``: a
URL with a password, a token with a published prefix (``sk_live_``, ``ghp_``, ``AKIA``,
``xoxb-``...), a JWT, a PEM private key, a flag that carries a credential, or a long
random-looking string. Secret references (``valueSource.secretKeyRef``) are never values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policies._lib.credentials import secret_like_value
from policies._lib.gcp import (
    ARGUMENT_KEYS,
    ENV_LIST_KEYS,
    ENV_MAP_KEYS,
    WORKLOAD_SERVICE_ACCOUNT_PATHS,
)
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types
from policies._lib.props import as_mapping, find_key, is_missing, is_unknown, peek, size

META = Meta(
    id="CP-CRD-004",
    name="credentials-workload-disallow-disguised-secrets",
    description=(
        "Ensure no literal environment value, argument or command of a serverless workload "
        "holds a credential (a connection string with a password, a known token prefix, a JWT, "
        "a private key, a random-looking key), whatever its name."
    ),
    severity="critical",
    section="§2 Environment Matrix: vault-backed environment variables in shared environments",
    remediation=(
        "Move the value into a Secret Manager secret and reference it with "
        "valueSource.secretKeyRef (Cloud Functions: secretEnvironmentVariables); pass the "
        "workload the secret's name, never its value, on the command line."
    ),
    on_missing="pass",
    missing_rationale="a workload without literal values carries no credential in them",
)


def _values(props: Any) -> Iterator[tuple[str, str]]:
    """``(where, literal value)`` of every env value, argument and command below ``props``.

    A value unknown until apply is built from another resource's output (a service's URL), not
    written in the program, so it is no literal; during an update nothing is unknown
    (inventory-resource-disallow-unknown-values)."""
    for key in ENV_LIST_KEYS:
        for path, envs in find_key(props, key):
            for index in range(size(envs)):
                value = peek(_item(envs, index), "value")
                if not is_missing(value) and not is_unknown(value):
                    yield f"{path}[{index}] {peek(_item(envs, index), 'name')}", str(value)
    for key in ENV_MAP_KEYS:
        for path, variables in find_key(props, key):
            mapping = as_mapping(variables)
            for name in list(iter(mapping)):
                value = peek(mapping, str(name))
                if not is_missing(value) and not is_unknown(value):
                    yield f"{path}.{name}", str(value)
    for key in ARGUMENT_KEYS:
        for path, items in find_key(props, key):
            for index in range(size(items)):
                item = _item(items, index)
                if item is not None:
                    yield f"{path}[{index}]", str(item)


def _item(values: Any, index: int) -> Any:
    """Element ``index`` of a list, or None when it is unknown until apply."""
    try:
        return values[index]
    except UnknownValueError:
        return None


def check(args: ResourceValidationArgs, _config: Mapping[str, Any]) -> Iterator[str]:
    for where, value in _values(args.props):
        why = secret_like_value(value)
        if why is not None:
            # Never the value itself: the message says where and what kind.
            yield (
                f"{where} holds {why} in plain text: keep it in Secret Manager and reference "
                "the secret"
            )


POLICY = resource_policy(META, applies_to=types(*WORKLOAD_SERVICE_ACCOUNT_PATHS), check=check)
