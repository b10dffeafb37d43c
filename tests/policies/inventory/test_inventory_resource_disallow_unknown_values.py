"""CP-INV-002 inventory-resource-disallow-unknown-values."""

from __future__ import annotations

from policies.inventory.inventory_resource_disallow_unknown_values import META
from preflight.snapshot import UNKNOWN

NAME = META.name
MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
UPDATE_FAIL = (
    "cannot verify: member unknown in an update, where every input is known before the "
    "resource is created"
)


def grant(make, member):
    return make(
        MEMBER,
        "gemini-agent",
        {"secretId": "s", "role": "roles/secretmanager.secretAccessor", "member": member},
    )


def test_known_values_pass_in_an_update(analyze, make):
    assert analyze([grant(make, "serviceAccount:a@p.iam.gserviceaccount.com")]).of(NAME) == []


def test_an_unknown_in_an_update_cannot_be_verified(analyze, make):
    resource = grant(make, UNKNOWN)
    checked = analyze([resource], preview=False)
    assert checked.of(NAME) == [(resource["urn"], f"{META.description}\n{UPDATE_FAIL}")]
    assert checked.levels(NAME) == ["mandatory"]


def test_an_unknown_in_a_preview_is_the_engine_s_and_passes(analyze, make):
    assert analyze([grant(make, UNKNOWN)], preview=True).of(NAME) == []


def test_other_policies_fail_closed_on_an_unknown_in_an_update(analyze, make):
    # Planted: a role hidden behind the sentinel; in a preview the primitive-role check answers
    # that it cannot decide, in an update it reports that it cannot verify.
    resource = make(MEMBER, "odd", {"secretId": "s", "role": UNKNOWN, "member": "user:a@b.c"})
    primitive = "iam-binding-disallow-primitive-roles"
    update = analyze([resource], preview=False)
    assert update.levels(primitive) == ["mandatory"]
    assert (
        "cannot verify: string value at .role is unknown in an update" in update.of(primitive)[0][1]
    )
    preview = analyze([resource], preview=True)
    assert preview.levels(primitive) == ["advisory"]
    assert "can't be known during preview" in preview.of(primitive)[0][1]
