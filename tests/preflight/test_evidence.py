"""`preflight evidence`: audit bundles that verify against their manifest, on disk and in object
stores (moto's S3 server and a GCS emulator, both on loopback)."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from preflight import evidence
from preflight.cli import ROOT
from preflight.evidence import LocalStore, verify, write_bundle
from tests.support.checkov import requires_checkov

STACKS = ["dev", "staging", "prod"]


@pytest.fixture(scope="module")
def bundles(snapshots) -> dict[str, evidence.Bundle]:
    """The three stacks' bundles as `evidence --all` builds them (no Pulumi CLI here)."""
    return evidence.build_bundles(STACKS, snapshots=snapshots, pulumi=None)


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    evidence.add_arguments(parser)
    return evidence.run(parser.parse_args(list(argv)))


def assert_written_bundle_verifies(bundle: evidence.Bundle, target: str, capsys) -> None:
    """Write ``bundle`` to the store at ``target``; ``evidence --verify`` then passes."""
    write_bundle(bundle, evidence.open_store(target))
    assert _cli("--verify", target) == 0
    assert capsys.readouterr().out == f"{target}: verified\n"


def test_each_stack_bundle_verifies_against_its_manifest(bundles, tmp_path: Path, capsys) -> None:
    for stack in STACKS:
        write_bundle(bundles[stack], LocalStore(tmp_path / stack))
        assert verify(LocalStore(tmp_path / stack)) == [], stack
        assert _cli("--verify", str(tmp_path / stack)) == 0
        assert capsys.readouterr().out == f"{tmp_path / stack}: verified\n"


@requires_checkov
def test_bundle_contents_and_manifest(bundles) -> None:
    prod = bundles["prod"]
    assert sorted(prod.files) == [
        "checkov-report.json",
        "config/Pulumi.prod.yaml",
        "config/Pulumi.yaml",
        "config/policy-config.json",
        "policy-report.json",
        "snapshot.json",
        "tfplan.json",
    ]
    assert prod.omitted == {
        "diff.json": (
            "no deployed commit known: pass --deployed-commit REV or install the Pulumi CLI"
        ),
        "history.json": "the Pulumi CLI is not installed: no update history",
    }
    manifest = json.loads(prod.manifest())
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert manifest["git"]["commit"] == head
    assert (manifest["project"], manifest["stack"], manifest["format"]) == (
        "controlplane",
        "prod",
        "controlplane-evidence/1",
    )
    for name, data in prod.files.items():
        assert manifest["files"][name] == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
    checkov = json.loads(prod.files["checkov-report.json"])
    assert {r.get("stack") for r in checkov["results"]} <= {"prod", None}
    assert checkov["resources"]["checkov"] == sum(checkov["resources"]["exported"].values())
    policy = json.loads(prod.files["policy-report.json"])
    assert [s["stack"] for s in policy["stacks"]] == ["prod"]


def test_no_secret_value_reaches_a_bundle(bundles) -> None:
    # Offline, each secret config key holds the placeholder `offline-placeholder-<key>`: a
    # canary that must show only as the marker.
    for stack, bundle in bundles.items():
        for name, data in bundle.files.items():
            assert b"offline-placeholder-" not in data, (stack, name)
        assert b"[secret]" in bundle.files["snapshot.json"], stack


def test_stack_config_secure_values_are_redacted() -> None:
    canary = "v1:AAABBBcanary-ciphertext-9d2f"
    text = (
        "config:\n  controlplane:org: acme\n"
        f"  datadog:apiKey:\n    secure: {canary}\n"
        "  controlplane:list:\n    - plain\n    - secure: nested-canary\n"
    )
    out = evidence.redact_config(text).decode()
    assert canary not in out and "nested-canary" not in out
    assert out == (
        "config:\n  controlplane:list:\n  - plain\n  - '[secret]'\n"
        "  controlplane:org: acme\n  datadog:apiKey: '[secret]'\n"
    )


