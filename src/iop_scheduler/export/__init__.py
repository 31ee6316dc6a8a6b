"""Exports of a timetable for the people who read it: CSV, Excel, iCalendar and HTML.

Each format is one module with one ``export_*`` function taking the instance, the timetable,
the output path and the `WeekDates` of the week. The Excel and iCalendar exports need the
``export`` extra (``pip install "iop-scheduler[export]"``); they import it when called.
"""

from .common import EXPORT_EXTRA, WeekDates, resolve_week
from .csv import export_csv, read_sessions_csv
from .excel import SHEETS, export_xlsx
from .html import export_html, render_html
from .ics import IcsExport, export_ics

#: The formats of ``iop-scheduler export --to``.
FORMATS = ("csv", "xlsx", "ics", "html")

__all__ = [
    "EXPORT_EXTRA",
    "FORMATS",
    "SHEETS",
    "IcsExport",
    "WeekDates",
    "export_csv",
    "export_html",
    "export_ics",
    "export_xlsx",
    "read_sessions_csv",
    "render_html",
    "resolve_week",
]
