"""What-if scenarios: solve the base week and each alternative side by side (SPEC section 8).

Every scenario of an ``iop-scenarios/1`` file is applied to the instance first, so that a bad
id is reported before any solving starts. Then the base week and every scenario week are
solved in parallel, each in its own process (or on a Dask cluster), always in shortfall mode:
a scenario the clinic cannot staff still gets a timetable, and the comparison shows how far
it falls short instead of only saying "infeasible".

Example::

    from iop_scheduler import load_instance
    from iop_scheduler.changes import load_scenarios
    from iop_scheduler.whatif import comparison_table, run_whatif

    week = load_instance("instances/small.json")
    scenarios = load_scenarios("instances/scenarios/small-staffing.json")
    outcomes = run_whatif(week, scenarios, time_limit=20, workers_per_run=1, processes=2)
    print(comparison_table(outcomes))
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from .changes import Scenario, Scenarios, apply_scenario, as_scenario, load_scenarios
from .domain import Instance, Shortfall, Timetable
from .errors import InputError
from .escaping import escape_csv_cell
from .export.common import safe_filename
from .interrupt import ctrl_c_ends_the_run, stopped_early
from .io import as_instance, dump_timetable, json_text, write_files_atomic
from .result import TERM_NAMES, PenaltyTerm, Status

#: The name of the unchanged week in every comparison.
BASE = "base"
#: File names written into the output folder.
CSV_FILE = "whatif.csv"
CHART_FILE = "whatif.png"
#: The optional dependency that ``scheduler=`` needs, as pip spells it.
DASK_EXTRA = "iop-scheduler[dask]"
#: Seconds to wait for a Dask scheduler to answer before giving up.
DASK_CONNECT_SECONDS = 10
#: The shortfall rule whose amounts are hours (SPEC 9.13).
HOURS_RULE = "min_hours_per_client_week"
#: The shortfall rule whose amounts are days.
DAYS_RULE = "min_days_per_client_week"
#: The shortfall rule whose amounts are distinct disciplines.
DISCIPLINES_RULE = "min_disciplines_per_client_week"
#: The prefix of the shortfall rules whose amounts are sessions of a required type.
REQUIRES_PREFIX = "requires:"


@dataclass(frozen=True)
class SolveJob:
    """One solve to run in a worker: a week (as JSON data, so it travels anywhere) and limits."""

    name: str
    week: dict[str, Any]
    time_limit: float
    workers: int = 1
    seed: int = 0


@dataclass
class ScenarioOutcome:
    """What one scenario (or the base) comes to: status, validity, penalty, shortfalls, time."""

    name: str
    status: Status
    #: Clients enrolled in the scenario's week.
    clients: int
    #: Whether the independent validator finds no broken rule (None: no timetable).
    valid: bool | None
    #: The validator's findings (empty when valid).
    violations: list[str] = field(default_factory=list)
    #: The penalty by term name (empty without a timetable).
    terms: dict[str, PenaltyTerm] = field(default_factory=dict)
    #: The solver's proven lower bound on the penalty, if any.
    bound: int | None = None
    #: Minutes of every session that runs (None: no timetable).
    staff_minutes: int | None = None
    #: Distinct clients with at least one shortfall (None: no timetable).
    clients_under_served: int | None = None
    #: Hours short of ``min_hours_per_client_week``, summed over clients (None: no
    #: timetable). Only that rule: the days, sessions and disciplines short are below.
    shortfall_hours: float | None = None
    #: Days short of ``min_days_per_client_week``, summed over clients.
    shortfall_days: int | None = None
    #: Required sessions missing (every ``requires:<type>`` shortfall), summed over clients.
    shortfall_sessions: int | None = None
    #: Disciplines short of ``min_disciplines_per_client_week``, summed over clients.
    shortfall_disciplines: int | None = None
    #: Seconds the solve took, model building included.
    solve_seconds: float = 0.0
    #: The timetable found (None: no timetable).
    timetable: Timetable | None = None
    #: Not solved: Ctrl-C ended the run before this solve started.
    skipped: bool = False
    #: Why no week of this scenario serves everyone, proven before the solve (`explain`'s
    #: quick checks); empty when they prove nothing.
    proven_short: list[str] = field(default_factory=list)

    @property
    def has_timetable(self) -> bool:
        """Whether the solve produced a timetable."""
        return self.status.has_timetable

    @property
    def penalty(self) -> int | None:
        """The total penalty, or None without a timetable."""
        return sum(t.cost for t in self.terms.values()) if self.has_timetable else None

    @property
    def gap(self) -> float | None:
        """Relative gap between penalty and bound (0: proven best; None: no bound)."""
        penalty = self.penalty
        if penalty is None or self.bound is None:
            return None
        return 0.0 if penalty == 0 else max(0.0, (penalty - self.bound) / penalty)

    @property
    def staff_hours(self) -> float | None:
        """Staff minutes / 60."""
        return None if self.staff_minutes is None else self.staff_minutes / 60

    @property
    def shortfalls(self) -> list[Shortfall]:
        """The timetable's shortfall entries."""
        return list(self.timetable.shortfalls) if self.timetable is not None else []


