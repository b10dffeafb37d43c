"""Breaks the pack caught before the corpus existed: an owner grant and a public bucket reader
added beside the stack's own grants."""

from __future__ import annotations

from tests.support.adversary import Case, Snapshot, add, first

PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"


def owner_for_a_person(snapshot: Snapshot) -> None:
    beside = first(snapshot, PROJECT_MEMBER)
    inputs = {**beside["inputs"], "role": "roles/owner", "member": "user:mallory@example.com"}
    add(snapshot, PROJECT_MEMBER, "acme-prod-access-owner", inputs, beside=beside)


def public_archive_reader(snapshot: Snapshot) -> None:
    beside = first(snapshot, BUCKET_MEMBER)
    inputs = {**beside["inputs"], "role": "roles/storage.objectViewer", "member": "allUsers"}
    add(snapshot, BUCKET_MEMBER, "acme-prod-archive-public", inputs, beside=beside)


CASES = [
    Case(
        "owner-grant-beside-the-stack-grants",
        "another-type",
        "iam-binding-disallow-primitive-roles",
        "roles/owner",
        owner_for_a_person,
    ),
    Case(
        "public-reader-on-the-archive-bucket",
        "decoys",
        "iam-binding-disallow-public-principals",
        "allUsers",
        public_archive_reader,
    ),
]
