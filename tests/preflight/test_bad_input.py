"""The bad-input corpus: every command refuses bad input with one line on stderr and exit code 2.

Each case names a command line, the files it reads (a stack file, a snapshot, a bundle manifest,
a stack history) and what it must answer: its exit code and the start of its one stderr line.
Every case also asserts that stderr is exactly one line, that no Python traceback shows, and
that the canary values planted in secrets and credentials appear nowhere in what the command
printed or wrote. The cases run in-process (the commands' ``main``); a handful run again as
real subprocesses, the way operators run them.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight.__main__ import main as preflight_main
from preflight.cli import ROOT
from preflight.snapshot import MAX_BYTES
from tests.support.operator_scripts import SCRIPTS, git, load_script, write_double
from tests.support.preflight import tiny_project

CANARY = "canary7Q2xK9"
"""Planted in every secret and credential of the corpus; must never be printed or written."""

PF = "preflight: error: "
RB = "rollback: error: "

Files = dict[str, str | bytes]


@dataclass(frozen=True)
class Case:
    """One bad input: the command line (``{tmp}`` is the case's folder, ``{project}`` its Pulumi
    project), the files written first, and the expected exit code and start of the message."""

    name: str
    tool: str
    argv: list[str]
    code: int
    starts: str
    files: Files = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


# --- stack files ------------------------------------------------------------------------------

PROD = (ROOT / "Pulumi.prod.yaml").read_text(encoding="utf-8")
PROJECT_FILE = f"name: controlplane\nruntime: python\nmain: {ROOT}\n"
CFG = "config error in stack 'prod': "


def prod_with(**changes: Any) -> str:
    """The checked-in prod stack file with ``changes`` (dotted paths under ``config:``) set."""
    doc = yaml.safe_load(PROD)
    for path, value in changes.items():
        key, *rest = path.split("__")
        node = doc["config"]
        if not rest:
            node[key] = value
            continue
        node = node.setdefault(key, {})
        for part in rest[:-1]:
            node = node.setdefault(part, {})
        node[rest[-1]] = value
    return yaml.safe_dump(doc, sort_keys=False)


def prod_text(old: str, new: str) -> str:
    assert old in PROD, old
    return PROD.replace(old, new, 1)


def synth_case(name: str, stack_file: str | bytes, starts: str, **kw: Any) -> Case:
    files: Files = {"project/Pulumi.yaml": PROJECT_FILE, "project/Pulumi.prod.yaml": stack_file}
    files.update(kw.pop("files", {}))
    return Case(
        name,
        "preflight",
        ["synth", "--stack", "prod", "--project", "{project}"],
        2,
        starts,
        files=files,
        **kw,
    )


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
ALERT = "controlplane:monitoring__alerts__"

STACK_FILE_CASES = [
    synth_case("top-level list", "- config\n- x\n", PF + "Pulumi.prod.yaml: the top level must"),
    synth_case("top-level text", "just text\n", PF + "Pulumi.prod.yaml: the top level must"),
    synth_case("top-level number", "42\n", PF + "Pulumi.prod.yaml: the top level must be"),
    synth_case(
        "not UTF-8", b"config:\n  gcp:project: \xff\xfe\n", PF + "Pulumi.prod.yaml: not UTF-8"
    ),
    synth_case("UTF-16 file", PROD.encode("utf-16"), PF + "Pulumi.prod.yaml: not UTF-8 text"),
    synth_case(
        "deep nesting",
        "config:\n  controlplane:x: " + "[" * 60 + "]" * 60 + "\n",
        PF + "Pulumi.prod.yaml line 2: nests deeper than 40 levels",
    ),
    synth_case(
        "very deep nesting", "a: " + "[" * 5000 + "]" * 5000, PF + "Pulumi.prod.yaml line 1: nests"
    ),
    synth_case("alias bomb", BILLION_LAUGHS, PF + "Pulumi.prod.yaml line 2: uses a YAML alias"),
    synth_case(
        "anchor and alias in config",
        prod_text("  controlplane:org: acme", "  controlplane:org: &o acme\n  controlplane:x: *o"),
        PF + "Pulumi.prod.yaml line 9: uses a YAML alias",
    ),
    synth_case(
        "duplicate top key",
        prod_text("  controlplane:org: acme", "  controlplane:org: acme\n  controlplane:org: acme"),
        PF + "Pulumi.prod.yaml line 9: sets 'controlplane:org' twice",
    ),
    synth_case(
        "duplicate nested key",
        prod_text("      maxRows: 500", "      maxRows: 500\n      maxRows: 5000"),
        PF + "Pulumi.prod.yaml line 29: sets 'maxRows' twice",
    ),
    synth_case(
        "duplicate config section", "config: {}\nconfig: {}\n", PF + "Pulumi.prod.yaml line 2"
    ),
    synth_case("config is a list", "config: [a, b]\n", PF + "Pulumi.prod.yaml: `config:` must be"),
    synth_case("config is text", "config: text\n", PF + "Pulumi.prod.yaml: `config:` must be a"),
    synth_case(
        "key without namespace",
        prod_text("  controlplane:org: acme", "  org: acme"),
        PF + "Pulumi.prod.yaml: config key 'org' needs a namespace",
    ),
    synth_case(
        "nested secure value",
        prod_with(**{"controlplane:supabase__projectRef": {"secure": "AAAA" + CANARY}}),
        PF + "Pulumi.prod.yaml: controlplane:supabase holds a nested secure value",
    ),
    synth_case(
        "tab indentation", "config:\n\tgcp:project: x\n", PF + "Pulumi.prod.yaml line 2: not"
    ),
    synth_case(
        "unclosed quote", 'config:\n  gcp:project: "x\n', PF + "Pulumi.prod.yaml line 3: not"
    ),
    synth_case("mapping key is a list", "? [a, b]\n: c\n", PF + "Pulumi.prod.yaml line 1: has a"),
    synth_case(
        "org: yes",
        prod_text("  controlplane:org: acme", "  controlplane:org: yes"),
        PF + "Pulumi.prod.yaml line 8: `yes` is a YAML 1.1 boolean that the Pulumi CLI reads as "
        "text: quote it ('yes')",
    ),
    synth_case(
        "org: No",
        prod_text("  controlplane:org: acme", "  controlplane:org: No"),
        PF + "Pulumi.prod.yaml line 8: `No` is a YAML 1.1 boolean",
    ),
    synth_case(
        "nested on",
        prod_text("      database: true", "      database: on"),
        PF + "Pulumi.prod.yaml line 21: `on` is a YAML 1.1 boolean",
    ),
    synth_case(
        "key spelt off",
        prod_text("  controlplane:org: acme", "  controlplane:org: acme\n  off: 1"),
        PF + "Pulumi.prod.yaml line 9: `off` is a YAML 1.1 boolean",
    ),
    synth_case(
        "list for text",
        prod_with(**{"controlplane:org": ["acme"]}),
        PF + CFG + 'controlplane:org: found ["acme"], expected',
    ),
    synth_case(
        "text for list",
        prod_with(**{"controlplane:access__operations__roles": "roles/run.developer"}),
        PF + CFG + 'controlplane:access.operations.roles: found "roles/run.developer", expected a',
    ),
    synth_case(
        "text for number",
        prod_with(**{"controlplane:supabase__api__maxRows": "many"}),
        PF + CFG + 'controlplane:supabase.api.maxRows: found "many", expected a whole number',
    ),
    synth_case(
        "mapping for text",
        prod_with(**{"controlplane:supabase__projectRef": {"a": 1}}),
        PF + CFG + "controlplane:supabase.projectRef: found",
    ),
    synth_case(
        "boolean for text inside a structure",
        prod_with(**{"controlplane:supabase__projectRef": True}),
        PF + CFG + "controlplane:supabase.projectRef: found true, expected text",
    ),
    synth_case(
        "negative number",
        prod_with(**{"controlplane:supabase__api__maxRows": -5}),
        PF + CFG + "controlplane:supabase.api.maxRows: found -5, expected at least 1",
    ),
    synth_case(
        "negative heartbeat threshold",
        prod_with(**{ALERT + "sseHeartbeat": {"threshold": -1, "window": "5m"}}),
        PF + CFG + "controlplane:monitoring.alerts.sseHeartbeat: threshold seconds, more than 0",
    ),
    synth_case(
        "zero heartbeat threshold",
        prod_with(**{ALERT + "sseHeartbeat": {"threshold": 0, "window": "5m"}}),
        PF + CFG + "controlplane:monitoring.alerts.sseHeartbeat: threshold seconds, more than 0",
    ),
    synth_case(
        "retry count beyond counting",
        prod_with(**{ALERT + "plannerRetrySpikes": {"threshold": 1e12, "window": "10m"}}),
        PF + CFG + "controlplane:monitoring.alerts.plannerRetrySpikes: threshold a count, 0 or",
    ),
    synth_case(
        "negative failure ratio",
        prod_with(**{ALERT + "undoFailures": {"threshold": -0.5, "window": "1h"}}),
        PF + CFG + "controlplane:monitoring.alerts.undoFailures: threshold a ratio from 0 to 1",
    ),
    synth_case(
        "success ratio above 1",
        prod_with(**{ALERT + "missionSuccessRate": {"threshold": 97, "window": "5m"}}),
        PF + CFG + "controlplane:monitoring.alerts.missionSuccessRate: threshold a ratio from 0",
    ),
    synth_case(
        "negative success ratio",
        prod_with(**{ALERT + "missionSuccessRate": {"threshold": -0.97, "window": "5m"}}),
        PF + CFG + "controlplane:monitoring.alerts.missionSuccessRate: threshold 0.97 or higher",
    ),
    synth_case(
        "negative retry count",
        prod_with(**{ALERT + "plannerRetrySpikes": {"threshold": -3, "window": "10m"}}),
        PF + CFG + "controlplane:monitoring.alerts.plannerRetrySpikes: threshold a count, 0 or",
    ),
    synth_case(
        "negative warning count",
        prod_with(**{ALERT + "composioRateLimitWarnings": {"threshold": -1, "window": "15m"}}),
        PF + CFG + "controlplane:monitoring.alerts.composioRateLimitWarnings: threshold a count",
    ),
    synth_case(
        "negative ingestion count",
        prod_with(**{ALERT + "telemetryIngestionStalled": {"threshold": -1, "window": "15m"}}),
        PF + CFG + "controlplane:monitoring.alerts.telemetryIngestionStalled: threshold 0 or",
    ),
    synth_case(
        "window of years",
        prod_with(**{ALERT + "oauthFailureRate": {"threshold": 0.05, "window": "9999d"}}),
        PF + CFG + "controlplane:monitoring.alerts.oauthFailureRate: window 1d or shorter",
    ),
    synth_case(
        "negative window",
        prod_with(**{ALERT + "sseHeartbeat": {"threshold": 8, "window": "-5m"}}),
        PF + CFG + 'controlplane:monitoring.alerts.sseHeartbeat.window: found "-5m"',
    ),
    synth_case(
        "infinite threshold",
        prod_with(**{ALERT + "plannerRetrySpikes": {"threshold": "Infinity", "window": "5m"}}),
        PF + CFG + "controlplane:monitoring.alerts.plannerRetrySpikes.threshold: found",
    ),
    synth_case(
        "negative anomaly deviations",
        prod_with(**{ALERT + "libraryReuseDrop": {"deviations": -2}}),
        PF + CFG + "controlplane:monitoring.alerts.libraryReuseDrop.deviations: found -2",
    ),
    synth_case(
        "clear-text provider token",
        prod_with(**{"pagerduty:token": "u+" + CANARY + "pagerduty"}),
        PF + CFG + "pagerduty:token: is in clear text in the stack file",
    ),
    synth_case(
        "clear-text program secret",
        prod_with(**{"controlplane:geminiApiKey": "AIza" + CANARY + "x" * 23}),
        PF + CFG + "controlplane:geminiApiKey: is in clear text in the stack file",
    ),
    synth_case(
        "connection string in a container env value",
        prod_text(
            "        DD_SERVICE: agent", f"        DATABASE_URL: postgres://app:{CANARY}@db/app"
        ),
        PF + CFG + "controlplane:services.agent.env.DATABASE_URL: found",
    ),
    synth_case(
        "token in a container env value",
        prod_text(
            "        DD_SERVICE: agent", f"        UPSTREAM: ghp_{CANARY}abcdefghijklmnopqrstu"
        ),
        PF + CFG + "controlplane:services.agent.env.UPSTREAM: found",
    ),
    synth_case(
        "JWT in a container env value",
        prod_text(
            "        DD_SERVICE: agent",
            f"        SUPABASE_ROLE: eyJhbGciOiJIUzI1NiJ9.eyJ{CANARY}cm9sZSI6InNlcnZpY2UifQ.sig",
        ),
        PF + CFG + "controlplane:services.agent.env.SUPABASE_ROLE: found",
    ),
    synth_case(
        "credential-named env var",
        prod_text("        DD_SERVICE: agent", f"        API_TOKEN: {CANARY}"),
        PF + CFG + "controlplane:services.agent.env.API_TOKEN: found",
    ),
    synth_case(
        "password in a URL of plain config",
        prod_with(**{"controlplane:monitoring__runbookBaseUrl": f"https://ops:{CANARY}@git.ex/r"}),
        PF + CFG + "controlplane:monitoring.runbookBaseUrl: holds a URL with a password in clear",
    ),
    synth_case(
        "credential in an unknown key",
        prod_with(**{"controlplane:dbUrl": f"postgres://app:{CANARY}@db/app"}),
        PF + CFG + "controlplane:dbUrl: unknown key",
    ),
    synth_case(
        "credential in a wrongly typed value",
        prod_with(**{"controlplane:supabase__projectRef": f"postgres://app:{CANARY}@db/app"}),
        PF + CFG + "controlplane:supabase.projectRef: found a value that looks like a credential",
    ),
    synth_case(
        "unknown namespace",
        prod_with(**{"controlpane:org": "acme"}),
        PF + CFG + "controlpane:org: unknown namespace 'controlpane'",
    ),
    synth_case(
        "several problems stay one line",
        prod_with(**{"controlplane:orgg": "a", "controlplane:dataClass": "synthetic"}),
        PF + CFG,
    ),
    synth_case(
        "PULUMI_CONFIG does not fill a missing key",
        prod_text("  controlplane:org: acme\n", ""),
        PF + CFG + "controlplane:org: missing",
        env={
            "PULUMI_CONFIG": json.dumps({"controlplane:org": CANARY}),
            "PULUMI_CONFIG_CONTROLPLANE_ORG": CANARY,
        },
    ),
    synth_case(
        "PULUMI_CONFIG that is not JSON",
        prod_text("  controlplane:org: acme\n", ""),
        PF + CFG + "controlplane:org: missing",
        env={"PULUMI_CONFIG": "{" + CANARY},
    ),
]

PROJECT_FILE_CASES = [
    Case(
        "no Pulumi.yaml",
        "preflight",
        ["synth", "--stack", "prod", "--project", "{tmp}"],
        2,
        PF + "no Pulumi.yaml in ",
    ),
    synth_case(
        "Pulumi.yaml without name",
        PROD,
        PF + "{tmp}/project/Pulumi.yaml: needs `name:",
        files={"project/Pulumi.yaml": "runtime: python\n"},
    ),
    synth_case(
        "Pulumi.yaml is a list",
        PROD,
        PF + "Pulumi.yaml: the top level must be a mapping",
        files={"project/Pulumi.yaml": "- name\n"},
    ),
    synth_case(
        "Pulumi.yaml not YAML",
        PROD,
        PF + "Pulumi.yaml line 2: not valid YAML",
        files={"project/Pulumi.yaml": "name: [controlplane\n"},
    ),
    synth_case(
        "Pulumi.yaml name: yes",
        PROD,
        PF + "Pulumi.yaml line 1: `yes` is a YAML 1.1",
        files={"project/Pulumi.yaml": "name: yes\nruntime: python\n"},
    ),
    synth_case(
        "Pulumi.yaml not UTF-8",
        PROD,
        PF + "Pulumi.yaml: not UTF-8 text",
        files={"project/Pulumi.yaml": b"name: \xe9t\xe9\n"},
    ),
    synth_case(
        "Pulumi.yaml alias",
        PROD,
        PF + "Pulumi.yaml line 2: uses a YAML alias",
        files={"project/Pulumi.yaml": "name: &n controlplane\ndescription: *n\n"},
    ),
]

# --- snapshots --------------------------------------------------------------------------------

GOOD_RESOURCE: dict[str, Any] = {
    "urn": "urn:pulumi:prod::controlplane::pulumi:pulumi:Stack::controlplane-prod",
    "type": "pulumi:pulumi:Stack",
    "name": "controlplane-prod",
    "parent": None,
    "inputs": {},
    "protect": False,
    "dependencies": [],
}


def snapshot(**changes: Any) -> str:
    resource = {**GOOD_RESOURCE, **changes.pop("resource", {})}
    doc = {"project": "controlplane", "stack": "prod", "resources": [resource], **changes}
    return json.dumps(doc)


def check_case(name: str, content: str | bytes | None, starts: str, tool: str = "check") -> Case:
    files: Files = {"snap.json": content} if content is not None else {}
    path = "{tmp}/snap.json"
    if tool == "check":
        return Case(name, "preflight", ["check", "--snapshot", path], 2, PF + starts, files=files)
    return Case(
        name, "preflight", ["tfplan", "--snapshot", path], 2, "tfplan: " + starts, files=files
    )


SNAPSHOT_CASES = [
    check_case("snapshot not JSON", "{resources: [", "{tmp}/snap.json: not valid JSON (line 1)"),
    check_case("snapshot empty file", "", "{tmp}/snap.json: not valid JSON"),
    check_case("snapshot is a list", "[]", "{tmp}/snap.json: not a snapshot"),
    check_case("snapshot is a number", "7", "{tmp}/snap.json: not a snapshot"),
    check_case("snapshot not UTF-8", b'{"stack": "\xff"}', "{tmp}/snap.json: not UTF-8 text"),
    check_case(
        "snapshot nests past the parser",
        "[" * 200000 + "]" * 200000,
        "{tmp}/snap.json: nests too deeply",
    ),
    check_case(
        "snapshot nests deep",
        '{"resources": [], "x": ' + "[" * 80 + "]" * 80 + "}",
        "{tmp}/snap.json: nests deeper than 64 levels",
    ),
    check_case(
        "snapshot without resources", '{"stack": "prod"}', "{tmp}/snap.json: not a snapshot"
    ),
    check_case("resources not a list", snapshot(resources={}), "{tmp}/snap.json: not a snapshot"),
    check_case(
        "resource not an object",
        json.dumps({"stack": "prod", "resources": [1]}),
        "{tmp}/snap.json: resources[0] is not an object",
    ),
    check_case(
        "resource without urn",
        snapshot(resource={"urn": ""}),
        "{tmp}/snap.json: resources[0] needs a non-empty string 'urn'",
    ),
    check_case(
        "urn of another scheme",
        snapshot(resource={"urn": "arn:aws:x"}),
        "{tmp}/snap.json: resources[0]: urn must start with 'urn:pulumi:'",
    ),
    check_case(
        "inputs not an object",
        snapshot(resource={"inputs": []}),
        "{tmp}/snap.json: resources[0]: 'inputs' must be an object",
    ),
    check_case(
        "dependencies not a list",
        snapshot(resource={"dependencies": "x"}),
        "{tmp}/snap.json: resources[0]: 'dependencies' must be a list",
    ),
    check_case(
        "protect not a boolean",
        snapshot(resource={"protect": "yes"}),
        "{tmp}/snap.json: resources[0]: 'protect' must be true or false",
    ),
    check_case(
        "snapshot stack climbing out",
        snapshot(stack="../../etc/passwd"),
        "{tmp}/snap.json: its 'stack' '../../etc/passwd' is not a stack name",
    ),
    check_case(
        "stack not text",
        snapshot(stack=["prod"]),
        "{tmp}/snap.json: its 'stack' ['prod'] is not a stack name",
    ),
    check_case(
        "stack other than its resources",
        snapshot(stack="dev"),
        "{tmp}/snap.json: says stack 'dev' but its resources belong to prod",
    ),
    check_case("snapshot missing", None, "{tmp}/snap.json: cannot read it"),
    check_case("snapshot huge", b"", "{tmp}/snap.json: 67108865 bytes is larger than any"),
    Case(
        "snapshot is a directory",
        "preflight",
        ["check", "--snapshot", "{tmp}"],
        2,
        PF + "{tmp}: is a directory",
    ),
    check_case("tfplan: snapshot not JSON", "{", "{tmp}/snap.json: not valid JSON", "tfplan"),
    check_case("tfplan: snapshot is a list", "[1]", "{tmp}/snap.json: not a snapshot", "tfplan"),
    check_case("tfplan: snapshot not UTF-8", b"\xc3\x28", "{tmp}/snap.json: not UTF-8", "tfplan"),
    check_case(
        "tfplan: snapshot nests past the parser",
        "[" * 200000,
        "{tmp}/snap.json: nests too deeply",
        "tfplan",
    ),
    check_case("tfplan: snapshot huge", b"", "{tmp}/snap.json: 67108865 bytes", "tfplan"),
    check_case(
        "tfplan: resource not an object",
        json.dumps({"resources": ["x"]}),
        "{tmp}/snap.json: resources[0] is not an object",
        "tfplan",
    ),
]
HUGE = {"snapshot huge", "tfplan: snapshot huge"}

# --- evidence manifests -----------------------------------------------------------------------

SHA = "0" * 64


def manifest(files: Any) -> str:
    return json.dumps({"format": "controlplane-evidence/1", "files": files})


def verify_case(name: str, content: str | bytes | None, starts: str, **files: str) -> Case:
    written: Files = {f"bundle/{k}": v for k, v in files.items()}
    if content is not None:
        written["bundle/manifest.json"] = content
    return Case(
        name,
        "preflight",
        ["evidence", "--verify", "{tmp}/bundle"],
        2,
        "evidence: error: " + starts,
        files=written,
    )


MANIFEST_CASES = [
    verify_case("no manifest", None, "{tmp}/bundle: no manifest.json", **{"a.json": "{}"}),
    verify_case("manifest not JSON", "{files", "{tmp}/bundle/manifest.json: not JSON"),
    verify_case("manifest not UTF-8", b"\xff\xfe{}", "{tmp}/bundle/manifest.json: not JSON"),
    verify_case("manifest is a list", "[]", "{tmp}/bundle/manifest.json: not a bundle manifest"),
    verify_case("manifest without files", "{}", "{tmp}/bundle/manifest.json: not a bundle"),
    verify_case("files is a list", manifest(["a.json"]), "{tmp}/bundle/manifest.json: not a"),
    verify_case(
        "entry not an object", manifest({"a.json": SHA}), "{tmp}/bundle/manifest.json: not"
    ),
    verify_case(
        "sha256 not hex",
        manifest({"a.json": {"sha256": "x" * 64}}),
        "{tmp}/bundle/manifest.json: not a bundle manifest",
    ),
    verify_case(
        "sha256 missing",
        manifest({"a.json": {"bytes": 2}}),
        "{tmp}/bundle/manifest.json: not a bundle manifest",
    ),
    verify_case(
        "negative size",
        manifest({"a.json": {"sha256": SHA, "bytes": -1}}),
        "{tmp}/bundle/manifest.json: not a bundle manifest",
    ),
    verify_case(
        "name climbing out",
        manifest({"../../etc/hostname": {"sha256": SHA}}),
        "'../../etc/hostname': climbs out of the bundle",
    ),
    verify_case(
        "name climbing out midway",
        manifest({"a/../../../etc/passwd": {"sha256": SHA}}),
        "'a/../../../etc/passwd': climbs out of the bundle",
    ),
    verify_case(
        "absolute name",
        manifest({"/etc/hostname": {"sha256": SHA}}),
        "'/etc/hostname': not a file name inside a bundle",
    ),
    verify_case(
        "backslash name",
        manifest({"..\\..\\x": {"sha256": SHA}}),
        "'..\\\\..\\\\x': not a file name inside a bundle",
    ),
    verify_case("empty name", manifest({"": {"sha256": SHA}}), "'': not a file name inside"),
    verify_case("NUL in a name", manifest({"a\u0000b": {"sha256": SHA}}), "'a\\x00b': not a file"),
    verify_case(
        "home-relative name",
        manifest({"~/.ssh/id_rsa": {"sha256": SHA}}),
        "'~/.ssh/id_rsa': not a file name inside a bundle",
    ),
    verify_case(
        "manifest lists itself",
        manifest({"manifest.json": {"sha256": SHA}}),
        "{tmp}/bundle/manifest.json: lists itself",
    ),
    verify_case(
        "manifest nests past the parser", "[" * 200000, "{tmp}/bundle/manifest.json: not JSON"
    ),
    verify_case(
        "manifest huge",
        '{"files": {}, "pad": "' + "x" * (1024 * 1024) + '"}',
        "{tmp}/bundle/manifest.json: larger than any bundle manifest",
    ),
]
SYMLINK_CASES = {
    "symlink out of the bundle": ("secret.txt", "{secret}", "secret.txt: is a link that points"),
    "symlinked folder out of the bundle": ("sub/secret.txt", "{outside}", "sub/secret.txt: is a"),
}
for _name, (_listed, _target, _starts) in SYMLINK_CASES.items():
    MANIFEST_CASES.append(verify_case(_name, manifest({_listed: {"sha256": SHA}}), _starts))

# --- stack histories (scripts/rollback.py) ----------------------------------------------------

HISTORY_ENTRY = {
    "version": 2,
    "kind": "update",
    "startTime": "2025-06-08T10:00:00.000Z",
    "message": "deploy",
    "result": "succeeded",
    "environment": {"git.head": "0123456789abcdef0123456789abcdef01234567"},
}
H = "`pulumi stack history --json` "


def history_case(name: str, history: str, starts: str) -> Case:
    return Case(
        name,
        "rollback",
        ["--stack", "prod", "--cwd", "{repo}"],
        2,
        RB + H + starts,
        files={"history.json": history},
    )


def entry(**changes: Any) -> str:
    return json.dumps([{**HISTORY_ENTRY, **changes}])


HISTORY_CASES = [
    history_case("history not JSON", "Error: " + CANARY, "did not print JSON"),
    history_case("history empty output", "  ", "did not print JSON"),
    history_case("history an object", json.dumps(HISTORY_ENTRY), "did not print a list of updates"),
    history_case("history text", '"updates"', "did not print a list of updates"),
    history_case("history nests past the parser", "[" * 200000, "printed JSON nested too deeply"),
    history_case("entry a string", json.dumps(["v1"]), "update #1 is not an object"),
    history_case("entry null", json.dumps([None]), "update #1 is not an object"),
    history_case("version missing", json.dumps([{"kind": "update"}]), "update #1 has no numeric"),
    history_case("version text", entry(version="7"), "update #1 has no numeric version"),
    history_case("version boolean", entry(version=True), "update #1 has no numeric version"),
    history_case("version negative", entry(version=-1), "update #1 has no numeric version"),
    history_case("version fractional", entry(version=1.5), "update #1 has no numeric version"),
    history_case(
        "environment a list",
        entry(environment=["git.head"]),
        "update #1 (version 2): 'environment' is not a map of text",
    ),
    history_case(
        "environment text",
        entry(environment=CANARY),
        "update #1 (version 2): 'environment' is not a map of text",
    ),
    history_case(
        "environment value a number",
        entry(environment={"git.head": 12}),
        "update #1 (version 2): 'environment' is not a map of text",
    ),
    history_case("kind a number", entry(kind=1), "update #1 (version 2): 'kind' is not text"),
    history_case(
        "message an object",
        entry(message={"m": CANARY}),
        "update #1 (version 2): 'message' is not text",
    ),
    history_case(
        "start time a number",
        entry(startTime=1717840800),
        "update #1 (version 2): 'startTime' is not text",
    ),
    history_case(
        "result a list", entry(result=["succeeded"]), "update #1 (version 2): 'result' is not text"
    ),
    history_case(
        "second entry bad",
        json.dumps([HISTORY_ENTRY, {"version": "1"}]),
        "update #2 has no numeric version",
    ),
]

# --- arguments --------------------------------------------------------------------------------


def pf(name: str, argv: list[str], starts: str, code: int = 2, **kw: Any) -> Case:
    return Case(name, "preflight", argv, code, starts, **kw)


def rb(name: str, argv: list[str], starts: str, tool: str = "rollback") -> Case:
    return Case(name, tool, argv, 2, starts, files={"history.json": "[]"})


ARGUMENT_CASES = [
    pf("no subcommand", [], PF + "the following arguments are required: command"),
    pf("unknown subcommand", ["deploy"], PF + "argument command: invalid choice: 'deploy'"),
    pf("unknown flag", ["synth", "--bogus"], PF + "unrecognized arguments: --bogus (see --help)"),
    pf(
        "bad mode", ["synth", "--stack", "prod", "--mode", "apply"], PF + "argument --mode: invalid"
    ),
    pf("no stack", ["synth"], PF + "name a stack with --stack NAME", env={"PULUMI_STACK": ""}),
    pf("unknown stack", ["synth", "--stack", "nosuch"], PF + "unknown stack 'nosuch': no Pulumi."),
    pf(
        "stack climbing out",
        ["synth", "--stack", "../../etc/passwd"],
        PF + "stack '../../etc/passwd' is not a stack name: a stack name is letters, digits",
    ),
    pf(
        "stack with a slash too many",
        ["synth", "--stack", "a/b/c/d"],
        PF + "stack 'a/b/c/d' is not a stack name",
    ),
    pf("stack with a space", ["synth", "--stack", "prod x"], PF + "stack 'prod x' is not a stack"),
    pf(
        "stack of another project",
        ["synth", "--stack", "acme/other/prod"],
        PF + "stack 'acme/other/prod' names project 'other', but this is 'controlplane'",
    ),
    pf(
        "stack from PULUMI_STACK climbing out",
        ["synth"],
        PF + "stack '../x': '..' is not an",
        env={"PULUMI_STACK": "../x"},
    ),
    pf(
        "qualified unknown stack",
        ["synth", "--stack", "acme/controlplane/qa"],
        PF + "unknown stack 'qa'",
    ),
    pf("stack too long", ["synth", "--stack", "s" * 101], PF + "stack 'sss"),
    pf("synth --all to stdout", ["synth", "--all"], PF + "synth of several stacks writes files"),
    pf("check without target", ["check"], PF + "say what to check: --stack NAME, --all or"),
    pf(
        "check stack and a missing snapshot",
        ["check", "--stack", "prod", "--snapshot", "x"],
        PF + "x: cannot read it (No such file or directory)",
    ),
    pf(
        "check all and snapshot",
        ["check", "--all", "--snapshot", "x"],
        PF + "argument --snapshot: not allowed with argument --all",
    ),
    pf(
        "check unknown stack",
        ["check", "--stack", "nosuch", "--mode", "update"],
        PF + "unknown stack 'nosuch'",
    ),
    pf(
        "check stack climbing out",
        ["check", "--stack", "../prod", "--mode", "update"],
        PF + "stack '../prod': '..' is not an organization name",
    ),
    pf(
        "check missing policy config",
        ["check", "--stack", "prod", "--policy-config", "{tmp}/n"],
        PF + "--policy-config {tmp}/n: no such file",
    ),
    pf("preview unknown stack", ["preview", "--stack", "nosuch"], PF + "unknown stack 'nosuch'"),
    pf("graph unknown stack", ["graph", "--stack", "nosuch"], PF + "unknown stack 'nosuch'"),
    pf(
        "graph bad format",
        ["graph", "--stack", "dev", "--format", "png"],
        PF + "argument --format: invalid choice: 'png'",
    ),
    pf("tfplan unknown stack", ["tfplan", "--stack", "nosuch"], "tfplan: unknown stack 'nosuch'"),
    pf(
        "permissions unknown stack",
        ["permissions", "--stack", "nosuch"],
        PF + "no Pulumi.nosuch.yaml in",
    ),
    pf("dotenv unknown stack", ["dotenv", "--stack", "nosuch", "--check"], PF + "unknown stack"),
    pf(
        "diff bad time",
        ["diff", "--base", "HEAD", "--stack", "dev", "--now", "noon"],
        "preflight diff: error: --now: 'noon' is not an RFC 3339 time",
    ),
    pf("evidence without --out", ["evidence", "--stack", "dev"], "evidence: error: name where"),
    pf(
        "evidence unknown scheme",
        ["evidence", "--verify", "ftp://host/x"],
        "evidence: error: ftp://host/x: use a directory, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX",
    ),
    pf(
        "synth --out-dir is a file",
        ["synth", "--stack", "prod", "--out-dir", "{tmp}/file"],
        PF + "--out-dir {tmp}/file: is a file, not a directory",
        files={"file": "x"},
    ),
    pf(
        "synth --out-dir under a file",
        ["synth", "--all", "--out-dir", "{tmp}/file/out"],
        PF + "--out-dir {tmp}/file/out: {tmp}/file is not a directory",
        files={"file": "x"},
    ),
    pf(
        "tfplan --out is a directory",
        ["tfplan", "--stack", "prod", "--out", "{tmp}"],
        "tfplan: --out {tmp}: is a directory; name a file inside it",
    ),
    pf(
        "tfplan --out under a file",
        ["tfplan", "--stack", "prod", "--out", "{tmp}/file/p.json"],
        "tfplan: --out {tmp}/file/p.json: {tmp}/file is not a directory",
        files={"file": "x"},
    ),
    pf(
        "tfplan --out is a FIFO",
        ["tfplan", "--stack", "prod", "--out", "{tmp}/fifo"],
        "tfplan: --out {tmp}/fifo: is not a regular file",
    ),
    pf(
        "graph --out is a directory",
        ["graph", "--stack", "prod", "--out", "{tmp}"],
        PF + "--out {tmp}: is a directory; name a file inside it",
    ),
    pf(
        "graph --out under a file",
        ["graph", "--stack", "prod", "--out", "{tmp}/file/g.mmd"],
        PF + "--out {tmp}/file/g.mmd: {tmp}/file is not a directory",
        files={"file": "x"},
    ),
    pf(
        "dotenv --output is a directory",
        ["dotenv", "--stack", "dev", "--output", "{tmp}"],
        PF + "--output {tmp}: is a directory; name a file inside it",
    ),
    pf(
        "dotenv --output under a file",
        ["dotenv", "--output", "{tmp}/file/.env"],
        PF + "--output {tmp}/file/.env: {tmp}/file is not a directory",
        files={"file": "x"},
    ),
    pf(
        "dotenv --check of a directory",
        ["dotenv", "--check", "--output", "{tmp}"],
        PF + "--output {tmp}: is a directory",
    ),
    pf(
        "diff --json-out is a directory",
        ["diff", "--base", "HEAD", "--json-out", "{tmp}"],
        "preflight diff: error: --json-out {tmp}: is a directory",
    ),
    pf(
        "scan --json is a directory",
        ["scan", "--stack", "dev", "--json", "{tmp}"],
        "scan: error: --json {tmp}: is a directory",
    ),
    rb(
        "rollback stack climbing out",
        ["--stack", "../../tmp/x", "--cwd", "{repo}"],
        RB + "stack '../../tmp/x' is not a stack name: a stack name is letters, digits",
    ),
    rb(
        "rollback stack with a slash too many",
        ["--stack", "a/b/c/prod", "--cwd", "{repo}"],
        RB + "stack 'a/b/c/prod' is not a stack name",
    ),
    rb(
        "rollback stack with a shell character",
        ["--stack", "prod;id", "--cwd", "{repo}"],
        RB + "stack 'prod;id' is not a stack name",
    ),
    rb(
        "rollback stack of another project",
        ["--stack", "acme/other/prod", "--cwd", "{repo}"],
        RB + "stack 'acme/other/prod' names project 'other', but this is 'controlplane'",
    ),
    rb("rollback stack too long", ["--stack", "p" * 101, "--cwd", "{repo}"], RB + "stack 'ppp"),
    rb("rollback empty stack", ["--stack", "", "--cwd", "{repo}"], RB + "stack '' is not a"),
    rb(
        "rollback bad limit",
        ["--stack", "prod", "--limit", "0", "--cwd", "{repo}"],
        RB + "--limit must be at least 1",
    ),
    rb(
        "rollback version not a number",
        ["--stack", "prod", "--to", "latest"],
        RB + "argument --to: invalid int value: 'latest' (see --help)",
    ),
    rb("rollback unknown flag", ["--stack", "prod", "--force"], RB + "unrecognized arguments"),
    rb("rollback no Pulumi.yaml", ["--stack", "prod", "--cwd", "{tmp}"], RB + "no Pulumi.yaml in"),
    rb(
        "drill stack climbing out",
        ["--stack", "../../x", "--cwd", "{repo}"],
        "rollback drill: error: stack '../../x': '..' is not an organization name",
        "drill",
    ),
    rb("drill unknown flag", ["--bogus"], "rollback drill: error: unrecognized arguments", "drill"),
    rb("change notice unknown flag", ["--bogus"], "change notice: error:", "change_notice"),
    rb("monthly scan unknown flag", ["--bogus"], "monthly scan: error:", "monthly_scan"),
]

CASES = [
    *STACK_FILE_CASES,
    *PROJECT_FILE_CASES,
    *SNAPSHOT_CASES,
    *MANIFEST_CASES,
    *HISTORY_CASES,
    *ARGUMENT_CASES,
]

# --- running a case ---------------------------------------------------------------------------

HISTORY_DOUBLE = """\
import os, sys
from pathlib import Path
if sys.argv[1:3] == ["stack", "history"]:
    print(Path(os.environ["FAKE_HISTORY"]).read_text())
    sys.exit(0)
