"""``iop-scheduler plot``: PNG charts of the week grid and the clinicians' load."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import EXIT_FINDINGS, EXIT_OK, InputError
from ..export.common import ensure_timetable
from ..io import load_instance, load_timetable
from .common import handles_input_errors, note_broken_rules, note_other_clinic


@click.command("plot")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.argument("timetable", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False),
    help="Folder for the PNGs. Default: next to TIMETABLE, named after it (week-plots/).",
)
@handles_input_errors
def plot_command(instance: str, timetable: str, output: str | None) -> None:
    """Draw TIMETABLE as week_grid.png and clinician_load.png.

    week_grid.png: a panel per day, rooms down the side, time across, a bar per session
    coloured by type and labelled with the type, leader and number of clients.
    clinician_load.png: each clinician's hours per day, and per week by session type,
    against their daily and weekly maximums. Exit status: 0 written, 1 written but the
    timetable breaks rules (a note names one), 2 bad input.

    \b
    Example:
      iop-scheduler plot instances/small.json week.json -o plots
    """
    from ..report.plots import write_plots  # matplotlib loads only when plotting

    target = Path(output) if output else Path(timetable).with_name(Path(timetable).stem + "-plots")
    if target.is_file():
        raise InputError("plot writes a folder, and this is a file", file=str(target))
    week = load_instance(instance)
    table = load_timetable(timetable)
    ensure_timetable(week, table, file=timetable)
    note_other_clinic(week, table, timetable)
    broken = note_broken_rules(week, table, instance, timetable)
    files = write_plots(week, table, target)
    click.echo(f"Wrote {', '.join(f.name for f in files)} to {target}")
    sys.exit(EXIT_FINDINGS if broken else EXIT_OK)
