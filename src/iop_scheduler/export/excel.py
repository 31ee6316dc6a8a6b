"""An Excel workbook with one sheet per view of the week (needs the ``export`` extra)."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..domain import Instance, Timetable
from ..escaping import looks_like_formula
from ..io import as_instance, as_timetable, write_bytes_atomic
from ..times import WEEK_DAYS, format_hhmm
from ..wording import plural
from .common import (
    ATTENDANCE_COLUMNS,
    SESSION_COLUMNS,
    WeekDates,
    attendance_rows,
    clinician_name,
    day_label,
    lane_label,
    require_extra,
    room_name,
    session_rows,
    sorted_sessions,
    telehealth_lanes,
    text_colour,
    type_colours,
)

#: The sheets of the workbook, in order.
SHEETS = ("Sessions", "Attendances", "By client", "By clinician", "By room", "Week grid")

BY_CLIENT_COLUMNS = (
    "client", "client_name", "track", "day", "date", "start", "end", "type_name", "kind",
    "clinician_name", "room_name", "session",
)  # fmt: skip
BY_CLINICIAN_COLUMNS = (
    "clinician", "clinician_name", "discipline", "day", "date", "start", "end", "type_name",
    "room_name", "size", "clients", "session",
)  # fmt: skip
BY_ROOM_COLUMNS = (
    "room", "room_name", "day", "date", "start", "end", "type_name", "clinician_name", "size",
    "session",
)  # fmt: skip


def export_xlsx(
    instance: Instance, timetable: Timetable, path: str | os.PathLike[str], week: WeekDates
) -> Path:
    """Write the workbook (see `SHEETS`) to ``path`` atomically and return the path."""
    instance, timetable = as_instance(instance), as_timetable(timetable)
    openpyxl = require_extra("openpyxl", "the Excel export")
    book = openpyxl.Workbook()
    book.remove(book.active)
    sessions = session_rows(instance, timetable, week)
    attendances = attendance_rows(instance, timetable, week)
    day_order = {d: i for i, d in enumerate(WEEK_DAYS)}

    def when(row: dict[str, Any]) -> tuple[int, str]:
        return day_order[row["day"]], row["start"]

    _table(book.create_sheet("Sessions"), SESSION_COLUMNS, sessions)
    _table(book.create_sheet("Attendances"), ATTENDANCE_COLUMNS, attendances)
    client_order = {c.id: i for i, c in enumerate(instance.clients)}
    _table(
        book.create_sheet("By client"),
        BY_CLIENT_COLUMNS,
        sorted(attendances, key=lambda r: (client_order.get(r["client"], 0), *when(r))),
    )
    clin_order = {c.id: i for i, c in enumerate(instance.clinicians)}
    _table(
        book.create_sheet("By clinician"),
        BY_CLINICIAN_COLUMNS,
        sorted(sessions, key=lambda r: (clin_order.get(r["clinician"], -1), *when(r))),
    )
    room_order = {r.id: i for i, r in enumerate(instance.rooms)}
    _table(
        book.create_sheet("By room"),
        BY_ROOM_COLUMNS,
        sorted(sessions, key=lambda r: (room_order.get(r["room"], len(room_order)), *when(r))),
    )
    _week_grid(book.create_sheet("Week grid"), instance, timetable, week)
    for sheet in book.worksheets:
        _keep_text(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    write_bytes_atomic(path, buffer.getvalue())
    return Path(path)


def _table(sheet: Any, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    """A header row, then the rows; dates as real dates, header frozen and filterable."""
    from openpyxl.styles import Font

    sheet.append(list(columns))
    for row in rows:
        values = []
        for column in columns:
            value = row.get(column, "")
            if column == "date" and value:
                value = dt.date.fromisoformat(value)
            values.append(value)
        sheet.append(values)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    if "date" in columns:
        index = list(columns).index("date") + 1
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    _fit_columns(sheet)


def _keep_text(sheet: Any) -> None:
    """Store every string as text: a name such as ``=HYPERLINK(...)`` must not become a formula.

    openpyxl takes any string starting with "=" for a formula; no cell of the workbook is one.
    Text that starts like a formula (`looks_like_formula`) also gets Excel's quote prefix,
    so that it stays text when someone edits the cell; its value is kept as it is.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                if cell.data_type != "s":
                    cell.data_type = "s"
                if looks_like_formula(cell.value):
                    cell.quotePrefix = True


