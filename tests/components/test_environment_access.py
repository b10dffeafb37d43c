"""EnvironmentAccess: one additive IAMMember per (role, member), parented to the component."""

from __future__ import annotations

import pytest

from tests.support.snapshots import resources_of


def test_one_member_per_role_and_group_with_parent(snapshots) -> None:
    snap = snapshots["dev"]
    [component] = resources_of(snap, "controlplane:access:EnvironmentAccess")
    members = [
        r
        for r in resources_of(snap, "gcp:projects/iAMMember:IAMMember")
        if r["parent"] == component["urn"]
    ]
    pairs = sorted((m["inputs"]["role"], m["inputs"]["member"]) for m in members)
    assert pairs == [
        ("roles/cloudscheduler.jobRunner", "group:cp-engineering@example.com"),
        ("roles/logging.viewer", "group:cp-engineering@example.com"),
        ("roles/logging.viewer", "group:cp-qa@example.com"),
        ("roles/monitoring.viewer", "group:cp-engineering@example.com"),
        ("roles/monitoring.viewer", "group:cp-qa@example.com"),
        ("roles/run.developer", "group:cp-engineering@example.com"),
        ("roles/run.viewer", "group:cp-qa@example.com"),
    ]
    for m in members:
        assert m["name"].startswith(f"{component['name']}-"), m["urn"]


pytestmark = pytest.mark.playbook("environment-matrix", "least-privilege")
