"""preflight diff: the pure core over two snapshot dicts, and the whole command against a real
temporary git repository whose `preflight` package is a stub written by the test."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import re
import shlex
import tempfile
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest

from preflight import check, diff
from preflight.cli import ROOT
from preflight.diff import cli as diff_cli
from preflight.diff.compare import policy_delta
from preflight.diff.model import DiffError, StackDiff
from preflight.diff.policies import compare_policies, policy_runner
from preflight.diff.render import MARKDOWN_LIMIT
from preflight.snapshot import UNKNOWN
from tests.support.git import git
from tests.support.resource_records import record

KEY = b"test-fingerprint-key"
CANARIES = ("canary-gemini-old-3f9a", "canary-gemini-new-77b1", "canary-composio-c0ffee")
STACK_URN = "urn:pulumi:{stack}::controlplane::pulumi:pulumi:Stack::controlplane-{stack}"


def fingerprint(value: Any, key: bytes = KEY) -> str:
    """What the synth's Normaliser writes for a secret when a fingerprint key is set."""
    text = json.dumps(value, sort_keys=True).encode()
    return f"[secret:{hmac.new(key, text, hashlib.sha256).hexdigest()[:16]}]"


def res(
    stack: str,
    type_: str,
    name: str,
    inputs: dict[str, Any],
    parent_type: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    plain = record(
        f"urn:pulumi:{stack}::controlplane::{qualified}::{name}",
        type_,
        name,
        custom=not type_.startswith("controlplane:"),
        parent=None,
        inputs=inputs,
        dependencies=[],
        property_dependencies={},
    )
    return {**plain, **options}


def snapshot(stack: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    root = {
        "urn": STACK_URN.format(stack=stack),
        "type": "pulumi:pulumi:Stack",
        "name": f"controlplane-{stack}",
        "custom": False,
        "inputs": {},
    }
    return {"project": "controlplane", "stack": stack, "resources": [root, *resources]}


def monitor(stack: str, critical: int) -> dict[str, Any]:
    return res(
        stack,
        "datadog:index/monitor:Monitor",
        "mission-success",
        {
            "name": "[prod] Mission success rate below 97%",
            "type": "query alert",
            "query": f"avg(last_5m):avg:mission.success_rate{{env:{stack}}} < {critical}",
            "monitorThresholds": {"critical": critical},
            "tags": ["env:prod", "severity:critical"],
        },
        parent_type="controlplane:observability:Monitoring",
    )


def secret(stack: str, name: str, value: str, **extra: Any) -> list[dict[str, Any]]:
    parent = "controlplane:secrets:SecretVault"
    return [
        res(
            stack,
            "gcp:secretmanager/secret:Secret",
            name,
            {
                "secretId": f"acme-{stack}-vault-{name}",
                "labels": {"data-class": "live", "environment": stack},
                "replication": {"auto": {}},
                **extra,
            },
            parent_type=parent,
            protect=True,
        ),
        res(
            stack,
            "gcp:secretmanager/secretVersion:SecretVersion",
            f"{name}-version",
            {"secret": f"projects/1/secrets/acme-{stack}-vault-{name}", "secretData": value},
            parent_type=parent,
        ),
    ]


def agent(stack: str, name: str) -> dict[str, Any]:
    return res(
        stack,
        "gcp:cloudrunv2/service:Service",
        "agent",
        {
            "name": name,
            "location": "europe-west1",
            "template": {
                "containers": [
                    {"image": "agent@sha256:1", "envs": [{"name": "LOG", "value": "json"}]}
                ],
                "timeout": "3600s",
            },
        },
        parent_type="controlplane:runtime:AgentService",
    )


def archive_bucket(stack: str) -> dict[str, Any]:
    return res(
        stack,
        "gcp:storage/bucket:Bucket",
        "logs-archive",
        {"name": f"acme-{stack}-logs-archive", "location": "EU"},
        parent_type="controlplane:logging:LogRetention",
        protect=True,
    )


def base_and_head(stack: str = "prod") -> tuple[dict[str, Any], dict[str, Any]]:
    base = snapshot(
        stack,
        [
            monitor(stack, 97),
            *secret(stack, "gemini", fingerprint(CANARIES[0])),
            agent(stack, f"acme-{stack}-agent"),
            archive_bucket(stack),
        ],
    )
    head = snapshot(
        stack,
        [
            monitor(stack, 95),  # a changed monitor threshold
            *secret(stack, "gemini", fingerprint(CANARIES[1])),  # a changed secret value
            *secret(stack, "composio", fingerprint(CANARIES[2])),  # an added secret
            agent(stack, f"acme-{stack}-agent-v2"),  # a replaced service (its name changed)
            # the archive bucket is removed
        ],
    )
    return base, head


def ops(d: StackDiff) -> list[tuple[str, str, str]]:
    return [(r.op, r.type, r.name) for r in d.resources]


def assert_no_secret_leak(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text
        assert fingerprint(canary) not in text
        assert fingerprint(canary)[8:-1] not in text
    assert "[secret:" not in text


# --- the pure core ---------------------------------------------------------------------


def test_reports_each_kind_of_change() -> None:
    base, head = base_and_head()
    d = diff.diff_snapshots("prod", base, head)
    assert ops(d) == [
        ("delete", "gcp:storage/bucket:Bucket", "logs-archive"),
        ("replace", "gcp:cloudrunv2/service:Service", "agent"),
        ("replace", "gcp:secretmanager/secretVersion:SecretVersion", "gemini-version"),
        ("update", "datadog:index/monitor:Monitor", "mission-success"),
        ("create", "gcp:secretmanager/secret:Secret", "composio"),
        ("create", "gcp:secretmanager/secretVersion:SecretVersion", "composio-version"),
    ]
    by_name = {r.name: r for r in d.resources}
    assert [c.to_json() for c in by_name["mission-success"].changes] == [
        {"path": "monitorThresholds.critical", "kind": "update", "old": 97, "new": 95},
        {
            "path": "query",
            "kind": "update",
            "old": "avg(last_5m):avg:mission.success_rate{env:prod} < 97",
            "new": "avg(last_5m):avg:mission.success_rate{env:prod} < 95",
        },
    ]
    assert [c.to_json() for c in by_name["agent"].changes] == [
        {
            "path": "name",
            "kind": "update",
            "old": "acme-prod-agent",
            "new": "acme-prod-agent-v2",
            "replaces": True,
        }
    ]
    assert [c.to_json() for c in by_name["gemini-version"].changes] == [
        {"path": "secretData", "kind": "update", "secret": True, "replaces": True}
    ]
    assert [r.name for r in d.data_loss] == ["logs-archive"]
    assert by_name["logs-archive"].notes == [
        "protected: `pulumi up` refuses to delete it until `protect` is removed in a separate, "
        "reviewed change"
    ]
    assert not by_name["gemini-version"].data_loss  # a new version, the secret itself stays


def test_markdown_summary_details_and_no_secret() -> None:
    base, head = base_and_head()
    d = diff.diff_snapshots("prod", base, head)
    d.policy = policy_delta(
        [],
        [
            {
                "policy": "alerting-monitor-configure-threshold",
                "enforcement": "mandatory",
                "urn": head["resources"][1]["urn"],
                "message": "critical threshold 95 is looser than the playbook's 97",
            }
        ],
    )
    text = diff.render_markdown(
        [d], "`origin/main` (`abc`)", allow_data_loss=False, full_report="see report.json"
    )
    lines = text.splitlines()
    assert lines[:5] == [
        "### Infrastructure diff against `origin/main` (`abc`)",
        "",
        "| Stack | Create | Update | Replace | Delete | Data-loss risk | High impact "
        "| Policy results |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
        "| prod | 2 | 1 | 2 | 1 | ⚠️ 1 | yes: data-loss | 1 new, 0 resolved |",
    ]
    assert "> [!CAUTION]" in lines
    assert (
        "> - `prod`: delete `gcp:storage/bucket:Bucket` **logs-archive**: "
        "the bucket and its objects"
    ) in lines
    assert (
        "<summary><b>prod</b>: 2 to create, 1 to update, 2 to replace, 1 to delete</summary>"
        in lines
    )
    for expected in (
        "- `~` update `datadog:index/monitor:Monitor` **mission-success**",
        "  - `monitorThresholds.critical`: `97` → `95`",
        "- `+-` replace `gcp:cloudrunv2/service:Service` **agent** "
        "(replaced because `name` changed)",
        '  - `name`: `"acme-prod-agent"` → `"acme-prod-agent-v2"` — forces replacement',
        "  - `secretData`: (secret changed) — forces replacement",
        "- `+` create `gcp:secretmanager/secret:Secret` **composio**",
        "- `-` delete `gcp:storage/bucket:Bucket` **logs-archive** ⚠️ data loss: "
        "the bucket and its objects",
        "- new: **alerting-monitor-configure-threshold** (mandatory) on `mission-success`: "
        "critical threshold 95 is looser than the playbook's 97",
    ):
        assert expected in lines
    assert lines.index("<details>") > lines.index("> [!CAUTION]")
    assert lines[-2:] == ["</details>", ""]
    assert_no_secret_leak(text)


def test_comment_diagram_colours_a_threshold_change_and_a_removed_bucket() -> None:
    base, head = base_and_head()
    d = diff.diff_snapshots("prod", base, head)
    d.diagram = diff.change_diagram_for(d, base, head)
    text = diff.render_markdown([d], "`main`", allow_data_loss=False, full_report="x")
    block = text[text.index("```mermaid") : text.index("```", text.index("```mermaid") + 3)]
    op_of = {
        node: op
        for nodes, op in re.findall(r"^\s*class (\S+) (create|update|replace|delete)$", block, re.M)
        for node in nodes.split(",")
    }
    labels = dict(re.findall(r'^\s*(\S+)\["([^"]*)"\]', block, re.M))
    ops_by_label = {labels[node].split("<br/>")[-1]: op for node, op in op_of.items()}
    assert ops_by_label["mission-success"] == "update", block
    assert ops_by_label["logs-archive"] == "delete", block
    assert "classDef update" in block and "classDef delete" in block
    assert_no_secret_leak(text)


def test_json_report_exit_code_and_no_secret() -> None:
    base, head = base_and_head()
    d = diff.diff_snapshots("prod", base, head)
    report = diff.render_json([d], {"rev": "origin/main", "commit": "abc"}, allow_data_loss=False)
    assert report["exitCode"] == 3
    assert report["dataLoss"] is True
    (stack,) = report["stacks"]
    assert stack["summary"] == {"create": 2, "update": 1, "replace": 2, "delete": 1}
    assert stack["dataLossRisks"] == [
        "urn:pulumi:prod::controlplane::controlplane:logging:LogRetention"
        "$gcp:storage/bucket:Bucket::logs-archive"
    ]
    assert stack["policy"] == {"compared": False, "reason": "not run"}
    assert_no_secret_leak(json.dumps(report))
    allowed = diff.render_json([d], {"rev": "x", "commit": "y"}, allow_data_loss=True)
    assert allowed["exitCode"] == 0


ROTATION = {"rotationPeriod": "7776000s", "nextRotationTime": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("before", "after", "path", "forces"),
    [
        (
            {},
            {"labels": {"data-class": "anonymized", "environment": "prod"}},
            'labels["data-class"]',
            False,
        ),
        (
            {},
            {"replication": {"userManaged": {"replicas": [{"location": "eu"}]}}},
            "replication.auto",
            True,
        ),
        (
            {"rotation": ROTATION},
            {"rotation": ROTATION | {"rotationPeriod": "2592000s"}},
            "rotation.rotationPeriod",
            True,
        ),
        (
            {"rotation": ROTATION},
            {"rotation": ROTATION | {"nextRotationTime": "2026-02-01T00:00:00Z"}},
            "rotation.nextRotationTime",
            False,
        ),
        ({}, {"rotation": ROTATION}, "rotation", True),
    ],
)
def test_nested_paths_and_what_forces_replacement(
    before: dict[str, Any], after: dict[str, Any], path: str, forces: bool
) -> None:
    base = snapshot("prod", secret("prod", "gemini", "[secret]", **before)[:1])
    head = snapshot("prod", secret("prod", "gemini", "[secret]", **after)[:1])
    (r,) = diff.diff_snapshots("prod", base, head).resources
    assert r.changes[0].path == path
    assert r.op == ("replace" if forces else "update")
    assert r.data_loss is forces  # a replaced secret loses its versions


def test_lists_are_compared_by_index_with_nested_paths() -> None:
    base = snapshot("prod", [agent("prod", "a")])
    changed = agent("prod", "a")
    changed["inputs"]["template"]["containers"][0]["envs"].append({"name": "SSE", "value": "on"})
    changed["inputs"]["template"]["containers"][0]["image"] = "agent@sha256:2"
    (r,) = diff.diff_snapshots("prod", base, snapshot("prod", [changed])).resources
    assert r.op == "update"
    assert [c.to_json() for c in r.changes] == [
        {
            "path": "template.containers[0].envs[1]",
            "kind": "add",
            "new": {"name": "SSE", "value": "on"},
        },
        {
            "path": "template.containers[0].image",
            "kind": "update",
            "old": "agent@sha256:1",
            "new": "agent@sha256:2",
        },
    ]


def test_secrets_nested_in_added_values_are_scrubbed() -> None:
    base = snapshot("prod", [agent("prod", "a")])
    changed = agent("prod", "a")
    env = {"name": "GEMINI_KEY", "valueSource": {"secretKeyRef": fingerprint(CANARIES[0])}}
    changed["inputs"]["template"]["containers"][0]["envs"].append(env)
    (r,) = diff.diff_snapshots("prod", base, snapshot("prod", [changed])).resources
    assert r.changes[0].to_json()["new"] == {
        "name": "GEMINI_KEY",
        "valueSource": {"secretKeyRef": "[secret]"},
    }
    text = diff.render_markdown(
        [diff.diff_snapshots("prod", base, snapshot("prod", [changed]))],
        "x",
        allow_data_loss=False,
        full_report="r",
    )
    assert_no_secret_leak(text)


def test_secrets_without_fingerprints_are_counted_not_guessed() -> None:
    base = snapshot("prod", secret("prod", "gemini", "[secret]"))
    head = snapshot("prod", secret("prod", "gemini", fingerprint(CANARIES[1])))
    d = diff.diff_snapshots("prod", base, head)
    assert d.resources == []
    assert d.uncompared_secrets == 1
    assert d.notes == [
        "1 secret value(s) could not be compared: one snapshot carries no fingerprint "
        "(a saved snapshot, or a base revision from before fingerprints)"
    ]
    same = diff.diff_snapshots("prod", head, head)
    assert same.resources == [] and same.uncompared_secrets == 0


def test_a_value_that_becomes_secret_shows_no_value() -> None:
    base = snapshot("prod", [monitor("prod", 97)])
    head = snapshot("prod", [monitor("prod", 97)])
    head["resources"][1]["inputs"]["query"] = fingerprint("a query")
    (r,) = diff.diff_snapshots("prod", base, head).resources
    assert [c.to_json() for c in r.changes] == [{"path": "query", "kind": "update", "secret": True}]


def test_options_ignore_changes_and_replace_on_changes() -> None:
    base = snapshot("prod", [monitor("prod", 97)])
    head = snapshot("prod", [monitor("prod", 95)])
    head["resources"][1]["ignoreChanges"] = ["query"]
    head["resources"][1]["protect"] = True
    (r,) = diff.diff_snapshots("prod", base, head).resources
    assert [(c.path, c.option) for c in r.changes] == [
        ("monitorThresholds.critical", False),
        ("protect", True),
        ("ignoreChanges", True),
    ]
    head["resources"][1]["replaceOnChanges"] = ["monitorThresholds.*"]
    head["resources"][1]["ignoreChanges"] = []
    (r,) = diff.diff_snapshots("prod", base, head).resources
    assert r.op == "replace"
    assert r.replace_reasons == ["monitorThresholds.critical"]


def test_iam_members_replace_on_any_change() -> None:
    member = res(
        "prod",
        "gcp:secretmanager/secretIamMember:SecretIamMember",
        "gemini-agent-accessor",
        {
            "secretId": "s",
            "role": "roles/secretmanager.secretAccessor",
            "member": "serviceAccount:a",
        },
    )
    changed = json.loads(json.dumps(member))
    changed["inputs"]["member"] = "serviceAccount:b"
    (r,) = diff.diff_snapshots(
        "prod", snapshot("prod", [member]), snapshot("prod", [changed])
    ).resources
    assert r.op == "replace"
    assert not r.data_loss


def test_moved_resources_and_retained_deletions() -> None:
    old = archive_bucket("prod")
    moved = res(
        "prod",
        "gcp:storage/bucket:Bucket",
        "logs-archive",
        {"name": "acme-prod-logs-archive", "location": "EU"},
        parent_type="controlplane:logging:Archive",
    )
    d = diff.diff_snapshots("prod", snapshot("prod", [old]), snapshot("prod", [moved]))
    assert [r.op for r in d.resources] == ["delete", "create"]
    note = (
        "URN changed (new parent?): without `aliases` on the new resource Pulumi deletes the old "
        "one and creates a new one"
    )
    assert all(note in r.notes for r in d.resources)
    assert len(d.data_loss) == 1
    retained = archive_bucket("prod") | {"retainOnDelete": True, "protect": False}
    d = diff.diff_snapshots("prod", snapshot("prod", [retained]), snapshot("prod", []))
    (r,) = d.resources
    assert r.op == "delete" and not r.data_loss
    assert r.notes == ["retainOnDelete: the cloud resource and its data are kept"]


def test_supabase_settings_and_unknown_values() -> None:
    supabase = res(
        "prod",
        "pulumi-python:dynamic/supabase:SupabaseSettings",
        "acme-prod-supabase-settings",
        {"projectRef": "prdaaaa", "api": {"max_rows": 500}},
        parent_type="controlplane:supabase:SupabaseProject",
    )
    moved = json.loads(json.dumps(supabase))
    moved["inputs"]["projectRef"] = "prdbbbb"
    d = diff.diff_snapshots("prod", snapshot("prod", [supabase]), snapshot("prod", [moved]))
    assert [(r.op, r.replace_reasons) for r in d.data_loss] == [("replace", ["projectRef"])]
    moved["inputs"] = supabase["inputs"] | {"api": {"max_rows": 600}}
    d = diff.diff_snapshots("prod", snapshot("prod", [supabase]), snapshot("prod", [moved]))
    assert [(r.op, r.data_loss) for r in d.resources] == [("update", False)]
    unknown = monitor("prod", 97)
    unknown["inputs"]["query"] = UNKNOWN
    d = diff.diff_snapshots(
        "prod", snapshot("prod", [monitor("prod", 97)]), snapshot("prod", [unknown])
    )
    text = diff.render_markdown([d], "x", allow_data_loss=False, full_report="r")
    assert (
        '  - `query`: `"avg(last_5m):avg:mission.success_rate{env:prod} < 97"` '
        "→ (known after apply)" in text
    )


def test_new_and_removed_stacks() -> None:
    _, head = base_and_head("staging")
    d = diff.diff_snapshots("staging", None, head)
    assert {r.op for r in d.resources} == {"create"}
    assert d.notes == ["stack staging is new: it does not exist in the base revision"]
    d = diff.diff_snapshots("staging", head, None)
    assert {r.op for r in d.resources} == {"delete"}
    assert [r.name for r in d.data_loss] == ["composio", "gemini"]


def test_rejects_something_that_is_not_a_snapshot() -> None:
    with pytest.raises(DiffError, match="the base snapshot of stack prod is not a preflight"):
        diff.diff_snapshots("prod", {"resources": [{"type": "x"}]}, snapshot("prod", []))


def test_policy_delta_new_and_resolved() -> None:
    keep = {"policy": "a", "enforcement": "advisory", "urn": "u1", "message": "m"}
    gone = {"policy": "b", "enforcement": "mandatory", "urn": "u2", "message": "m"}
    new = {"policy": "c", "enforcement": "mandatory", "urn": "", "message": "bad [secret:0123abcd]"}
    delta = policy_delta([keep, gone], [keep, new])
    assert [v.to_json() for v in delta.new] == [
        {"policy": "c", "enforcement": "mandatory", "urn": "", "message": "bad [secret]"}
    ]
    assert [v.policy for v in delta.resolved] == ["b"]


def test_markdown_never_exceeds_the_comment_limit() -> None:
    diffs = []
    for stack, count in (("dev", 5), ("staging", 400), ("prod", 900)):
        base = snapshot(
            stack,
            [monitor(stack, 97) | {"name": f"m{i}", "urn": f"u:{stack}:{i}"} for i in range(count)],
        )
        head = snapshot(
            stack,
            [monitor(stack, 95) | {"name": f"m{i}", "urn": f"u:{stack}:{i}"} for i in range(count)],
        )
        diffs.append(diff.diff_snapshots(stack, base, head))
    full_report = "the full report is in `preflight-diff-report.json`"
    text = diff.render_markdown(diffs, "x", allow_data_loss=False, full_report=full_report)
    assert len(text) <= MARKDOWN_LIMIT
    assert text.count("<details>") == 3 and text.count("</details>") == 3
    assert "| prod | 0 | 900 | 0 | 0 | none | no | not compared |" in text
    dev = text.split("<b>dev</b>")[1].split("</details>")[0]
    assert dev.count("- `~` update") == 5  # the small stack is shown in full
    for stack, count in (("staging", 400), ("prod", 900)):
        part = text.split(f"<b>{stack}</b>")[1].split("</details>")[0]
        shown = part.count("- `~` update")
        assert 0 < shown < count
        assert (
            f"- … {count - shown} more resource change(s) not shown here (comment size limit): "
            f"{full_report}"
        ) in part
    short = diff.render_markdown(diffs[:1], "x", allow_data_loss=False, full_report=full_report)
    assert "not shown here" not in short


class FakeHost:
    """Stands in for preflight.check.PolicyPackHost: one pack process, entered once."""

    entered: ClassVar[int] = 0
    analyzed: ClassVar[list[tuple[str, str, str]]] = []

    modes: ClassVar[list[bool]] = []

    def __init__(self, pack_dir: Path, *, project: str) -> None:
        assert (pack_dir, project) == (Path("/pack"), "controlplane")

    def use_mode(self, *, dry_run: bool) -> FakeHost:
        FakeHost.modes.append(dry_run)
        return self

    def __enter__(self) -> FakeHost:
        FakeHost.entered += 1
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def fake_check_snapshot(host: FakeHost, snap: dict[str, Any], source: str, config: Path) -> Any:
    FakeHost.analyzed.append((snap["stack"], source, str(config)))
    violation = types.SimpleNamespace(
        policy_name="p", enforcement_level="mandatory", urn="u", message=f"in {snap['stack']}"
    )
    return types.SimpleNamespace(violations=[violation])


def test_policy_runner_drives_preflight_check_with_one_pack_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "prod.json").write_text("{}")
    monkeypatch.setattr(check, "PolicyPackHost", FakeHost)
    monkeypatch.setattr(check, "check_snapshot", fake_check_snapshot)
    monkeypatch.setattr(check, "PACK_DIR", Path("/pack"))
    monkeypatch.setattr(check, "CONFIG_DIR", tmp_path)
    FakeHost.entered, FakeHost.analyzed, FakeHost.modes = 0, [], []
    base, head = base_and_head()
    d = diff.diff_snapshots("prod", base, head)
    qa = diff.diff_snapshots("qa", None, snapshot("qa", []))
    with policy_runner() as runner:
        compare_policies(d, runner, base, head)
        compare_policies(qa, runner, None, snapshot("qa", []))
    # started once, as an update: the compared snapshots are synthesized as updates
    assert (FakeHost.entered, FakeHost.modes) == (1, [False])
    assert FakeHost.analyzed == [
        ("prod", "stack prod", str(tmp_path / "prod.json")),
        ("prod", "stack prod", str(tmp_path / "prod.json")),
    ]
    assert d.policy is not None and d.policy.new == d.policy.resolved == []
    assert qa.policy is None
    assert qa.policy_note == "the policy pack failed: no policy config qa.json for stack qa"


# --- the command, against a real git repository -----------------------------------------

STUB_MAIN = '''\
"""Test stub of `python -m preflight synth --all --out-dir DIR`: renders fixtures/<stack>.json,
turning {"$secret": value} into the marker the real synth writes."""
import hashlib, hmac, json, os, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def render(value, key):
    if isinstance(value, dict):
        if set(value) == {"$secret"}:
            if not key:
                return "[secret]"
            text = json.dumps(value["$secret"], sort_keys=True).encode()
            return "[secret:" + hmac.new(key, text, hashlib.sha256).hexdigest()[:16] + "]"
        return {k: render(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, key) for v in value]
    return value


def snapshots(root, key):
    files = sorted((root / "fixtures").glob("*.json"))
    return {p.stem: render(json.loads(p.read_text()), key) for p in files}


if __name__ == "__main__":
    args = sys.argv[1:]
    keyed = bool(os.environ.get("PREFLIGHT_SECRET_FINGERPRINT_KEY"))
    with open(os.environ["STUB_LOG"], "a") as log:
        log.write(json.dumps({"argv": args, "cwd": os.getcwd(), "keyed": keyed}) + "\\n")
    if os.environ.get("STUB_FAIL"):
        error = "unrecognized arguments: --out-dir"
        print(f"usage: python -m preflight: error: {error}", file=sys.stderr)
        sys.exit(2)
    out = Path(args[args.index("--out-dir") + 1])
    out.mkdir(parents=True, exist_ok=True)
    key = os.environ.get("PREFLIGHT_SECRET_FINGERPRINT_KEY", "").encode()
    for stack, snap in snapshots(ROOT, key).items():
        print(f"preflight: synthesizing controlplane/{stack}", file=sys.stderr)
        (out / f"{stack}.json").write_text(json.dumps(snap))
'''


def raw_secret(stack: str, name: str, value: str) -> list[dict[str, Any]]:
    return secret(stack, name, {"$secret": value})  # type: ignore[arg-type]


def write_fixtures(repo: Path, head: bool) -> None:
    fixtures = repo / "fixtures"
    fixtures.mkdir(exist_ok=True)
    for stack in ("dev", "prod"):
        if head:
            resources = [
                monitor(stack, 95),
                *raw_secret(stack, "gemini", CANARIES[1]),
                *raw_secret(stack, "composio", CANARIES[2]),
                agent(stack, f"acme-{stack}-agent-v2"),
            ]
        else:
            resources = [
                monitor(stack, 97),
                *raw_secret(stack, "gemini", CANARIES[0]),
                agent(stack, f"acme-{stack}-agent"),
                archive_bucket(stack),
            ]
        (fixtures / f"{stack}.json").write_text(json.dumps(snapshot(stack, resources), indent=1))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    (repo / "preflight").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "Pulumi.yaml").write_text("name: controlplane\nruntime: python\n")
    for stack in ("dev", "prod"):
        (repo / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    (repo / "preflight" / "__init__.py").write_text("")
    (repo / "preflight" / "__main__.py").write_text(STUB_MAIN)
    write_fixtures(repo, head=False)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "branch", "base")
    write_fixtures(repo, head=True)
    git(repo, "commit", "-q", "-am", "head")
    stub: dict[str, Any] = {"__file__": str(repo / "preflight" / "__main__.py"), "__name__": "stub"}
    exec(compile(STUB_MAIN, "stub", "exec"), stub)  # the same rendering for the working tree

    def synthesize_head(stacks: list[str], project: Path, key: str) -> dict[str, Any]:
        rendered = stub["snapshots"](project, key.encode())
        return {s: rendered[s] for s in stacks}

    monkeypatch.setattr(diff_cli, "synthesize_head", synthesize_head)
    monkeypatch.setattr(diff_cli, "policy_runner", lambda: contextlib.nullcontext(fake_policy))
    monkeypatch.setenv("STUB_LOG", str(tmp_path / "stub.jsonl"))
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return repo


def fake_policy(snap: dict[str, Any]) -> list[dict[str, Any]]:
    """Stands in for preflight.check: flags a critical monitor looser than 97."""
    found = []
    for r in snap["resources"]:
        critical = r.get("inputs", {}).get("monitorThresholds", {}).get("critical")
        if critical is not None and critical < 97:
            found.append(
                {
                    "policy": "alerting-monitor-configure-threshold",
                    "enforcement": "mandatory",
                    "urn": r["urn"],
                    "message": f"critical threshold {critical} is looser than 97",
                }
            )
        assert "[secret:" not in json.dumps(r)  # the pack sees plain markers only
    return found


def run_diff(repo: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    diff.add_arguments(parser)
    # outside the change freeze, so that the classification does not depend on the day
    now = ["--now", "2026-12-13T10:00:00Z"]
    return diff.run(parser.parse_args(["--project", str(repo), *now, *argv]))


def stub_calls(repo: Path) -> list[dict[str, Any]]:
    log = Path(os.environ["STUB_LOG"])
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def assert_worktree_gone(repo: Path) -> None:
    listed = git(repo, "worktree", "list", "--porcelain").splitlines()
    assert [line for line in listed if line.startswith("worktree ")] == [f"worktree {repo}"]
    assert list(Path(tempfile.gettempdir()).iterdir()) == []


def test_command_markdown_from_a_real_worktree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head_before = git(repo, "rev-parse", "HEAD")
    code = run_diff(repo, "--base", "base", "--json-out", str(repo.parent / "report.json"))
    out, err = capsys.readouterr()
    assert code == 3
    base_commit = git(repo, "rev-parse", "base")
    (call,) = stub_calls(repo)
    assert call["argv"] == ["synth", "--all", "--out-dir", call["argv"][-1]]
    assert call["cwd"] != str(repo) and call["keyed"] is True
    assert not Path(call["cwd"]).exists()
    assert out.splitlines()[0] == f"### Infrastructure diff against `base` (`{base_commit[:12]}`)"
    for row in (
        "| dev | 2 | 1 | 2 | 1 | ⚠️ 1 | yes: data-loss | 1 new, 0 resolved |",
        "| prod | 2 | 1 | 2 | 1 | ⚠️ 1 | yes: data-loss | 1 new, 0 resolved |",
    ):
        assert row in out.splitlines()
    assert out.count("  - `secretData`: (secret changed) — forces replacement") == 2
    assert out.count("  - `monitorThresholds.critical`: `97` → `95`") == 2
    assert err.splitlines()[-1] == (
        "preflight diff: a stateful resource would be deleted or replaced (exit 3): review it, "
        "then rerun with --allow-data-loss"
    )
    assert_no_secret_leak(out + err + (repo.parent / "report.json").read_text())
    assert git(repo, "rev-parse", "HEAD") == head_before
    assert git(repo, "status", "--porcelain") == ""
    assert_worktree_gone(repo)


def test_command_json_for_one_stack_with_data_loss_allowed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_diff(
        repo, "--base", "base", "--stack", "prod", "--format", "json", "--allow-data-loss"
    )
    out, err = capsys.readouterr()
    assert code == 0
    report = json.loads(out)
    assert report["base"] == {"rev": "base", "commit": git(repo, "rev-parse", "base")}
    assert (report["dataLoss"], report["allowDataLoss"], report["exitCode"]) == (True, True, 0)
    (prod,) = report["stacks"]
    assert prod["summary"] == {"create": 2, "update": 1, "replace": 2, "delete": 1}
    assert [(r["op"], r["name"]) for r in prod["resources"]] == [
        ("delete", "logs-archive"),
        ("replace", "agent"),
        ("replace", "gemini-version"),
        ("update", "mission-success"),
        ("create", "composio"),
        ("create", "composio-version"),
    ]
    assert prod["policy"]["new"][0]["policy"] == "alerting-monitor-configure-threshold"
    assert_no_secret_leak(out + err)
    assert_worktree_gone(repo)


def test_command_says_why_the_base_cannot_be_synthesized(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_FAIL", "1")
    code = run_diff(repo, "--base", "base")
    _, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines()[-1] == (
        "preflight diff: error: synthesizing the base revision failed (exit 2): usage: python -m "
        "preflight: error: unrecognized arguments: --out-dir (the base revision's preflight "
        "predates `synth --out-dir`: pick a later base)"
    )
    assert_worktree_gone(repo)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--base", "nope"],
            "preflight diff: error: --base nope: no such commit in {repo} "
            "(in CI, check out with fetch-depth: 0)",
        ),
        (
            ["--base", "--all"],
            "preflight diff: error: --base '--all' is not a git revision: pass e.g. origin/main",
        ),
        (
            ["--base", "base", "--stack", "qa"],
            "preflight diff: error: unknown stack 'qa': no Pulumi.qa.yaml in the working tree "
            "or in base",
        ),
    ],
)
def test_command_usage_errors(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    parser = argparse.ArgumentParser()
    diff.add_arguments(parser)
    args = parser.parse_args(["--project", str(repo), "--base", "x"])
    args.base = argv[1]
    if "--stack" in argv:
        args.stack = argv[-1]
    assert diff.run(args) == 2
    assert capsys.readouterr().err.splitlines()[-1] == message.format(repo=repo)
    assert_worktree_gone(repo)


def test_a_stack_only_in_the_working_tree_is_all_creates(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "Pulumi.staging.yaml").write_text("config: {}\n")
    fixtures = json.loads((repo / "fixtures" / "prod.json").read_text())
    (repo / "fixtures" / "staging.json").write_text(json.dumps(fixtures).replace("prod", "staging"))
    assert run_diff(repo, "--base", "base", "--format", "json", "--skip-policy") == 3
    report = json.loads(capsys.readouterr().out)
    assert [s["stack"] for s in report["stacks"]] == ["dev", "staging", "prod"]
    staging = report["stacks"][1]
    assert staging["notes"] == ["stack staging is new: it does not exist in the base revision"]
    assert staging["summary"] == {"create": 6, "update": 0, "replace": 0, "delete": 0}
    assert staging["policy"] == {"compared": False, "reason": "skipped with --skip-policy"}
    assert re.search(r"\[secret:", json.dumps(report)) is None


def test_every_diff_command_in_the_docs_and_workflows_parses() -> None:
    root = ROOT
    sources = [
        root / "docs" / "runbooks" / "deploy.md",
        *sorted((root / ".github" / "workflows").glob("*.yml")),
    ]
    commands = [
        line
        for path in sources
        for line in re.findall(r"-m preflight diff ([^`\n>]+)", path.read_text())
    ]
    assert len(commands) >= 2
    parser = argparse.ArgumentParser()
    diff.add_arguments(parser)
    for line in commands:
        args = parser.parse_args(shlex.split(line.replace("\\", "")))
        # PR checks diff against main; the prod deploy against the commit deployed before it.
        assert args.base in {"origin/main", "$DEPLOYED_COMMIT"}, line


def test_a_changed_policy_config_is_reported_not_hidden_as_no_change() -> None:
    base, head = base_and_head()
    d = diff.diff_snapshots("prod", base, head)
    d.policy = policy_delta([], [])
    d.policy_config_changed = "policies/config/prod.json"
    text = diff.render_markdown(
        [d], "`origin/main` (`abc`)", allow_data_loss=False, full_report="see report.json"
    )
    assert (
        "| prod | 2 | 1 | 2 | 1 | ⚠️ 1 | yes: data-loss | no change; ⚠️ `prod.json` changed |" in text
    )
    assert (
        "⚠️ The policy config `policies/config/prod.json` changed between the base and the "
        "working tree. Both sides are judged with the working tree's config, so the results "
        "above leave that change out: run `python -m preflight check --stack prod` to see the "
        "new config's results."
    ) in text.splitlines()
    assert "Policy results: unchanged by the program change." in text.splitlines()
    assert d.to_json()["policy"]["configChanged"] == "policies/config/prod.json"


def test_changed_configs_compares_each_stack_config_with_the_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preflight.diff.policies import changed_configs

    config_dir = tmp_path / "policies" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "prod.json").write_text('{"all": "mandatory"}\n')
    (config_dir / "dev.json").write_text('{"all": "advisory"}\n')
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    base = git(tmp_path, "rev-parse", "HEAD")
    monkeypatch.setattr(check, "CONFIG_DIR", config_dir)
    assert changed_configs(tmp_path, base, ["dev", "prod"]) == {}
    (config_dir / "prod.json").write_text('{"all": "advisory"}\n')
    (config_dir / "staging.json").write_text("{}\n")
    assert changed_configs(tmp_path, base, ["dev", "staging", "prod"]) == {
        "staging": "policies/config/staging.json",
        "prod": "policies/config/prod.json",
    }