def test_tampered_missing_and_unlisted_files_are_reported(bundles, tmp_path: Path, capsys) -> None:
    store = LocalStore(tmp_path)
    write_bundle(bundles["dev"], store)
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_bytes(snapshot.read_bytes().replace(b'"dev"', b'"prod"', 1))
    (tmp_path / "tfplan.json").unlink()
    (tmp_path / "notes.txt").write_text("added later\n")
    digest = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    listed = json.loads(bundles["dev"].manifest())["files"]["snapshot.json"]["sha256"]
    expected = [
        f"tampered: snapshot.json (sha256 {digest}, manifest {listed})",
        "missing: tfplan.json",
        "not in the manifest: notes.txt",
    ]
    assert verify(store) == expected
    assert _cli("--verify", str(tmp_path)) == 1
    assert capsys.readouterr().out == "\n".join(expected) + f"\n{tmp_path}: FAILED verification\n"


def test_a_rerun_on_the_same_commit_gives_the_same_hashes(bundles, snapshots, tmp_path) -> None:
    """Built again, now with a Pulumi CLI that reports a deployed commit: same bytes."""
    pulumi = tmp_path / "pulumi"
    history = [
        {"kind": "update", "result": "failed", "environment": {"git.head": "bad0"}},
        {"kind": "update", "result": "succeeded", "environment": {"git.head": "c0ffee"}},
    ]
    pulumi.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(history)}\nEOF\n")
    pulumi.chmod(0o755)
    calls = []

    def fake_diff(commit: str, stack: str, project_dir: Path) -> tuple[int, str]:
        calls.append((commit, stack, project_dir))
        return 0, json.dumps({"base": {"commit": commit}, "stacks": [{"stack": stack}]})

    again = evidence.build_bundles(
        STACKS, snapshots=snapshots, pulumi=str(pulumi), diff_runner=fake_diff
    )
    assert calls == [("c0ffee", stack, ROOT) for stack in STACKS]
    for stack in STACKS:
        first = json.loads(bundles[stack].manifest())["files"]
        second = json.loads(again[stack].manifest())["files"]
        assert {k: v for k, v in second.items() if k in first} == first, stack
        assert set(second) - set(first) == {"diff.json", "history.json"}
        assert again[stack].deployed_commit == "c0ffee"
        assert json.loads(again[stack].files["history.json"]) == history


def test_deployed_commit_comes_from_the_newest_successful_update() -> None:
    history = [
        {"kind": "preview", "result": "succeeded", "environment": {"git.head": "p"}},
        {"kind": "update", "result": "failed", "environment": {"git.head": "f"}},
        {"kind": "update", "result": "succeeded", "environment": {"git.head": "ok"}},
        {"kind": "update", "result": "succeeded", "environment": {"git.head": "older"}},
    ]
    assert evidence.deployed_commit_from(history) == "ok"
    assert evidence.deployed_commit_from([{"kind": "update", "result": "succeeded"}]) is None
    assert evidence.deployed_commit_from(None) is None


# --- object stores on loopback -------------------------------------------------------------


