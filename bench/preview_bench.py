"""Benchmark: `preflight preview --all` (tree, policies, outputs) against the import floor.

    .venv/bin/python bench/preview_bench.py [--runs 5]

The floor is synth_bench's: a bare ``python -c "import pulumi, pulumi_gcp, pulumi_datadog,
pulumi_pagerduty"``, the least any offline run of the program pays. The two commands run in
turn (floor, preview, floor, preview, ...) after one warm-up each, so a drift in the machine's
speed hits both; each pair gives a ratio, and the median of the ratios is printed, for wall
time and for CPU time (user + system of the process and its children, the policy pack
included). Ratios only, no seconds: they compare across machines. Target: a wall ratio of at
most 1.3.

Last measured (2 cores, otherwise idle, 5 alternating pairs, medians): wall 1.00 (0.93-1.08), CPU
1.08 (1.01-1.16), from 2.03 (1.77-2.22), mostly through three changes: the collector's thresholds
for a batch run and a frozen heap at exit (``preflight.cli.run_command``; the shutdown collections
alone took about 3 s), the pack started in the mode of the snapshots (it was started as a preview
and restarted for the update snapshots), and the pack's resources decoded once per analysis
(``policies/_lib/decode_once.py``). Most of the remaining time is the floor's own: importing
``pulumi_datadog`` (its ``_inputs`` module alone is about 3.5 s), then the provider modules the
program uses, the three syntheses and the analyses.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth_bench import FLOOR, say  # noqa: E402

TARGET = 1.3


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd`` (exit 0 or 1: a policy failure still counts)."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr[-400:]!r}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    floor = [py, "-c", FLOOR]
    preview = [py, "-m", "preflight", "preview", "--all"]
    say("warm-up")
    run(floor), run(preview)  # warm-up: page cache, bytecode
    wall: list[float] = []
    cpu: list[float] = []
    for i in range(args.runs):
        say(f"pair {i + 1}/{args.runs}: import floor, then preview --all")
        floor_wall, floor_cpu = run(floor)
        preview_wall, preview_cpu = run(preview)
        wall.append(preview_wall / floor_wall)
        cpu.append(preview_cpu / floor_cpu)
    print(f"preview --all / import floor, median of {args.runs} pairs (min-max):")
    print(f"  wall {statistics.median(wall):5.2f}  ({min(wall):.2f}-{max(wall):.2f})")
    print(f"  cpu  {statistics.median(cpu):5.2f}  ({min(cpu):.2f}-{max(cpu):.2f})")
    print(f"  target: wall <= {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