def solve_job(job: SolveJob) -> ScenarioOutcome:
    """Solve one week in shortfall mode and check the timetable with the validator.

    A top-level function, so that worker processes and Dask workers can import it.
    """
    from .api import solve
    from .diagnose import diagnose
    from .validator import validate

    week = Instance.model_validate(job.week)
    # A week the quick checks prove short says so: its shortfalls need no longer solve
    # (an operations walk-through read "not proven" for a client available on 2 days).
    proven_short = [str(f) for f in diagnose(week)]
    result = solve(
        week,
        time_limit=job.time_limit,
        workers=job.workers,
        seed=job.seed,
        allow_shortfalls=True,
    )
    outcome = ScenarioOutcome(
        name=job.name,
        status=result.status,
        clients=len(week.clients),
        valid=None,
        solve_seconds=result.total_seconds,
        proven_short=proven_short,
    )
    if not result.status.has_timetable:
        return outcome
    timetable = result.timetable
    violations = validate(week, timetable, allow_shortfalls=True)
    outcome.valid = not violations
    outcome.violations = [str(v) for v in violations]
    outcome.terms = dict(result.terms)
    outcome.bound = result.bound
    outcome.staff_minutes = sum(s.end - s.start for s in timetable.sessions)
    outcome.clients_under_served = len({s.client for s in timetable.shortfalls})
    outcome.shortfall_hours = _short_by(timetable.shortfalls, lambda rule: rule == HOURS_RULE)
    outcome.shortfall_days = round(_short_by(timetable.shortfalls, lambda r: r == DAYS_RULE))
    outcome.shortfall_sessions = round(
        _short_by(timetable.shortfalls, lambda rule: rule.startswith(REQUIRES_PREFIX))
    )
    outcome.shortfall_disciplines = round(
        _short_by(timetable.shortfalls, lambda rule: rule == DISCIPLINES_RULE)
    )
    outcome.timetable = timetable
    return outcome


def _short_by(shortfalls: Sequence[Shortfall], counts: Callable[[str], bool]) -> float:
    """Σ (required − scheduled) of the shortfalls whose rule ``counts``."""
    return sum((s.required - s.scheduled for s in shortfalls if counts(s.rule)), 0.0)


