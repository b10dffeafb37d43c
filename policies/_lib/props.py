"""Reading plain property dicts as the engine sends them.

Properties arrive as protobuf ``Struct`` values, so every number is a float (``30`` arrives as
``30.0``) and the pack wraps dicts and lists in proxies that raise ``UnknownValueError`` when a
value is unknown during preview. The helpers here never catch that error: the policy framework
turns it into the engine's "can't run policy during preview" advisory, which is the honest
answer when a value cannot be known yet.

``peek`` is the one exception: it hands an unknown value back as an ``Unknown`` that keeps the
runtime's error, for a policy that can decide without that value (a primitive-role check does not
need the member) or that leaves it to a stack policy able to resolve it (see
``policies/iam/iam_principal_enforce_stack_service_accounts.py``). Whoever needs the value after
all calls ``Unknown.undecided()``, which raises the runtime's own error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from pulumi_policy.proxy import UnknownValueError


class _Missing:
    """Sentinel for an absent (or null) property."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


def get(obj: Any, path: str) -> Any:
    """The value at dotted ``path`` (keys only), or ``MISSING`` if any step is absent or null."""
    current = obj
    for key in path.split("."):
        if not isinstance(current, Mapping):
            return MISSING
        try:
            current = current[key]
        except KeyError:
            return MISSING
        if current is None:
            return MISSING
    return current


def is_missing(value: Any) -> bool:
    return value is MISSING


@dataclass(frozen=True, eq=False)
class Unknown:
    """A value not known until apply (during a preview), as ``peek`` returns it."""

    error: UnknownValueError
    """The policy runtime's error for reading it: its message names the type and the path."""

    def undecided(self) -> NoReturn:
        """Give up on the check: the runtime reports "can't run policy ... during preview"."""
        raise self.error

    def __bool__(self) -> bool:
        return False


def peek(obj: Any, path: str) -> Any:
    """Like ``get``, but an unknown value (or parent) comes back as an ``Unknown``."""
    try:
        return get(obj, path)
    except UnknownValueError as err:
        return Unknown(err)


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def as_list(value: Any) -> list[Any]:
    """A sequence property as a list (a missing or scalar value gives ``[]``)."""
    if value is MISSING or isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return []
    return [value[i] for i in range(len(value))]


def size(value: Any) -> int:
    """The length of a sequence property, without reading its items (a missing or scalar value
    gives 0)."""
    if value is MISSING or isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return 0
    return len(value)


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A map property (a missing or non-map value gives ``{}``)."""
    if isinstance(value, Mapping):
        return value
    return {}


def number(value: Any) -> float | None:
    """A numeric property as a float (numbers arrive as floats; strings of digits are accepted)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def fmt(value: float) -> str:
    """A number as a person writes it: ``30.0`` -> ``30``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def has(obj: Any, key: str) -> bool:
    """Whether mapping ``obj`` has ``key`` (without reading the value, so an unknown is fine)."""
    return isinstance(obj, Mapping) and key in set(iter(obj))


def present(obj: Any, key: str) -> bool:
    """Whether ``key`` holds a value (an unknown value counts: it will hold one once known)."""
    if not has(obj, key):
        return False
    try:
        return obj[key] is not None
    except UnknownValueError:
        return True


def find_key(obj: Any, key: str, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``(path, value)`` stored under ``key`` anywhere below ``obj``, depth first.

    Paths read like ``template.containers[0].envs``. Unknown values elsewhere in the tree are
    skipped (they cannot hide a ``key``-entry from a known parent); an unknown value stored
    under ``key`` itself raises ``UnknownValueError``, because then the answer is unknowable.
    """
    if isinstance(obj, Mapping):
        for name in list(iter(obj)):
            child = f"{path}.{name}" if path else str(name)
            if name == key:
                value = obj[name]
                yield child, value
                continue
            try:
                value = obj[name]
            except UnknownValueError:
                continue
            yield from find_key(value, key, child)
    elif isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        for index in range(len(obj)):
            try:
                value = obj[index]
            except UnknownValueError:
                continue
            yield from find_key(value, key, f"{path}[{index}]")


def unknown_paths(obj: Any, path: str = "") -> Iterator[str]:
    """The dotted path of every value unknown until apply anywhere below ``obj``."""
    if isinstance(obj, Mapping):
        for name in list(iter(obj)):
            child = f"{path}.{name}" if path else str(name)
            try:
                value = obj[name]
            except UnknownValueError:
                yield child
                continue
            yield from unknown_paths(value, child)
    elif isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        for index in range(len(obj)):
            try:
                value = obj[index]
            except UnknownValueError:
                yield f"{path}[{index}]"
                continue
            yield from unknown_paths(value, f"{path}[{index}]")
