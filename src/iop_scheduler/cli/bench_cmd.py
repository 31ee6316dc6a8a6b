"""``iop-scheduler bench``."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from ..api import METHODS
from ..bench import (
    BenchSettings,
    BenchStopped,
    RunRecord,
    expand_instances,
    load_settings,
    run_benchmark,
    unknown_method,
    write_results,
)
from ..errors import EXIT_STOPPED, InputError
from ..io import ensure_writable, load_instance
from .common import handles_input_errors, time_limit_option, workers_option


@click.command("bench")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="A TOML protocol (instances, methods, seeds, limits); CLI options override.",
)
@time_limit_option(None, "Seconds per run (default 60, or the protocol's).")
@click.option(
    "--seeds",
    type=click.IntRange(min=1),
    default=None,
    help="Seeds per instance for CP-SAT (default 1).",
)
@workers_option(None, "CP-SAT workers per run (default 2).")
@click.option(
    "--methods",
    default=None,
    help=f"Comma-separated methods to run ({', '.join(METHODS)}; default both).",
)
@click.option(
    "-o",
    "--output",
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="benchmarks/results",
    show_default=True,
    help="Folder for results.csv, history.csv, results.md, plots.",
)
@handles_input_errors
def bench_command(
    paths: tuple[str, ...],
    config: str | None,
    time_limit: float | None,
    seeds: int | None,
    workers: int | None,
    methods: str | None,
    out: str,
) -> None:
    """Benchmark every instance in PATHS (files or folders) with every method and seed.

    Each run solves in a fresh process, one at a time, and records status, penalty, bound,
    gap, time to the first valid and to the best timetable, wall time, peak memory and model
    size. Writes results.csv, history.csv (penalty and bound over time), results.md and plots.
    Ctrl-C stops the benchmark and writes the runs that finished (the run it cut short is
    left out). Exit status: 0 every run written, 2 bad input, 130 stopped by Ctrl-C (the
    runs that finished written, if any).

    \b
    Examples:
      iop-scheduler bench instances/ladder --time-limit 60 --seeds 3
      iop-scheduler bench --config benchmarks/protocol.toml
    """
    settings = load_settings(config) if config else BenchSettings(instances=[])
    if paths:
        settings.instances = expand_instances(paths)
    if not settings.instances and paths:
        # Found by an operations walk-through: "give files or folders" when one was given.
        raise InputError(
            f"no instance files (*.json) in {', '.join(paths)}: give instance files, or "
            "folders that hold them"
        )
    if not settings.instances:
        raise InputError("no instances to run: give files or folders, or --config")
    named: dict[str, Path] = {}
    for path in settings.instances:
        # Results are keyed by the clinic's name: two files of one name would be merged.
        name = load_instance(path).name
        if name in named:
            raise InputError(
                f"name: '{name}' is also the name of {named[name]}; give each benchmarked "
                "clinic its own name",
                file=str(path),
            )
        named[name] = path
    if time_limit is not None:
        settings.time_limit = time_limit
        settings.time_limits = {}
    if seeds is not None:
        settings.seeds = seeds
    if workers is not None:
        settings.workers = workers
    if methods is not None:
        settings.methods = [m.strip() for m in methods.split(",") if m.strip()]
    problem = unknown_method(settings.methods, settings.variants)
    if problem:
        raise InputError(f"--methods: {problem}")
    ensure_writable(Path(out) / "results.csv")  # fail now, not after every run
    runs = sum(
        len(settings.instances) * (1 if m == "greedy" else settings.seeds) for m in settings.methods
    )
    click.echo(
        f"{runs} run(s): {len(settings.instances)} instance(s), methods "
        f"{', '.join(settings.methods)}, {settings.seeds} seed(s), "
        f"{settings.time_limit:g} s, {settings.workers} worker(s)",
        err=True,
    )

    def report(record: RunRecord) -> None:
        gap = f"{record.gap:.1%}" if record.gap is not None else "-"
        first = f"{record.first_s:.1f}s" if record.first_s is not None else "-"
        penalty = record.penalty if record.penalty is not None else "-"
        click.echo(
            f"  {record.instance:<22} {record.method:<7} seed {record.seed}  "
            f"{record.status:<10} penalty {penalty!s:>9}  "
            f"gap {gap:>6}  first {first:>7}  wall {record.wall_s:6.1f}s  "
            f"{record.peak_mb:6.0f} MB",
            err=True,
        )

    stopped = False
    try:
        records = run_benchmark(settings, on_record=report)
    except BenchStopped as stop:
        # Found by an operations walk-through: Ctrl-C printed "Aborted!" and threw away
        # the runs already finished.
        records, stopped = stop.records, True
        if not records:
            click.echo("Stopped by Ctrl-C before any run finished: nothing written.", err=True)
            sys.exit(EXIT_STOPPED)
    command = "iop-scheduler " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    written = write_results(records, Path(out), command)
    click.echo(Path(out, "results.md").read_text(encoding="utf-8"))
    click.echo("Wrote " + ", ".join(str(p) for p in written), err=True)
    if stopped:
        click.echo(
            f"Stopped by Ctrl-C: the results hold the {len(records)} of {runs} run(s) that "
            "finished (the run cut short is left out).",
            err=True,
        )
        sys.exit(EXIT_STOPPED)  # written, but not the whole protocol: a script can tell
