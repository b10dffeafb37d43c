"""The insecure corpus: each snapshot is rejected by the policy it is named after.

``corpus/<policy-name>[--<variant>].json`` is the compliant prod baseline with one insecure
change (see make_corpus.py). Under ``policies/config/prod.json`` the named policy must reject it
with mandatory enforcement, and no other policy may report anything: the baseline is clean, so
any other diagnostic is a false positive.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies._lib.registry import collect
from preflight.analyzer_config import load_policy_pack_config, reconcile
from preflight.analyzer_snapshot import validate

HERE = Path(__file__).resolve().parent
CORPUS = sorted((HERE / "corpus").glob("*.json"))
BASELINES = sorted((HERE / "baseline").glob("*.json"))
CONFIG = HERE.parents[1] / "policies" / "config"


def check_file(pack_host, path: Path, env: str):
    snapshot = json.loads(path.read_text())
    config = reconcile(pack_host.info(), load_policy_pack_config(CONFIG / f"{env}.json"))
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
    result = check_file(pack_host, path, "prod")
    assert result.violations, f"{path.name}: nothing rejected it"
    assert {(v.policy_name, v.enforcement_level) for v in result.violations} == {
        (policy, "mandatory")
    }
