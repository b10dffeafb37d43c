"""What a scan found: findings located in Pulumi terms, and the report the command prints."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from preflight.checkov.config import CONFIG, REPO


@dataclass(frozen=True)
class Finding:
    """One checkov result, located in Pulumi terms."""

    framework: str
    check_id: str
    check_name: str
    result: str
    """passed, failed or skipped (a failed check accepted by a justified skip)."""
    file: str
    """Repository-relative path, or ``<stack>.tfplan.json`` for plan findings."""
    lines: tuple[int, int]
    urn: str | None = None
    stack: str | None = None
    address: str | None = None
    resource: str | None = None
    """checkov's resource for workflow findings (e.g. ``jobs(test).steps[2]``)."""
    guideline: str | None = None
    reason: str | None = None

    @property
    def where(self) -> str:
        if self.urn is not None:
            return self.urn
        suffix = f" {self.resource}" if self.resource else ""
        return f"{self.file}:{self.lines[0]}{suffix}"

    def sort_key(self) -> tuple[str, ...]:
        return (self.framework, self.where, self.check_id, self.result)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "framework": self.framework,
            "check_id": self.check_id,
            "check_name": self.check_name,
            "result": self.result,
            "file": self.file,
            "lines": list(self.lines),
        }
        for key in ("urn", "stack", "address", "resource", "guideline", "reason"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class ScanReport:
    """Everything one scan found; ``ok`` is what the exit code says."""

    checkov_version: str = ""
    stacks: list[str] = field(default_factory=list)
    exported: dict[str, int] = field(default_factory=dict)
    checkov_resources: int | None = None
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def results(self, check_id: str, result: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.check_id == check_id and result in (None, f.result)]

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.result == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.problems

    def summary(self) -> dict[str, dict[str, int]]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for f in self.findings:
            counts[f.framework][f.result] += 1
        return {
            fw: {k: counts[fw][k] for k in ("passed", "failed", "skipped")} for fw in sorted(counts)
        }

    def to_json(self) -> dict[str, Any]:
        """Deterministic: the same program and repository give the same document."""
        return {
            "checkov_version": self.checkov_version,
            "stacks": self.stacks,
            "resources": {"exported": self.exported, "checkov": self.checkov_resources},
            "summary": self.summary(),
            "problems": self.problems,
            "notices": self.notices,
            "results": [f.to_json() for f in sorted(self.findings, key=Finding.sort_key)],
        }

    def render(self) -> str:
        lines = []
        exported = sum(self.exported.values())
        lines.append(
            f"checkov {self.checkov_version or '?'}: terraform_plan over "
            f"{', '.join(self.stacks) or 'no stack'}: {self.checkov_resources} resources "
            f"(exported: {exported})"
        )
        for framework, counts in self.summary().items():
            lines.append(
                f"  {framework}: {counts['passed']} passed, {counts['failed']} failed, "
                f"{counts['skipped']} skipped"
            )
        skipped: dict[tuple[str, str], list[str]] = defaultdict(list)
        for f in sorted(self.findings, key=Finding.sort_key):
            if f.result == "skipped":
                skipped[(f.check_id, f.reason or "")].append(f.where)
        if skipped:
            lines.append(f"skipped with a justification ({CONFIG.relative_to(REPO)}):")
            for (check_id, reason), where in sorted(skipped.items()):
                lines.append(f"  {check_id} ({len(where)}): {reason}")
                lines += [f"    {w}" for w in where]
        if self.failed:
            lines.append("failed:")
            for f in sorted(self.failed, key=Finding.sort_key):
                lines.append(f"  {f.check_id} {f.check_name}")
                lines.append(f"    {f.where}")
                if f.guideline:
                    lines.append(f"    {f.guideline}")
        lines += [f"notice: {n}" for n in self.notices]
        lines += [f"error: {p}" for p in self.problems]
        lines.append("scan: OK" if self.ok else "scan: FAILED")
        return "\n".join(lines) + "\n"
