"""Decoding each resource once (``policies/_lib/decode_once.py``) changes no answer of the pack.

The pack process installs it as it starts. These tests drive the runtime's own servicer in
process, as its gRPC server would, once as pulumi-policy ships it and once with the decodings
shared, over the compliant stacks, a preview with unknown values and one adversary variant of
every family, and compare every diagnostic and not-applicable answer.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pulumi_policy.policy as runtime
import pytest
from google.protobuf import empty_pb2
from pulumi_policy import EnforcementLevel, PolicyResource, StackValidationPolicy

from policies._lib import decode_once, pack
from policies._lib.registry import PACK_NAME, collect
from preflight.analyzer.config import load_policy_pack_config, reconcile, to_proto
from preflight.analyzer.snapshot import Marshaller
from preflight.snapshot import DRY_RUN_KEY, validate
from tests.support.adversary import FAMILIES, all_cases
from tests.support.policies import PACK_DIR

Answer = list[tuple[str, ...]]


@pytest.fixture
def shared() -> Iterator[None]:
    assert decode_once.install() is None
    yield
    decode_once.uninstall()


def servicer(policies: list[Any] | None = None) -> Any:
    return runtime._PolicyAnalyzerServicer(
        PACK_NAME, "0.0.1", policies or list(collect()), EnforcementLevel.MANDATORY
    )


def answers(
    analyzer: Any, snapshot: dict[str, Any], monkeypatch: pytest.MonkeyPatch, *, own: bool = True
) -> Answer:
    """Every answer of the pack to ``snapshot``, as the engine would receive them, under the
    stack's policy config (``own``) or the policies' defaults."""
    stack = str(snapshot["stack"])
    monkeypatch.setenv("PULUMI_DRY_RUN", "true" if snapshot.get(DRY_RUN_KEY) else "false")
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), None)
    given = load_policy_pack_config(PACK_DIR / "config" / f"{stack}.json") if own else {}
    config = reconcile(info, given)
    analyzer.Configure(to_proto(config), None)
    resources = validate(snapshot, stack)
    marshaller = Marshaller(resources)
    found: Answer = []
    requests = [(r["urn"], marshaller.analyze_request(r)) for r in resources]
    for urn, request in [*requests, ("stack", marshaller.stack_request())]:
        method = analyzer.AnalyzeStack if urn == "stack" else analyzer.Analyze
        response = method(request, None)
        found += [
            (urn, d.policyName, str(d.enforcementLevel), d.urn, d.message)
            for d in response.diagnostics
        ]
        found += [(urn, n.policy_name, n.reason) for n in response.not_applicable]
    return found


def variants(snapshots: dict[str, Any], preview_snapshots: dict[str, Any]) -> list[Any]:
    chosen = [("prod", snapshots["prod"]), ("dev", snapshots["dev"])]
    chosen.append(("prod preview", preview_snapshots["prod"]))
    for family in FAMILIES:
        case = next(case for case in all_cases() if case.family == family)
        changed = copy.deepcopy(snapshots["prod"])
        case.change(changed)
        chosen.append((case.id, changed))
    return chosen


def test_the_runtime_is_the_version_it_was_read_from():
    # A new pulumi-policy must be read again (policy.py's Analyze and AnalyzeStack) before the
    # pack shares decodings with it; until then install() leaves it alone.
    assert decode_once.why_not() is None


def test_every_answer_is_the_same_with_decodings_shared(snapshots, preview_snapshots, monkeypatch):
    chosen = variants(snapshots, preview_snapshots)
    alone = servicer()
    expected = {name: answers(alone, snapshot, monkeypatch) for name, snapshot in chosen}
    assert any(expected.values()), "no variant made the pack answer anything"
    assert decode_once.install() is None
    try:
        # One servicer for every variant, as one pack process serves stack after stack.
        together = servicer()
        for name, snapshot in chosen:
            assert answers(together, snapshot, monkeypatch) == expected[name], name
    finally:
        decode_once.uninstall()


def test_each_distinct_properties_message_is_decoded_once(snapshots, monkeypatch, shared):
    snapshot = snapshots["prod"]
    analyzer = servicer()
    analyzer.Configure(
        to_proto(reconcile(analyzer.GetAnalyzerInfo(empty_pb2.Empty(), None), {})), None
    )
    marshaller = Marshaller(validate(snapshot, "prod"))
    requests = [marshaller.analyze_request(r) for r in validate(snapshot, "prod")]
    stack_request = marshaller.stack_request()
    messages = [r.properties for r in requests] + [r.properties for r in stack_request.resources]
    messages += [r.provider.properties for r in requests if r.HasField("provider")]
    distinct = {m.SerializeToString(deterministic=True) for m in messages}

    decoded: list[bytes] = []
    real = decode_once.json_format.MessageToDict

    def counting(message: Any, *args: Any, **kwargs: Any) -> Any:
        decoded.append(message.SerializeToString(deterministic=True))
        return real(message, *args, **kwargs)

    monkeypatch.setattr(decode_once.json_format, "MessageToDict", counting)
    monkeypatch.setenv("PULUMI_DRY_RUN", "false")
    for request in requests:
        analyzer.Analyze(request, None)
    analyzer.AnalyzeStack(stack_request, None)
    # ~40 policies would decode each message ~40 times; shared, each distinct one is decoded once
    assert sorted(decoded) == sorted(distinct)


def test_a_policy_cannot_change_what_the_next_one_sees(snapshots, monkeypatch, shared):
    def tamper(args: Any, report: Any) -> None:
        resource: PolicyResource = args.resources[0]
        props: Any = resource.props
        props["labels"] = {}

    meddler = StackValidationPolicy(name="meddler", description="changes props", validate=tamper)
    with pytest.raises(TypeError, match="shared by every policy"):
        answers(servicer([meddler]), snapshots["dev"], monkeypatch, own=False)


def test_another_runtime_version_is_left_alone(monkeypatch):
    monkeypatch.setattr(decode_once, "VERSION", "9.9.9")
    reason = decode_once.install()
    assert reason is not None and "9.9.9" in reason
    assert not decode_once.installed()
    assert runtime.json_format is decode_once.json_format


def test_the_pack_installs_it_as_it_starts(monkeypatch):
    started: list[bool] = []
    monkeypatch.setattr(pack, "PolicyPack", lambda **_: started.append(decode_once.installed()))
    monkeypatch.setattr(pack.sys, "argv", ["pulumi.policy"])
    try:
        pack.serve(list(collect()))
    finally:
        decode_once.uninstall()
    assert started == [True]
