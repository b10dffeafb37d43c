"""Changes that preview accepts and the cloud refuses: found before ``pulumi up``.

A Cloud Run service (or worker pool) whose ``template.revision`` names the revision explicitly
gets a new revision for every change of its template, and Cloud Run refuses a second revision
under a name that already exists: the update fails at apply with ``409 ... already exists``
(Cloud Run Admin API v2, ``RevisionTemplate.revision``: "the unique name for the revision. If
this field is omitted, it will be automatically generated"). ``pulumi preview`` cannot know, the
provider plans an ordinary update. So when a template changes and the revision name stays, the
diff says so, and both ``diff`` and ``preview --diff`` fail with ``APPLY_FAILURE_EXIT``.
"""

from __future__ import annotations

from typing import Any

from preflight.diff.model import Reason, StackDiff

NAMED_REVISION_TYPES = frozenset(
    {
        "gcp:cloudrunv2/service:Service",
        "gcp:cloudrunv2/workerPool:WorkerPool",
    }
)
"""Cloud Run types whose template may name its revision (pulumi-gcp type tokens)."""


def _template_revision(resource: dict[str, Any] | None) -> str | None:
    template = (resource or {}).get("inputs", {}).get("template")
    if not isinstance(template, dict):
        return None
    name = template.get("revision")
    return name if isinstance(name, str) and name else None


def revision_guard(diff: StackDiff, head: dict[str, Any] | None) -> None:
    """Add a blocker for each updated Cloud Run template that keeps its revision name."""
    if head is None:
        return
    by_urn = {r.get("urn"): r for r in head.get("resources", [])}
    for change in diff.resources:
        if change.type not in NAMED_REVISION_TYPES or change.op != "update":
            continue
        paths = [c.path for c in change.changes if not c.option]
        template = [p for p in paths if p == "template" or p.startswith(("template.", "template["))]
        revision = _template_revision(by_urn.get(change.urn))
        renamed = any(p == "template.revision" for p in paths)
        if not template or revision is None or renamed:
            continue
        diff.blockers.append(
            Reason(
                "revision",
                change.urn,
                f"{change.name}: the template changes ({', '.join(template[:3])}"
                f"{', …' if len(template) > 3 else ''}) but its revision name stays "
                f"{revision!r}; Cloud Run refuses a second revision of that name (409 at "
                "`pulumi up`): give the release a new revision name",
            )
        )