def scenario_weeks(
    instance: Instance,
    scenarios: Scenarios | Sequence[Scenario | dict[str, Any]] | str | os.PathLike[str],
    *,
    file: str | None = None,
) -> list[tuple[str, Instance]]:
    """The base week, then each scenario's week, by name; any bad scenario raises `InputError`.

    Errors name the file and ``scenarios[i] (name).changes[j]...``. Scenario names must be
    unique and may not be ``base`` (the unchanged week's name).
    """
    if isinstance(scenarios, str | os.PathLike):
        # The path of a scenarios file: walked as a sequence, it failed letter by letter.
        file = file or str(scenarios)
        scenarios = load_scenarios(scenarios)
    if isinstance(scenarios, Scenarios):
        items = scenarios.scenarios
    else:
        items = [as_scenario(s, i) for i, s in enumerate(scenarios)]
    instance = as_instance(instance)
    weeks: list[tuple[str, Instance]] = [(BASE, instance)]
    seen = {BASE}
    for index, scenario in enumerate(items):
        where = f"scenarios[{index}] ({scenario.name})"
        if scenario.name in seen:
            reason = (
                "'base' names the unchanged week"
                if scenario.name == BASE
                else f"duplicate scenario name '{scenario.name}'"
            )
            raise InputError(f"{where}.name: {reason}", file=file)
        seen.add(scenario.name)
        weeks.append((scenario.name, apply_scenario(instance, scenario, where=where, file=file)))
    return weeks


def default_processes() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_whatif(
    instance: Instance,
    scenarios: Scenarios | Sequence[Scenario | dict[str, Any]] | str | os.PathLike[str],
    *,
    time_limit: float = 30.0,
    workers_per_run: int = 1,
    processes: int | None = None,
    scheduler: str | Any | None = None,
    seed: int = 0,
    file: str | None = None,
    on_done: Callable[[ScenarioOutcome], None] | None = None,
) -> list[ScenarioOutcome]:
    """Solve the base week and every scenario in shortfall mode; outcomes in input order.

    Every scenario is applied before any solve starts, so bad ids raise `InputError` at
    once (``file`` names the scenarios file in that message). Solves run in ``processes``
    local processes (default: one per core), each CP-SAT solve with ``workers_per_run``
    search workers, or, with ``scheduler="tcp://host:port"`` (or a connected
    `dask.distributed.Client`, see `connect_dask`), on that Dask cluster; an address that
    no Dask scheduler answers raises `InputError` within about `DASK_CONNECT_SECONDS`.
    ``on_done`` is called with each outcome as it finishes.
    """
    weeks = scenario_weeks(instance, scenarios, file=file)
    return solve_weeks(
        weeks,
        time_limit=time_limit,
        workers_per_run=workers_per_run,
        processes=processes,
        scheduler=scheduler,
        seed=seed,
        on_done=on_done,
    )


def solve_weeks(
    weeks: Sequence[tuple[str, Instance]],
    *,
    time_limit: float = 30.0,
    workers_per_run: int = 1,
    processes: int | None = None,
    scheduler: str | Any | None = None,
    seed: int = 0,
    on_done: Callable[[ScenarioOutcome], None] | None = None,
) -> list[ScenarioOutcome]:
    """Solve named weeks (as `scenario_weeks` returns them) in shortfall mode, in parallel."""
    jobs = [
        SolveJob(name, week.model_dump(mode="json"), time_limit, workers_per_run, seed)
        for name, week in weeks
    ]
    return run_solves(jobs, processes=processes, scheduler=scheduler, on_done=on_done)


def run_solves(
    jobs: Sequence[SolveJob],
    *,
    processes: int | None = None,
    scheduler: str | Any | None = None,
    on_done: Callable[[ScenarioOutcome], None] | None = None,
) -> list[ScenarioOutcome]:
    """Run solve jobs locally (spawned processes) or on a Dask cluster; results in job order.

    ``scheduler`` is a Dask scheduler's address (connected to, then closed, here) or a
    `dask.distributed.Client` (left open).
    """
    if scheduler is not None:
        return _run_dask(jobs, scheduler, on_done)
    with ctrl_c_ends_the_run():
        return _run_local(jobs, processes, on_done)


def _skipped(job: SolveJob) -> ScenarioOutcome:
    """The outcome of a job that Ctrl-C kept from running."""
    clients = len(job.week.get("clients", []))
    return ScenarioOutcome(job.name, Status.UNKNOWN, clients, valid=None, skipped=True)


