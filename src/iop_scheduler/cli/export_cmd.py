"""``iop-scheduler export``: the timetable as CSV, Excel, iCalendar or an HTML week view."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ..errors import EXIT_FINDINGS, EXIT_OK, InputError
from ..export import FORMATS, export_csv, export_html, export_ics, export_xlsx, resolve_week
from ..export.common import ensure_timetable
from ..io import load_instance, load_timetable
from .common import (
    checked_week_of,
    handles_input_errors,
    keeps_other_kind,
    note_broken_rules,
    note_other_clinic,
    outputs_apart,
)

#: What ``-o`` is when it is not given: next to the timetable, named after it.
DEFAULT_SUFFIX = {"csv": "-csv", "xlsx": ".xlsx", "ics": "-ics", "html": ".html"}
#: Formats that write a folder rather than one file.
FOLDER_FORMATS = ("csv", "ics")
_BY_SUFFIX = {".xlsx": "xlsx", ".html": "html", ".htm": "html"}
_WRITES = {
    "csv": "a folder of CSV files",
    "xlsx": "a workbook",
    "ics": "a folder of calendars",
    "html": "a web page",
}


def _format_from_suffix(output: str | None) -> str:
    """The format ``-o`` implies when ``--to`` is missing, or a one-line error."""
    suffix = Path(output).suffix.lower() if output else ""
    if not suffix:
        return "html"
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    named = suffix[1:]
    if named in FOLDER_FORMATS:
        raise InputError(
            f"-o {output}: the {named} export writes a folder of files; give --to {named} "
            f"and a folder, for example --to {named} -o week-{named}"
        )
    raise InputError(
        f"-o {output}: cannot tell the format from '{suffix}'; give --to "
        f"({'|'.join(FORMATS)})"
    )


def default_output(timetable: str, fmt: str) -> Path:
    """``week.json`` -> ``week.html``, ``week.xlsx``, ``week-csv/`` or ``week-ics/``."""
    path = Path(timetable)
    return path.with_name(path.stem + DEFAULT_SUFFIX[fmt])


@click.command("export")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.argument("timetable", type=click.Path(dir_okay=False))
@click.option(
    "--to",
    "fmt",
    type=click.Choice(FORMATS),
    help="csv: sessions.csv and attendances.csv; xlsx: a workbook; ics: calendars per "
    "clinician, client and room; html: a week view. Default: from the -o suffix "
    "(.xlsx, .html; no suffix: html).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    help="A folder for csv and ics, a file for xlsx and html. Default: next to TIMETABLE, "
    "named after it (week.json -> week.html, week.xlsx, week-csv/, week-ics/).",
)
@click.option(
    "--timezone",
    help="ics only: an IANA time zone (America/New_York) for the events' TZID. "
    "Default: floating local times.",
)
@click.option(
    "--week-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="A date of the week the timetable is for (its Monday is used). Default: the "
    "instance's week_of, else next Monday.",
)
@handles_input_errors
def export_command(
    instance: str,
    timetable: str,
    fmt: str | None,
    output: str | None,
    timezone: str | None,
    week_of: dt.datetime | None,
) -> None:
    """Export TIMETABLE (a timetable of INSTANCE) for the people who read it.

    Dates are real: Monday of the instance's week_of plus the day. Excel and iCalendar need
    the export extra: pip install "iop-scheduler[export]". Exit status: 0 written, 1
    written but the timetable breaks rules (a note names one), 2 bad input.

    \b
    Examples:
      iop-scheduler export instances/small.json week.json --to html -o week.html
      iop-scheduler export instances/small.json week.json --to csv -o week-csv
      iop-scheduler export instances/small.json week.json --to xlsx -o week.xlsx
      iop-scheduler export instances/small.json week.json --to ics -o calendars \\
          --timezone America/New_York
    """
    if fmt is None:
        fmt = _format_from_suffix(output)
    elif output and _BY_SUFFIX.get(Path(output).suffix.lower(), fmt) != fmt:
        # Found by coordinator walk-throughs: --to xlsx -o out.html wrote a workbook
        # named .html, which no program then opens (first a note; a .csv or .ics name
        # was already refused, so this is refused as well).
        raise InputError(
            f"-o {output} names {_format_from_suffix(output)}, but --to {fmt} writes "
            f"{_WRITES[fmt]}: give the file a .{fmt} name, or leave --to out"
        )
    if timezone and fmt != "ics":
        raise click.UsageError("--timezone applies to --to ics only")
    target = Path(output) if output else default_output(timetable, fmt)
    outputs_apart({"-o": str(target)}, {"INSTANCE": instance, "TIMETABLE": timetable})
    if fmt not in FOLDER_FORMATS:
        keeps_other_kind(str(target), None)
    if fmt in FOLDER_FORMATS and target.is_file():
        raise InputError(f"--to {fmt} writes a folder, and this is a file", file=str(target))
    if fmt not in FOLDER_FORMATS and target.is_dir():
        raise InputError(f"--to {fmt} writes a file, and this is a folder", file=str(target))
    week = load_instance(instance)
    table = load_timetable(timetable)
    ensure_timetable(week, table, file=timetable)
    note_other_clinic(week, table, timetable)
    broken = note_broken_rules(week, table, instance, timetable)
    dates = resolve_week(week, checked_week_of(week_of.date()) if week_of else None)
    if dates.note:
        click.echo(dates.note, err=True)
    if fmt == "csv":
        files = export_csv(week, table, target, dates)
        click.echo(f"Wrote {', '.join(f.name for f in files)} to {target}")
    elif fmt == "xlsx":
        export_xlsx(week, table, target, dates)
        click.echo(f"Wrote {target}")
    elif fmt == "ics":
        result = export_ics(week, table, target, dates, timezone=timezone)
        click.echo(f"Wrote {len(result.written)} calendars to {target}")
        if result.empty:
            click.echo(f"note: no sessions, so no calendar for {', '.join(result.empty)}", err=True)
        if result.stale:
            click.echo(result.stale_note, err=True)
    else:
        export_html(week, table, target, dates)
        click.echo(f"Wrote {target}")
    # Written all the same (a draft may be shared), but a script must be able to tell.
    sys.exit(EXIT_FINDINGS if broken else EXIT_OK)
