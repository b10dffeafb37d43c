"""How long the offline policy check takes, against doing nothing and against synth alone.

    .venv/bin/python bench/check_bench.py [--runs 5] [--snapshots A.json B.json C.json]

Measures, as medians over ``--runs`` fresh processes (wall clock, this machine):

1. ``nothing``: ``python -c pass`` in the project venv (the interpreter floor);
2. ``check 3 snapshots``: ``python -m preflight.check --snapshot A --snapshot B --snapshot C``
   (imports, pack launch, Handshake/Configure/Analyze/AnalyzeStack for three stacks, output);
   the figure of interest is its difference to ``nothing``;
3. in one process, the phases of that check: pack start until the port is read, then the
   analysis of each snapshot;
4. when the project has stacks: ``preflight synth --all`` against ``preflight check --all``
   (the check boots the pack while the program is synthesized), i.e. what ``check`` adds on
   top of ``synth``.

Without ``--snapshots`` the three stacks are synthesized once (dev, staging, prod) and used as
the snapshots. Prints a table (seconds, and each as a ratio of the interpreter floor of the same
run) and a final JSON line of the seconds. No assertions: figures, not tests.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth_bench import say  # noqa: E402
from preflight import check, synth  # noqa: E402
from preflight.analyzer.config import load_policy_pack_config, reconcile  # noqa: E402
from preflight.analyzer.host import PolicyPackHost  # noqa: E402
from preflight.snapshot import validate  # noqa: E402


def wall(command: list[str], expect: tuple[int, ...] = (0, 1)) -> float:
    say(" ".join(a for a in command[1:5] if not a.startswith("/")))
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in expect:
        raise SystemExit(
            f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-400:]}"
        )
    return elapsed


def median(command: list[str], runs: int) -> float:
    return statistics.median(wall(command) for _ in range(runs))


def phases(paths: list[Path]) -> dict[str, float]:
    start = time.perf_counter()
    # The snapshots are updates: the pack runs as the update's (PULUMI_DRY_RUN=false).
    host = PolicyPackHost(check.PACK_DIR, project=check.PROJECT).use_mode(dry_run=False)
    host.start().ready()
    info = host.info()
    result = {"pack start to ready": time.perf_counter() - start}
    try:
        for path in paths:
            snapshot = json.loads(path.read_text())
            stack = str(snapshot.get("stack"))
            begin = time.perf_counter()
            config = reconcile(info, load_policy_pack_config(check.CONFIG_DIR / f"{stack}.json"))
            analyzed = host.analyze(snapshot, validate(snapshot, str(path)), config)
            result[f"analyze {stack} ({analyzed.resources} resources)"] = (
                time.perf_counter() - begin
            )
    finally:
        host.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--snapshots", type=Path, nargs=3, metavar="FILE")
    args = parser.parse_args()
    python = sys.executable
    figures: dict[str, float] = {}

    with tempfile.TemporaryDirectory() as tmp:
        paths: list[Path] = args.snapshots or []
        stacks = synth.Project.load(ROOT).stacks()
        if not paths:
            start = time.perf_counter()
            snapshots = synth.synthesize(stacks)
            figures["synth in-process (one run)"] = time.perf_counter() - start
            for name, snapshot in snapshots.items():
                path = Path(tmp) / f"{name}.json"
                path.write_text(synth.dumps(snapshot))
                paths.append(path)

        figures["nothing (python -c pass)"] = median([python, "-c", "pass"], args.runs)
        snap_args = [a for p in paths for a in ("--snapshot", str(p))]
        figures["check 3 snapshots"] = median(
            [python, "-m", "preflight.check", *snap_args], args.runs
        )
        figures["check 3 snapshots minus nothing"] = (
            figures["check 3 snapshots"] - figures["nothing (python -c pass)"]
        )
        for name, seconds in phases(paths).items():
            figures[f"in-process: {name}"] = seconds

        if stacks:
            out = Path(tmp) / "synth"
            figures["synth --all"] = median(
                [python, "-m", "preflight", "synth", "--all", "--out-dir", str(out)], args.runs
            )
            figures["check --all"] = median([python, "-m", "preflight.check", "--all"], args.runs)
            figures["check --all minus synth --all"] = (
                figures["check --all"] - figures["synth --all"]
            )

    print(table(figures, args.runs))
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}, sort_keys=True))
    return 0


FLOOR = "nothing (python -c pass)"


def table(figures: dict[str, float], runs: int) -> str:
    """Each figure in seconds and as a ratio of the interpreter floor (``nothing``) of the same
    run: the ratios compare across machines, the seconds only on this one."""
    floor = figures[FLOOR]
    width = max(len(k) for k in figures)
    lines = [
        f"{'measure':<{width}}  seconds  x floor  (median of {runs} runs unless noted; "
        f"floor: {FLOOR})"
    ]
    for name, seconds in figures.items():
        lines.append(f"{name:<{width}}  {seconds:7.3f}  {seconds / floor:7.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
