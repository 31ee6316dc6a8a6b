"""The benchmark runner: every instance × method × seed, measured the same way.

Each run solves in a fresh process so that its peak memory is its own. Per run it records
the status, penalty, bound and gap, the time to the first valid timetable and to the best
one, the wall time, the peak memory and the model size; per instance, the penalty and bound
over time. It writes ``results.csv``, ``history.csv``, ``results.md`` and three plots.
"""

from __future__ import annotations

import csv
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .errors import InputError
from .escaping import escape_csv_cell, escape_markdown
from .options import ModelSettings
from .wording import plural

FIELDS_NOTE = {
    "first_s": "seconds to the first valid timetable",
    "best_s": "seconds to the best timetable",
    "wall_s": "wall time of the whole run (model building included)",
    "peak_mb": "peak resident memory of the run's process",
}


@dataclass
class RunRecord:
    """One solve of one instance by one method with one seed."""

    instance: str
    clients: int
    method: str
    seed: int
    time_limit: float
    workers: int
    status: str
    valid: bool
    penalty: int | None
    bound: int | None
    gap: float | None
    first_s: float | None
    best_s: float | None
    wall_s: float
    peak_mb: float
    variables: int
    constraints: int
    pools: int
    history: list[tuple[float, int | None, int | None]] = field(default_factory=list)


@dataclass
class Variant(ModelSettings):
    """A named way to solve: a method, the greedy hint, and every `ModelSettings` switch."""

    method: str = "cpsat"
    greedy_hint: bool = True

    def model_settings(self) -> ModelSettings:
        """The model switches and CP-SAT parameters of this variant."""
        return ModelSettings(**{f.name: getattr(self, f.name) for f in fields(ModelSettings)})


@dataclass
class BenchSettings:
    """What to run: instances, methods, seeds, limits (from the CLI or a TOML file).

    ``methods`` names methods (``cpsat``, ``greedy``) or variants defined in ``variants``.
    """

    instances: list[Path]
    methods: list[str] = field(default_factory=lambda: ["greedy", "cpsat"])
    variants: dict[str, Variant] = field(default_factory=dict)
    seeds: int = 1
    time_limit: float = 60.0
    workers: int = 2
    #: Per-instance time limits overriding ``time_limit``, keyed by an instance's file stem
    #: (every instance of that stem) or by its resolved path (that file only).
    time_limits: dict[str, float] = field(default_factory=dict)

    def time_limit_of(self, path: Path) -> float:
        """The time limit of one instance: its path's entry, else its stem's, else the default."""
        by_path = self.time_limits.get(str(path.resolve()))
        if by_path is not None:
            return by_path
        return self.time_limits.get(path.stem, self.time_limit)

    def instance_keys(self) -> set[str]:
        """The keys ``time_limits`` may use: each instance's file stem and resolved path."""
        return {p.stem for p in self.instances} | {str(p.resolve()) for p in self.instances}


class _ProtocolFile(BaseModel):
    """The settings a benchmark TOML file may hold, with their types and ranges."""

    model_config = ConfigDict(extra="forbid", strict=True)  # time_limit = "5" is no number

    instances: list[str] = []
    methods: list[str] = ["greedy", "cpsat"]
    seeds: int = Field(1, ge=1)
    time_limit: float = Field(60.0, gt=0)
    workers: int = Field(2, ge=0)
    time_limits: dict[str, Annotated[float, Field(gt=0)]] = {}
    variants: dict[str, dict[str, Any]] = {}


def unknown_method(methods: Sequence[str], variants: dict[str, Variant]) -> str | None:
    """``unknown method 'x' (choose ...)`` for the first name neither a method nor a variant."""
    from .api import METHODS

    for method in methods:
        if method not in METHODS and method not in variants:
            return f"unknown method '{method}' (choose {', '.join([*METHODS, *variants])})"
    return None


