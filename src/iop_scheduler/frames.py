"""A timetable as pandas DataFrames, for a notebook: the tables of the CSV export."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .io import InstanceLike, TimetableLike, as_instance, as_timetable

if TYPE_CHECKING:
    import pandas as pd


def sessions_frame(
    instance: InstanceLike, timetable: TimetableLike, week_of: dt.date | str | None = None
) -> pd.DataFrame:
    """One row per session, the columns of ``sessions.csv`` (docs/exports.md), week order.

    The instance and the timetable may be objects, dicts or file paths; both are checked
    again here, so a week edited in Python is shown as it is now.

    ``date`` is the session's real date: the Monday of ``week_of`` (else the instance's
    ``week_of``, else next Monday) plus its day.
    """
    import pandas as pd

    from .export.common import SESSION_COLUMNS, resolve_week, session_rows

    instance, timetable = as_instance(instance), as_timetable(timetable)
    rows = session_rows(instance, timetable, resolve_week(instance, _date(week_of)))
    return pd.DataFrame(rows, columns=list(SESSION_COLUMNS))


def attendances_frame(
    instance: InstanceLike, timetable: TimetableLike, week_of: dt.date | str | None = None
) -> pd.DataFrame:
    """One row per client per session, the columns of ``attendances.csv``."""
    import pandas as pd

    from .export.common import ATTENDANCE_COLUMNS, attendance_rows, resolve_week

    instance, timetable = as_instance(instance), as_timetable(timetable)
    rows = attendance_rows(instance, timetable, resolve_week(instance, _date(week_of)))
    return pd.DataFrame(rows, columns=list(ATTENDANCE_COLUMNS))


def _date(value: dt.date | str | None) -> dt.date | None:
    """``week_of`` as a date: a date, or its ISO text (``"2026-12-07"``)."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"week_of: {value!r} is not a date (YYYY-MM-DD)") from None
