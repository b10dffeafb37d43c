"""Benchmark: `preflight synth --all` against the import floor, and the time per resource.

Run with `make bench` (or `.venv/bin/python bench/synth_bench.py [--repeat N]`). Everything is
measured in this one run and reported as ratios, so the figures compare across machines:

- floor: a bare `python -c "import pulumi, pulumi_gcp, pulumi_datadog, pulumi_pagerduty"`;
- synth: `python -m preflight synth --all` (the three stacks in one process);
- scale: synth of a generated stack with many services, as seconds per declared resource
  (the slope between a small and a large generated stack, so the import floor cancels out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "import pulumi, pulumi_gcp, pulumi_datadog, pulumi_pagerduty"


def say(message: str) -> None:
    """A progress line on stderr: a bench runs for minutes (the figures go to stdout)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def timed(cmd: list[str], repeat: int) -> float:
    """Median wall time of ``cmd`` over ``repeat`` runs (after one warm-up run)."""
    label = " ".join(a for a in cmd[1:4] if not a.startswith("/"))
    say(f"{label}: warm-up")
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    times = []
    for i in range(repeat):
        say(f"{label}: run {i + 1}/{repeat}")
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generated_project(directory: Path, services: int) -> Path:
    """A project running the real program on the prod stack file grown to ``services``."""
    from bench.generate import grow  # the generator knows the config schema

    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    grow(doc["config"], services)
    (directory / "Pulumi.yaml").write_text(f"name: controlplane\nruntime: python\nmain: {ROOT}\n")
    (directory / "Pulumi.prod.yaml").write_text(yaml.safe_dump(doc))
    return directory


def count_resources(project: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "preflight", "synth", "--stack", "prod", "--project", project],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    snapshot: dict[str, Any] = json.loads(out)
    return len(snapshot["resources"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--services", type=int, default=150, help="services in the large stack")
    args = parser.parse_args()
    py = sys.executable
    floor = timed([py, "-c", FLOOR], args.repeat)
    with tempfile.TemporaryDirectory() as out:
        synth = timed([py, "-m", "preflight", "synth", "--all", "--out-dir", out], args.repeat)
    print(f"import floor (pulumi + 3 provider SDKs): {floor:6.2f} s")
    print(f"preflight synth --all (3 stacks):        {synth:6.2f} s")
    print(f"ratio synth/floor:                       {synth / floor:6.2f}")
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as small_dir, tempfile.TemporaryDirectory() as big_dir:
        small = generated_project(Path(small_dir), 2)
        big = generated_project(Path(big_dir), args.services)
        cmd = [py, "-m", "preflight", "synth", "--stack", "prod", "--project"]
        t_small = timed([*cmd, str(small)], args.repeat)
        t_big = timed([*cmd, str(big)], args.repeat)
        n_small, n_big = count_resources(small), count_resources(big)
    per_resource = (t_big - t_small) / (n_big - n_small)
    print(
        f"generated prod stack: {n_small} resources in {t_small:.2f} s, "
        f"{n_big} resources in {t_big:.2f} s"
    )
    print(f"time per resource (slope):               {per_resource * 1000:6.2f} ms")
    print(f"resources synthesized per floor-second:  {1 / per_resource / (1 / floor):6.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
