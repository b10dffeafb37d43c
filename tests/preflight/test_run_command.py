"""A command run as the whole process (``preflight.cli.run_command``): the collector's batch
thresholds while it runs, the heap frozen before the exit, and nothing of the exit lost."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from preflight.cli import BATCH_GC_THRESHOLDS, ROOT, run_command


def test_the_command_runs_with_batch_thresholds_and_exits_with_its_code_frozen() -> None:
    seen: list[tuple[int, ...]] = []

    def main() -> int:
        seen.append(gc.get_threshold())
        return 3

    before = gc.get_threshold()
    try:
        with pytest.raises(SystemExit) as exited:
            run_command(main)
        assert exited.value.code == 3
        assert seen == [BATCH_GC_THRESHOLDS]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_output_and_exit_handlers_survive_the_frozen_exit(tmp_path) -> None:
    marker = tmp_path / "atexit.txt"
    probe = (
        "import atexit, sys\n"
        "from pathlib import Path\n"
        "from preflight.cli import run_command\n"
        f"atexit.register(lambda: Path({str(marker)!r}).write_text('ran'))\n"
        "def main():\n"
        "    sys.stdout.write('last line, unflushed')\n"
        "    sys.stderr.write('to stderr')\n"
        "    return 1\n"
        "run_command(main)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, "last line, unflushed", "to stderr")
    assert marker.read_text() == "ran"
