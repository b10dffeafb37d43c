"""No secret value reaches any output: canaries planted in every secret, then searched for.

Every secret config key (``config.stack.SECRET_KEYS``) gets a distinctive canary in place of
the offline placeholder, and the mocks hand the Supabase keys resource (service-role key, JWT
secret) and the PagerDuty integration (integration key) canaries as their outputs. The three
stacks are synthesized in this process with a fingerprint key, so that each secret shows as
``[secret:<hmac of its value>]``: finding the hmac of a canary in the snapshot proves the canary
really went through the program, and a second synthesis of prod with other canaries gives a diff
whose secrets changed. Then no canary may appear in the snapshot JSON, the preview, the
diagrams, the diff (Markdown, JSON, change diagram), the policy check's JSON, ``.env.example``,
nor in anything written to stdout, stderr, the log or the warnings meanwhile.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import hashlib
import hmac
import io
import json
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime import config as runtime_config
from pulumi.runtime.mocks import MockResourceArgs

from config.stack import SECRET_KEYS
from preflight import check, diff, dotenv, graph, preview, synth
from preflight.__main__ import main
from preflight.cli import ROOT
from preflight.mocks import ControlPlaneMocks
from preflight.synth import Project, synthesize

STACKS = ("dev", "staging", "prod")
KEY = b"k"
"""The fingerprint key of both canary syntheses."""
CANARY_TAG = "cnry7q2xv"
"""Every canary starts with this; it appears nowhere else in the repository."""

KEYS = "pulumi-python:dynamic/supabase:SupabaseProjectKeys"
INTEGRATION = "pagerduty:index/serviceIntegration:ServiceIntegration"
SECRET_OUTPUTS: dict[str, tuple[str, ...]] = {
    KEYS: ("serviceRoleKey", "jwtSecret"),
    INTEGRATION: ("integrationKey",),
}
"""Mocked outputs that are secrets: type token -> output names."""
PROVIDER_CREDENTIALS = {"datadog:apiKey", "datadog:appKey", "pagerduty:token"}
"""Secret keys only the default providers read: no resource input carries them (under mocks the
default providers are not registered), so they cannot show even as a fingerprint."""

ORIGINAL_STACK_CONFIG = synth.stack_config
ORIGINAL_NEW_RESOURCE = ControlPlaneMocks.new_resource


def canary(variant: str, name: str) -> str:
    """The canary of secret ``name`` (a config key or ``<type>.<output>``) in run ``variant``."""
    return f"{CANARY_TAG}-{variant}-{re.sub(r'[^A-Za-z0-9]+', '-', name)}"


def secret_names() -> list[str]:
    """Every planted secret: the config keys, then the mocked secret outputs."""
    return sorted(SECRET_KEYS) + [
        f"{token}.{output}" for token, outputs in SECRET_OUTPUTS.items() for output in outputs
    ]


def fingerprint(value: str) -> str:
    """How a fingerprinted snapshot shows a secret: an hmac of its JSON value under ``KEY``."""
    digest = hmac.new(KEY, json.dumps(value, sort_keys=True).encode(), hashlib.sha256)
    return f"[secret:{digest.hexdigest()[:16]}]"


def leaks(text: str) -> list[str]:
    """Canaries (or a piece of one) and their base64 forms found in ``text``."""
    found = sorted(set(re.findall(rf"{CANARY_TAG}[A-Za-z0-9-]*", text)))
    for variant in ("a", "b"):
        for name in secret_names():
            encoded = base64.b64encode(canary(variant, name).encode()).decode()
            if encoded in text:
                found.append(f"base64 of {canary(variant, name)}")
    return found


# --- Planting ---------------------------------------------------------------------------------


@dataclass
class Planter:
    """Replaces the offline placeholders and the mocked secret outputs with canaries."""

    variant: str
    configs: dict[str, tuple[dict[str, str], list[str]]] = field(default_factory=dict)
    """What the config map handed to the program held, per stack (values and secret keys)."""
    mocked: list[tuple[str, str]] = field(default_factory=list)
    """(type, name) of each resource whose mocked outputs got canaries."""

    def stack_config(self, project: Project, stack: str) -> tuple[dict[str, str], list[str]]:
        config, secret_keys = ORIGINAL_STACK_CONFIG(project, stack)
        config = dict(config)
        for key in secret_keys:
            config[key] = canary(self.variant, key)
        self.configs[stack] = (config, list(secret_keys))
        return config, secret_keys

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        planter = self

        def new_resource(
            mocks: ControlPlaneMocks, args: MockResourceArgs
        ) -> tuple[str, dict[str, Any]]:
            resource_id, outputs = ORIGINAL_NEW_RESOURCE(mocks, args)
            names = SECRET_OUTPUTS.get(args.typ, ())
            if names:
                planter.mocked.append((args.typ, args.name))
                for name in names:
                    outputs = {**outputs, name: canary(planter.variant, f"{args.typ}.{name}")}
            return resource_id, outputs

        monkeypatch.setattr(synth, "stack_config", self.stack_config)
        monkeypatch.setattr(dotenv, "stack_config", self.stack_config)
        monkeypatch.setattr(ControlPlaneMocks, "new_resource", new_resource)


@contextlib.contextmanager
def planted(variant: str) -> Iterator[Planter]:
    """Canaries in place for the block; afterwards the runtime config holds what it held."""
    planter = Planter(variant)
    config, secret_keys = dict(runtime_config.CONFIG.get()), set(runtime_config._SECRET_KEYS.get())
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            planter.install(monkeypatch)
            yield planter
    finally:
        runtime_config.set_all_config(config, sorted(secret_keys))


@dataclass
class Captured:
    text: str = ""
    """Everything written to file descriptors 1 and 2, sys.stdout, sys.stderr, the log (any
    logger, from DEBUG up, with tracebacks) and the warnings while the block ran."""


@contextlib.contextmanager
def captured() -> Iterator[Captured]:
    result = Captured()
    records: list[str] = []
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(formatter.format(record))

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        saved = (os.dup(1), os.dup(2))
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        out, err = io.StringIO(), io.StringIO()
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                yield result
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            sink.seek(0)
            result.text = "\n".join(
                [
                    sink.read().decode("utf-8", "replace"),
                    out.getvalue(),
                    err.getvalue(),
                    *records,
                    *(str(w.message) for w in caught),
                ]
            )


PROBES = ("probe-fd", "probe-stdout", "probe-stderr", "probe-log", "probe-warning")


def probe() -> None:
    """Write one line down every captured channel (the capture must see each)."""
    os.write(2, b"probe-fd\n")
    print("probe-stdout")
    print("probe-stderr", file=sys.stderr)
    logging.getLogger("pulumi").debug("probe-log")
    warnings.warn("probe-warning", UserWarning, stacklevel=1)


@dataclass
class Run:
    planter: Planter
    snapshots: dict[str, dict[str, Any]]
    output: str


def synthesize_planted(variant: str, stacks: tuple[str, ...]) -> Run:
    with planted(variant) as planter, captured() as output:
        snapshots = synthesize(
            list(stacks),
            fingerprint_key=KEY,
            progress=lambda message: print(f"preflight: {message}", file=sys.stderr),
        )
        probe()
    return Run(planter, snapshots, output.text)


@pytest.fixture(scope="module")
def run_a() -> Run:
    """Every stack, canaries of variant ``a``."""
    return synthesize_planted("a", STACKS)


@pytest.fixture(scope="module")
def run_b() -> Run:
    """Prod again with other canaries (variant ``b``): the head of a diff against ``run_a``."""
    return synthesize_planted("b", ("prod",))


def runs(run_a: Run, run_b: Run) -> list[tuple[Run, str]]:
    return [(run_a, stack) for stack in STACKS] + [(run_b, "prod")]


# --- The canaries went in ---------------------------------------------------------------------


def test_every_secret_config_key_carried_its_canary(run_a: Run, run_b: Run) -> None:
    for run, stack in runs(run_a, run_b):
        config, secret_keys = run.planter.configs[stack]
        for key in SECRET_KEYS:
            assert key in secret_keys, f"{stack}: {key} is not marked secret"
            assert config[key] == canary(run.planter.variant, key), f"{stack}: {key}"


def test_the_mocks_handed_out_canary_keys(run_a: Run, run_b: Run) -> None:
    for run, stack in runs(run_a, run_b):
        assert (KEYS, f"acme-{stack}-supabase-keys") in run.planter.mocked, stack
        assert (INTEGRATION, f"acme-{stack}-oncall-datadog") in run.planter.mocked, stack


def test_the_canaries_do_not_outlive_their_synthesis(run_a: Run, run_b: Run) -> None:
    """Later tests in this process never see a canary in the runtime config or the mocks."""
    assert leaks(json.dumps(runtime_config.CONFIG.get())) == []
    assert synth.stack_config is ORIGINAL_STACK_CONFIG
    assert ControlPlaneMocks.new_resource is ORIGINAL_NEW_RESOURCE


@functools.cache
def stack_file(stack: str) -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"])


def expected_sites(stack: str) -> dict[str, set[tuple[str, str]]]:
    """Where each secret must show (as its fingerprint): secret -> {(resource name, path)}."""
    sites: dict[str, set[tuple[str, str]]] = {name: set() for name in secret_names()}
    sites["controlplane:supabaseAccessToken"] = {
        (f"acme-{stack}-supabase-settings", "accessToken"),
        (f"acme-{stack}-supabase-keys", "accessToken"),
    }
    for entry in stack_file(stack)["controlplane:secrets"]:
        if "fromConfig" in entry:
            version = f"acme-{stack}-vault-{entry['name']}-version"
            sites[f"controlplane:{entry['fromConfig']}"].add((version, "secretData"))
    sites[f"{KEYS}.serviceRoleKey"] = {
        (f"acme-{stack}-vault-supabase-service-role-key-version", "secretData")
    }
    sites[f"{KEYS}.jwtSecret"] = {(f"acme-{stack}-vault-supabase-jwt-secret-version", "secretData")}
    sites[f"{INTEGRATION}.integrationKey"] = {
        (f"acme-{stack}-oncall-datadog-service", "serviceKey")
    }
    if "controlplane:security" in stack_file(stack):
        # The security route's own Datadog integration (components/security_escalation.py).
        sites[f"{INTEGRATION}.integrationKey"].add(
            (f"acme-{stack}-security-datadog-service", "serviceKey")
        )
    return sites


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in ``value`` with its dotted path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def found_sites(snapshot: dict[str, Any], variant: str) -> dict[str, set[tuple[str, str]]]:
    marks = {fingerprint(canary(variant, name)): name for name in secret_names()}
    sites: dict[str, set[tuple[str, str]]] = {name: set() for name in secret_names()}
    for resource in snapshot["resources"]:
        for path, value in strings(resource["inputs"]):
            if value in marks:
                sites[marks[value]].add((resource["name"], path))
    return sites


def test_each_canary_reached_the_program_and_shows_only_as_its_fingerprint(
    run_a: Run, run_b: Run
) -> None:
    for run, stack in runs(run_a, run_b):
        found = found_sites(run.snapshots[stack], run.planter.variant)
        assert found == expected_sites(stack), stack
        assert all(not found[key] for key in PROVIDER_CREDENTIALS), stack


def test_the_capture_sees_every_channel(run_a: Run) -> None:
    for line in PROBES:
        assert line in run_a.output, f"the capture missed {line!r}"
    assert "preflight: synthesizing controlplane/prod" in run_a.output


# --- ... and came out nowhere -----------------------------------------------------------------


def test_no_canary_in_the_synthesis_output_or_log(run_a: Run, run_b: Run) -> None:
    assert leaks(run_a.output) == []
    assert leaks(run_b.output) == []


def test_no_canary_in_the_snapshots(run_a: Run, run_b: Run) -> None:
    for run, stack in runs(run_a, run_b):
        snapshot = run.snapshots[stack]
        assert leaks(synth.dumps(snapshot)) == [], stack
        plain = diff.scrub(snapshot)  # what `synth` prints without a fingerprint key
        assert "[secret:" not in json.dumps(plain), stack
        assert leaks(synth.dumps(plain)) == [], stack


def test_no_placeholder_in_the_session_snapshots(snapshots) -> None:
    """Without canaries the secrets are the offline placeholders: they never show either."""
    for stack, snapshot in snapshots.items():
        text = synth.dumps(snapshot)
        assert "offline-placeholder-" not in text, stack
        assert text.count('"[secret]"') >= len(SECRET_KEYS), stack


def test_no_canary_in_the_preview(run_a: Run, capfd) -> None:
    for stack in STACKS:
        snapshot = diff.scrub(run_a.snapshots[stack])
        for colour in (False, True):
            text = preview.render(snapshot, colour)
            assert f"acme-{stack}-supabase-keys" in text, stack
            assert leaks(text) == [], stack
    out, err = capfd.readouterr()
    assert leaks(out + err) == []


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_no_canary_in_the_diagrams(run_a: Run, capfd, fmt: str) -> None:
    for stack in STACKS:
        snapshot = diff.scrub(run_a.snapshots[stack])
        for level in ("components", "resources"):
            text = graph.render(snapshot, fmt, level)
            assert "supabase" in text, (stack, level)
            assert leaks(text) == [], (stack, level)
        text = graph.render(snapshot, fmt, "resources", "SupabaseProject")
        assert leaks(text) == [], stack
    out, err = capfd.readouterr()
    assert leaks(out + err) == []


def test_no_canary_in_the_diff_of_two_canary_sets(run_a: Run, run_b: Run, capfd) -> None:
    base, head = run_a.snapshots["prod"], run_b.snapshots["prod"]
    changes = diff.diff_snapshots("prod", base, head)
    # The canaries differ, so exactly the resources that hold a secret changed, each only in
    # that secret, and the diff says so without a value.
    holders = {(name, path) for sites in expected_sites("prod").values() for name, path in sites}
    changed = {(r.name, c.path) for r in changes.resources for c in r.changes}
    assert changed == holders
    assert all(c.secret for r in changes.resources for c in r.changes)
    assert {r.op for r in changes.resources} <= {"update", "replace"}

    changes.diagram = diff.change_diagram_for(changes, base, head)
    changes.policy_note = "skipped with --skip-policy"
    markdown = diff.render_markdown(
        [changes], "`base`", allow_data_loss=False, full_report="see the JSON report"
    )
    report = json.dumps(
        diff.render_json([changes], {"rev": "base", "commit": "0" * 40}, allow_data_loss=False),
        indent=2,
        sort_keys=True,
        ensure_ascii=False,
    )
    assert "acme-prod-vault-supabase-jwt-secret-version" in markdown
    assert "```mermaid" in changes.diagram and "supabase" in changes.diagram
    for text in (markdown, report, changes.diagram):
        assert leaks(text) == []
        # Not even the fingerprints leave the diff.
        assert "[secret:" not in text
    out, err = capfd.readouterr()
    assert leaks(out + err) == []


def parse_check(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    check.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_no_canary_in_the_policy_check_json(run_a: Run, tmp_path: Path, capfd) -> None:
    argv = ["--json"]
    for stack in STACKS:
        path = tmp_path / f"{stack}.json"
        path.write_text(synth.dumps(diff.scrub(run_a.snapshots[stack])))
        argv += ["--snapshot", str(path)]
    code = check.run(parse_check(*argv))
    out, err = capfd.readouterr()
    assert code in (0, 1), err
    report = json.loads(out)
    checked = {s["stack"]: s["resources"] for s in report["stacks"]}
    assert checked == {stack: len(run_a.snapshots[stack]["resources"]) for stack in STACKS}
    assert leaks(out) == []
    assert leaks(err) == []


@pytest.mark.parametrize("stack", STACKS)
def test_no_canary_in_the_env_example(stack: str, tmp_path: Path, capfd) -> None:
    output = tmp_path / ".env.example"
    args = argparse.Namespace(stack=stack, project=ROOT, output=output, check=False)
    with planted("a") as planter:
        code = dotenv.run(args)
    out, err = capfd.readouterr()
    assert code == 0, err
    config, _ = planter.configs[stack]  # the generator read the planted config
    assert config["controlplane:composioApiKey"] == canary("a", "controlplane:composioApiKey")
    text = output.read_text()
    assignments = [line for line in text.splitlines() if "=" in line and line[:1] != "#"]
    assert "COMPOSIO_API_KEY=" in assignments
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*=", line) for line in assignments), assignments
    assert leaks(text) == []
    assert leaks(out + err) == []


def test_no_canary_in_a_config_error(project_with, capsys) -> None:
    """A stack that fails validation says why, with the canaries loaded, and never echoes one."""
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    alerts = doc["config"]["controlplane:monitoring"].setdefault("alerts", {})
    alerts["missionSuccessRate"] = {"threshold": 0.95, "window": "5m"}
    project = project_with("prod", yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    with planted("a") as planter:
        code = main(["synth", "--stack", "prod", "--project", str(project)])
    out, err = capsys.readouterr()
    assert code == 2, err
    config, _ = planter.configs["prod"]
    assert config["pagerduty:token"] == canary("a", "pagerduty:token")
    assert "controlplane:monitoring.alerts.missionSuccessRate" in err
    assert leaks(out + err) == []
