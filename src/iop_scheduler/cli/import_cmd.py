"""``iop-scheduler import-csv``: a roster kept as CSV files, turned into an instance file."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from ..io import load_instance, write_json_atomic
from ..report.summary import headline
from ..roster import read_roster
from .common import handles_input_errors, keeps_other_kind


@click.command("import-csv")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="The instance file (iop-instance/1 JSON) to write. Default: FOLDER's name with "
    ".json, beside FOLDER (roster/ -> roster.json).",
)
@handles_input_errors
def import_command(folder: str, output: str | None) -> None:
    """Read the roster CSV files in FOLDER and write an instance file.

    FOLDER holds program.csv, session_types.csv, clinicians.csv, rooms.csv, clients.csv
    and optionally fixed_sessions.csv; docs/roster-csv.md describes their columns and
    docs/templates/ has a set to start from. A bad value stops the import with one line
    naming the file, the row and the column, and nothing is written. The reverse,
    an instance file as roster CSV files: iop-scheduler export-roster.
    Exit status: 0 written, 2 bad input.

    \b
    Examples:
      iop-scheduler import-csv docs/templates -o week.json
      iop-scheduler solve week.json -o timetable.json
    """
    week = read_roster(folder)
    if output:
        target = Path(output)
    else:
        root = Path(folder).resolve()
        target = root.with_name(root.name + ".json")
    keeps_other_kind(str(target), "iop-instance/1")
    payload = week.model_dump(mode="json")
    replaced = _holds_another_week(target, payload)
    write_json_atomic(target, payload)
    click.echo(f"{headline(week)}\nWrote {target}")
    if replaced:
        # Found by a coordinator walk-through: export-roster then import-csv with both
        # defaults silently replaced the week a published timetable was built from.
        click.echo(
            f"Note: {target} held a different week before; a timetable built from that "
            "week is checked and re-planned against the week it was built from, so keep a "
            "copy of it (or give -o another name next time).",
            err=True,
        )


def _holds_another_week(target: Path, payload: object) -> bool:
    """Whether ``target`` is a file holding something other than the week ``payload``."""
    if not target.is_file():
        return False
    try:
        return load_instance(target).model_dump(mode="json") != payload
    except InputError:
        return True  # not a clinic week at all (or not readable): replaced all the same
