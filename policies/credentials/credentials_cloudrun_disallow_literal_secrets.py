"""CP-CRD-001: credential-like env vars of Cloud Run workloads come from Secret Manager.

Every serverless workload type is checked (Cloud Run v2 services, jobs and worker pools, Cloud Run
v1 services, Cloud Functions of both generations), in every spelling of a credential's name
(``Api_Key``, ``APIKEY``, ``pass_wd``, ``authToken``: ``policies/_lib/credentials.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, string_list
from policies._lib.credentials import looks_like_credential
from policies._lib.gcp import ENV_LIST_KEYS, ENV_MAP_KEYS, WORKLOAD_SERVICE_ACCOUNT_PATHS
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy, types
from policies._lib.props import as_list, as_mapping, find_key, get, is_missing, present

META = Meta(
    id="CP-CRD-001",
    name="credentials-cloudrun-disallow-literal-secrets",
    description=(
        "Ensure Cloud Run environment variables whose names look like credentials take their "
        "value from Secret Manager (valueSource.secretKeyRef), never from a literal value."
    ),
    severity="critical",
    section="§2 Environment Matrix: vault-backed environment variables in shared environments",
    remediation=(
        "Store the value in a Secret Manager secret (the secret catalogue), grant the workload's "
        "service account secretAccessor on it, and reference it with "
        "value_source.secret_key_ref instead of value."
    ),
    on_missing="violation",
    missing_rationale=(
        "a credential-named variable without a secret reference is either empty or filled in "
        "out of band; both bypass the secret catalogue"
    ),
)

CONFIG: Schema = {
    "credentialWords": string_list(
        [
            "KEY",
            "APIKEY",
            "TOKEN",
            "SECRET",
            "PASSWORD",
            "PASSWD",
            "PWD",
            "CREDENTIAL",
            "CREDENTIALS",
            "PRIVATE",
            "DSN",
        ],
        "A variable looks like a credential when one of the words of its name (split on "
        "separators and camelCase, case-insensitive) is one of these, or when its name without "
        "separators contains one of these of five letters or more (APIKEY, PASSWD, TOKEN).",
    ),
}


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    words = {str(w).upper() for w in config["credentialWords"]}
    for key in ENV_LIST_KEYS:
        for path, envs in find_key(args.props, key):
            for index, env in enumerate(as_list(envs)):
                name = get(env, "name")
                if is_missing(name) or not looks_like_credential(str(name), words):
                    continue
                where = f"{path}[{index}]"
                reference = get(env, "valueSource.secretKeyRef")
                v1_reference = get(env, "valueFrom.secretKeyRef")
                if present(env, "value"):
                    yield (
                        f"{where} {name} has a literal value: reference a Secret Manager secret "
                        "with valueSource.secretKeyRef instead"
                    )
                elif not present(reference, "secret") and not present(v1_reference, "name"):
                    yield (
                        f"{where} {name} has no valueSource.secretKeyRef.secret: reference the "
                        "Secret Manager secret that holds it"
                    )
    for key in ENV_MAP_KEYS:
        for path, variables in find_key(args.props, key):
            for name in list(iter(as_mapping(variables))):
                if looks_like_credential(str(name), words):
                    yield (
                        f"{path}.{name} has a literal value: reference a Secret Manager secret "
                        "(secretEnvironmentVariables) instead"
                    )


POLICY = resource_policy(
    META, applies_to=types(*WORKLOAD_SERVICE_ACCOUNT_PATHS), check=check, config=CONFIG
)
