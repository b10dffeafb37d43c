"""The two forms of a diff report: the pull-request comment (Markdown) and the JSON report.

The Markdown stays under GitHub's comment size limit: when it would not, each stack keeps its
frame and as many resource items as fit, and says where the full report is.
"""

from __future__ import annotations

import json
from typing import Any

from preflight.diff.model import (
    APPLY_FAILURE_EXIT,
    DATA_LOSS_EXIT,
    PropertyChange,
    ResourceChange,
    StackDiff,
    scrub,
)
from preflight.snapshot import OP_SIGNS, UNKNOWN

MARKDOWN_LIMIT = 60_000
"""GitHub rejects comments over 65,536 characters; stay well below."""


def _display(value: Any) -> str:
    if value is None:
        return "(none)"
    if value == UNKNOWN:
        return "(known after apply)"
    text = json.dumps(scrub(value), sort_keys=True, ensure_ascii=False)
    if len(text) > 120:
        text = text[:117] + "..."
    return _code(text)


def _code(text: str) -> str:
    text = text.replace("\n", " ")
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def _change_line(change: PropertyChange) -> str:
    label = f"option `{change.path}`" if change.option else _code(change.path or "(inputs)")
    if change.secret:
        detail = {"add": "(secret added)", "delete": "(secret removed)"}.get(
            change.kind, "(secret changed)"
        )
    elif change.kind == "add":
        detail = f"added {_display(change.new)}"
    elif change.kind == "delete":
        detail = f"removed (was {_display(change.old)})"
    else:
        detail = f"{_display(change.old)} → {_display(change.new)}"
    forces = " — forces replacement" if change.replaces else ""
    return f"  - {label}: {detail}{forces}"


def _resource_lines(r: ResourceChange) -> list[str]:
    head = f"- `{OP_SIGNS[r.op]}` {r.op} `{r.type}` **{r.name}**"
    if r.data_loss:
        head += " ⚠️ data loss: " + str(r.stateful)
    if r.op == "replace":
        head += " (replaced because " + ", ".join(f"`{p}`" for p in r.replace_reasons) + " changed)"
    lines = [head]
    lines += [f"  - note: {note}" for note in r.notes]
    lines += [_change_line(c) for c in r.changes]
    return lines


def _summary_phrase(d: StackDiff) -> str:
    parts = [
        f"{d.count(op)} to {op}" for op in ("create", "update", "replace", "delete") if d.count(op)
    ]
    return ", ".join(parts) or "no changes"


def _policy_cell(d: StackDiff) -> str:
    if d.policy is None:
        cell = "not compared"
    elif not d.policy.new and not d.policy.resolved:
        cell = "no change"
    else:
        cell = f"{len(d.policy.new)} new, {len(d.policy.resolved)} resolved"
    if d.policy_config_changed:
        cell += f"; ⚠️ `{d.policy_config_changed.rsplit('/', 1)[-1]}` changed"
    return cell


def _config_line(d: StackDiff) -> list[str]:
    if not d.policy_config_changed:
        return []
    return [
        f"⚠️ The policy config `{d.policy_config_changed}` changed between the base and the "
        "working tree. Both sides are judged with the working tree's config, so the results "
        "above leave that change out: run `python -m preflight check "
        f"--stack {d.stack}` to see the new config's results."
    ]


def _impact_cell(d: StackDiff) -> str:
    if not d.high_impact:
        return "no"
    return "yes: " + ", ".join(sorted({r.kind for r in d.high_impact}))


def _impact_lines(diffs: list[StackDiff], full_report: str) -> list[str]:
    """The high-impact block: playbook §9 wants these announced 48 hours before deploying."""
    reasons = [(d.stack, r) for d in diffs for r in d.high_impact]
    if not reasons:
        return []
    lines = [
        "> [!IMPORTANT]",
        "> **High-impact change** (playbook §9): announce it to stakeholders 48 hours before it "
        "is deployed, in a change record under `changes/` (docs/runbooks/change-notice.md).",
    ]
    for stack, r in reasons[:50]:
        where = f" `{r.urn.rsplit('::', 1)[-1]}`" if r.urn else ""
        lines.append(f"> - `{stack}` {r.kind}{where}: {r.text}")
    if len(reasons) > 50:
        lines.append(f"> - … and {len(reasons) - 50} more: {full_report}")
    return [*lines, ""]


def _policy_lines(d: StackDiff) -> list[str]:
    if d.policy is None:
        return [f"Policy results: not compared ({d.policy_note or 'not run'}).", *_config_line(d)]
    if not d.policy.new and not d.policy.resolved:
        return ["Policy results: unchanged by the program change.", *_config_line(d)]
    lines = [*_config_line(d), "Policy results that change:"]
    for label, items in (("new", d.policy.new), ("resolved", d.policy.resolved)):
        for v in items:
            where = f" on `{v.urn.rsplit('::', 1)[-1]}`" if v.urn else ""
            lines.append(f"- {label}: **{v.policy}** ({v.enforcement}){where}: {v.message}")
    return lines


