"""The adversary's corpus: every variant of the prod snapshot is rejected with exit 1.

Each case (``cases_<family>.py``, see ``tests/support/adversary.py``) is the snapshot that
``preflight synth --stack prod`` writes with one insecure change. It is written to a file and
checked the way CI checks it, ``preflight check --snapshot FILE --json`` with the pack and
``policies/config/prod.json``; the case's policy must report a mandatory violation containing
its message. The unchanged snapshot passes with nothing reported, so every rejection is the
change's doing.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from preflight import check
from tests.support.adversary import FAMILIES, Case, all_cases

CASES: list[Case] = all_cases()
MINIMUM = 80


def checked(pack_host, snapshot: dict[str, Any], tmp_path: Path, capsys) -> tuple[int, Any]:
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(snapshot))
    parser = check.argparse.ArgumentParser()
    check.add_arguments(parser)
    capsys.readouterr()
    code = check.run(parser.parse_args(["--snapshot", str(path), "--json"]), host=pack_host)
    return code, json.loads(capsys.readouterr().out)


def test_the_corpus_covers_every_family_with_enough_cases():
    assert len(CASES) >= MINIMUM, f"{len(CASES)} cases"
    assert {case.family for case in CASES} == set(FAMILIES)
    assert len({case.id for case in CASES}) == len(CASES), "case ids repeat"


def test_the_unchanged_snapshot_passes(pack_host, snapshots, tmp_path, capsys):
    code, document = checked(pack_host, snapshots["prod"], tmp_path, capsys)
    [stack] = document["stacks"]
    assert (code, stack["violations"]) == (0, [])


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.family}-{case.id}")
def test_the_variant_is_rejected_by_its_policy(pack_host, snapshots, case, tmp_path, capsys):
    snapshot = copy.deepcopy(snapshots["prod"])
    case.change(snapshot)
    assert snapshot != snapshots["prod"], "the case changed nothing"
    code, document = checked(pack_host, snapshot, tmp_path, capsys)
    [stack] = document["stacks"]
    found = [
        v["message"]
        for v in stack["violations"]
        if v["policyName"] == case.policy and v["enforcementLevel"] == "mandatory"
    ]
    assert code == 1
    assert any(case.message in message for message in found), (case.policy, found)
