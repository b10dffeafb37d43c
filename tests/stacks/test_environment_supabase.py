"""Supabase of each stack (playbook §3, §6, §7) as ``Pulumi.<stack>.yaml`` declares it, read from
its snapshot.

The settings resource carries SSL enforcement everywhere, network restrictions in staging and
prod and point-in-time recovery in prod; it is protected where it holds customer data. The
project's service-role key and JWT secret reach the rest of the program only as Secret Manager
secret versions (the value shows as ``[secret]``), and services read them by reference.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from pulumi.runtime.mocks import MockResourceArgs

from preflight.cli import ROOT
from preflight.mocks import ControlPlaneMocks
from tests.support.snapshots import resources_of

SETTINGS = "pulumi-python:dynamic/supabase:SupabaseSettings"
KEYS = "pulumi-python:dynamic/supabase:SupabaseProjectKeys"
COMPONENT = "controlplane:supabase:SupabaseProject"
SECRET = "gcp:secretmanager/secret:Secret"
VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
CLOUD_RUN = ("gcp:cloudrunv2/service:Service", "gcp:cloudrunv2/job:Job")
MARKER = "[secret]"

STACKS = ("dev", "staging", "prod")
RESTRICTED = ("staging", "prod")
PROTECTED = ("staging", "prod")

# The keys the Supabase component reads (its outputs) -> the secret catalogue entry that stores
# them (`controlplane:secrets` in every stack file).
KEY_SECRETS = {
    "serviceRoleKey": "supabase-service-role-key",
    "jwtSecret": "supabase-jwt-secret",
}


@functools.cache
def stack_file(stack: str) -> dict[str, Any]:
    """The ``config:`` map of ``Pulumi.<stack>.yaml``."""
    return dict(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"])


def the(snapshot: dict[str, Any], type_token: str) -> dict[str, Any]:
    found = resources_of(snapshot, type_token)
    assert len(found) == 1, f"{snapshot['stack']}: {[r['urn'] for r in found]} of {type_token}"
    return found[0]


def mock_outputs(stack: str, resource: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The id and outputs the synthesis's mocks gave ``resource``."""
    mocks = ControlPlaneMocks(str(stack_file(stack)["gcp:project"]))
    return mocks.new_resource(
        MockResourceArgs(resource["type"], resource["name"], dict(resource["inputs"]), None, None)
    )


def referrers(snapshot: dict[str, Any], urn: str) -> list[dict[str, Any]]:
    """Resources that depend on ``urn`` (as a whole or through a property)."""
    return [
        r
        for r in snapshot["resources"]
        if urn in r["dependencies"]
        or any(urn in urns for urns in r["propertyDependencies"].values())
    ]


def env_entries(value: Any, names: set[str]) -> Iterator[dict[str, Any]]:
    """Every container env entry (``{"name": ..., "value"|"valueSource": ...}``) in ``value``."""
    if isinstance(value, dict):
        if value.get("name") in names and ("value" in value or "valueSource" in value):
            yield value
        for item in value.values():
            yield from env_entries(item, names)
    elif isinstance(value, list):
        for item in value:
            yield from env_entries(item, names)


def reader_kind(stack: str, resource: dict[str, Any]) -> str:
    """The catalogue's reader name of a Cloud Run service (agent, frontend) or job."""
    if resource["type"] == "gcp:cloudrunv2/job:Job":
        return "maintenance"
    return str(resource["name"]).removeprefix(f"acme-{stack}-").removesuffix("-service")


# --- Settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_ssl_is_enforced_in_every_stack(snapshots, stack: str) -> None:
    # Playbook §6: "Data Protection: Encrypt at rest (Supabase), TLS in transit".
    settings = the(snapshots[stack], SETTINGS)
    urn, inputs = settings["urn"], settings["inputs"]
    assert inputs["sslEnforcement"] == {"database": True}, urn
    assert inputs["projectRef"] == stack_file(stack)["controlplane:supabase"]["projectRef"], urn


@pytest.mark.parametrize("stack", RESTRICTED)
def test_network_is_restricted_in_staging_and_prod(snapshots, stack: str) -> None:
    # Playbook §6: "Access Control: Principle of least privilege".
    settings = the(snapshots[stack], SETTINGS)
    urn = settings["urn"]
    restrictions = settings["inputs"]["network"]["restrictions"]
    assert restrictions, f"{urn}: no network restriction"
    for cidr in restrictions:
        network = ipaddress.ip_network(cidr)
        assert network.prefixlen > 0, f"{urn}: {cidr} lets every address connect"
    assert "0.0.0.0/0" not in restrictions and "::/0" not in restrictions, urn
    configured = stack_file(stack)["controlplane:supabase"]["network"]["restrictions"]
    assert restrictions == configured, urn