@contextlib.contextmanager
def serving(server: Any) -> Iterator[Any]:
    """``server`` started, and stopped again however the setup or the test using it ends."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3(monkeypatch) -> Iterator[str]:
    moto_server = importlib.import_module("moto.server")
    moto = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    with serving(moto) as server:
        host, port = server.get_host_and_port()
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        }.items():
            monkeypatch.setenv(key, value)
        importlib.import_module("boto3").client("s3").create_bucket(Bucket="cp-evidence")
        yield "cp-evidence"


def test_s3_bundle_verifies_and_tampering_is_reported(bundles, s3, capsys) -> None:
    boto3 = importlib.import_module("boto3")
    target = f"s3://{s3}/controlplane/prod"
    assert_written_bundle_verifies(bundles["prod"], target, capsys)
    boto3.client("s3").put_object(Bucket=s3, Key="controlplane/prod/tfplan.json", Body=b"{}")
    assert _cli("--verify", target) == 1
    out = capsys.readouterr().out
    assert out.startswith("tampered: tfplan.json (sha256 ")
    assert out.endswith(f"{target}: FAILED verification\n")


def test_s3_missing_bucket_is_one_line_exit_2(bundles, s3, capsys) -> None:
    store = evidence.open_store("s3://no-such-bucket/x")
    with pytest.raises(evidence.storage_errors()):
        store.put("a", b"b")
    assert _cli("--verify", "s3://no-such-bucket/x") == 2
    err = capsys.readouterr().err
    assert err.startswith("evidence: error: ") and err.count("\n") == 1


@pytest.fixture
def gcs(monkeypatch) -> Iterator[str]:
    emulator = importlib.import_module("gcp_storage_emulator.server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = emulator.create_server("127.0.0.1", port, in_memory=True, default_bucket="cp-evidence")
    with serving(server):
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
        yield "cp-evidence"


def test_gcs_bundle_verifies_and_missing_files_are_reported(bundles, gcs, capsys) -> None:
    storage = importlib.import_module("google.cloud.storage")
    target = f"gs://{gcs}/controlplane/staging"
    assert_written_bundle_verifies(bundles["staging"], target, capsys)
    storage.Client().bucket(gcs).blob("controlplane/staging/snapshot.json").delete()
    assert _cli("--verify", target) == 1
    assert capsys.readouterr().out == f"missing: snapshot.json\n{target}: FAILED verification\n"


# --- usage errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stack", "dev"], "name where the bundle goes: --out DIR|s3://...|gs://..."),
        (
            ["--verify", "ftp://host/x"],
            "ftp://host/x: use a directory, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX",
        ),
        (["--verify", "s3://"], "s3://: name a bucket, e.g. s3://my-bucket/evidence/prod"),
    ],
)
def test_usage_errors_are_one_line_exit_2(argv, message, capsys) -> None:
    assert _cli(*argv) == 2
    assert capsys.readouterr().err == f"evidence: error: {message}\n"


def test_verify_of_a_directory_without_manifest(tmp_path: Path, capsys) -> None:
    assert _cli("--verify", str(tmp_path)) == 2
    assert capsys.readouterr().err == (
        f"evidence: error: {tmp_path}: no manifest.json: not an evidence bundle\n"
    )


@requires_checkov
def test_cli_writes_one_bundle_per_stack(
    bundles, tmp_path: Path, snapshots, monkeypatch, capsys
) -> None:
    """The command's wiring; synthesis and the checkov run are the fixture's (tested above)."""
    import preflight.synth

    monkeypatch.setattr(preflight.synth, "synthesize", lambda stacks, *_a, **_kw: snapshots)
    monkeypatch.setattr(
        evidence.bundle,
        "checkov_reports",
        lambda snaps, _repo: {s: bundles[s].files["checkov-report.json"] for s in snaps},
    )
    monkeypatch.setenv("PATH", os.defpath)  # no Pulumi CLI
    assert _cli("--stack", "dev", "--out", str(tmp_path / "dev")) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{tmp_path / 'dev'}: 7 files, manifest manifest.json"
    assert verify(LocalStore(tmp_path / "dev")) == []


def test_diff_is_asked_as_json_for_one_stack(monkeypatch, tmp_path: Path) -> None:
    """run_diff drives `preflight diff` through its own parser (the diff itself is tested there)."""
    from preflight import diff

    seen = []

    def fake_run(args: argparse.Namespace) -> int:
        seen.append(args)
        print('{"stacks": []}')
        return 3

    monkeypatch.setattr(diff, "run", fake_run)
    assert evidence.run_diff("c0ffee", "prod", tmp_path) == (3, '{"stacks": []}\n')
    (args,) = seen
    assert (args.base, args.stack, args.format, args.skip_policy, args.project) == (
        "c0ffee",
        "prod",
        "json",
        True,
        tmp_path,
    )


pytestmark = pytest.mark.playbook("evidence-bundles")
