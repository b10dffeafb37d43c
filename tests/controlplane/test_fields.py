"""The kernel's shared fields: one pattern each, accepted the same way by every program."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from bootstrap.config import validate as validate_bootstrap
from config.errors import ConfigError
from config.stack import validate as validate_stack
from controlplane.fields import is_region, is_role, matching
from preflight.cli import ROOT
from preflight.synth import Project, stack_config

REAL_REGIONS = ["europe-west1", "europe-west10", "europe-west12", "us-central1", "me-central2"]
NOT_REGIONS = ["eu", "europe", "EUROPE-WEST1", "europe-west", "europe-west1a", "us central1"]


@pytest.mark.parametrize("region", REAL_REGIONS)
def test_real_regions_are_regions(region):
    assert is_region(region)


@pytest.mark.parametrize("value", NOT_REGIONS)
def test_other_text_is_not_a_region(value):
    assert not is_region(value)


def test_matching_passes_a_good_value_through_and_names_what_to_write_for_a_bad_one():
    class Sample(BaseModel):
        value: Annotated[str, matching(is_region, "a region such as europe-west1")]

    assert Sample(value="europe-west1").value == "europe-west1"
    with pytest.raises(ValidationError) as err:
        Sample(value="eu")
    (error,) = err.value.errors()
    assert error["type"] == "value_error"
    assert error["loc"] == ("value",)
    assert error["msg"] == "Value error, a region such as europe-west1"


@pytest.mark.parametrize(
    ("role", "custom", "ok"),
    [
        ("roles/run.invoker", False, True),
        ("roles/cloudkms.cryptoKeyEncrypterDecrypter", False, True),
        ("projects/acme-cp-prod/roles/deployer", False, False),
        ("projects/acme-cp-prod/roles/deployer", True, True),
        ("organizations/1234/roles/auditor", True, True),
        ("run.invoker", True, False),
        ("roles/", True, False),
    ],
)
def test_roles_predefined_and_custom(role, custom, ok):
    assert is_role(role, custom=custom) is ok


def _with_region(stack: str, region: str) -> tuple[dict[str, str], set[str]]:
    raw, secrets = stack_config(Project.load(ROOT), stack)
    raw["gcp:region"] = region
    vault = json.loads(raw["controlplane:vault"])
    if "replicaLocations" in vault:
        vault["replicaLocations"] = [region, *vault["replicaLocations"][1:]]
        raw["controlplane:vault"] = json.dumps(vault)
    return raw, set(secrets)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
@pytest.mark.parametrize("region", ["europe-west10", "europe-west12"])
def test_every_stack_file_accepts_every_real_region(stack, region):
    raw, secrets = _with_region(stack, region)
    cfg = validate_stack(stack, raw, secrets)
    assert cfg.gcp.region == region


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_file_refuses_a_region_that_is_not_one(stack):
    raw, secrets = _with_region(stack, "europe")
    with pytest.raises(ConfigError, match=r"gcp:region: found \"europe\", expected a GCP region"):
        validate_stack(stack, raw, secrets)


def _bootstrap_with(location: str) -> dict[str, str]:
    doc = yaml.safe_load((ROOT / "bootstrap" / "Pulumi.org.yaml").read_text())["config"]
    raw = {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in doc.items()}
    raw["controlplane-bootstrap:location"] = location
    return raw


@pytest.mark.parametrize("region", ["europe-west10", "europe-west12"])
def test_the_bootstrap_accepts_every_real_region(region):
    assert validate_bootstrap("org", _bootstrap_with(region), set()).location == region


def test_the_bootstrap_refuses_a_multi_region():
    with pytest.raises(ConfigError, match="expected a single region such as europe-west1"):
        validate_bootstrap("org", _bootstrap_with("eu"), set())
