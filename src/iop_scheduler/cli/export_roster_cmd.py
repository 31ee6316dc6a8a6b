"""``iop-scheduler export-roster``: an instance file as roster CSV files, to edit and import."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from ..io import load_instance
from ..roster import write_roster
from .common import handles_input_errors


@click.command("export-roster")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False),
    help="The folder to write the CSV files into. Default: INSTANCE's name without .json, "
    "beside it (week.json -> week/).",
)
@handles_input_errors
def export_roster_command(instance: str, output: str | None) -> None:
    """Write INSTANCE as roster CSV files, the reverse of import-csv.

    Open the files in a spreadsheet, edit them and read them back with
    `iop-scheduler import-csv FOLDER`: the same instance comes back. The files are
    program.csv, session_types.csv, clinicians.csv, rooms.csv, clients.csv and
    fixed_sessions.csv (its header alone when no session is booked), all written each
    time, so a roster exported over an earlier one replaces it; other files are left
    alone. All are built and checked before the first is written, so an error leaves the
    folder as it was (docs/roster-csv.md). Exit status: 0 written, 2 bad input.

    \b
    Examples:
      iop-scheduler generate --preset small -o clinic.json
      iop-scheduler export-roster clinic.json -o clinic-roster
      iop-scheduler import-csv clinic-roster -o clinic.json
    """
    week = load_instance(instance)
    path = Path(instance)
    target = Path(output) if output else path.with_name(path.stem)
    try:
        written = write_roster(week, target)
    except InputError as err:
        raise err.naming(instance) from None  # the instance's own ids
    click.echo(f"Wrote {', '.join(p.name for p in written)} to {target}")
