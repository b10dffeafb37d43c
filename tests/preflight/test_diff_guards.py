"""The revision guard: a Cloud Run template change under an unchanged revision name is refused
at apply (409), so the diff reports it and fails with exit 4, whatever the flags."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from preflight.diff.compare import diff_snapshots
from preflight.diff.model import APPLY_FAILURE_EXIT
from preflight.diff.render import render_json, render_markdown

SERVICE = "gcp:cloudrunv2/service:Service"


def agent(snapshot: dict[str, Any]) -> dict[str, Any]:
    [found] = [
        r
        for r in snapshot["resources"]
        if r["type"] == SERVICE and r["name"].endswith("agent-service")
    ]
    return found


def changed(snapshots, edit) -> tuple[dict[str, Any], dict[str, Any]]:
    base = snapshots["prod"]
    head = copy.deepcopy(base)
    edit(agent(head)["inputs"])
    return base, head


def new_image(inputs: dict[str, Any]) -> None:
    inputs["template"]["containers"][0]["image"] += "-next"


def new_image_and_revision(inputs: dict[str, Any]) -> None:
    new_image(inputs)
    inputs["template"]["revision"] += "-next"


def new_env_value(inputs: dict[str, Any]) -> None:
    inputs["template"]["containers"][0]["envs"][0]["value"] = "changed"


def traffic_only(inputs: dict[str, Any]) -> None:
    inputs["traffics"][0]["percent"], inputs["traffics"][1]["percent"] = (
        inputs["traffics"][1]["percent"],
        inputs["traffics"][0]["percent"],
    )


@pytest.mark.parametrize("edit", [new_image, new_env_value], ids=lambda f: f.__name__)
def test_a_template_change_under_the_same_revision_name_is_refused(snapshots, edit):
    base, head = changed(snapshots, edit)
    d = diff_snapshots("prod", base, head)
    [blocker] = d.blockers
    revision = agent(head)["inputs"]["template"]["revision"]
    assert blocker.urn == agent(head)["urn"]
    assert f"its revision name stays {revision!r}" in blocker.text
    assert "409" in blocker.text
    report = render_json([d], {"rev": "HEAD~1", "commit": "0" * 40}, allow_data_loss=True)
    assert (report["applyFailures"], report["exitCode"]) == (True, APPLY_FAILURE_EXIT)
    assert report["stacks"][0]["applyFailures"][0]["kind"] == "revision"
    markdown = render_markdown([d], "`HEAD~1`", allow_data_loss=True, full_report="x")
    assert "**Would fail at apply**" in markdown


@pytest.mark.parametrize("edit", [new_image_and_revision, traffic_only], ids=lambda f: f.__name__)
def test_a_new_revision_name_or_a_traffic_change_passes(snapshots, edit):
    base, head = changed(snapshots, edit)
    d = diff_snapshots("prod", base, head)
    assert [r.name for r in d.resources] == [agent(head)["name"]]
    assert d.blockers == []
    report = render_json([d], {"rev": "HEAD~1", "commit": "0" * 40}, allow_data_loss=False)
    assert (report["applyFailures"], report["exitCode"]) == (False, 0)
