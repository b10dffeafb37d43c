"""policies/_lib/declared_types.json: the types the program declares, as the pack reads them."""

from __future__ import annotations

import copy

from policies._lib.inventory import DECLARED_TYPES_FILE
from preflight import declared_types


def test_the_vendored_file_is_current(snapshots, preview_snapshots):
    # Regenerate with `python -m preflight.declared_types --write` when the program declares a
    # new type.
    fresh = declared_types.render([*snapshots.values(), *preview_snapshots.values()])
    assert DECLARED_TYPES_FILE.read_text() == fresh, (
        "run python -m preflight.declared_types --write"
    )


def test_a_new_type_in_the_program_makes_it_stale(snapshots):
    # Planted: one more type declared by a stack changes the generated text.
    planted = copy.deepcopy(snapshots["prod"])
    planted["resources"].append(
        {**planted["resources"][-1], "type": "gcp:bigquery/dataset:Dataset"}
    )
    before = declared_types.render(snapshots.values())
    after = declared_types.render([*snapshots.values(), planted])
    assert before != after
    assert '"gcp:bigquery/dataset:Dataset"' in after
    assert '"pulumi:providers:gcp"' in after


def test_default_providers_are_derived_from_packages():
    assert (
        declared_types.provider_type("datadog:index/monitor:Monitor") == "pulumi:providers:datadog"
    )
    assert declared_types.provider_type("pulumi:pulumi:Stack") is None