#: In a worker process: set once Ctrl-C was seen there or the parent saw it.
_worker_stopped = False
_parent_stopped: Any = None


def _init_worker(parent_stopped: Any) -> None:
    """A worker process notes Ctrl-C between solves; during a solve, the solve stops on it."""
    global _parent_stopped
    _parent_stopped = parent_stopped

    def note(signum: int, frame: object) -> None:
        global _worker_stopped
        _worker_stopped = True

    signal.signal(signal.SIGINT, note)


def _solve_in_worker(job: SolveJob) -> ScenarioOutcome:
    """`solve_job`, skipped once Ctrl-C was pressed (here or in the parent)."""
    global _worker_stopped
    if _worker_stopped or (_parent_stopped is not None and _parent_stopped.is_set()):
        return _skipped(job)
    with ctrl_c_ends_the_run() as ctrl_c:
        outcome = solve_job(job)
    _worker_stopped = _worker_stopped or ctrl_c.pressed.is_set()
    return outcome


def _run_local(
    jobs: Sequence[SolveJob],
    processes: int | None,
    on_done: Callable[[ScenarioOutcome], None] | None,
) -> list[ScenarioOutcome]:
    """Run jobs here or in spawned processes, results in job order.

    After Ctrl-C, running solves end early with their best week and jobs not yet started
    are skipped.
    """
    count = min(processes or default_processes(), len(jobs))
    if count <= 1:
        # One process: solve here, sparing the start-up of a worker process.
        outcomes = []
        for job in jobs:
            outcomes.append(_skipped(job) if stopped_early() else solve_job(job))
            if on_done is not None:
                on_done(outcomes[-1])
        return outcomes
    # Spawned (not forked) workers: OR-Tools' threads do not survive a fork.
    context = multiprocessing.get_context("spawn")
    results: dict[int, ScenarioOutcome] = {}
    parent_stopped = context.Event()
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=_init_worker,
        initargs=(parent_stopped,),
    ) as pool:
        futures = {pool.submit(_solve_in_worker, job): i for i, job in enumerate(jobs)}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = futures[future]
                    results[index] = (
                        _skipped(jobs[index]) if future.cancelled() else future.result()
                    )
                    if on_done is not None:
                        on_done(results[index])
                if stopped_early():
                    # A terminal's Ctrl-C reaches the workers too: running solves end
                    # with their best week; queued ones never start.
                    parent_stopped.set()
                    for future in pending:
                        future.cancel()
        except BrokenProcessPool as err:
            raise RuntimeError(
                "a solver process stopped abruptly; a script that runs what-if solves in "
                "processes must guard its entry point with `if __name__ == '__main__':` "
                "(or pass processes=1)"
            ) from err
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [results[i] for i in range(len(jobs))]