def _fit_columns(sheet: Any, widest: int = 50) -> None:
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = str(cell.value)
            size = 10 if isinstance(cell.value, dt.date) else max(map(len, text.split("\n")))
            widths[cell.column] = max(widths.get(cell.column, 0), size)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(widest, width + 2)


def _week_grid(sheet: Any, instance: Instance, timetable: Timetable, week: WeekDates) -> None:
    """Rows are time slots, columns are (day, room); a session is a coloured, merged block.

    Sessions without a room (telehealth) may run at the same time: a day has as many
    telehealth columns ("Telehealth", "Telehealth 2", ...) as it has such sessions at once.
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    slot = instance.slot_minutes
    lanes, shown = telehealth_lanes(timetable.sessions, instance.days)
    columns: list[tuple[str, str, int]] = []  # (day, room or "" for telehealth, lane)
    for each in instance.days:
        columns.extend((each, r.id, 0) for r in instance.rooms)
        columns.extend((each, "", lane) for lane in range(shown[each]))
    column_of = {key: index + 2 for index, key in enumerate(columns)}
    bold = Font(bold=True)
    sheet.cell(row=1, column=1, value="time").font = bold
    for (day, place, lane), col in column_of.items():
        cell = sheet.cell(row=1, column=col, value=day_label(day, week))
        cell.font = bold
        name = lane_label(room_name(instance, place or None), lane)
        sheet.cell(row=2, column=col, value=name).font = bold
        sheet.column_dimensions[get_column_letter(col)].width = 22
    sheet.column_dimensions["A"].width = 8
    times = list(range(instance.open, instance.close, slot))
    for offset, minutes in enumerate(times):
        sheet.cell(row=3 + offset, column=1, value=format_hhmm(minutes))
    colours = type_colours(instance)
    blocks: dict[int, list[tuple[int, int]]] = {}  # column -> (first row, last row)
    for s in sorted_sessions(timetable.sessions):
        found = column_of.get((s.day, s.room or "", lanes.get(s.id, 0)))
        if found is None or s.start < instance.open:
            continue
        col = found
        first = 3 + (s.start - instance.open) // slot
        last = max(first, 3 + (min(s.end, instance.close) - instance.open) // slot - 1)
        stype = instance.type_by_id[s.type]
        text = (
            f"{stype.title}\n{format_hhmm(s.start)}–{format_hhmm(s.end)}\n"
            f"{clinician_name(instance, s.clinician)}\n"
            f"{plural(len(s.clients), 'client')} · {s.id}"
        )
        clash = next((b for b in blocks.get(col, []) if b[0] <= last and first <= b[1]), None)
        if clash is not None:
            # A double-booked room (an invalid timetable): list both in the first block.
            anchor = sheet.cell(row=clash[0], column=col)
            anchor.value = f"{anchor.value}\n— also —\n{text}"
            continue
        blocks.setdefault(col, []).append((first, last))
        colour = colours[s.type]
        cell = sheet.cell(row=first, column=col)
        cell.value = text
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = Font(color="FF" + text_colour(colour)[1:])
        fill = PatternFill("solid", fgColor="FF" + colour[1:])
        for row in range(first, last + 1):
            sheet.cell(row=row, column=col).fill = fill
        if last > first:
            sheet.merge_cells(start_row=first, start_column=col, end_row=last, end_column=col)
    sheet.freeze_panes = "B3"
