"""Shared typed fields: GCP regions, project ids, IAM roles and groups, the org prefix.

Each pattern is defined here once and used by the environment program's config, the bootstrap
program's config and the components; each ``Annotated`` type carries the validator whose
message tells the operator what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator

REGION_RE = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
"""A GCP region: ``europe-west1``, ``europe-west10``, ``us-central1``, ``me-central2``."""
PROJECT_ID_RE = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
"""A GCP project id: 6-30 lowercase letters, digits or '-', starting with a letter."""
PREDEFINED_ROLE_RE = re.compile(r"^roles/[A-Za-z][A-Za-z0-9_.]*$")
"""A predefined IAM role: ``roles/<service>.<role>``."""
CUSTOM_ROLE_RE = re.compile(r"^(projects|organizations)/[a-z0-9-]+/roles/[A-Za-z0-9_.]+$")
"""A custom IAM role of a project or an organization."""
GROUP_MEMBER_RE = re.compile(r"^group:[^@\s]+@[^@\s]+\.[^@\s]+$")
"""A Google group as an IAM member: ``group:<email>``."""
ORG_RE = re.compile(r"^[a-z][a-z0-9]{1,9}$")
"""The organisation prefix of every physical name: 2-10 lowercase letters or digits."""

PRIMITIVE_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
"""Primitive roles grant everything in a project; playbook §6 asks for least privilege."""


def is_region(value: str) -> bool:
    """Whether ``value`` is written as a GCP region."""
    return REGION_RE.match(value) is not None


def is_role(value: str, *, custom: bool = True) -> bool:
    """Whether ``value`` is a predefined role, or (``custom``) a custom role too."""
    return PREDEFINED_ROLE_RE.match(value) is not None or (
        custom and CUSTOM_ROLE_RE.match(value) is not None
    )


def matching(test: Callable[[str], object], expected: str) -> AfterValidator:
    """A field validator: the value when ``test(value)`` holds, else ``expected`` as the error.

    ``test`` is usually a compiled pattern's ``match`` or ``fullmatch``; ``expected`` says what
    to write instead (the error formatter prints it after ``expected``).
    """

    def check(value: str) -> str:
        if not test(value):
            raise ValueError(expected)
        return value

    return AfterValidator(check)


Region = Annotated[str, matching(is_region, "a GCP region such as europe-west1")]
ProjectId = Annotated[
    str,
    matching(
        PROJECT_ID_RE.match,
        "a GCP project id: 6-30 lowercase letters, digits or '-', starting with a letter",
    ),
]
GroupMember = Annotated[
    str, matching(GROUP_MEMBER_RE.match, "a group as an IAM member, e.g. group:sre@example.com")
]
Org = Annotated[
    str,
    matching(ORG_RE.match, "2-10 lowercase letters or digits starting with a letter, e.g. acme"),
]
