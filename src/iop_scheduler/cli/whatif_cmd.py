"""``iop-scheduler whatif``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..changes import load_scenarios
from ..domain import Instance
from ..errors import EXIT_FINDINGS, EXIT_OK
from ..io import ensure_writable, load_instance
from ..report.summary import headline
from ..whatif import (
    CHART_FILE,
    CSV_FILE,
    ScenarioOutcome,
    comparison_notes,
    comparison_table,
    connect_dask,
    dask_client_class,
    default_processes,
    scenario_weeks,
    solve_weeks,
    write_outputs,
)
from .common import handles_input_errors, time_limit_option


@click.command("whatif")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.argument("scenarios", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    "--output-dir",
    "output_dir",
    type=click.Path(file_okay=False),
    help="Write whatif.csv, whatif.png and each scenario's week and timetable "
    "(<scenario>.week.json, <scenario>.timetable.json) into this folder (checked before "
    "any solve).",
)
@time_limit_option(30.0, "Seconds for each solve, model building included.")
@click.option(
    "--workers-per-run",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="CP-SAT search workers of each solve.",
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=None,
    help="Solves to run at once on this machine (default: one per core).",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="Run the solves on this Dask cluster instead of local processes (needs the dask extra).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of every solve.")
@handles_input_errors
def whatif_command(
    instance: str,
    scenarios: str,
    output_dir: str | None,
    time_limit: float,
    workers_per_run: int,
    processes: int | None,
    scheduler: str | None,
    seed: int,
) -> None:
    """Compare the week of INSTANCE with each scenario of SCENARIOS, side by side.

    SCENARIOS is an iop-scenarios/1 file (see docs/whatif.md). The unchanged week (the
    base) and every scenario are solved in parallel, each in shortfall mode, so that a
    scenario the clinic cannot staff shows how far it falls short. Every scenario is
    applied before any solve starts: a bad id stops the run at once.

    The table shows, per scenario: status, whether the validator accepts the timetable,
    the penalty and each term, staff hours, clients under-served, what they fall short by
    (hours of the weekly minimum, days, required sessions, disciplines) and solve time; a
    scenario's cell carries its difference to the base in parentheses.

    Ctrl-C ends the running solves with their best week and skips the scenarios not yet
    started (a second Ctrl-C aborts). Exit status: 0 when the comparison ran, 1 when a
    solver timetable breaks a rule (a bug to report), 2 on bad input, an output folder
    that cannot be written or a --scheduler that no Dask scheduler answers within 10 s
    (all reported before any solve).

    \b
    Examples:
      iop-scheduler whatif instances/small.json instances/scenarios/small-staffing.json
      iop-scheduler whatif clinic.json scenarios.json -o whatif/ --time-limit 60 --processes 4
      iop-scheduler whatif clinic.json scenarios.json --scheduler tcp://10.0.0.5:8786
    """
    if scheduler is not None:
        dask_client_class()  # fail now, with the extra to install, if dask is missing
    week = load_instance(instance)
    weeks = scenario_weeks(week, load_scenarios(scenarios), file=scenarios)
    client: Any = connect_dask(scheduler) if scheduler is not None else None
    try:
        if output_dir:
            for name in (CSV_FILE, CHART_FILE):  # fail now, not after every solve
                ensure_writable(Path(output_dir) / name)
        outcomes = _solve(weeks, time_limit, workers_per_run, processes, scheduler, client, seed)
    finally:
        if client is not None:
            client.close()
    # Written before anything is printed: `whatif ... | head` ended the run at the first
    # print, and the files were never written (operations walk-through).
    paths = write_outputs(output_dir, outcomes, weeks) if output_dir else []
    click.echo(headline(week))
    click.echo("")
    click.echo(comparison_table(outcomes))
    click.echo("")
    click.echo(
        "In parentheses: the difference to the base ('=' the same). Every solve allows "
        "shortfalls, at the shortfall weight."
    )
    notes = comparison_notes(outcomes)
    if notes:
        click.echo("")
        for note in notes:
            click.echo(f"- {note}")
    if output_dir:
        click.echo("")
        click.echo(f"Written: {', '.join(str(p) for p in paths[:2])}")
        if paths[2:]:
            click.echo(
                f"and each scenario's week and timetable ({len(paths) - 2} files, "
                f"<scenario>.week.json and <scenario>.timetable.json) in {output_dir}: "
                "validate, report, export or explain them as any week"
            )
    broken = any(o.valid is False for o in outcomes)
    sys.exit(EXIT_FINDINGS if broken else EXIT_OK)


def _solve(
    weeks: list[tuple[str, Instance]],
    time_limit: float,
    workers_per_run: int,
    processes: int | None,
    scheduler: str | None,
    client: Any,
    seed: int,
) -> list[ScenarioOutcome]:
    """Solve the weeks, with a line on stderr as the run starts and as each solve ends."""
    count = len(weeks)
    where = (
        f"on the Dask cluster at {scheduler}"
        if client is not None
        else f"in {min(processes or default_processes(), count)} process(es)"
    )
    click.echo(
        f"Solving the base and {count - 1} scenario(s) {where}, {time_limit:g} s each, "
        f"{workers_per_run} worker(s) per solve, shortfalls allowed...",
        err=True,
    )

    def done(outcome: ScenarioOutcome) -> None:
        if outcome.skipped:  # the table says "skipped" too, not "unknown" (out of time)
            click.echo(f"  {outcome.name}: skipped (Ctrl-C)", err=True)
            return
        click.echo(
            f"  {outcome.name}: {outcome.status.value} in {outcome.solve_seconds:.1f} s",
            err=True,
        )

    return solve_weeks(
        weeks,
        time_limit=time_limit,
        workers_per_run=workers_per_run,
        processes=processes,
        scheduler=client,
        seed=seed,
        on_done=done,
    )
