"""The benches say what they are doing while they run (they take minutes); figures stay on
stdout."""

from __future__ import annotations

import sys

from bench.synth_bench import timed


def test_a_timed_command_reports_each_run(capsys) -> None:
    seconds = timed([sys.executable, "-c", "pass"], 2)
    out, err = capsys.readouterr()
    assert seconds > 0
    assert out == ""
    assert err.splitlines() == [
        "bench: -c pass: warm-up",
        "bench: -c pass: run 1/2",
        "bench: -c pass: run 2/2",
    ]
