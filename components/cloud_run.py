"""What the Cloud Run service and the Cloud Run jobs share: how a container gets its env vars.

A container sees plain values by value and secrets by reference to their ``latest`` version
(never by value, playbook §3), each group in name order. Services and jobs take the same
shape under different argument types of the Cloud Run v2 API, hence :class:`EnvArgTypes`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import pulumi
import pulumi_gcp as gcp

_Env = TypeVar("_Env")


@dataclass(frozen=True)
class EnvArgTypes(Generic[_Env]):
    """The Cloud Run v2 argument types of one container env var, for a service or a job."""

    env: Callable[..., _Env]
    """The env var (``name`` and either ``value`` or ``value_source``)."""
    value_source: Callable[..., object]
    """Where a secret env var's value comes from."""
    secret_key_ref: Callable[..., object]
    """The secret and version a value source refers to."""


SERVICE_ENV = EnvArgTypes(
    gcp.cloudrunv2.ServiceTemplateContainerEnvArgs,
    gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceArgs,
    gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs,
)
JOB_ENV = EnvArgTypes(
    gcp.cloudrunv2.JobTemplateTemplateContainerEnvArgs,
    gcp.cloudrunv2.JobTemplateTemplateContainerEnvValueSourceArgs,
    gcp.cloudrunv2.JobTemplateTemplateContainerEnvValueSourceSecretKeyRefArgs,
)


def container_envs(
    types: EnvArgTypes[_Env],
    plain: Mapping[str, pulumi.Input[str]],
    secrets: Mapping[str, pulumi.Input[str]],
) -> list[_Env]:
    """The env vars of a container: ``plain`` by value, then ``secrets`` (env var -> secret id)
    by reference to the secret's latest version."""
    return [types.env(name=key, value=plain[key]) for key in sorted(plain)] + [
        types.env(
            name=key,
            value_source=types.value_source(
                secret_key_ref=types.secret_key_ref(secret=secrets[key], version="latest")
            ),
        )
        for key in sorted(secrets)
    ]
