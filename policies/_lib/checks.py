"""Check bodies that several policies share, each yielding the messages of one resource.

Wording is part of the contract: the messages here are what users read in ``pulumi preview``
and in ``preflight check`` reports, so every policy built on a helper words its rule alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies._lib.props import get, is_missing

Setting = bool | str
"""A value a property must hold exactly: a switch (``True``) or an enum (``"enforced"``)."""


def spelled(value: Setting) -> str:
    """``value`` as the program's author writes it in a message: ``true``, ``'enforced'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def holds(value: Any, wanted: Setting) -> bool:
    """Whether ``value`` is exactly ``wanted``.

    A switch must be the boolean itself: numbers arrive as floats and ``1.0 == True``.
    """
    if isinstance(wanted, bool):
        return value is wanted
    return bool(value == wanted)


def must_hold(
    props: Any, path: str, wanted: Setting, *, default: Setting | None = None
) -> Iterator[str]:
    """The violation when the property at dotted ``path`` is not exactly ``wanted``.

    A missing property is a violation too; ``default`` is the provider's default, named in the
    message so that the reader knows what leaving it out means.
    """
    value = get(props, path)
    if is_missing(value):
        unset = "not set" if default is None else f"not set (the default is {spelled(default)})"
        yield f"{path} is {unset}: set it to {spelled(wanted)}"
    elif not holds(value, wanted):
        yield f"{path} is {value!r}: set it to {spelled(wanted)}"