def load_settings(path: str | os.PathLike[str], base: Path | None = None) -> BenchSettings:
    """Read a benchmark protocol from TOML (see benchmarks/protocol.toml)."""
    from .cpsat.solve import check_parameters  # CP-SAT's own names, checked now
    from .io import describe_validation_error, read_text

    name = str(path)
    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"malformed TOML: {err}", file=name) from None
    try:
        protocol = _ProtocolFile.model_validate(data)
    except ValidationError as err:
        raise InputError(describe_validation_error(err, data), file=name) from None
    root = base or Path(path).parent
    variants: dict[str, Variant] = {}
    known = {f.name for f in fields(Variant)}
    for variant_name, spec in protocol.variants.items():
        where = f"variants.{variant_name}"
        for key in spec:
            if key not in known:
                raise InputError(f"{where}.{key}: unknown setting", file=name)
        try:
            variants[variant_name] = TypeAdapter(Variant).validate_python(spec)
        except ValidationError as err:
            raise InputError(f"{where}.{describe_validation_error(err, spec)}", file=name) from None
        problem = check_parameters(variants[variant_name].parameters)
        if problem:
            raise InputError(f"{where}.parameters: {problem}", file=name)
        problem = unknown_method([variants[variant_name].method], {})
        if problem:
            raise InputError(f"{where}.method: {problem}", file=name)
    problem = unknown_method(protocol.methods, variants)
    if problem:
        raise InputError(f"methods: {problem}", file=name)
    time_limits = {_time_limit_key(key, root): limit for key, limit in protocol.time_limits.items()}
    settings = BenchSettings(
        variants=variants,
        instances=[(root / p).resolve() for p in protocol.instances],
        methods=protocol.methods,
        seeds=protocol.seeds,
        time_limit=protocol.time_limit,
        workers=protocol.workers,
        time_limits=time_limits,
    )
    if settings.instances:
        # A misspelt key would silently give its clinic the default limit.
        for key, stored in zip(protocol.time_limits, time_limits, strict=True):
            if stored not in settings.instance_keys():
                raise InputError(
                    f"time_limits.{key}: names none of the instances (give a file stem such "
                    f"as '{settings.instances[0].stem}', or a path as listed in instances)",
                    file=name,
                )
    return settings


def _time_limit_key(key: str, root: Path) -> str:
    """A ``time_limits`` key as stored: a path resolved like ``instances``, or a bare stem.

    A key is a path when it has a slash or ends in .json.
    """
    if "/" in key or key.endswith(".json"):
        return str((root / key).resolve())
    return key


def expand_instances(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Instance files from files and folders (``*.json`` in a folder, sorted by size)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(path.glob("*.json"))
        elif path.exists():
            found.append(path)
        else:
            raise InputError("file not found", file=str(path))
    return found


def _run_one(args: tuple[str, str, dict[str, Any], int, float, int]) -> dict[str, Any]:
    """Solve once in this (fresh) process and report, with this process's peak memory."""
    from . import load_instance, solve_with, validate
    from .options import SolveOptions
    from .result import total_penalty
    from .validator import score

    path, name, spec, seed, time_limit, workers = args
    variant = Variant(**spec)
    instance = load_instance(path)
    options = SolveOptions(
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        greedy_hint=variant.greedy_hint,
        model=variant.model_settings(),
    )
    started = time.monotonic()
    result = solve_with(instance, options, method=variant.method)
    wall = time.monotonic() - started
    # A run counts as valid only if the independent validator accepts the timetable and
    # computes the very penalty the solver reported.
    valid = (
        result.status.has_timetable
        and not validate(instance, result.timetable)
        and total_penalty(score(instance, result.timetable)) == result.penalty
    )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return asdict(
        RunRecord(
            instance=instance.name or Path(path).stem,
            clients=len(instance.clients),
            method=name,
            seed=seed,
            time_limit=time_limit,
            workers=workers,
            status=result.status.value,
            valid=valid,
            penalty=result.penalty,
            bound=result.bound,
            gap=result.gap,
            first_s=result.first_solution_seconds,
            best_s=result.best_solution_seconds,
            wall_s=wall,
            peak_mb=peak_kb / 1024 if sys.platform != "darwin" else peak_kb / 2**20,
            variables=result.stats.variables,
            constraints=result.stats.constraints,
            pools=result.stats.pools,
            history=[(p.seconds, p.penalty, p.bound) for p in result.history],
        )
    )


class BenchStopped(Exception):
    """Ctrl-C stopped the benchmark; ``records`` holds the runs that finished before it."""

    def __init__(self, records: list[RunRecord]) -> None:
        super().__init__(f"stopped by Ctrl-C after {len(records)} run(s)")
        self.records = records


def run_benchmark(
    settings: BenchSettings, on_record: Callable[[RunRecord], None] | None = None
) -> list[RunRecord]:
    """Run every instance × method × seed, one fresh process per run, one run at a time.

    Ctrl-C raises `BenchStopped` with the runs finished so far; the run it cut short is
    left out (stopped early, it is no measurement of its time limit).
    """
    context = mp.get_context("spawn")
    records: list[RunRecord] = []
    for path in settings.instances:
        limit = settings.time_limit_of(path)
        for method in settings.methods:
            variant = settings.variants.get(method) or Variant(method=method)
            # The greedy baseline is deterministic: one seed says all.
            seeds = [0] if variant.method == "greedy" else list(range(settings.seeds))
            for seed in seeds:
                job = (str(path), method, asdict(variant), seed, limit, settings.workers)
                try:
                    with context.Pool(1, maxtasksperchild=1) as pool:
                        data = pool.apply(_run_one, (job,))
                except KeyboardInterrupt:
                    raise BenchStopped(records) from None
                record = RunRecord(**data)
                records.append(record)
                if on_record is not None:
                    on_record(record)
    return records


def machine_description(workers: int) -> str:
    """The machine a benchmark ran on, for the protocol."""
    from importlib.metadata import version

    ortools_version = version("ortools")

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, OR-Tools {ortools_version}, "
        f"{plural(workers, 'CP-SAT worker')}"
    )


