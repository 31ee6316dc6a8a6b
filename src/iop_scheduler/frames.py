"""A timetable as pandas DataFrames, for a notebook: the tables of the CSV export."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .domain import Instance, Timetable

if TYPE_CHECKING:
    import pandas as pd


def sessions_frame(
    instance: Instance, timetable: Timetable, week_of: dt.date | None = None
) -> pd.DataFrame:
    """One row per session, the columns of ``sessions.csv`` (docs/exports.md), week order.

    ``date`` is the session's real date: the Monday of ``week_of`` (else the instance's
    ``week_of``, else next Monday) plus its day.
    """
    import pandas as pd

    from .export.common import SESSION_COLUMNS, resolve_week, session_rows

    rows = session_rows(instance, timetable, resolve_week(instance, week_of))
    return pd.DataFrame(rows, columns=list(SESSION_COLUMNS))


def attendances_frame(
    instance: Instance, timetable: Timetable, week_of: dt.date | None = None
) -> pd.DataFrame:
    """One row per client per session, the columns of ``attendances.csv``."""
    import pandas as pd

    from .export.common import ATTENDANCE_COLUMNS, attendance_rows, resolve_week

    rows = attendance_rows(instance, timetable, resolve_week(instance, week_of))
    return pd.DataFrame(rows, columns=list(ATTENDANCE_COLUMNS))
