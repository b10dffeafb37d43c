"""Whether a mute lies inside a weekly maintenance window of playbook §9.

A mute is anything that silences alerts for a time: a Datadog downtime (one-time or recurring),
a PagerDuty maintenance window. Each is read as occurrences (a start and a length, or a weekly
rule) and compared with the window (a weekday, a start and an end time of day, a time zone):
an occurrence is inside the window when it starts on the window's day, at or after its start,
and ends at or before its end. A rule that repeats more often than weekly on that one day, or a
mute without an end, is outside by definition.

RRULEs are read as RFC 5545 writes them (``FREQ=WEEKLY;INTERVAL=1;BYDAY=SU``); Datadog's
recurring downtime schedules take exactly that (pulumi-datadog ``DowntimeScheduleRecurringSchedule
RecurrenceArgs.rrule``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from policies._lib.config import Schema
from policies._lib.observability import duration_minutes, rrule_parts
from policies._lib.playbook import MAINTENANCE_WINDOWS, WEEKDAYS

BYDAY = {day: day[:2].upper() for day in WEEKDAYS}
UTC_NAMES = {"UTC", "ETC/UTC", "GMT", "ETC/GMT", "UNIVERSAL", "ETC/UNIVERSAL", "ZULU", "ETC/ZULU"}
LIMITING_RRULE_KEYS = {"FREQ", "INTERVAL", "BYDAY", "WKST", "COUNT", "UNTIL"}
"""Rule parts that can only make a weekly rule repeat less (or name the week start)."""


def window_config(without_entry: str) -> Schema:
    """The config both §9 window policies take: the stack's ``environment`` and the weekly
    ``windows`` by environment (defaults from the playbook); ``without_entry`` says what an
    environment without a window means to the policy."""
    window = {
        "type": "object",
        "properties": {
            "day": {"type": "string", "enum": list(WEEKDAYS)},
            "start": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "end": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "timeZone": {"type": "string", "minLength": 1},
        },
        "required": ["day", "start", "end", "timeZone"],
        "additionalProperties": False,
    }
    return {
        "environment": {
            "type": "string",
            "minLength": 1,
            "default": "prod",
            "description": "The stack's environment; its window is looked up in windows.",
        },
        "windows": {
            "type": "object",
            "additionalProperties": window,
            "default": {
                env: {"day": w.day, "start": w.start, "end": w.end, "timeZone": w.time_zone}
                for env, w in MAINTENANCE_WINDOWS.items()
            },
            "description": (
                "Environment -> its weekly window (day, start, end, timeZone); an environment "
                f"without an entry {without_entry}."
            ),
        },
    }


def zone(name: str) -> str:
    """A time zone name with the UTC aliases folded into ``UTC``."""
    return "UTC" if name.strip().upper() in UTC_NAMES else name.strip()


def clock_minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class Window:
    """A weekly maintenance window: ``day`` from ``start`` to ``end`` (``HH:MM``), in
    ``time_zone``."""

    day: str
    start: str
    end: str
    time_zone: str

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Window:
        return cls(
            str(config["day"]), str(config["start"]), str(config["end"]), str(config["timeZone"])
        )

    @property
    def length_minutes(self) -> int:
        return clock_minutes(self.end) - clock_minutes(self.start)

    def describe(self) -> str:
        return f"{self.day.capitalize()}s {self.start}-{self.end} {self.time_zone}"

    def holds(self, first: datetime, minutes: float) -> str | None:
        """Why ``minutes`` from ``first`` (wall time in the window's zone) is not inside one
        occurrence of the window, or None when it is."""
        day = WEEKDAYS[first.weekday()]
        if day != self.day:
            return f"it starts on a {day}, not a {self.day}"
        begin = first.hour * 60 + first.minute + first.second / 60
        if begin < clock_minutes(self.start):
            return f"it starts at {first.strftime('%H:%M')}, before {self.start}"
        if begin + minutes > clock_minutes(self.end):
            return f"it lasts until {_clock(begin + minutes)}, past {self.end}"
        return None


def _clock(minutes: float) -> str:
    days, rest = divmod(int(minutes), 1440)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return text if days == 0 else f"{text} {days} day(s) later"


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time (``2026-12-06T03:00:00``, with or without offset, ``Z`` allowed)."""
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def in_zone(moment: datetime, time_zone: str) -> datetime | None:
    """``moment`` as wall time in ``time_zone`` (naive times are already in it); None when an
    offset time must be converted to a zone other than UTC (the pack does not load zone data)."""
    if moment.tzinfo is None:
        return moment
    if zone(time_zone) == "UTC":
        return moment.astimezone(UTC).replace(tzinfo=None)
    return None


def recurrence_problem(
    rrule: str, start: str | None, duration: str | None, window: Window
) -> str | None:
    """Why a recurring mute (RRULE, first start as local time, Datadog duration) is not inside
    the weekly window, or None when every occurrence is."""
    parts = rrule_parts(rrule)
    byday = BYDAY[window.day]
    if parts.get("FREQ") != "WEEKLY" or parts.get("BYDAY") != byday:
        return f"rrule {rrule} repeats beyond every {window.day}: use FREQ=WEEKLY;BYDAY={byday}"
    extra = sorted(set(parts) - LIMITING_RRULE_KEYS)
    if extra:
        return f"rrule {rrule} adds {', '.join(extra)}: a weekly rule on {byday} is all it may say"
    if start is None:
        return "it has no start (Datadog starts it at creation, at any time of day)"
    first = parse_time(start)
    if first is None:
        return f"start {start!r} is not a time"
    minutes = duration_minutes(duration) if duration is not None else None
    if minutes is None:
        return f"duration {duration!r} is not a Datadog duration: a mute must end"
    return window.holds(first, minutes)


def span_problem(start: str | None, end: str | None, window: Window) -> str | None:
    """Why a one-time mute from ``start`` to ``end`` is not inside one occurrence of the window."""
    if start is None:
        return "it has no start (it starts at creation, at any time)"
    if end is None:
        return "it has no end: it mutes for ever"
    first, last = parse_time(start), parse_time(end)
    if first is None or last is None:
        return f"start {start!r} or end {end!r} is not a time"
    if (first.tzinfo is None) != (last.tzinfo is None):
        return "start and end must both carry an offset, or neither"
    local = in_zone(first, window.time_zone)
    if local is None:
        return f"times with an offset are compared in UTC only: write them in {window.time_zone}"
    length = (last - first) / timedelta(minutes=1)
    if length <= 0:
        return "it ends before it starts"
    return window.holds(local, length)


def correction_problem(
    start: float | None,
    end: float | None,
    duration: float | None,
    rrule: str | None,
    window: Window,
) -> str | None:
    """Why an SLO correction (epoch seconds; an RRULE of FREQ, INTERVAL, COUNT and UNTIL repeating
    from the start with ``duration`` seconds, or a one-time span to ``end``) is not inside the
    weekly window, or None when every occurrence is. Epoch times are absolute: they are compared
    in UTC, so a window in another zone fails closed."""
    if start is None:
        return "it has no start"
    first = in_zone(datetime.fromtimestamp(start, UTC), window.time_zone)
    if first is None:
        return f"epoch times are compared in UTC only, the window is in {window.time_zone}"
    if rrule is None:
        if end is None:
            return "it has no end: it corrects for ever"
        return window.holds(first, (end - start) / 60)
    parts = rrule_parts(rrule)
    if parts.get("FREQ") != "WEEKLY" or parts.get("BYDAY", BYDAY[window.day]) != BYDAY[window.day]:
        return (
            f"rrule {rrule} repeats beyond every {window.day}: use FREQ=WEEKLY from a {window.day}"
        )
    extra = sorted(set(parts) - LIMITING_RRULE_KEYS)
    if extra:
        return f"rrule {rrule} adds {', '.join(extra)}"
    if duration is None:
        return "a recurring correction needs a duration"
    return window.holds(first, duration / 60)
