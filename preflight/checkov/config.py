"""Where checkov and its configuration live, and the justified skips of
``tools/checkov/config.yaml``."""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from preflight.cli import ROOT

if TYPE_CHECKING:
    from preflight.checkov.report import Finding

REPO = ROOT
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
CONFIG = REPO / "tools" / "checkov" / "config.yaml"
REQUIREMENTS = REPO / "tools" / "checkov" / "requirements.txt"
DOC = REPO / "docs" / "checkov.md"
PLAN_SUFFIX = ".tfplan.json"
BOOTSTRAP = (
    "python3 -m venv .venv-checkov && .venv-checkov/bin/pip install --no-deps "
    "--require-hashes -r tools/checkov/requirements.txt"
)
CHECKOV_TIMEOUT = 900
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "True", "PYTHONDONTWRITEBYTECODE": "1"}


class ScanError(Exception):
    """Setup or configuration problem: one line, exit code 2."""


class CheckovError(Exception):
    """checkov failed to run or its output could not be read."""


class Skip(BaseModel):
    """One justified skip: a failed check that is accepted, where, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str = Field(pattern=r"^CKV2?_[A-Z0-9]+_\d+$")
    urns: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    line: str | None = None
    """For file findings: a regular expression the flagged line must match, so that the skip
    covers one known false positive and not every future finding in the file."""
    reason: str = Field(min_length=20)

    @model_validator(mode="after")
    def _one_scope(self) -> Skip:
        if bool(self.urns) == bool(self.paths):
            raise ValueError("give either `urns` (plan findings) or `paths` (file findings)")
        if self.line is not None:
            if self.urns:
                raise ValueError("`line` applies to `paths` skips only")
            re.compile(self.line)
        return self

    def matches(self, finding: Finding, repo: Path | None) -> bool:
        if finding.check_id != self.check:
            return False
        if finding.urn is not None:
            return any(fnmatchcase(finding.urn, pattern) for pattern in self.urns)
        if not any(fnmatchcase(finding.file, pattern) for pattern in self.paths):
            return False
        if self.line is None:
            return True
        if repo is None:
            return False
        try:
            lines = (repo / finding.file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return False
        number = finding.lines[0]
        return 0 < number <= len(lines) and re.search(self.line, lines[number - 1]) is not None

    def label(self) -> str:
        return f"{self.check} {', '.join(self.urns or self.paths)}"


class ScanConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    skips: tuple[Skip, ...] = ()


def load_config(path: Path = CONFIG) -> ScanConfig:
    """The justified skips; a bad file is a ScanError naming the entry and what to write."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return ScanConfig()
    except yaml.YAMLError as exc:
        raise ScanError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    try:
        return ScanConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScanError(
            f"{path}: {where}: {first['msg']} "
            "(each skip needs check: CKV_..., urns: or paths:, and a reason of 20+ characters)"
        ) from None


def pinned_version(requirements: Path = REQUIREMENTS) -> str:
    """The checkov version the lock pins (what the bootstrap installs, hash-checked)."""
    match = re.search(r"^checkov==(\S+)", requirements.read_text(encoding="utf-8"), re.M)
    if match is None:
        raise ScanError(f"{requirements} does not pin checkov: regenerate it from requirements.in")
    return match.group(1)


def require_checkov(checkov: Path) -> None:
    if not os.access(checkov, os.X_OK):
        raise ScanError(f"checkov is not installed at {checkov}: create it with `{BOOTSTRAP}`")
