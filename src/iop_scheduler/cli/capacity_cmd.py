"""``iop-scheduler capacity``."""

from __future__ import annotations

import sys

import click

from ..capacity import Probe, check_track, find_capacity, probe_text, render_report
from ..errors import EXIT_FINDINGS, EXIT_OK
from ..io import load_instance
from .common import handles_input_errors, time_limit_option, workers_option


@click.command("capacity")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option(
    "--track",
    required=True,
    help="The track of the clients to add (new clients copy its existing clients).",
)
@click.option(
    "--max",
    "max_added",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Look no further than this many added clients.",
)
@time_limit_option(10.0, "Seconds for each solve, model building included.")
@workers_option(0, "CP-SAT search workers of each solve (0: one per core).")
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the generated clients and of every search.",
)
@click.option(
    "--relax/--no-relax",
    default=True,
    show_default=True,
    help="At the first N that falls short, try one more clinician of each discipline and "
    "one more room of each kind.",
)
@handles_input_errors
def capacity_command(
    instance: str,
    track: str,
    max_added: int,
    time_limit: float,
    workers: int,
    seed: int,
    relax: bool,
) -> None:
    """How many more clients of a track the staff and rooms of INSTANCE can serve.

    Adds N generated clients of the track (modelled on its existing clients, the same
    seed for every N) and solves in shortfall mode: N is served when no client falls
    short. The week as it is (N = 0) comes first, then N doubles (1, 2, 4, ..., with --max
    as the last step) until a week falls short, then a binary search finds the largest N
    served. This assumes that more clients never help; a solve that finds
    no timetable in the time limit counts as not served, and the report says so. A week
    that `explain`'s quick checks prove short is not solved: the report gives the reasons.

    At the first N that falls short, each resource is relaxed once (a copy of one
    clinician of each discipline, one room of each kind) to show what binds first. The
    report closes with the utilisation at the largest N served: the hours each clinician
    leads over their cap (availability in program hours, capped by their daily and weekly
    maximums; `report` divides by availability alone, so its figure can be lower), and the
    hours each room is used over its open hours.

    Ctrl-C ends the search and reports what was proved so far (a second Ctrl-C aborts).
    Exit status: 0 when a capacity was found, 1 when the week as it is already falls
    short, 2 on bad input.

    \b
    Examples:
      iop-scheduler capacity instances/small.json --track substance_use
      iop-scheduler capacity instances/small.json --track co_occurring --max 10 --time-limit 20
    """
    week = load_instance(instance)
    check_track(week, track)
    click.echo(
        f"Adding {track} clients to {week.name or instance}, {time_limit:g} s per solve...",
        err=True,
    )

    def progress(label: str, probe: Probe) -> None:
        click.echo(f"  {label}: {probe_text(probe)}", err=True)

    report = find_capacity(
        week,
        track,
        max_added=max_added,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        relax=relax,
        on_probe=progress,
    )
    click.echo(render_report(report))
    sys.exit(EXIT_FINDINGS if report.added is None else EXIT_OK)
