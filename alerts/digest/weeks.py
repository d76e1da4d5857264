"""ISO weeks in a brand's time zone: names, boundaries and the last complete one.

A week runs from Monday 00:00 to the next Monday 00:00 *local* time, so a week with a DST
change lasts 167 or 169 hours. Days are bucketed by the local date of each instant, which
is also right where a DST gap swallows a local midnight (America/Santiago in September).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")


def parse_week(text: str) -> tuple[int, int]:
    """"2026-W47" (also "2026W47", "2026-w47") -> (2026, 47); ValueError names the form."""
    match = _WEEK.match(text.strip())
    if match:
        year, number = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            pass
        else:
            return year, number
    raise ValueError(f"an ISO week such as 2026-W47, got {text!r}")


def week_name(year: int, number: int) -> str:
    return f"{year}-W{number:02d}"


def normalise_week(text: str) -> str:
    return week_name(*parse_week(text))


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of a local date, in UTC.

    zoneinfo reads a wall time in a DST gap with the offset from before the gap (fold=0),
    which lands exactly on the transition: the first instant that exists on that date.
    """
    return datetime.combine(day, time(0), tz).astimezone(UTC)


@dataclass(frozen=True)
class Week:
    """One ISO week of one time zone: `start` and `end` are UTC instants, end exclusive."""

    name: str
    timezone: str
    monday: date
    start: datetime
    end: datetime

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.timezone)).date()

    def shifted(self, weeks: int) -> Week:
        """The week `weeks` later (negative: earlier) in the same time zone."""
        return week_of_date(self.monday + timedelta(weeks=weeks), self.timezone)


def week_of_date(day: date, timezone: str) -> Week:
    year, number, _ = day.isocalendar()
    return make_week(week_name(year, number), timezone)


def make_week(name: str, timezone: str) -> Week:
    """Boundaries of ISO week `name` ("2026-W47") in `timezone`."""
    year, number = parse_week(name)
    tz = ZoneInfo(timezone)
    monday = date.fromisocalendar(year, number, 1)
    return Week(
        name=week_name(year, number),
        timezone=timezone,
        monday=monday,
        start=local_midnight(monday, tz),
        end=local_midnight(monday + timedelta(days=7), tz),
    )


def week_containing(instant: datetime, timezone: str) -> Week:
    return week_of_date(instant.astimezone(ZoneInfo(timezone)).date(), timezone)


def last_complete_week(now: datetime, timezone: str) -> Week:
    """The most recent week that has ended at `now`, in the brand's time zone."""
    return week_containing(now, timezone).shifted(-1)