_CSV_FIELDS = [f.name for f in fields(RunRecord) if f.name != "history"]


def write_results(records: list[RunRecord], out: Path, command: str) -> list[Path]:
    """Write results.csv, history.csv, results.md and the plots; return the files."""
    from .io import write_text_atomic

    rows = []
    for r in records:
        row = asdict(r)
        row.pop("history")
        rows.append(row)
    written = [out / "results.csv", out / "history.csv", out / "results.md"]
    write_text_atomic(
        written[0], _csv_text(_CSV_FIELDS, [[row[k] for k in _CSV_FIELDS] for row in rows])
    )
    history_rows = [
        [
            r.instance,
            r.method,
            r.seed,
            f"{s:.3f}",
            p if p is not None else "",
            b if b is not None else "",
        ]
        for r in records
        for s, p, b in r.history
    ]
    write_text_atomic(
        written[1],
        _csv_text(["instance", "method", "seed", "seconds", "penalty", "bound"], history_rows),
    )
    write_text_atomic(written[2], markdown_table(records, command))
    written += plot_results(records, out)
    return written


def _csv_text(header: list[str], rows: list[list[Any]]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                "" if v is None else (f"{v:.4f}" if isinstance(v, float) else escape_csv_cell(v))
                for v in row
            ]
        )
    return buffer.getvalue()


def _fmt(value: float | int | None, spec: str = ",") -> str:
    if value is None:
        return "-"
    return format(value, spec)


