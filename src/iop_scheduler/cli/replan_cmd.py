"""``iop-scheduler replan`` and ``iop-scheduler diff``."""

from __future__ import annotations

import json
import sys

import click

from ..changes import load_changes
from ..diff import diff_timetables
from ..errors import EXIT_FINDINGS, EXIT_OK, InputError
from ..io import dump_timetable, ensure_writable, load_instance, load_timetable, write_json_atomic
from ..options import SolveOptions
from ..replan import replan
from ..report.summary import result_summary
from .common import (
    ProgressPrinter,
    handles_input_errors,
    json_format_option,
    keeps_other_kind,
    kept_earlier_timetable,
    load_option_timetable,
    note_other_clinic,
    output_format_option,
    outputs_apart,
    require_timetable,
    solver_options,
    written_note,
)


@click.command("replan")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option(
    "--previous",
    required=True,
    type=click.Path(dir_okay=False),
    help="The published timetable to keep as much of as possible.",
)
@click.option(
    "--change",
    "change_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="What happened since it was published (iop-changes/1; every kind in docs/changes.md).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write the new timetable to this file."
)
@click.option(
    "--new-instance",
    type=click.Path(dir_okay=False),
    help="Also write the week after the changes (iop-instance/1) to this file: check, "
    "report or export the new timetable against it when clients or clinicians changed.",
)
@solver_options
@click.option(
    "--allow-shortfalls", is_flag=True, help="Let week minimums fall short rather than fail."
)
@click.option("--grid/--no-grid", default=False, help="Also print the new week's grid.")
@json_format_option(
    'A readable summary, or JSON {"timetable": the new week (iop-schedule/1), "diff": what '
    "changed}; -o writes the timetable alone, for validate, report and export."
)
@handles_input_errors
def replan_command(
    instance: str,
    previous: str,
    change_file: str,
    output: str | None,
    new_instance: str | None,
    time_limit: float,
    workers: int,
    seed: int,
    log: bool,
    reproducible: bool,
    progress: bool | None,
    allow_shortfalls: bool,
    grid: bool,
    output_format: str,
) -> None:
    """Re-plan INSTANCE's published week after a call-out, admission or closure.

    Applies the changes, keeps as much of the previous timetable as the changes allow (each
    attendance dropped costs change_from_previous), and prints who moves where, which
    sessions changed leader, room or time, and which clients are affected. Ctrl-C keeps
    the best week found so far (a second Ctrl-C aborts). Exit status: 0 a valid new
    timetable, 1 none, 2 bad input.

    \b
    Example:
      iop-scheduler replan instances/small.json --previous week.json \\
          --change instances/changes/small-callout.json -o week2.json \\
          --new-instance small2.json
      iop-scheduler validate small2.json week2.json
    """
    week = load_instance(instance)
    outputs_apart(
        {"-o": output, "--new-instance": new_instance},
        {"INSTANCE": instance, "--previous": previous, "--change": change_file},
    )
    keeps_other_kind(output, "iop-schedule/1")
    keeps_other_kind(new_instance, "iop-instance/1", "--new-instance")
    for path in (output, new_instance):
        if path:
            ensure_writable(path)  # both or neither: fail now, not after the solve
    before = load_option_timetable(previous, week, "--previous", instance_file=instance)
    changes = load_changes(change_file)
    options = SolveOptions(
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        log=log,
        reproducible=reproducible,
        allow_shortfalls=allow_shortfalls,
    )
    try:
        with ProgressPrinter(progress) as printer:
            options.on_progress = printer
            outcome = replan(week, before, changes.changes, options)
    except InputError as err:
        raise err.naming(change_file) from None
    kept = output is not None and kept_earlier_timetable(outcome.result.status, output)
    if output and not kept:
        write_json_atomic(output, dump_timetable(outcome.result.timetable))
    if new_instance:
        write_json_atomic(new_instance, outcome.instance.model_dump(mode="json"))
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "timetable": dump_timetable(outcome.result.timetable),
                    "diff": outcome.diff.to_json() if outcome.diff else None,
                },
                indent=2,
            )
        )
    else:
        click.echo(result_summary(outcome.instance, outcome.result, grid=grid))
        if outcome.diff is not None:
            click.echo("\nWhat changed")
            click.echo("\n".join(outcome.diff.lines()))
        if output:
            click.echo(f"\n{written_note(outcome.result.status, output, kept=kept)}")
        if new_instance:
            click.echo(f"The week after the changes written to {new_instance}")
    sys.exit(EXIT_OK if outcome.result.status.has_timetable else EXIT_FINDINGS)


@click.command("diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@output_format_option
@handles_input_errors
def diff_command(old: str, new: str, output_format: str) -> None:
    """Show what differs between two timetables of one clinic, in human terms.

    Sessions added, cancelled or changed (leader, room, time) and, per client, the
    attendances lost, gained and moved. Exit status: 0, or 2 on bad input (a file that
    holds no timetable included).

    \b
    Example:
      iop-scheduler diff week.json week2.json
    """
    before, after = load_timetable(old), load_timetable(new)
    for table, file in ((before, old), (after, new)):
        require_timetable(table, file, "to compare")  # else every session reads as cancelled
    note_other_clinic(before.instance, after, new)
    delta = diff_timetables(before, after)
    if output_format == "json":
        click.echo(json.dumps(delta.to_json(), indent=2))
    else:
        click.echo("\n".join(delta.lines()))
