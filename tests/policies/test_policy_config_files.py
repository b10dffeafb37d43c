"""policies/config/*.json: valid for the pack, and enforce what the docs say.

dev, staging and prod are the environments' configs (pull-request checks, previews); prod-deploy
is prod's config for deploying (the change freeze and the 48-hour notice on); org is the bootstrap
program's stack.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies._lib.registry import collect
from preflight.analyzer.config import load_policy_pack_config, reconcile

CONFIG = Path(__file__).resolve().parents[2] / "policies" / "config"
NAMES = {p.name for p in collect()}
PROD_ONLY = {
    "encryption-secret-enable-cmek",
    "encryption-bucket-enable-cmek",
    "encryption-store-enforce-own-keys",
}
SECURITY_ROUTE = "alerting-escalation-enforce-security-route"
"""Dev has no security route (controlplane:security is for staging and prod)."""
NOT_IN_DEV = PROD_ONLY | {"datasafety-stateful-enforce-protect", SECURITY_ROUTE}
FREEZE = "changes-stack-disallow-freeze-changes"
NOTICE = "changes-stack-enforce-change-notice"
DEPLOY_ONLY = {FREEZE, NOTICE}
"""The change calendar's policies, which only deploying prod applies."""
ENVIRONMENT_ONLY = {
    "alerting-monitor-missing-playbook-alerts",
    "alerting-monitor-configure-playbook-thresholds",
    "alerting-monitor-enforce-pagerduty-routing",
    "alerting-escalation-enforce-playbook-order",
    "alerting-downtime-missing-maintenance-window",
    "alerting-mute-disallow-outside-maintenance-window",
    SECURITY_ROUTE,
    "audit-sink-missing-siem-forwarding",
    FREEZE,
    NOTICE,
    "inventory-resource-disallow-undeclared-types",
}
"""Rules about an environment of the control plane (its alerts, on-call, security route, SIEM
forwarding, windows, freeze, the types its program declares), which the bootstrap program is
not."""


def levels(pack_host, env: str) -> dict[str, str | None]:
    config = reconcile(pack_host.info(), load_policy_pack_config(CONFIG / f"{env}.json"))
    return {name: cfg.enforcement_level for name, cfg in config.items()}


def test_exactly_the_environments_the_deploy_and_the_bootstrap_have_a_config():
    assert sorted(p.stem for p in CONFIG.glob("*.json")) == [
        "dev",
        "org",
        "prod",
        "prod-deploy",
        "staging",
    ]


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "prod-deploy", "org"])
def test_config_names_only_existing_policies(env):
    document = json.loads((CONFIG / f"{env}.json").read_text())
    assert set(document) - {"all"} <= NAMES


def test_dev_is_advisory_without_prod_and_staging_rules(pack_host):
    assert levels(pack_host, "dev") == {
        name: ("disabled" if name in NOT_IN_DEV | DEPLOY_ONLY else "advisory") for name in NAMES
    }


def test_staging_is_mandatory_without_prod_only_rules(pack_host):
    assert levels(pack_host, "staging") == {
        name: ("disabled" if name in PROD_ONLY | DEPLOY_ONLY else "mandatory") for name in NAMES
    }


def test_prod_is_mandatory_except_the_freeze_and_the_notice(pack_host):
    # Pull-request checks and previews use prod.json: they never fail because of the calendar.
    assert levels(pack_host, "prod") == {
        name: ("disabled" if name in DEPLOY_ONLY else "mandatory") for name in NAMES
    }


def test_prod_deploy_is_mandatory_everywhere(pack_host):
    assert levels(pack_host, "prod-deploy") == dict.fromkeys(NAMES, "mandatory")


def test_prod_deploy_is_prod_with_the_freeze_and_the_notice_on():
    prod = json.loads((CONFIG / "prod.json").read_text())
    deploy = json.loads((CONFIG / "prod-deploy.json").read_text())
    assert {k: v for k, v in deploy.items() if k not in DEPLOY_ONLY} == {
        k: v for k, v in prod.items() if k not in DEPLOY_ONLY
    }
    assert deploy[FREEZE] == "mandatory"
    # a level only: the classification and the announcement come from the deploy, never from
    # a committed file (scripts/change_notice.py policy-config)
    assert deploy[NOTICE] == "mandatory"


def test_org_is_prod_without_the_environment_rules(pack_host):
    prod = json.loads((CONFIG / "prod.json").read_text())
    org = json.loads((CONFIG / "org.json").read_text())
    assert {k: v for k, v in org.items() if k not in ENVIRONMENT_ONLY} == {
        k: v for k, v in prod.items() if k not in ENVIRONMENT_ONLY
    }
    assert levels(pack_host, "org") == {
        name: ("disabled" if name in ENVIRONMENT_ONLY else "mandatory") for name in NAMES
    }


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "prod-deploy", "org"])
def test_committed_configs_leave_now_unset(env):
    document = json.loads((CONFIG / f"{env}.json").read_text())
    for policy in DEPLOY_ONLY:
        settings = document.get(policy)
        assert not isinstance(settings, dict) or "now" not in settings


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_each_environment_names_itself_for_its_maintenance_window(pack_host, env):
    config = reconcile(pack_host.info(), load_policy_pack_config(CONFIG / f"{env}.json"))
    downtime = config["alerting-downtime-missing-maintenance-window"].properties
    assert downtime["environment"] == env


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
