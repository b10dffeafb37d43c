"""Weeks of a quarter and the change freeze of playbook §9, in UTC dates.

A quarter's weeks are counted from its first day in blocks of seven days: week 1 is days 1-7,
week 12 days 78-84, week 13 day 85 to the quarter's last day (85-90, 85-91 or 85-92: a quarter
has 90 to 92 days, so week 13 runs to the end and the freeze always covers the quarter's last
day). Weeks 12-13 are therefore, every year: Q1 March 19 (March 18 in a leap year) to March 31,
Q2 June 17 to June 30, Q3 September 16 to September 30, Q4 December 17 to December 31.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

WEEKS_PER_QUARTER = 13


@dataclass(frozen=True)
class Freeze:
    """One freeze period: consecutive freeze weeks of one quarter."""

    year: int
    quarter: int
    first_week: int
    last_week: int
    start: date
    end: date
    """Last day of the freeze (inclusive)."""

    def describe(self) -> str:
        weeks = (
            f"week {self.first_week}"
            if self.first_week == self.last_week
            else f"weeks {self.first_week}-{self.last_week}"
        )
        return f"Q{self.quarter} {self.year} {weeks}, {self.start} to {self.end} UTC"


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def quarter_end(year: int, quarter: int) -> date:
    if quarter == 4:
        return date(year, 12, 31)
    return quarter_start(year, quarter + 1) - timedelta(days=1)


def week_of_quarter(day: date) -> int:
    """1-13: the week of its quarter that ``day`` falls in (week 13 runs to the quarter's end)."""
    offset = (day - quarter_start(day.year, quarter_of(day))).days
    return min(offset // 7 + 1, WEEKS_PER_QUARTER)


def week_start(year: int, quarter: int, week: int) -> date:
    return quarter_start(year, quarter) + timedelta(days=7 * (week - 1))


def week_end(year: int, quarter: int, week: int) -> date:
    if week >= WEEKS_PER_QUARTER:
        return quarter_end(year, quarter)
    return week_start(year, quarter, week) + timedelta(days=6)


def freeze_at(day: date, weeks: list[int], quarters: list[int]) -> Freeze | None:
    """The freeze ``day`` falls in, or None: the run of consecutive freeze weeks around it."""
    quarter = quarter_of(day)
    week = week_of_quarter(day)
    if quarter not in quarters or week not in weeks:
        return None
    first = last = week
    while first - 1 in weeks:
        first -= 1
    while last + 1 in weeks:
        last += 1
    return Freeze(
        year=day.year,
        quarter=quarter,
        first_week=first,
        last_week=last,
        start=week_start(day.year, quarter, first),
        end=week_end(day.year, quarter, last),
    )


def parse_now(text: str) -> datetime:
    """An ISO 8601 time with ``Z`` or an offset, as UTC; ``""`` is the current time.

    Raises ``ValueError`` for a time without an offset or one that does not exist.
    """
    if not text:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return parsed.astimezone(UTC)
