"""The check benchmark reports ratios as the README says, not only seconds."""

from __future__ import annotations

from bench.check_bench import FLOOR, table


def test_every_figure_is_also_a_ratio_of_the_floor() -> None:
    lines = table({FLOOR: 0.5, "check 3 snapshots": 2.0}, runs=5).splitlines()
    assert "x floor" in lines[0]
    assert lines[1].split()[-2:] == ["0.500", "1.00"]
    assert lines[2].split()[-2:] == ["2.000", "4.00"]
