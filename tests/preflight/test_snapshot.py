"""The snapshot contract: what ``load`` and ``validate`` accept and what they refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.snapshot import SnapshotError, load, validate


def test_duplicate_urns_are_rejected():
    res = {"urn": "urn:pulumi:prod::controlplane::t::a", "type": "t", "name": "a", "inputs": {}}
    with pytest.raises(SnapshotError, match=r"resources\[1\]: duplicate urn"):
        validate({"resources": [res, dict(res)]}, "f")


def test_load_reads_a_json_object_and_names_the_file_when_it_cannot(tmp_path: Path) -> None:
    good = tmp_path / "prod.json"
    good.write_text('{"stack": "prod", "resources": []}')
    assert load(good) == {"stack": "prod", "resources": []}
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(SnapshotError, match=r"list\.json: not a snapshot; expected a JSON object"):
        load(listed)
