"""The bootstrap program passes the same policy pack, with prod's enforcement."""

from __future__ import annotations

import json

from preflight.__main__ import main
from preflight.cli import ROOT


def test_preflight_check_passes_on_the_bootstrap_program(capsys) -> None:
    code = main(
        [
            "check",
            "--project",
            str(ROOT / "bootstrap"),
            "--stack",
            "org",
            "--policy-config",
            str(ROOT / "policies" / "config" / "org.json"),
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    report = json.loads(out)
    [stack] = report["stacks"]
    assert (stack["project"], stack["stack"]) == ("controlplane-bootstrap", "org")
    assert stack["policyConfig"] == "policies/config/org.json"
    assert stack["resources"] > 50
    assert (stack["passed"], stack["mandatory"], stack["violations"]) == (True, 0, [])
