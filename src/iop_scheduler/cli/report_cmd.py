"""``iop-scheduler report``: the compliance and KPI report of a timetable."""

from __future__ import annotations

import json

import click

from ..export.common import ensure_timetable
from ..io import load_instance, load_timetable, write_text_atomic
from ..report.compliance import compliance, render_markdown, render_table, to_json
from .common import (
    declared_penalty_note,
    handles_input_errors,
    keeps_other_kind,
    load_option_timetable,
    note_other_clinic,
    outputs_apart,
)


@click.command("report")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.argument("timetable", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="Readable tables, machine-readable JSON, or Markdown for a wiki or an e-mail.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the report to this file instead of printing it.",
)
@click.option(
    "--previous",
    type=click.Path(dir_okay=False),
    help="The previous timetable: also list the attendances it had that this one drops.",
)
@handles_input_errors
def report_command(
    instance: str, timetable: str, output_format: str, output: str | None, previous: str | None
) -> None:
    """Report TIMETABLE against the rules of INSTANCE, with the KPIs coordinators track.

    Per client: hours, days, disciplines, required sessions, and each day's hours and
    group sessions, marked OK or short. Per clinician: hours led and utilisation (hours led
    over hours available in program hours). Per room: utilisation and seat fill. Group fill
    rate by type. The penalty term by term and by whom: idle waits, missed preferences,
    the sessions that cost the most staff time per client. Exit status: 0, or 2 on bad input.

    \b
    Examples:
      iop-scheduler report instances/small.json week.json
      iop-scheduler report instances/small.json week.json --format markdown -o report.md
      iop-scheduler report instances/small.json week.json --format json | jq .totals
    """
    outputs_apart(
        {"-o": output}, {"INSTANCE": instance, "TIMETABLE": timetable, "--previous": previous}
    )
    keeps_other_kind(output, None)
    week = load_instance(instance)
    table = load_timetable(timetable)
    ensure_timetable(week, table, file=timetable)
    note_other_clinic(week, table, timetable)
    before = load_option_timetable(previous, week, "--previous") if previous else None
    report = compliance(week, table, previous=before)
    if output_format == "json":
        text = json.dumps(to_json(report), indent=2) + "\n"
    elif output_format == "markdown":
        text = render_markdown(report)
    else:
        text = render_table(report)
    if output:
        write_text_atomic(output, text)
        click.echo(f"Wrote {output}")
    else:
        click.echo(text, nl=False)
    note = declared_penalty_note(timetable, table, report.penalty, report.terms, previous)
    if note:
        click.echo(note, err=True)
