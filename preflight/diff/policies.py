"""The policy pack's verdict on both sides of a diff: which violations a change adds or clears.

The working tree's pack judges both snapshots (scrubbed of fingerprints), so the comparison
shows what the program change does, not what a change of the pack does.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from preflight.diff.compare import policy_delta
from preflight.diff.model import DiffError, StackDiff, safe_text, scrub

PolicyRunner = Callable[[dict[str, Any]], list[dict[str, Any]]]


@contextlib.contextmanager
def policy_runner() -> Iterator[tuple[PolicyRunner | None, str]]:
    """A function from a snapshot to its policy violations, or None and the reason why not.

    Uses ``preflight.check``: its ``violations_for_snapshot(snapshot) -> list[dict]`` when it
    has one, else one ``PolicyPackHost`` (the pack launched as the Pulumi CLI launches it) for
    every snapshot of this run, through ``check_snapshot(host, snapshot, source, config)`` with
    ``CONFIG_DIR/<stack>.json``. Each violation is a dict with ``policy``, ``enforcement``
    (advisory | mandatory), ``urn`` (empty for stack policies) and ``message``.
    """
    try:
        check = importlib.import_module("preflight.check")
    except ModuleNotFoundError as err:
        if err.name != "preflight.check":
            raise
        yield None, "preflight.check is not available"
        return
    simple = getattr(check, "violations_for_snapshot", None)
    if callable(simple):
        yield simple, ""
        return
    needed = ("PolicyPackHost", "check_snapshot", "PACK_DIR", "CONFIG_DIR", "PROJECT")
    if not all(hasattr(check, name) for name in needed):
        yield None, "preflight.check has neither violations_for_snapshot nor check_snapshot"
        return
    with check.PolicyPackHost(check.PACK_DIR, project=check.PROJECT) as host:

        def run(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
            stack = str(snapshot.get("stack") or "")
            config = Path(check.CONFIG_DIR) / f"{stack}.json"
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

        yield run, ""


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
