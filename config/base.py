"""The base every config model derives from: unknown keys are errors, keys are camelCase."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """Strict config model: camelCase keys as written in Pulumi.<stack>.yaml, no unknown keys."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        validate_default=True,
    )


IamBindings = dict[str, list[str]]
"""The one IAM shape every component takes: ``{role: [members]}``."""
