"""controlplane:services: pinned images, no credential in plain env, rollout knobs, sizing."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from config.runtime import RuntimeSections
from tests.support.config import errors
from tests.support.runtime import CANARY, example


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("europe-west1-docker.pkg.dev/p/r/agent@sha256:" + "a" * 64, True),
        ("europe-west1-docker.pkg.dev/p/r/agent:1.4.2", True),
        ("localhost:5000/agent:2025.11.26", True),
        ("europe-west1-docker.pkg.dev/p/r/agent:latest", False),
        ("europe-west1-docker.pkg.dev/p/r/agent", False),
        ("europe-west1-docker.pkg.dev/p/r/agent@sha256:abc", False),
    ],
)
def test_images_are_pinned(image: str, ok: bool) -> None:
    data = example()
    data["services"]["agent"]["image"] = image
    if ok:
        RuntimeSections.model_validate(data)
        return
    assert errors(RuntimeSections, data) == [
        (
            ("services", "agent", "image"),
            "Value error, an image pinned by digest (<registry>/<repo>@sha256:<64 hex>) or by "
            "an immutable tag (<registry>/<repo>:1.4.2); 'latest' and untagged images are "
            "refused",
        )
    ]


def test_a_credential_in_plain_env_is_moved_to_the_catalogue() -> None:
    data = example()
    data["services"]["agent"]["env"]["GEMINI_API_KEY"] = CANARY
    with pytest.raises(ValidationError) as err:
        RuntimeSections.model_validate(data)
    assert CANARY not in str(err.value) + repr(err.value.errors())
    errors = [(tuple(e["loc"]), e["msg"]) for e in err.value.errors(include_url=False)]
    assert errors == [
        (
            ("services", "agent", "env", "GEMINI_API_KEY"),
            "no credential in plain env: move GEMINI_API_KEY to controlplane:secrets with this "
            "service as a reader (bound by secret reference)",
        )
    ]


def test_public_members_go_through_the_public_flag() -> None:
    data = example()
    data["services"]["agent"]["iam"] = {"roles/run.invoker": ["allUsers"]}
    assert errors(RuntimeSections, data) == [
        (
            ("services", "agent", "iam", "roles/run.invoker", 0),
            "no public member here: set public: true instead",
        )
    ]


@pytest.mark.parametrize(
    ("rollout", "message"),
    [
        (
            {"strategy": "canary", "promoted": True},
            "Value error, promoted is a blue_green setting: for canary promote with "
            "candidatePercent: 100",
        ),
        (
            {"strategy": "blue_green", "candidatePercent": 10},
            "Value error, candidatePercent is a canary setting: blue_green keeps the candidate "
            "at 0% until you set promoted: true",
        ),
    ],
)
def test_rollout_knobs_belong_to_their_strategy(rollout: dict[str, Any], message: str) -> None:
    data = example()
    data["services"]["agent"]["rollout"] = rollout
    assert errors(RuntimeSections, data) == [(("services", "agent", "rollout"), message)]


@pytest.mark.parametrize("stable", [None, "v2"])
def test_a_split_needs_a_stable_revision_other_than_the_candidate(stable: str | None) -> None:
    data = example()
    rollout: dict[str, Any] = {"strategy": "canary", "candidatePercent": 10}
    if stable:
        rollout["stableRevision"] = stable
    data["services"]["agent"]["rollout"] = rollout
    why = "unset" if stable is None else "equal to revision"
    assert errors(RuntimeSections, data) == [
        (
            ("services", "agent"),
            f"Value error, rollout: with stableRevision {why}, revision 'v2' is the only one: "
            "set candidatePercent: 0 (canary) or promoted: false (blue_green), or set "
            "stableRevision to the revision serving users now",
        )
    ]


def test_min_instances_above_max_is_refused() -> None:
    data = example()
    data["services"]["agent"]["minInstances"] = 5
    assert errors(RuntimeSections, data) == [
        (
            ("services", "agent"),
            "Value error, minInstances (5) at most maxInstances (4): raise maxInstances or "
            "lower minInstances",
        )
    ]