def test_prod_has_point_in_time_recovery(snapshots) -> None:
    # Playbook §7: "Backups: Supabase nightly backups + weekly verification restore".
    settings = the(snapshots["prod"], SETTINGS)
    backups = stack_file("prod")["controlplane:supabase"]["backups"]
    assert settings["inputs"]["pitr"] == {
        "pitr_enabled": True,
        "addon_variant": f"pitr_{backups['pitrRetentionDays']}",
    }, settings["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_settings_are_protected_in_staging_and_prod(snapshots, stack: str) -> None:
    settings = the(snapshots[stack], SETTINGS)
    component = the(snapshots[stack], COMPONENT)
    assert settings["parent"] == component["urn"], settings["urn"]
    assert settings["protect"] is (stack in PROTECTED), settings["urn"]
    assert component["protect"] is (stack in PROTECTED), component["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_management_token_is_a_secret(snapshots, stack: str) -> None:
    for resource in (the(snapshots[stack], SETTINGS), the(snapshots[stack], KEYS)):
        assert resource["inputs"]["accessToken"] == MARKER, resource["urn"]
        assert "accessToken" in resource["additionalSecretOutputs"], resource["urn"]


# --- Keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_supabase_keys_land_only_as_secret_manager_versions(snapshots, stack: str) -> None:
    snapshot = snapshots[stack]
    resources = {r["urn"]: r for r in snapshot["resources"]}
    keys = the(snapshot, KEYS)
    assert set(KEY_SECRETS) <= set(keys["additionalSecretOutputs"]), keys["urn"]

    versions = referrers(snapshot, keys["urn"])
    assert sorted(v["name"] for v in versions) == sorted(
        f"acme-{stack}-vault-{name}-version" for name in KEY_SECRETS.values()
    ), f"{keys['urn']} is used by {[v['urn'] for v in versions]}"
    catalogue = {entry["name"]: entry for entry in stack_file(stack)["controlplane:secrets"]}
    for version in versions:
        urn, inputs = version["urn"], version["inputs"]
        assert version["type"] == VERSION, urn
        assert inputs["secretData"] == MARKER, urn
        assert "secretData" in version["additionalSecretOutputs"], urn
        assert version["propertyDependencies"]["secretData"] == [keys["urn"]], urn
        (secret_urn,) = version["propertyDependencies"]["secret"]
        secret = resources[secret_urn]
        assert secret["type"] == SECRET, urn
        assert inputs["secret"] == mock_outputs(stack, secret)[0], urn
        name = secret["inputs"]["secretId"].removeprefix(f"acme-{stack}-vault-")
        assert name in KEY_SECRETS.values(), f"{urn}: stored in {secret['inputs']['secretId']}"
        # The value comes from the Supabase component, not from a config key.
        assert "fromConfig" not in catalogue[name], f"Pulumi.{stack}.yaml: {name}"


@pytest.mark.parametrize("stack", STACKS)
def test_services_read_the_keys_by_reference(snapshots, stack: str) -> None:
    catalogue = {entry["name"]: entry for entry in stack_file(stack)["controlplane:secrets"]}
    env_vars = {catalogue[name]["envVar"]: name for name in KEY_SECRETS.values()}
    readers = [r for r in snapshots[stack]["resources"] if r["type"] in CLOUD_RUN]
    seen: dict[str, set[str]] = {name: set() for name in env_vars}
    for reader in readers:
        for entry in env_entries(reader["inputs"], set(env_vars)):
            assert "value" not in entry, f"{reader['urn']}: {entry['name']} is set by value"
            secret = f"acme-{stack}-vault-{env_vars[entry['name']]}"
            assert entry["valueSource"] == {
                "secretKeyRef": {"secret": secret, "version": "latest"}
            }, reader["urn"]
            seen[entry["name"]].add(reader_kind(stack, reader))
    for env_var, name in env_vars.items():
        # Exactly the readers the catalogue lists (the agent among them) see the key.
        assert seen[env_var] == set(catalogue[name]["readers"]), f"{stack}: {env_var}"
        assert "agent" in seen[env_var], f"{stack}: the agent does not read {env_var}"


@pytest.mark.parametrize("stack", STACKS)
def test_the_mocked_key_values_never_reach_the_snapshot(snapshots, stack: str) -> None:
    """The mocks hand the keys resource real-looking values; the snapshot holds none of them."""
    keys = the(snapshots[stack], KEYS)
    _, outputs = mock_outputs(stack, keys)
    values = [outputs[key] for key in KEY_SECRETS]
    assert all(isinstance(v, str) and len(v) > 8 for v in values), keys["urn"]
    text = json.dumps(snapshots[stack], ensure_ascii=False)
    for value in values:
        assert value not in text, f"{stack}: a Supabase key value is in the snapshot"