def _details(d: StackDiff, items: list[list[str]], hidden: int, full_report: str) -> list[str]:
    lines = ["<details>", f"<summary><b>{d.stack}</b>: {_summary_phrase(d)}</summary>", ""]
    lines += [f"_{note}_" for note in d.notes]
    if d.notes:
        lines.append("")
    if d.diagram:
        from preflight.graph import CHANGE_LEGEND

        lines += [d.diagram.rstrip("\n"), "", f"_{CHANGE_LEGEND}_", ""]
    for item in items:
        lines += item
    if hidden:
        lines.append(
            f"- … {hidden} more resource change(s) not shown here (comment size limit): "
            f"{full_report}"
        )
    if not d.resources:
        lines.append("No resource changes.")
    lines += ["", *_policy_lines(d), "", "</details>", ""]
    return lines


def render_markdown(
    diffs: list[StackDiff],
    base_label: str,
    *,
    allow_data_loss: bool,
    full_report: str,
    limit: int = MARKDOWN_LIMIT,
) -> str:
    """The PR-comment form: summary table, data-loss risks, then details per stack."""
    head = [
        f"### Infrastructure diff against {base_label}",
        "",
        "| Stack | Create | Update | Replace | Delete | Data-loss risk | High impact "
        "| Policy results |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for d in diffs:
        risk = f"⚠️ {len(d.data_loss)}" if d.data_loss else "none"
        counts = " | ".join(str(d.count(op)) for op in ("create", "update", "replace", "delete"))
        head.append(f"| {d.stack} | {counts} | {risk} | {_impact_cell(d)} | {_policy_cell(d)} |")
    head.append("")
    head += _impact_lines(diffs, full_report)
    blocked = [(d.stack, b) for d in diffs for b in d.blockers]
    if blocked:
        head += [
            "> [!CAUTION]",
            "> **Would fail at apply**: the cloud refuses these changes; the diff fails with "
            f"exit code {APPLY_FAILURE_EXIT} until they are fixed.",
        ]
        head += [f"> - `{stack}`: {b.text}" for stack, b in blocked[:50]]
        head.append("")
    risky = [(d.stack, r) for d in diffs for r in d.data_loss]
    if risky:
        verdict = (
            "allowed with `--allow-data-loss`"
            if allow_data_loss
            else "the diff fails with exit code 3; after review, rerun with `--allow-data-loss` "
            "(in CI: add the `allow-data-loss` label to the pull request)"
        )
        head += [
            "> [!CAUTION]",
            f"> **Data-loss risk**: stateful resources would be deleted or replaced; {verdict}.",
        ]
        for stack, r in risky[:50]:
            head.append(f"> - `{stack}`: {r.op} `{r.type}` **{r.name}**: {r.stateful}")
        if len(risky) > 50:
            head.append(f"> - … and {len(risky) - 50} more: {full_report}")
        head.append("")
    header = "\n".join(head) + "\n"
    blocks = [[_resource_lines(r) for r in d.resources] for d in diffs]
    full = [_details(d, items, 0, full_report) for d, items in zip(diffs, blocks, strict=True)]
    text = header + "".join("\n".join(lines) + "\n" for lines in full)
    if len(text) <= limit:
        return text
    # Too long: keep every stack's frame and as many of its resource items as fit an even
    # share of what is left, smallest stacks first so their unused share goes to the others.
    frames = {d.stack: len("\n".join(_details(d, [], 1, full_report))) + 1 for d in diffs}
    budget = limit - len(header) - sum(frames.values()) - 200
    kept: dict[str, tuple[list[list[str]], int]] = {}
    order = sorted(
        zip(diffs, blocks, strict=True), key=lambda pair: sum(len("\n".join(i)) for i in pair[1])
    )
    for index, (d, items) in enumerate(order):
        share = max(budget, 0) // (len(order) - index)
        used, chosen = 0, []
        for item in items:
            size = len("\n".join(item)) + 1
            if used + size > share:
                break
            chosen.append(item)
            used += size
        budget -= used
        kept[d.stack] = (chosen, len(items) - len(chosen))
    text = header + "".join(
        "\n".join(_details(d, kept[d.stack][0], kept[d.stack][1], full_report)) + "\n"
        for d in diffs
    )
    if len(text) > limit:  # only a header of extreme size gets here
        text = text[: limit - 200] + f"\n\n… cut at the comment size limit: {full_report}\n"
    return text


def render_json(
    diffs: list[StackDiff], base: dict[str, str], *, allow_data_loss: bool
) -> dict[str, Any]:
    data_loss = any(d.data_loss for d in diffs)
    return {
        "base": base,
        "head": "working tree",
        "dataLoss": data_loss,
        "highImpact": any(d.high_impact for d in diffs),
        "allowDataLoss": allow_data_loss,
        "applyFailures": any(d.blockers for d in diffs),
        "exitCode": exit_code(diffs, allow_data_loss=allow_data_loss),
        "stacks": [d.to_json() for d in diffs],
    }


def exit_code(diffs: list[StackDiff], *, allow_data_loss: bool) -> int:
    """``APPLY_FAILURE_EXIT`` when a change would be refused at apply (no flag allows that),
    else ``DATA_LOSS_EXIT`` for a data-loss risk not allowed, else 0."""
    if any(d.blockers for d in diffs):
        return APPLY_FAILURE_EXIT
    if any(d.data_loss for d in diffs) and not allow_data_loss:
        return DATA_LOSS_EXIT
    return 0