def summarise(records: list[RunRecord]) -> list[dict[str, Any]]:
    """One row per instance and method: the median run, the best penalty, and the ratio.

    Penalty, bound and gap are those of one run, the median by penalty (the lower of the
    two middle runs when there are an even number), so that the row's gap is its own
    (penalty - bound) / penalty.
    """
    from statistics import median

    groups: dict[tuple[str, str], list[RunRecord]] = {}
    for r in records:
        groups.setdefault((r.instance, r.method), []).append(r)
    greedy = {k[0]: v for k, v in groups.items() if k[1] == "greedy"}
    rows = []
    for (instance, method), runs in groups.items():
        valid = [r for r in runs if r.valid]
        ranked = sorted(
            (r for r in valid if r.penalty is not None), key=lambda r: (r.penalty, r.seed)
        )
        middle = ranked[(len(ranked) - 1) // 2] if ranked else None
        firsts = [r.first_s for r in valid if r.first_s is not None]
        ratio = None
        base = [r.penalty for r in greedy.get(instance, []) if r.valid and r.penalty]
        if method != "greedy" and middle is not None and middle.penalty is not None and base:
            ratio = middle.penalty / base[0]
        rows.append(
            {
                "instance": instance,
                "clients": runs[0].clients,
                "method": method,
                "runs": len(runs),
                "valid": len(valid),
                "penalty": middle.penalty if middle else None,
                "best": ranked[0].penalty if ranked else None,
                "bound": middle.bound if middle else None,
                "gap": middle.gap if middle else None,
                "first_s": median(firsts) if firsts else None,
                "wall_s": median(r.wall_s for r in runs),
                "peak_mb": max(r.peak_mb for r in runs),
                # No model (greedy) or none built in time: "-", not a model of size 0.
                "variables": max(r.variables for r in runs) or None,
                "constraints": max(r.constraints for r in runs) or None,
                "vs_greedy": ratio,
                "time_limit": runs[0].time_limit,
            }
        )
    rows.sort(key=lambda row: (row["clients"], row["instance"], row["method"]))
    return rows


def markdown_table(records: list[RunRecord], command: str) -> str:
    """The results as a markdown table (the median run of each), with the command and machine."""
    rows = summarise(records)
    workers = records[0].workers if records else 0
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {machine_description(workers)}",
        "",
        "| instance | clients | method | valid | penalty (median run) | best | bound | gap | "
        "first valid (s) | wall (s) | peak MB | variables | constraints | vs greedy |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        gap = f"{row['gap']:.2%}" if row["gap"] is not None else "-"
        ratio = f"{row['vs_greedy']:.2f}×" if row["vs_greedy"] is not None else "-"
        penalty = _fmt(round(row["penalty"])) if row["penalty"] is not None else "-"
        lines.append(
            f"| {escape_markdown(row['instance'])} | {row['clients']} | "
            f"{escape_markdown(row['method'])} | "
            f"{row['valid']}/{row['runs']} | {penalty} | {_fmt(row['best'])} | "
            f"{_fmt(row['bound'])} | {gap} | {_fmt(row['first_s'], '.1f')} | "
            f"{row['wall_s']:.1f} | {row['peak_mb']:.0f} | {_fmt(row['variables'])} | "
            f"{_fmt(row['constraints'])} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def plot_results(records: list[RunRecord], out: Path) -> list[Path]:
    """Penalty and bound over time per instance; first-valid time and gap against size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .report.plots import legend_if_labelled

    written: list[Path] = []
    # Every searching method (the protocol's cpsat, or a lever file's variants); greedy
    # has no history and is drawn as a line.
    searched = [r for r in records if r.method != "greedy"]
    several = len({r.method for r in searched}) > 1
    instances = sorted(
        {r.instance for r in searched},
        key=lambda i: next(r.clients for r in searched if r.instance == i),
    )
    if instances:
        cols = min(3, len(instances))
        rows_n = -(-len(instances) // cols)
        fig, axes = plt.subplots(rows_n, cols, figsize=(5 * cols, 3.6 * rows_n), squeeze=False)
        for ax, name in zip(axes.flat, instances, strict=False):
            for r in (r for r in searched if r.instance == name):
                run = f"{r.method} seed {r.seed}" if several else f"seed {r.seed}"
                pts = [(s, p) for s, p, _ in r.history if p is not None]
                bnd = [(s, b) for s, _, b in r.history if b is not None]
                if pts:
                    ax.step(*zip(*pts, strict=True), where="post", label=f"penalty {run}")
                if bnd:
                    ax.step(
                        *zip(*bnd, strict=True),
                        where="post",
                        linestyle="--",
                        label=f"bound {run}",
                    )
            greedy = [
                r.penalty
                for r in records
                if r.instance == name and r.method == "greedy" and r.valid
            ]
            if greedy:
                ax.axhline(greedy[0], color="grey", linestyle=":", label="greedy")
            ax.set_title(name)
            ax.set_xlabel("seconds")
            ax.set_ylabel("penalty")
            legend_if_labelled(ax, fontsize=7)
        for ax in list(axes.flat)[len(instances) :]:
            ax.axis("off")
        fig.tight_layout()
        path = out / "penalty_over_time.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    for name, key, label in (
        ("first_valid_vs_size.png", "first_s", "seconds to first valid"),
        ("gap_vs_size.png", "gap", "gap to bound"),
    ):
        fig, ax = plt.subplots(figsize=(6, 4))
        for method in sorted({r.method for r in records}):
            pts = [
                (r.clients, getattr(r, key))
                for r in records
                if r.method == method and getattr(r, key) is not None
            ]
            if pts:
                ax.scatter(*zip(*pts, strict=True), label=method)
        ax.set_xlabel("clients")
        ax.set_ylabel(label)
        ax.set_xscale("log")
        if key == "gap":
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        legend_if_labelled(ax)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
