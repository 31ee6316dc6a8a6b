"""Days of the week and times of day ("HH:MM" <-> minutes since midnight)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, get_args

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEK_DAYS: tuple[Day, ...] = get_args(Day)
DAY_NAMES: dict[str, str] = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
ALLOWED_SLOT_MINUTES = (5, 10, 15, 20, 30, 60)
MINUTES_PER_DAY = 24 * 60

_HHMM = re.compile(r"^(\d{2}):(\d{2})$")


def parse_hhmm(text: str) -> int:
    """Return the minutes since midnight of an "HH:MM" time ("24:00" allowed as an end)."""
    match = _HHMM.match(text)
    if not match:
        raise ValueError(f"time {text!r} is not in HH:MM form")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes != 0):
        raise ValueError(f"time {text!r} is not a time of day")
    return hours * 60 + minutes


def format_hhmm(minutes: int) -> str:
    """Return the "HH:MM" text of minutes since midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_minutes(minutes: float) -> str:
    """Return a duration as readable hours and minutes, e.g. ``"10h30"`` or ``"45 min"``."""
    total = round(minutes)
    if abs(total) < 60:
        return f"{total} min"
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 60)
    return f"{sign}{hours}h{rest:02d}" if rest else f"{sign}{hours}h"


def day_index(day: str) -> int:
    """Return the position of a day in the week (mon = 0)."""
    return WEEK_DAYS.index(day)  # type: ignore[arg-type,unused-ignore]


def monday_of(date: dt.date) -> dt.date:
    """The Monday of the week a date falls in: how a week is named (any date of it may be given)."""
    return date - dt.timedelta(days=date.weekday())