def dask_client_class() -> Any:
    """`dask.distributed.Client`, or `InputError` naming the extra to install."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise InputError(
            f"--scheduler needs dask.distributed, which is not installed: "
            f"pip install '{DASK_EXTRA}'"
        ) from None
    return Client


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


async def _dask_handshake(address: str, seconds: float) -> None:
    """Open a comm to ``address``, exchange Dask's handshake, close it; ``seconds`` at most.

    `dask.distributed.Client`'s own ``timeout`` does not bound the handshake: a server that
    accepts and never answers would keep it waiting for ever.
    """
    from distributed.comm import connect

    comm = await asyncio.wait_for(connect(address, timeout=seconds), seconds)
    await comm.close()


def connect_dask(address: str, *, seconds: float | None = None) -> Any:
    """A `dask.distributed.Client` of the scheduler at ``address``, or `InputError` at once.

    The whole attempt, the protocol handshake included, takes at most about ``seconds``
    (default `DASK_CONNECT_SECONDS`). Anything that goes wrong on the way (a malformed
    address, nothing listening, no answer, an answer that is not the Dask protocol, such as
    a web server's) is an `InputError` naming the address.
    """
    client_class = dask_client_class()
    seconds = float(DASK_CONNECT_SECONDS if seconds is None else seconds)
    from distributed.comm.addressing import get_address_host_port

    try:
        get_address_host_port(address)
    except ValueError as err:
        raise InputError(f"--scheduler {address}: {_first_line(err)}") from None
    except Exception:  # a scheme without host and port (inproc://...): let connecting judge
        pass
    deadline = time.monotonic() + seconds
    result: dict[str, Any] = {}
    lock = threading.Lock()

    def attempt() -> None:
        # In a thread of its own, so that nothing in distributed can wait past the deadline.
        try:
            asyncio.run(_dask_handshake(address, seconds))
        except OSError as err:  # nothing listening, or no answer (TimeoutError is an OSError)
            result["error"] = err
            return
        except Exception as err:  # an answer that is no Dask handshake (MemoryError too)
            result["garbled"] = err
            return
        try:
            remaining = max(1.0, deadline - time.monotonic())
            client = client_class(address, timeout=remaining, set_as_default=False)
        except Exception as err:
            result["error"] = err
            return
        with lock:
            if not result.get("abandoned"):
                result["client"] = client
                return
        client.close()  # too late: the caller has given up

    thread = threading.Thread(target=attempt, name="iop-dask-connect", daemon=True)
    thread.start()
    thread.join(seconds + 2.0)
    with lock:
        if "client" in result:
            return result["client"]
        result["abandoned"] = True
    if "garbled" in result:
        raise InputError(
            f"--scheduler: something answers at {address}, but not as a Dask scheduler "
            f"(is it the scheduler's address and port?)"
        )
    error = result.get("error")
    if error is None or isinstance(error, TimeoutError) or str(error).startswith("Timed out"):
        raise InputError(
            f"--scheduler: no Dask scheduler answered at {address} within {seconds:g} s"
        )
    raise InputError(
        f"--scheduler: cannot connect to the Dask scheduler at {address}: {_first_line(error)}"
    )


def _run_dask(
    jobs: Sequence[SolveJob],
    scheduler: Any,
    on_done: Callable[[ScenarioOutcome], None] | None,
) -> list[ScenarioOutcome]:
    """Submit every job to a Dask scheduler (an address or a `Client`) and gather outcomes.

    A client made here from an address is closed at the end; a client passed in is not.
    """
    from dask.distributed import as_completed as dask_completed

    own = isinstance(scheduler, str)
    client = connect_dask(scheduler) if own else scheduler
    try:
        futures = client.map(solve_job, list(jobs), pure=False)
        if on_done is not None:
            for future in dask_completed(futures, loop=client.loop):
                on_done(future.result())
        outcomes: list[ScenarioOutcome] = client.gather(futures)
    finally:
        if own:
            client.close()
    return outcomes


# -- the comparison ------------------------------------------------------------------------


def term_names(outcomes: Sequence[ScenarioOutcome]) -> list[str]:
    """Every penalty term that some outcome reports, in the report order of `TERM_NAMES`."""
    present = {name for o in outcomes for name in o.terms}
    ordered = [name for name in TERM_NAMES if name in present]
    return ordered + sorted(present - set(ordered))


@dataclass(frozen=True)
class _Metric:
    """One row of the comparison: a label, a CSV column, a getter, and how to print it."""

    label: str
    column: str
    value: Callable[[ScenarioOutcome], Any]
    text: Callable[[Any], str]
    difference: bool = True


def _integer(value: Any) -> str:
    return f"{value:,}"


def _percent(value: Any) -> str:
    return f"{value:.1%}"


def _hours(value: Any) -> str:
    # Two decimals where needed: 15 minutes short read "0.2" beside a term of 15 minutes.
    text = f"{value:,.2f}"
    return text[:-1] if text.endswith("0") and "." in text else text


def _status_text(outcome: ScenarioOutcome) -> str:
    """The solve's status, or ``skipped`` for a scenario Ctrl-C kept from running.

    Its status is ``unknown``, which would read as a solve that ran out of time.
    """
    return "skipped" if outcome.skipped else outcome.status.value


def _metrics(outcomes: Sequence[ScenarioOutcome]) -> list[_Metric]:
    """The rows of the comparison, in print order."""
    rows = [
        _Metric("status", "status", _status_text, str, difference=False),
        _Metric("valid", "valid", lambda o: o.valid, _yes_no, difference=False),
        _Metric("penalty", "penalty", lambda o: o.penalty, _integer),
        _Metric("gap to bound", "gap", lambda o: o.gap, _percent, difference=False),
    ]
    for name in term_names(outcomes):
        label = f"  {TERM_NAMES.get(name, name)}"
        rows.append(_Metric(label, f"{name}_cost", partial(_term_cost, name=name), _integer))
    rows += [
        _Metric("staff hours", "staff_hours", lambda o: o.staff_hours, _hours),
        _Metric("clients", "clients", lambda o: o.clients, _integer),
        _Metric(
            "clients under-served",
            "clients_under_served",
            lambda o: o.clients_under_served,
            _integer,
        ),
        # What the clients fall short by, rule by rule (the shortfall term charges 60
        # minutes per day, session and discipline short, and every minute short of hours).
        _Metric(
            "  hours short (weekly minimum)",
            "shortfall_hours",
            lambda o: o.shortfall_hours,
            _hours,
        ),
        _Metric(
            "  days short (weekly minimum)", "shortfall_days", lambda o: o.shortfall_days, _integer
        ),
        _Metric(
            "  required sessions missing",
            "shortfall_sessions",
            lambda o: o.shortfall_sessions,
            _integer,
        ),
        _Metric(
            "  disciplines short",
            "shortfall_disciplines",
            lambda o: o.shortfall_disciplines,
            _integer,
        ),
        _Metric(
            "solve seconds",
            "solve_seconds",
            lambda o: None if o.skipped else o.solve_seconds,
            _hours,
            difference=False,
        ),
    ]
    return rows


def _term_cost(outcome: ScenarioOutcome, name: str) -> int | None:
    if not outcome.has_timetable:
        return None
    term = outcome.terms.get(name)
    return term.cost if term is not None else 0


def _yes_no(value: Any) -> str:
    return {True: "yes", False: "NO"}.get(value, "-")


def _signed(value: float, text: Callable[[Any], str]) -> str:
    if abs(value) < 1e-9:
        return "="
    return ("+" if value > 0 else "-") + text(abs(value))


def comparison_table(outcomes: Sequence[ScenarioOutcome]) -> str:
    """Metrics down the side, the base and each scenario across; differences to the base.

    A cell of a scenario reads ``value (difference to the base)``; ``=`` means the same as
    the base, ``-`` that there is no timetable to measure.
    """
    base = outcomes[0]
    metrics = _metrics(outcomes)
    header = ["", *(o.name for o in outcomes)]
    rows: list[list[str]] = []
    for metric in metrics:
        row = [metric.label]
        base_value = metric.value(base)
        for index, outcome in enumerate(outcomes):
            value = metric.value(outcome)
            cell = "-" if value is None else metric.text(value)
            if index and metric.difference and value is not None and base_value is not None:
                cell += f" ({_signed(value - base_value, metric.text)})"
            row.append(cell)
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for number, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(widths[i]) for i, cell in enumerate(row[1:], start=1)]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def comparison_notes(outcomes: Sequence[ScenarioOutcome], *, limit: int = 8) -> list[str]:
    """Who falls short in each scenario, and which solves found no timetable or broke rules."""
    notes: list[str] = []
    for outcome in outcomes:
        if outcome.skipped:
            notes.append(f"{outcome.name}: not solved (stopped by Ctrl-C)")
            continue
        if not outcome.has_timetable:
            notes.append(
                f"{outcome.name}: no timetable ({outcome.status.value}); a longer "
                f"--time-limit or more --workers-per-run may find one"
            )
            continue
        if outcome.violations:
            notes.append(
                f"{outcome.name}: the validator finds {len(outcome.violations)} broken "
                f"rule(s), first: {outcome.violations[0]}"
            )
        by_client: dict[str, list[str]] = {}
        for entry in outcome.shortfalls:
            by_client.setdefault(entry.client, []).append(entry.rule)
        if by_client:
            # Clients short of the same rules share one entry, so that every kind of
            # shortfall is named: cut at 8 clients, one short of med_management hid
            # behind "and 1 more" (operations walk-through).
            by_rules: dict[tuple[str, ...], list[str]] = {}
            for name, rules in by_client.items():
                by_rules.setdefault(tuple(rules), []).append(name)
            shown = []
            for short_of, names in by_rules.items():
                more = len(names) - limit
                who = ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")
                shown.append(f"{who} ({', '.join(short_of)})")
            # A week not proven optimal may serve them: a longer solve can find it (an
            # operations walk-through found "under-served" weeks that `explain` scheduled).
            proven = outcome.status is Status.OPTIMAL
            when = "" if proven else " in the week found in the time limit (not proven):"
            notes.append(f"{outcome.name}: under-served{when} {'; '.join(shown)}")
        if outcome.proven_short:
            more = len(outcome.proven_short) - 1
            also = f" (and {more} more: `iop-scheduler explain` lists them)" if more else ""
            notes.append(
                f"{outcome.name}: no week serves everyone (proven): "
                f"{outcome.proven_short[0]}{also}"
            )
    return notes


def comparison_rows(outcomes: Sequence[ScenarioOutcome]) -> list[dict[str, Any]]:
    """One row per scenario (the base first): every metric and its difference to the base."""
    base = outcomes[0]
    metrics = _metrics(outcomes)
    rows = []
    for outcome in outcomes:
        row: dict[str, Any] = {"scenario": outcome.name}
        for metric in metrics:
            value = metric.value(outcome)
            row[metric.column] = value
            if metric.difference:
                base_value = metric.value(base)
                row[f"{metric.column}_vs_base"] = (
                    None if value is None or base_value is None else value - base_value
                )
        rows.append(row)
    return rows


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.1f}"
    if isinstance(value, str):
        return escape_csv_cell(value)  # a scenario's name: no formula to a spreadsheet
    return str(value)


def comparison_csv(outcomes: Sequence[ScenarioOutcome]) -> str:
    """The comparison as CSV text: a row per scenario, base first."""
    rows = comparison_rows(outcomes)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


#: Colours of the penalty terms in the chart.
TERM_COLOURS = {
    "staff_minute": "#4c72b0",
    "client_idle_minute": "#dd8452",
    "preference_miss": "#55a868",
    "change_from_previous": "#8172b3",
    "shortfall_minute": "#c44e52",
}


def comparison_figure(outcomes: Sequence[ScenarioOutcome]) -> Any:
    """Two panels: the penalty by term stacked per scenario, and clients under-served."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from .report.plots import legend_if_labelled

    names = [o.name for o in outcomes]
    xs = list(range(len(outcomes)))
    width = max(8.0, 3.0 + 1.4 * len(outcomes))
    figure = Figure(figsize=(width, 5.5), dpi=100, layout="constrained")
    penalty_ax, short_ax = figure.subplots(1, 2, width_ratios=[3, 2])
    bottoms = [0.0] * len(outcomes)
    for name in term_names(outcomes):
        values = [float(_term_cost(o, name) or 0) for o in outcomes]
        penalty_ax.bar(
            xs, values, bottom=bottoms, width=0.6, label=TERM_NAMES.get(name, name),
            color=TERM_COLOURS.get(name, "#937860"),
        )  # fmt: skip
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for x, outcome in zip(xs, outcomes, strict=True):
        label = f"{outcome.penalty:,}" if outcome.has_timetable else "no timetable"
        penalty_ax.text(x, bottoms[x], label, ha="center", va="bottom", fontsize=8)
    penalty_ax.set_title("Penalty by term", loc="left", fontweight="bold", fontsize=10)
    penalty_ax.set_ylabel("penalty (weight × amount)")
    legend_if_labelled(penalty_ax, fontsize=8)
    penalty_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    under = [o.clients_under_served or 0 for o in outcomes]
    short_ax.bar(xs, under, width=0.6, color="#c44e52")
    for x, outcome in zip(xs, outcomes, strict=True):
        label = "-" if outcome.clients_under_served is None else str(under[x])
        short_ax.text(x, under[x], label, ha="center", va="bottom", fontsize=8)
    short_ax.set_title("Clients under-served", loc="left", fontweight="bold", fontsize=10)
    short_ax.set_ylabel("clients with a shortfall")
    short_ax.set_ylim(0, max(1, *under) * 1.15)
    short_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (penalty_ax, short_ax):
        ax.set_xticks(xs, names, rotation=20, ha="right", fontsize=8)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return figure


def comparison_png(outcomes: Sequence[ScenarioOutcome]) -> bytes:
    """The comparison chart as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = comparison_figure(outcomes)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def write_outputs(
    folder: str | os.PathLike[str],
    outcomes: Sequence[ScenarioOutcome],
    weeks: Sequence[tuple[str, Instance]] = (),
) -> list[Path]:
    """Write ``whatif.csv`` and ``whatif.png`` into ``folder``; return their paths.

    With ``weeks`` (each scenario's name and week), also each scenario's week and the
    timetable found for it (`scenario_files`), so that they can be validated, reported,
    exported or explained: an operations walk-through could not get at them without Python.
    Every file is built, and every target checked, before any is replaced
    (`write_files_atomic`): a failure leaves last run's files as they were.
    """
    files = {
        CSV_FILE: comparison_csv(outcomes).encode("utf-8"),
        CHART_FILE: comparison_png(outcomes),
    }
    files.update(scenario_files(outcomes, weeks))
    return write_files_atomic(folder, files)


def scenario_files(
    outcomes: Sequence[ScenarioOutcome], weeks: Sequence[tuple[str, Instance]]
) -> dict[str, bytes]:
    """``<name>.week.json`` and ``<name>.timetable.json`` for each scenario.

    The name is made safe as calendar file names are (`safe_filename`: letters, digits,
    ``.``, ``_`` and ``-``; others become ``_``) and keeps its first 60 characters (a
    longer one ends in a short hash instead: a file name has a limit); names that come
    out the same get ``-2``, ``-3``... Every scenario gets both files, one solved without
    a timetable or not solved at all (Ctrl-C) an empty timetable of status ``unknown``,
    so that the pair in the folder is always this run's.
    """
    timetables = {o.name: o.timetable for o in outcomes if not o.skipped}
    files: dict[str, bytes] = {}
    taken: set[str] = {CSV_FILE, CHART_FILE}
    for name, week in weeks:
        stem = safe_filename(name)
        if len(stem) > 60:  # found by review: a 300-character name lost every output
            stem = f"{stem[:50]}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
        unique, number = stem, 1
        while f"{unique}.week.json" in taken:
            number += 1
            unique = f"{stem}-{number}"
        taken.add(f"{unique}.week.json")
        files[f"{unique}.week.json"] = json_text(week.model_dump(mode="json")).encode("utf-8")
        # A scenario without a week (no timetable in time, or not solved before Ctrl-C)
        # gets an empty one of status unknown: the pair in the folder is always this
        # run's (a walk-through found last run's timetable beside this run's week).
        table = timetables.get(name) or Timetable(instance=week.name, status="unknown")
        files[f"{unique}.timetable.json"] = json_text(dump_timetable(table)).encode("utf-8")
    return files
