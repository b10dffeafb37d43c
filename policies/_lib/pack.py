"""Starting the pack: connect the engine log, then serve the Analyzer (this call never returns)."""

from __future__ import annotations

import sys

from pulumi_policy import EnforcementLevel, PolicyPack

from policies._lib import decode_once, engine_log
from policies._lib.policy import ControlPlanePolicy
from policies._lib.registry import PACK_DISPLAY_NAME, PACK_NAME


def serve(policies: list[ControlPlanePolicy]) -> None:
    """Serve ``policies`` as the engine expects: print the Analyzer port, then block.

    The default enforcement level is mandatory, so a run without ``--policy-pack-config`` fails
    closed; ``policies/config/dev.json`` relaxes dev to advisory.
    """
    # `python -m pulumi.policy <engine address> <pack dir>`: argv[1] is the engine.
    if len(sys.argv) >= 3:
        engine_log.connect(sys.argv[1])
    not_installed = decode_once.install()
    if not_installed is not None:
        engine_log.log("warning", f"each policy decodes every resource again: {not_installed}")
    PolicyPack(
        name=PACK_NAME,
        display_name=PACK_DISPLAY_NAME,
        enforcement_level=EnforcementLevel.MANDATORY,
        policies=list(policies),
    )
