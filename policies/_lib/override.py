"""The emergency override the change policies accept in their config (freeze, 48-hour notice):
``{"reason": "...", "until": "YYYY-MM-DD"}``, valid from now to its until date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any


def override_schema(description: str) -> dict[str, Any]:
    """The config property of an emergency override: a reason and the last day it applies."""
    return {
        "type": "object",
        "properties": {
            "reason": {"type": "string"},
            "until": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        },
        "additionalProperties": False,
        "default": {},
        "description": description,
    }


def override_problem(
    override: Mapping[str, Any], today: date, *, no_reason: str, latest: date, too_late: str
) -> str | None:
    """Why ``override`` does not apply ``today``, or None when it does.

    ``no_reason`` is the message for a blank reason; an until date after ``latest`` is refused
    with ``too_late``, formatted with ``until``.
    """
    if not str(override.get("reason", "")).strip():
        return no_reason
    until_text = str(override.get("until", ""))
    if not until_text:
        return "it has no until date (YYYY-MM-DD)"
    try:
        until = date.fromisoformat(until_text)
    except ValueError:
        return f"until {until_text} is not a date"
    if until < today:
        return f"it expired on {until}"
    if until > latest:
        return too_late.format(until=until)
    return None
