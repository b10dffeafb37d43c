"""The insecure corpus: each snapshot is rejected by the policy it is named after.

``corpus/<policy-name>[--<variant>].json`` is the compliant prod baseline with one insecure
change (see make_corpus.py). Under ``policies/config/prod.json`` the named policy must reject it
with mandatory enforcement, and no other policy may report anything: the baseline is clean, so
any other diagnostic is a false positive, except the type allowlist's refusal of a type the
change brings in that the program does not declare. A preview entry (``"dryRun": true``) holds a
value unknown until apply that its policy cannot resolve: the policy must answer that it cannot
decide during preview, never pass it. An entry with its own config,
``corpus/config/<name>.json``, is checked with that instead: the change freeze is mandatory only
in the prod deploy config, and broken only by a time inside the freeze.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies._lib.inventory import declared_types
from policies._lib.registry import collect
from preflight.analyzer.config import load_policy_pack_config, reconcile
from preflight.snapshot import DRY_RUN_KEY, validate

HERE = Path(__file__).resolve().parent
CORPUS = sorted((HERE / "corpus").glob("*.json"))
CORPUS_CONFIGS = HERE / "corpus" / "config"
BASELINES = sorted((HERE / "baseline").glob("*.json"))
CONFIG = HERE.parents[1] / "policies" / "config"
UNDECLARED = "inventory-resource-disallow-undeclared-types"


def config_for(path: Path, env: str) -> Path:
    own = CORPUS_CONFIGS / path.name
    return own if own.is_file() else CONFIG / f"{env}.json"


def check_file(pack_host, path: Path, env: str, config_path: Path | None = None):
    snapshot = json.loads(path.read_text())
    given = load_policy_pack_config(config_path or CONFIG / f"{env}.json")
    config = reconcile(pack_host.info(), given)
    return pack_host.analyze(snapshot, validate(snapshot, str(path)), config)


def test_every_policy_has_a_corpus_snapshot():
    named = {path.stem.split("--")[0] for path in CORPUS}
    assert named == {policy.name for policy in collect()}


@pytest.mark.parametrize("path", BASELINES, ids=lambda p: p.stem)
def test_baseline_is_clean_in_its_environment(pack_host, path):
    result = check_file(pack_host, path, path.stem)
    assert [(v.policy_name, v.message) for v in result.violations] == []
    assert result.resources > 10


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_corpus_snapshot_is_rejected_by_its_policy_only(pack_host, path):
    policy = path.stem.split("--")[0]
    result = check_file(pack_host, path, "prod", config_for(path, "prod"))
    assert result.violations, f"{path.name}: nothing rejected it"
    if json.loads(path.read_text()).get(DRY_RUN_KEY):
        # A preview entry: what its policy must not do is pass a value unknown until apply; the
        # runtime reports that it cannot decide (advisory), and nothing else may report.
        assert [(v.policy_name, v.enforcement_level) for v in result.violations] == [
            (policy, "advisory")
        ]
        assert result.violations[0].message.startswith(f"can't run policy '{policy}' ")
        return
    # A change that brings in a type the program does not declare is also refused by the type
    # allowlist, naming that type, and by nothing else.
    undeclared = sorted(
        {r["type"] for r in json.loads(path.read_text())["resources"]} - declared_types()
    )
    expected = {(policy, "mandatory")}
    if undeclared:
        expected.add((UNDECLARED, "mandatory"))
        assert all(
            any(f"\n{t}" in v.message for t in undeclared)
            for v in result.violations
            if v.policy_name == UNDECLARED
        )
    assert {(v.policy_name, v.enforcement_level) for v in result.violations} == expected


def test_corpus_configs_belong_to_corpus_snapshots():
    assert {p.name for p in CORPUS_CONFIGS.glob("*.json")} <= {p.name for p in CORPUS}


FREEZE = "changes-stack-disallow-freeze-changes"
NOTICE = "changes-stack-enforce-change-notice"


@pytest.mark.parametrize("path", sorted(CORPUS_CONFIGS.glob("*.json")), ids=lambda p: p.stem)
def test_corpus_config_is_the_deploy_config_with_a_pinned_time(path):
    # Both change-calendar policies get the same pinned time; the notice policy also gets the
    # classification a deploy passes (high-impact only for its own entry), never an announcement.
    own = json.loads(path.read_text())
    deploy = json.loads((CONFIG / "prod-deploy.json").read_text())
    policy = path.stem.split("--")[0]
    assert {k: v for k, v in own.items() if k not in {FREEZE, NOTICE}} == {
        k: v for k, v in deploy.items() if k not in {FREEZE, NOTICE}
    }
    now = own[policy]["now"]
    assert own[FREEZE] == {"enforcementLevel": deploy[FREEZE], "now": now}
    assert own[NOTICE] == {
        "enforcementLevel": deploy[NOTICE],
        "now": now,
        "classification": own[NOTICE]["classification"],
    }
    assert own[NOTICE]["classification"]["highImpact"] is (policy == NOTICE)


def test_the_freeze_snapshot_passes_outside_the_freeze(pack_host, tmp_path):
    # The time is the only insecure change: a week earlier the same files pass.
    path = HERE / "corpus" / "changes-stack-disallow-freeze-changes.json"
    config = json.loads(config_for(path, "prod").read_text())
    config["changes-stack-disallow-freeze-changes"]["now"] = "2026-12-13T10:00:00Z"
    pinned = tmp_path / "before-the-freeze.json"
    pinned.write_text(json.dumps(config))
    assert check_file(pack_host, path, "prod", pinned).violations == []


def test_the_notice_snapshot_passes_with_an_announcement(pack_host, tmp_path):
    # The missing announcement is the only insecure change: one 50 hours old lets it through.
    path = HERE / "corpus" / "changes-stack-enforce-change-notice.json"
    config = json.loads(config_for(path, "prod").read_text())
    config[NOTICE]["announcement"] = {"announcedAt": "2026-12-11T08:00:00Z", "record": "x.yaml"}
    pinned = tmp_path / "announced.json"
    pinned.write_text(json.dumps(config))
    assert check_file(pack_host, path, "prod", pinned).violations == []
