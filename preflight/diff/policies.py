"""The policy pack's verdict on both sides of a diff: which violations a change adds or clears.

The working tree's pack judges both snapshots (scrubbed of fingerprints), so the comparison
shows what the program change does, not what a change of the pack does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from preflight.diff.compare import policy_delta
from preflight.diff.gitbase import _git
from preflight.diff.model import DiffError, StackDiff, safe_text, scrub

PolicyRunner = Callable[[dict[str, Any]], list[dict[str, Any]]]


@contextlib.contextmanager
def policy_runner() -> Iterator[PolicyRunner]:
    """A function from a snapshot to its policy violations, through ``preflight.check``.

    One ``PolicyPackHost`` (the pack launched as the Pulumi CLI launches it) serves every
    snapshot of this run, through ``check_snapshot(host, snapshot, source, config)`` with
    ``CONFIG_DIR/<stack>.json``. Each violation is a dict with ``policy``, ``enforcement``
    (advisory | mandatory), ``urn`` (empty for stack policies) and ``message``.
    """
    from preflight import check  # the pack's gRPC stack loads only when policies are compared

    # The compared snapshots are updates (synth's default mode): the pack starts as one.
    host = check.PolicyPackHost(check.PACK_DIR, project=check.PROJECT).use_mode(dry_run=False)
    with host:

        def run(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
            stack = str(snapshot.get("stack") or "")
            config = check.CONFIG_DIR / f"{stack}.json"
            if not config.is_file():
                raise DiffError(f"no policy config {config.name} for stack {stack}")
            result = check.check_snapshot(host, snapshot, f"stack {stack}", config)
            return [
                {
                    "policy": v.policy_name,
                    "enforcement": v.enforcement_level,
                    "urn": v.urn,
                    "message": v.message,
                }
                for v in result.violations
            ]

        yield run


def changed_configs(repo: Path, commit: str, stacks: list[str]) -> dict[str, str]:
    """The stacks whose policy config (``policies/config/<stack>.json``) differs between
    ``commit`` and the working tree, each with the config's repository path."""
    from preflight import check

    try:
        config_dir = check.CONFIG_DIR.resolve().relative_to(repo.resolve())
    except ValueError:  # a project outside this repository: its pack config is not versioned here
        return {}
    changed = {}
    for stack in stacks:
        path = (config_dir / f"{stack}.json").as_posix()
        shown = _git(repo, "show", f"{commit}:{path}")
        before = shown.stdout if shown.returncode == 0 else None
        head = repo / path
        after = head.read_text(encoding="utf-8") if head.is_file() else None
        if before != after:
            changed[stack] = path
    return changed


def compare_policies(
    d: StackDiff, runner: PolicyRunner, base: dict[str, Any] | None, head: dict[str, Any] | None
) -> None:
    """Fill ``d.policy`` (or ``d.policy_note`` when the pack could not judge a snapshot)."""
    try:
        before = runner(scrub(base)) if base is not None else []
        after = runner(scrub(head)) if head is not None else []
    except Exception as err:  # the comparison is extra information: report it, keep the diff
        text = str(err).strip()
        first = text.splitlines()[0] if text else type(err).__name__
        d.policy_note = safe_text(f"the policy pack failed: {first}")
        return
    d.policy = policy_delta(before, after)
