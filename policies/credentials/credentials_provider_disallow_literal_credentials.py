"""CP-CRD-005: credentials reach providers and dynamic resources only as secrets of the stack.

The program declares no explicit provider: the default providers read ``datadog:apiKey``,
``datadog:appKey``, ``pagerduty:token`` and the GCP credentials from the stack's secret config
(README, "secret keys"), so none is ever written in the program. An explicit provider resource
(``pulumi:providers:<package>``, any package) that sets a credential input is another way in for
a credential the secret catalogue does not hold: refused, whatever its value. The engine names
default providers ``default`` / ``default_<version>`` (``providers.IsDefaultProvider``); those
carry the stack config's secrets and are not checked.

A dynamic resource (any ``pulumi-<runtime>:dynamic`` token) passes its inputs to a provider
running in the program, and the engine stores them in the state. A credential input there must be
kept secret in the state: listed in the resource's ``additional_secret_outputs`` (as the Supabase
resources do, ``components/supabase/resources.py``), which the engine sends with the resource's
options; a policy cannot tell a secret input from a plain one by its value, because the policy
runtime unwraps secrets before a policy reads them (``pulumi_policy/deserialize.py``); offline a
secret input shows as the snapshot's ``[secret]`` marker, which counts as kept secret too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies._lib.config import Schema, string_list
from policies._lib.credentials import looks_like_credential
from policies._lib.gcp import DYNAMIC_TYPE_RE
from policies._lib.meta import Meta
from policies._lib.policy import resource_policy

META = Meta(
    id="CP-CRD-005",
    name="credentials-provider-disallow-literal-credentials",
    description=(
        "Ensure no explicit provider resource sets a credential input and no dynamic resource "
        "keeps a credential in clear in the state, so that every credential comes from the "
        "stack's secret config."
    ),
    severity="critical",
    section="§6 Access Control: scoped tokens, rotating credentials",
    remediation=(
        "Drop the explicit provider and set the credential with `pulumi config set --secret "
        "<package>:<key>` for the default provider; pass a dynamic resource its credential as "
        "a secret and list the input in additional_secret_outputs."
    ),
    on_missing="pass",
    missing_rationale="a provider without credential inputs reads the stack's secret config",
)

CONFIG: Schema = {
    "credentialWords": string_list(
        ["KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIALS", "CREDENTIAL"],
        "An input looks like a credential when a word of its name is one of these.",
    ),
}

_PROVIDER = "pulumi:providers:"
_DEFAULT_PROVIDER = re.compile(r"^default(?:_|$)")
_SECRET_MARKER = re.compile(r"^\[secret(?::[0-9a-f]+)?\]$")
"""How a snapshot shows a secret input (``preflight/snapshot.py``): offline, that is the proof."""


def applies(resource_type: str, _props: Mapping[str, Any], _config: Mapping[str, Any]) -> bool:
    return resource_type.startswith(_PROVIDER) or bool(DYNAMIC_TYPE_RE.match(resource_type))


def check(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Iterator[str]:
    words = {str(w) for w in config["credentialWords"]}
    kept_secret = {str(k) for k in (args.opts.additional_secret_outputs or [])}
    provider = args.resource_type.startswith(_PROVIDER)
    if provider and _DEFAULT_PROVIDER.match(args.name):
        return
    for key in sorted(str(k) for k in iter(args.props)):
        if not looks_like_credential(key, words):
            continue
        value = args.props[key]
        if value is None or value == "":
            continue
        if provider:
            yield (
                f"{key} is set on an explicit provider: set it as the stack's secret config "
                "for the default provider instead"
            )
        elif key not in kept_secret and not _SECRET_MARKER.match(str(value)):
            yield (
                f"{key} is not in additional_secret_outputs, so the dynamic resource keeps the "
                "credential in clear in the state"
            )


POLICY = resource_policy(META, applies_to=applies, check=check, config=CONFIG)
