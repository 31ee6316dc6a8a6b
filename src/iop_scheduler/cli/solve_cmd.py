"""``iop-scheduler solve``."""

from __future__ import annotations

import json
import sys

import click

from ..api import METHODS, solve_with
from ..errors import EXIT_FINDINGS, EXIT_OK
from ..io import dump_timetable, ensure_writable, load_instance, write_json_atomic
from ..options import SolveOptions
from ..report.summary import result_summary
from ..validator import sessions_fit
from .common import (
    ProgressPrinter,
    handles_input_errors,
    keeps_other_kind,
    kept_earlier_timetable,
    load_option_timetable,
    output_format_option,
    outputs_apart,
    solver_options,
    written_note,
)


@click.command("solve")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the timetable (iop-schedule/1 JSON) to this file.",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="cpsat",
    show_default=True,
    help="cpsat: the optimising model; greedy: the hand-scheduling baseline.",
)
@solver_options
@click.option(
    "--allow-shortfalls",
    is_flag=True,
    help="Let week minimums fall short (at the shortfall weight) so that a "
    "timetable is always produced.",
)
@click.option(
    "--previous",
    type=click.Path(dir_okay=False),
    help="Last week's (or the published) timetable: keep its attendances where possible.",
)
@click.option(
    "--hint", type=click.Path(dir_okay=False), help="Start the search from this timetable."
)
@output_format_option
@handles_input_errors
def solve_command(
    instance: str,
    output: str | None,
    method: str,
    time_limit: float,
    workers: int,
    seed: int,
    log: bool,
    reproducible: bool,
    progress: bool | None,
    allow_shortfalls: bool,
    previous: str | None,
    hint: str | None,
    output_format: str,
) -> None:
    """Build the week's timetable for INSTANCE and print a summary.

    Exit status: 0 when a valid timetable was found, 1 when the week is infeasible or no
    timetable was found in time, 2 on bad input.

    \b
    Examples:
      iop-scheduler solve instances/small.json -o week.json
      iop-scheduler solve instances/small.json --time-limit 20 --workers 2 --seed 7
      iop-scheduler solve instances/small.json --format json > week.json
    """
    week = load_instance(instance)
    outputs_apart({"-o": output}, {"INSTANCE": instance, "--previous": previous, "--hint": hint})
    keeps_other_kind(output, "iop-schedule/1")
    if output:
        ensure_writable(output)  # fail now, not after the solve
    options = SolveOptions(
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        log=log,
        reproducible=reproducible,
        allow_shortfalls=allow_shortfalls,
        previous=load_option_timetable(previous, week, "--previous") if previous else None,
        hint=load_option_timetable(hint, week, "--hint") if hint else None,
    )
    if options.hint is not None and method == "cpsat" and not sessions_fit(
        week, options.hint, allow_shortfalls=allow_shortfalls
    ):
        click.echo(
            f"note: --hint {hint} breaks rules of this week (run `iop-scheduler validate "
            f"{instance} {hint}`); the search starts from the greedy week instead",
            err=True,
        )
    with ProgressPrinter(progress) as printer:
        options.on_progress = printer
        result = solve_with(week, options, method=method)
    kept = output is not None and kept_earlier_timetable(result.status, output)
    if output and not kept:
        write_json_atomic(output, dump_timetable(result.timetable))
    if output_format == "json":
        click.echo(json.dumps(dump_timetable(result.timetable), indent=2))
    else:
        click.echo(result_summary(week, result))
        if output:
            click.echo(f"\n{written_note(result.status, output, kept=kept)}")
    sys.exit(EXIT_OK if result.status.has_timetable else EXIT_FINDINGS)