sys.exit(3)
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git checkout of a Pulumi project, where the operator scripts run."""
    path = tmp_path_factory.mktemp("repo")
    git(path, "init", "-q", "-b", "main")
    (path / "Pulumi.yaml").write_text("name: controlplane\nruntime: python\n")
    return path


@dataclass
class Run:
    code: int
    out: str
    err: str


def _prepare(case: Case, tmp: Path, repo: Path) -> tuple[list[str], dict[str, str]]:
    def fill(text: str) -> str:
        return text.replace("{tmp}", str(tmp)).replace("{project}", str(tmp / "project"))

    fill_all: Callable[[str], str] = lambda s: fill(s).replace("{repo}", str(repo))  # noqa: E731
    for name, content in case.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.name in HUGE:
        with (tmp / "snap.json").open("wb") as handle:
            handle.truncate(MAX_BYTES + 1)  # sparse: large without writing it
    if case.name == "tfplan --out is a FIFO":
        os.mkfifo(tmp / "fifo")
    if case.name in SYMLINK_CASES:
        outside = tmp / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_text(CANARY)
        listed, target, _ = SYMLINK_CASES[case.name]
        link = tmp / "bundle" / listed.split("/")[0]
        link.symlink_to(outside / "secret.txt" if target == "{secret}" else outside)
    env = {
        "PULUMI_BIN": str(write_double(tmp / "bin", "pulumi", HISTORY_DOUBLE)),
        "FAKE_HISTORY": str(tmp / "history.json"),
        **case.env,
    }
    return [fill_all(a) for a in case.argv], env


@functools.cache
def _script(name: str) -> Any:
    return load_script(name)


def _call(case: Case, argv: list[str]) -> int:
    if case.tool == "preflight":
        return preflight_main(argv)
    return int(_script({"drill": "rollback_drill"}.get(case.tool, case.tool)).main(argv))


def run_in_process(case: Case, argv: list[str], env: dict[str, str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = _call(case, argv)
            except SystemExit as exit_:  # argparse
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Run(code, out.getvalue(), err.getvalue())


def run_subprocess(case: Case, argv: list[str], env: dict[str, str]) -> Run:
    if case.tool == "preflight":
        command = [sys.executable, "-m", "preflight", *argv]
    else:
        script = {"drill": "rollback_drill"}.get(case.tool, case.tool)
        command = [sys.executable, str(SCRIPTS / f"{script}.py"), *argv]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def _written(tmp: Path) -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in tmp.rglob("*") if p.is_file() and not p.is_symlink()}


def assert_refused(case: Case, run: Run, tmp: Path, before: dict[Path, float]) -> None:
    expected = case.starts.replace("{tmp}", str(tmp))
    lines = run.err.splitlines()
    assert "Traceback" not in run.err, run.err
    assert len(lines) == 1, f"{case.name}: stderr is not one line:\n{run.err}"
    assert lines[0].startswith(expected), f"{case.name}: {lines[0]!r}"
    assert run.code == case.code, f"{case.name}: exit {run.code}: {run.err}"
    assert run.out == "", f"{case.name}: printed on stdout: {run.out[:200]}"
    assert CANARY not in run.out + run.err, f"{case.name}: a planted secret was printed"
    for path, mtime in _written(tmp).items():
        if before.get(path) != mtime:
            assert CANARY not in path.read_text(errors="replace"), f"{case.name}: wrote {path}"


def test_the_corpus_is_large_and_its_names_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert len(CASES) >= 100, len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_is_one_line_and_exit_2(case: Case, tmp_path: Path, repo: Path) -> None:
    argv, env = _prepare(case, tmp_path, repo)
    before = _written(tmp_path)
    assert_refused(case, run_in_process(case, argv, env), tmp_path, before)


SUBPROCESS_CASES = [
    "org: yes",
    "connection string in a container env value",
    "snapshot not UTF-8",
    "name climbing out",
    "history not JSON",
    "rollback stack climbing out",
    "unknown flag",
    "tfplan --out is a directory",
]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_bad_input_through_the_real_command_line(name: str, tmp_path: Path, repo: Path) -> None:
    (case,) = [c for c in CASES if c.name == name]
    argv, env = _prepare(case, tmp_path, repo)
    before = _written(tmp_path)
    assert_refused(case, run_subprocess(case, argv, env), tmp_path, before)


# --- config errors never repeat a secret key's value --------------------------------------------


def _prod_config() -> tuple[dict[str, str], list[str]]:
    from preflight.synth import Project, stack_config

    return stack_config(Project.load(ROOT), "prod")


@pytest.mark.parametrize(
    ("key", "value", "starts"),
    [
        ("controlplane:org", CANARY, "controlplane:org: found "),
        ("controlplane:supabase", json.dumps({"projectRef": CANARY}), "controlplane:supabase."),
        ("controlplane:supabase", json.dumps({"api": {"maxRows": CANARY}}), "controlplane:supa"),
        ("controlplane:environment", CANARY, "controlplane:environment: found "),
    ],
)
def test_a_config_error_never_repeats_the_value_of_a_secret_key(
    key: str, value: str, starts: str
) -> None:
    """A key the engine holds as a secret (``pulumi config set --secret``) reaches the program
    decrypted; when it is invalid, the error names the key and never its value."""
    from config.errors import ConfigError
    from config.stack import validate

    config, secret_keys = _prod_config()
    with pytest.raises(ConfigError) as err:
        validate("prod", {**config, key: value}, {key, *secret_keys})
    assert CANARY not in str(err.value)
    assert any(p.startswith(starts) for p in err.value.problems), err.value.problems


def test_offline_synth_reads_only_the_stack_file(tmp_path: Path, monkeypatch, capsys) -> None:
    """The Pulumi CLI hands config to a program through PULUMI_CONFIG and PULUMI_CONFIG_<KEY>,
    which ``pulumi.Config`` reads for any key the in-process map lacks; the offline path reads
    Pulumi.<stack>.yaml only, so neither reaches the program."""
    program = (
        "import pulumi\n"
        "cfg = pulumi.Config('tiny')\n"
        "pulumi.export('org', cfg.get('org'))\n"
        "pulumi.export('bogus', cfg.get('bogus'))\n"
        "pulumi.export('extra', cfg.get('extra'))\n"
    )
    project = tiny_project(tmp_path, "tiny", program, "config:\n  tiny:org: acme\n")
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"tiny:extra": CANARY}))
    monkeypatch.setenv("PULUMI_CONFIG_TINY_BOGUS", CANARY)
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", "not json")
    assert preflight_main(["synth", "--stack", "dev", "--project", str(project)]) == 0
    out, err = capsys.readouterr()
    assert CANARY not in out + err
    outputs = json.loads(out)["resources"][0]["outputs"]
    assert outputs == {"org": "acme"}, outputs
    assert os.environ["PULUMI_CONFIG_TINY_BOGUS"] == CANARY  # restored afterwards
