"""Pieces several config keys share: string field types, window arithmetic, image pinning,
CMEK settings and the helper that reports several problems at their exact locations."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, ValidationError, ValidationInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from config.base import Model

Window = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,3}[mhd]$")]
"""An evaluation window: ``5m``, ``1h``, ``2d``."""
MetricName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z][a-zA-Z0-9_.]{0,199}$")]
"""A Datadog metric name."""
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
"""A time of day, ``HH:MM`` (24 h)."""
TimeZone = Annotated[str, StringConstraints(pattern=r"^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$")]
"""An IANA time zone name (``UTC``, ``Etc/UTC``, ``Europe/Berlin``)."""

ENV_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
"""An environment variable name (A-Z, 0-9, _)."""

_IMAGE_RE = re.compile(
    r"^(?P<repo>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+(?=/))?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)

Located = tuple[tuple[str | int, ...], Any, str]
"""``(location under the field, what was found, what to write instead)``."""


def raise_at(field: str, problems: list[Located]) -> None:
    """Raise one validation error per problem, each at its exact location under ``field``."""
    raise ValidationError.from_exception_data(
        field,
        [
            InitErrorDetails(
                type=PydanticCustomError("runtime_config", "{message}", {"message": message}),
                loc=loc,
                input=found,
            )
            for loc, found, message in problems
        ],
    )


def check_image(value: str) -> str:
    """``value`` when it is an image pinned by digest or an immutable tag."""
    match = _IMAGE_RE.match(value)
    if not match or not (match["tag"] or match["digest"]) or match["tag"] == "latest":
        raise ValueError(
            "an image pinned by digest (<registry>/<repo>@sha256:<64 hex>) or by an immutable "
            "tag (<registry>/<repo>:1.4.2); 'latest' and untagged images are refused"
        )
    return value


PinnedImage = Annotated[str, AfterValidator(check_image)]
"""A container image pinned by digest or an immutable tag."""


def window_minutes(window: str) -> int:
    """``"5m"`` -> 5, ``"1h"`` -> 60, ``"2d"`` -> 2880."""
    return int(window[:-1]) * {"m": 1, "h": 60, "d": 1440}[window[-1]]


def shorter_than(window: str, info: ValidationInfo, other: str, other_key: str) -> str:
    """``window`` when it is shorter than the already validated field ``other``."""
    limit = info.data.get(other)
    if limit and window_minutes(window) >= window_minutes(limit):
        raise ValueError(f"a window shorter than {other_key} ({limit})")
    return window


def after_start(end: str, info: ValidationInfo) -> str:
    """``end`` when it is later than the already validated ``start`` of the same day."""
    start = info.data.get("start")
    if start and end <= start:
        raise ValueError(f"a time after start ({start}) on the same day")
    return end


def num(value: float) -> str:
    """A number as the playbook writes it (``0.97``, ``8``)."""
    return f"{value:g}"


def alias(model: type[Model], info: ValidationInfo) -> str:
    """The config key (camelCase alias) of the field being validated."""
    name = str(info.field_name)
    return model.model_fields[name].alias or name


class CmekSpec(Model):
    """Customer-managed encryption keys (Cloud KMS)."""

    enabled: bool = Field(default=False, description="Encrypt with our own KMS key (prod: on).")
    rotation_days: int = Field(
        default=90, ge=1, le=90, description="Key rotation period in days (at most quarterly)."
    )
