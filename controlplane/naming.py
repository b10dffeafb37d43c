"""One naming and labelling helper for every physical name and label set in the program.

Physical names follow ``<org>-<env>-<component>-<role>`` (CONVENTIONS.md); logical names are
derived by components as ``f"{name}-<role>"``. No random suffixes anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Environment = Literal["dev", "staging", "prod"]
DataClass = Literal["synthetic", "anonymized", "live"]

# GCP label keys/values: lowercase letters, digits, '_' and '-', at most 63 characters.
DAY_SECONDS = 86400
KMS_ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def slug(text: str) -> str:
    """``roles/run.developer`` -> ``roles-run-developer``: a fragment for logical names."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_LABEL_RE = re.compile(r"^[a-z0-9_-]{0,63}$")
_NAME_PART_RE = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Naming:
    """Names and labels for one environment of one organisation."""

    org: str
    env: Environment
    data_class: DataClass
    extra_labels: dict[str, str] = field(default_factory=dict)

    def physical(self, component: str, role: str = "", *, max_len: int = 63) -> str:
        """``<org>-<env>-<component>-<role>``; raises when a GCP name limit would be exceeded."""
        parts = [self.org, self.env, component] + ([role] if role else [])
        for part in parts:
            if not _NAME_PART_RE.match(part):
                raise ValueError(
                    f"name part {part!r} must start with a letter and use only a-z, 0-9 and '-'"
                )
        name = "-".join(parts)
        if len(name) > max_len:
            raise ValueError(
                f"physical name {name!r} is {len(name)} characters, the limit here is {max_len}: "
                "shorten the org or component name in the stack config"
            )
        return name

    def labels(self, **more: str) -> dict[str, str]:
        """The labels every labelable resource carries, plus ``more`` (e.g. component=agent)."""
        labels = {
            "environment": self.env,
            "data-class": self.data_class,
            "managed-by": "pulumi",
            **self.extra_labels,
            **more,
        }
        for key, value in labels.items():
            if not _LABEL_RE.match(key) or not _LABEL_RE.match(value):
                raise ValueError(
                    f"label {key}={value!r} is not a valid GCP label: "
                    "use lowercase letters, digits, '_' and '-' (at most 63 characters)"
                )
        return dict(sorted(labels.items()))

    def tags(self, **more: str) -> list[str]:
        """Datadog-style ``key:value`` tags for the same environment."""
        base = {"env": self.env, "data-class": self.data_class, "managed-by": "pulumi", **more}
        return [f"{k}:{v}" for k, v in sorted(base.items())]
