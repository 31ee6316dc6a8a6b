"""``sessions.csv`` and ``attendances.csv``: the timetable as two flat tables."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from ..domain import Instance, ScheduledSession, Timetable
from ..errors import InputError
from ..escaping import escape_csv_cell, unescape_csv_cell
from ..io import as_instance, as_timetable, read_text, write_files_atomic
from .common import (
    ATTENDANCE_COLUMNS,
    SESSION_COLUMNS,
    WeekDates,
    attendance_rows,
    session_rows,
)

SESSIONS_FILE = "sessions.csv"
ATTENDANCES_FILE = "attendances.csv"


def table_text(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    """CSV text (header, then one line per row; Excel-friendly ``\\r\\n`` line ends).

    Text that starts like a formula (a name such as ``=HYPERLINK(...)``) is written with a
    ``'`` in front (`escape_csv_cell`); numbers are written as they are.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows({k: escape_csv_cell(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def export_csv(
    instance: Instance, timetable: Timetable, folder: str | os.PathLike[str], week: WeekDates
) -> list[Path]:
    """Write ``sessions.csv`` and ``attendances.csv`` into ``folder``; return their paths.

    Both are built, and both targets checked, before either is replaced (`write_files_atomic`),
    so an error leaves the folder as it was.
    """
    instance, timetable = as_instance(instance), as_timetable(timetable)
    # With a byte-order mark Excel reads the file as UTF-8 (José, not JosÃ©).
    files = {
        SESSIONS_FILE: table_text(SESSION_COLUMNS, session_rows(instance, timetable, week)),
        ATTENDANCES_FILE: table_text(
            ATTENDANCE_COLUMNS, attendance_rows(instance, timetable, week)
        ),
    }
    return write_files_atomic(
        folder, {name: text.encode("utf-8-sig") for name, text in files.items()}
    )


def read_sessions_csv(path: str | os.PathLike[str]) -> list[ScheduledSession]:
    """Read ``sessions.csv`` back into sessions (the inverse of the export, ids kept).

    The ``'`` the export puts in front of a cell that starts like a formula is taken off.
    """
    name = str(path)
    text = read_text(path, encoding="utf-8-sig")
    sessions = []
    for number, raw in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        row = {k: unescape_csv_cell(v) if isinstance(v, str) else v for k, v in raw.items()}
        try:
            sessions.append(
                ScheduledSession.model_validate(
                    {
                        "id": row["session"],
                        "type": row["type"],
                        "day": row["day"],
                        "start": row["start"],
                        "end": row["end"],
                        "clinician": row["clinician"] or None,
                        "room": row["room"] or None,
                        "clients": [c.strip() for c in row["clients"].split(";") if c.strip()],
                    }
                )
            )
        except (KeyError, ValueError) as err:
            raise InputError(f"row {number}: {err}", file=name) from None
    return sessions
