"""The base every config model derives from (unknown keys are errors, keys are camelCase), and
the one shape of an environment rule's problem."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Problem:
    """One broken environment rule: the key path and what is wrong.

    Every section with environment rules reports them through ``env_rules(self, env)``, which
    returns a list of these, empty when all is well; ``config/stack.py`` formats them.
    """

    path: str
    """Key path as written in the stack file, relative to the model that reports it
    (``cmek.enabled`` from the vault model); :meth:`under` prefixes the key
    (``vault.cmek.enabled``)."""
    message: str
    """What was found and what to write instead."""

    @classmethod
    def found(cls, path: str, found: str, expected: str) -> Problem:
        """The usual shape: ``<path>: found <found>, expected <expected>``."""
        return cls(path, f"found {found}, expected {expected}")

    def under(self, key: str) -> Problem:
        """The same problem with its path prefixed by ``key`` (``vault`` + ``cmek.enabled``)."""
        return Problem(f"{key}.{self.path}" if self.path else key, self.message)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"
