"""policies/config/{dev,staging,prod}.json: valid for the pack, and enforce what the docs say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies._lib.registry import collect
from preflight.analyzer_config import load_policy_pack_config, reconcile

CONFIG = Path(__file__).resolve().parents[2] / "policies" / "config"
NAMES = {p.name for p in collect()}
PROD_ONLY = {"encryption-secret-enable-cmek", "encryption-bucket-enable-cmek"}
NOT_IN_DEV = PROD_ONLY | {"datasafety-stateful-enforce-protect"}


def levels(pack_host, env: str) -> dict[str, str | None]:
    config = reconcile(pack_host.info(), load_policy_pack_config(CONFIG / f"{env}.json"))
    return {name: cfg.enforcement_level for name, cfg in config.items()}


def test_exactly_the_three_environments_have_a_config():
    assert sorted(p.stem for p in CONFIG.glob("*.json")) == ["dev", "prod", "staging"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_config_names_only_existing_policies(env):
    document = json.loads((CONFIG / f"{env}.json").read_text())
    assert set(document) - {"all"} <= NAMES


def test_dev_is_advisory_without_prod_and_staging_rules(pack_host):
    assert levels(pack_host, "dev") == {
        name: ("disabled" if name in NOT_IN_DEV else "advisory") for name in NAMES
    }


def test_staging_is_mandatory_without_prod_only_rules(pack_host):
    assert levels(pack_host, "staging") == {
        name: ("disabled" if name in PROD_ONLY else "mandatory") for name in NAMES
    }


def test_prod_is_mandatory_everywhere(pack_host):
    assert levels(pack_host, "prod") == dict.fromkeys(NAMES, "mandatory")


@pytest.mark.parametrize(
    ("env", "data_class"), [("dev", "synthetic"), ("staging", "anonymized"), ("prod", "live")]
)
def test_each_environment_pins_its_labels_and_tags(pack_host, env, data_class):
    config = reconcile(pack_host.info(), load_policy_pack_config(CONFIG / f"{env}.json"))
    labels = config["labels-gcp-missing-required-labels"].properties["requiredLabels"]
    assert labels == {"environment": [env], "data-class": [data_class], "managed-by": ["pulumi"]}
    tags = config["labels-datadogmonitor-missing-required-tags"].properties["requiredTags"]
    assert tags["env"] == [env]


def test_without_a_config_file_everything_is_mandatory(pack_host):
    # `pulumi preview --policy-pack policies` without --policy-pack-config fails closed.
    config = reconcile(pack_host.info(), {})
    assert {cfg.enforcement_level for cfg in config.values()} == {"mandatory"}
