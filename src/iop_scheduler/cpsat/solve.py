"""Run CP-SAT on a clinic week and turn its answer into a `Result`."""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from ortools.sat import sat_parameters_pb2
from ortools.sat.python import cp_model

from ..candidates import build_candidates
from ..diagnose import diagnose
from ..domain import Instance, Timetable
from ..interrupt import CtrlC, ctrl_c_ends_the_run
from ..options import DTIME_PER_SECOND, SolveOptions
from ..result import ModelStats, PenaltyTerm, ProgressPoint, Result, Status
from ..scoring import scored_timetable
from .client_bound import ClientBound, WeekReady, client_bound, client_bound_holds
from .explain import NO_EXPLANATION_IN_TIME, explain_from_model
from .model import BuildStopped, TimetableModel, deadline_passed
from .placement import place_sessions

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.UNKNOWN,
}


class _Progress(cp_model.CpSolverSolutionCallback):
    """Records each improving solution (and bound) with its time."""

    def __init__(
        self, started: float, options: SolveOptions, scale: int = 1, floor: int = 0
    ) -> None:
        super().__init__()
        self.started = started
        self.scale = scale
        self.options = options
        self.history: list[ProgressPoint] = []
        #: A bound proven before the search (the per-client and seat-demand bounds);
        #: CP-SAT's counts above it.
        self.floor = floor
        self.best_bound: int | None = floor if floor > 0 else None
        #: When the bound last moved (time.monotonic()).
        self.last_bound_at = started

    def _record(self, penalty: int | None, bound: int | None) -> None:
        point = ProgressPoint(time.monotonic() - self.started, penalty, bound)
        self.history.append(point)
        if self.options.on_progress is not None:
            self.options.on_progress(point)

    def penalty_bound(self, objective_bound: float) -> int:
        """A lower bound on the penalty from a bound on scale × penalty + tie-break."""
        proven = math.ceil((objective_bound - (self.scale - 1) - 1e-6) / self.scale)
        return max(self.floor, proven)

    @property
    def has_solution(self) -> bool:
        """Whether a timetable was found."""
        return any(p.penalty is not None for p in self.history)

    def best_bound_or(self, default: int) -> int:
        """The best bound proven so far, or ``default``."""
        return default if self.best_bound is None else self.best_bound

    def on_solution_callback(self) -> None:
        # A later local-search-only phase proves no bound of its own: keep the best one.
        bound = max(self.penalty_bound(self.best_objective_bound), self.best_bound_or(0))
        penalty = round(self.objective_value) // self.scale
        self._record(penalty, bound)
        if self.scale == 1 and penalty <= self.floor:
            self.stop_search()  # the per-client bound proves this week optimal

    def on_bound(self, bound: float) -> None:
        self.best_bound = self.penalty_bound(bound)
        self.last_bound_at = time.monotonic()
        last = next((p.penalty for p in reversed(self.history) if p.penalty is not None), None)
        self._record(last, self.best_bound)


def _infeasible(instance: Instance, started: float, reasons: list[str]) -> Result:
    """A result for a week the pre-solve diagnosis proved infeasible."""
    elapsed = time.monotonic() - started
    timetable = Timetable(
        instance=instance.name,
        status=Status.INFEASIBLE.value,
        solve_seconds=round(elapsed, 3),
        explanation=reasons,
    )
    return Result(
        Status.INFEASIBLE, timetable, method="cpsat", build_seconds=elapsed, total_seconds=elapsed
    )


def _out_of_time_building(
    instance: Instance, options: SolveOptions, started: float, pools: int
) -> Result:
    """A result without a timetable: the time limit passed while the model was being built."""
    elapsed = time.monotonic() - started
    timetable = Timetable(
        instance=instance.name,
        status=Status.UNKNOWN.value,
        solve_seconds=round(elapsed, 3),
        explanation=[
            f"the time limit of {options.time_limit:g} s passed while the model was being "
            f"built ({elapsed:.1f} s); give it a longer time limit (--time-limit)"
        ],
    )
    return Result(
        Status.UNKNOWN,
        timetable,
        method="cpsat",
        build_seconds=elapsed,
        total_seconds=elapsed,
        stats=ModelStats(pools=pools),
        reproducible=False if options.reproducible else None,
    )


#: CP-SAT parameters that differ from its defaults, chosen by measurement (benchmarks/README):
#: one presolve pass without probing. On the large clinics the default three passes with
#: probing took 20 s of a 120 s run (xlarge) and found almost nothing to simplify; the time
#: goes to the search instead (xlarge penalty at 120 s: 60,210 -> 55,470).
SEARCH_PARAMETERS: dict[str, object] = {
    "max_presolve_iterations": 1,
    "cp_model_probing_level": 0,
}


def worker_count(workers: int) -> int:
    """How many threads ``workers`` asks for: 0 means one per core."""
    return workers if workers > 0 else (os.cpu_count() or 1)


def configure_portfolio(params: object, workers: int, *, reproducible: bool = False) -> None:
    """Set the number of workers and, for few workers, which CP-SAT subsolvers run.

    With two workers CP-SAT's default portfolio runs no LP-based bound worker, and on these
    models its bound stays at zero. Measured on the sample clinics (see benchmarks/README),
    an explicit max-LP worker proves far better bounds at no cost in timetable quality.
    In reproducible (interleaved, deterministic) search, though, the max-LP worker spends
    most of the deterministic work budget: without it the small sample reaches 6,510
    instead of 8,010 in the same budget, medium 12,750 instead of 17,520.
    """
    count = worker_count(workers)
    params.num_workers = count  # type: ignore[attr-defined]
    if count < 8:
        chosen = ["max_lp", "default_lp", "core", "quick_restart", "no_lp", "reduced_costs"]
        if reproducible:
            chosen = ["default_lp", "no_lp", "max_lp", "core", "quick_restart", "reduced_costs"]
        params.subsolvers.extend(chosen[: max(2, count)])  # type: ignore[attr-defined]


def apply_parameters(params: object, overrides: dict[str, object]) -> None:
    """Set CP-SAT parameters by name (lists replace the portfolio's, e.g. ``subsolvers``)."""
    for name, value in overrides.items():
        if not hasattr(params, name):
            raise ValueError(f"unknown CP-SAT parameter '{name}'")
        if isinstance(value, list):
            field = getattr(params, name)
            field.clear()
            field.extend(value)
        else:
            setattr(params, name, value)


def check_parameters(overrides: dict[str, object]) -> str | None:
    """What is wrong with CP-SAT parameter overrides (a name or a value), or None."""
    try:
        apply_parameters(sat_parameters_pb2.SatParameters(), overrides)
    except (ValueError, TypeError, AttributeError) as err:
        return str(err)
    return None


#: The per-client bound (client_bound.py) may delay the search by this share of the time
#: limit, counted from when the starting week is built (before that it only slows the
#: greedy week beside it).
#: It needs about 2 s of 60 on the 60-client clinic and 16-19 s of 120 on the 300-client
#: one (2 cores, mostly beside its 8 s greedy week; beyond its share it gives up).
CLIENT_BOUND_SHARE = 0.2
#: ... but at least this long (within the time limit): small clinics need a second or two.
CLIENT_BOUND_MIN_SECONDS = 3.0

#: The first phase runs for at least this share of the search time, and then until its
#: bound has not moved for BOUND_STALL_SHARE of it (at least BOUND_STALL_MIN_SECONDS); then
#: a local-search-only phase takes over (see `_improve_by_lns`). The bound sometimes
#: moves again after a 10 s pause on the small sample, hence the minimum share.
BOUND_PHASE_MIN_SHARE = 0.25
BOUND_STALL_SHARE = 0.1
BOUND_STALL_MIN_SECONDS = 5.0
#: Models with fewer variables keep one phase: there the bound search still closes gaps
#: after long still spells (the 6-client ladder clinic is proven optimal in 15-28 s, and
#: a switch at 15 s lost that proof), and the small sample gained nothing (0.99x).
LNS_PHASE_MIN_VARIABLES = 20_000
#: With one worker CP-SAT runs its one full subsolver (max-LP) alone, and its local search
#: never gets the thread: the week stayed the greedy one (small 8,370 at 30 s; shortfall
#: mode on client-days 157,050 where two workers find 64,470), and `whatif` solves each
#: scenario with one worker. So one worker always gets two phases, switching to local
#: search once it has a week and this share of the search time has passed.
ONE_WORKER_BOUND_SHARE = 0.3


@contextmanager
def _stop_when_bound_stalls(
    solver: cp_model.CpSolver,
    progress: _Progress,
    seconds: float,
    enabled: bool,
    single_worker: bool = False,
) -> Iterator[threading.Event]:
    """Stop the search once it has a timetable and its bound has stopped moving.

    With two workers, one runs the max-LP bound search and one the local searches. On the
    samples the bound stops moving after 10-15 s (benchmarks/README, "Two phases"), and
    from then on half the machine proves nothing. The event tells the caller to go on
    with local search only. A ``single_worker`` switches at a fixed share of the time
    instead (`ONE_WORKER_BOUND_SHARE`): its bound worker is all the search there is.
    """
    stalled = threading.Event()
    if not enabled:
        yield stalled
        return
    patience = max(BOUND_STALL_MIN_SECONDS, BOUND_STALL_SHARE * seconds)
    earliest = (
        ONE_WORKER_BOUND_SHARE * seconds
        if single_worker
        else max(patience, BOUND_PHASE_MIN_SHARE * seconds)
    )
    started = time.monotonic()
    progress.last_bound_at = started
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.25):
            now = time.monotonic()
            if (
                progress.has_solution
                and now - started >= earliest
                and (single_worker or now - progress.last_bound_at >= patience)
            ):
                stalled.set()
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, name="iop-bound-stall", daemon=True)
    watcher.start()
    try:
        yield stalled
    finally:
        done.set()
        watcher.join()


def _improve_by_lns(
    tm: TimetableModel,
    first: cp_model.CpSolver,
    seconds: float,
    progress: _Progress,
    ctrl_c: CtrlC,
) -> cp_model.CpSolver:
    """Go on from the first phase's best timetable with local search on every worker.

    Returns the solver holding the better timetable (the first one if this finds none).
    """
    tm.set_hint(dict(enumerate(first.response_proto.solution)))
    solver = cp_model.CpSolver()
    solver.parameters.copy_from(first.parameters)
    solver.parameters.use_lns_only = True
    solver.parameters.max_time_in_seconds = seconds
    solver.log_callback = first.log_callback
    with ctrl_c.stopping(solver.stop_search):
        code = solver.solve(tm.model, progress)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return first
    if solver.objective_value > first.objective_value:
        return first
    return solver


def _fits(instance: Instance, options: SolveOptions) -> bool:
    """Whether the caller's hint is a valid week of ``instance`` (its sessions, that is)."""
    from ..validator import sessions_fit  # checking a week, as the greedy week is checked

    assert options.hint is not None
    return sessions_fit(instance, options.hint, allow_shortfalls=options.allow_shortfalls)


def _starting_week(
    instance: Instance,
    tm: TimetableModel,
    options: SolveOptions,
    started: float,
    ctrl_c: CtrlC,
) -> tuple[Timetable | None, Timetable | None]:
    """Hint the model with a week to start from; returns it and the valid week to fall back on.

    The start is the caller's hint when it is a valid week of this instance (then also the
    fallback), else the greedy week (also the fallback: the validator accepted it), else the
    previous week when re-planning. A hint that breaks a rule of this week (last week's,
    after a discharge) is no start: CP-SAT could not complete it, and the search found no
    week in 10 s where it finds one at once from the greedy week (a notebook walk-through).
    """
    hint = options.hint if options.hint is not None and _fits(instance, options) else None
    fallback: Timetable | None = hint  # a valid week to return if CP-SAT finds none
    if hint is None and options.greedy_hint:
        from ..greedy import solve_greedy  # a constructive week to start the search from

        greedy = solve_greedy(
            instance,
            SolveOptions(
                allow_shortfalls=options.allow_shortfalls,
                previous=options.previous,
                time_limit=options.time_limit,
            ),
            started=started,
        )
        if greedy.status.has_timetable:
            hint = fallback = greedy.timetable
    if hint is None and options.previous is not None:
        hint = options.previous
    if hint is not None:
        spent = 0.0 if options.reproducible else time.monotonic() - started
        complete_seconds = min(10.0, 0.2 * (options.time_limit - spent))
        if ctrl_c.pressed.is_set():
            complete_seconds = 0.0
        tm.add_hint(
            hint,
            complete_seconds=max(0.0, complete_seconds),
            deterministic=options.reproducible,
        )
    return hint, fallback


def solve_cpsat(
    instance: Instance, options: SolveOptions, *, started: float | None = None
) -> Result:
    """Build the pool model, solve it within the time limit and place clients into copies."""
    with ctrl_c_ends_the_run() as ctrl_c:
        return _solve_cpsat(instance, options, started, ctrl_c)


def _solve_cpsat(
    instance: Instance, options: SolveOptions, started: float | None, ctrl_c: CtrlC
) -> Result:
    started = time.monotonic() if started is None else started
    candidates = build_candidates(instance)
    findings = diagnose(instance, candidates, allow_shortfalls=options.allow_shortfalls)
    if findings:
        return _infeasible(instance, started, [str(f) for f in findings])

    try:
        tm = TimetableModel(
            candidates,
            allow_shortfalls=options.allow_shortfalls,
            previous=options.previous,
            settings=options.model,
            # Only the clock stops the build: after a Ctrl-C it goes on, since the greedy
            # week that follows is what the run returns (`replan`'s quick repaired week).
            stop=deadline_passed(started + options.time_limit),
        )
    except BuildStopped:
        return _out_of_time_building(instance, options, started, len(candidates.pools))
    tm.keep_attendances(options.keep_clients)
    # The per-client bound runs beside the greedy week: that is Python and holds one core,
    # while the clients' small CP-SAT solves release the interpreter lock.
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iop-client-bound")
    abandoned = threading.Event()
    week_ready = WeekReady()  # the bound's share counts from here (client_bound.py)
    pending_floor: Future[ClientBound] | None = None
    if client_bound_holds(tm):
        pending_floor = background.submit(
            client_bound,
            tm,
            # Reproducible runs bound each client on work done; if the time limit or the
            # share cuts them short, the run is not marked reproducible (see below).
            deadline=started + options.time_limit,
            workers=worker_count(options.workers),
            stop=lambda: ctrl_c.pressed.is_set() or abandoned.is_set(),
            deterministic=options.reproducible,
            week_ready=week_ready,
            seconds_after_week=max(
                CLIENT_BOUND_MIN_SECONDS, CLIENT_BOUND_SHARE * options.time_limit
            ),
        )
    try:
        hint, fallback = _starting_week(instance, tm, options, started, ctrl_c)
        week_ready.mark()
        floor = pending_floor.result() if pending_floor is not None else None
    finally:
        abandoned.set()  # building the week raised: the bound stops too (else a no-op)
        background.shutdown(wait=False, cancel_futures=True)
    build_seconds = time.monotonic() - started

    solver = cp_model.CpSolver()
    params = solver.parameters
    remaining = max(0.01, options.time_limit - build_seconds)
    params.max_time_in_seconds = remaining
    configure_portfolio(params, options.workers, reproducible=options.reproducible)
    apply_parameters(params, SEARCH_PARAMETERS)
    apply_parameters(params, options.model.parameters)
    params.random_seed = options.seed
    if options.reproducible:
        # The deterministic limit depends on the options only, never on the clock.
        params.interleave_search = True
        params.max_deterministic_time = max(0.01, options.time_limit * DTIME_PER_SECOND)
    if options.log:
        params.log_search_progress = True
        params.log_to_stdout = False
        solver.log_callback = options.log_callback or (lambda line: print(line, file=sys.stderr))
    single_worker = params.num_workers == 1
    lns_after_bound = (
        options.model.lns_after_bound
        and not options.reproducible
        and (single_worker or len(tm.model.proto.variables) >= LNS_PHASE_MIN_VARIABLES)
    )
    if not lns_after_bound:
        tm.state_objective_bounds()  # the max-LP worker branches all run: they help it
    proto = tm.model.proto
    stats = ModelStats(
        variables=len(proto.variables),
        constraints=len(proto.constraints),
        pools=len(candidates.pools),
        attendance_options=sum(len(v) for v in tm.vars.attendances.values()),
    )
    # Proven before the search: the per-client bound, and the seat-demand bounds (stated
    # in the model or not, they hold for every week that meets the week minimums).
    proven_floor = max(floor.penalty if floor else 0, tm.seat_demand_floor)
    progress = _Progress(started, options, tm.objective_scale, proven_floor)
    solver.best_bound_callback = progress.on_bound
    params.catch_sigint_signal = False  # `ctrl_c_ends_the_run` stops the search instead
    if ctrl_c.pressed.is_set():  # pressed before the search: return the hint (or nothing)
        params.max_time_in_seconds = 0.0
    solve_started = time.monotonic()
    with (
        ctrl_c.stopping(solver.stop_search),
        _stop_when_bound_stalls(
            solver, progress, remaining, lns_after_bound, single_worker
        ) as stalled,
    ):
        # Loading a large model alone takes CP-SAT a while: when building the week used up
        # the time limit, do not start it (the greedy week, if any, is returned below).
        out_of_time = options.time_limit <= build_seconds and (hint is None or fallback is not None)
        code = cp_model.UNKNOWN if out_of_time else solver.solve(tm.model, progress)
    bound_solver = solver  # the proven bound is the first phase's
    left = options.time_limit - (time.monotonic() - started)
    if stalled.is_set() and code == cp_model.FEASIBLE and not ctrl_c.pressed.is_set() and left > 1:
        solver = _improve_by_lns(tm, solver, left, progress, ctrl_c)
        if round(solver.objective_value) // tm.objective_scale <= progress.best_bound_or(-1):
            code = cp_model.OPTIMAL  # the local search reached the proven bound
    solve_seconds = time.monotonic() - solve_started
    status = _STATUS.get(code)
    if status is None:
        raise RuntimeError(f"CP-SAT rejected the model: {solver.status_name(code)}")

    first = next((p.seconds for p in progress.history if p.penalty is not None), None)
    best = None
    timetable = Timetable(instance=instance.name, status=status.value)
    terms: dict[str, PenaltyTerm] = {}
    bound = None
    if status.has_timetable:
        best_penalty = round(solver.objective_value) // tm.objective_scale
        best = next((p.seconds for p in progress.history if p.penalty == best_penalty), first)
        sessions = place_sessions(tm, solver.value, previous=options.previous)
        # The model's bound is a lower bound on every timetable's penalty; the penalty of
        # the placed timetable can only be lower than the model's objective value.
        timetable, terms = scored_timetable(
            instance,
            sessions,
            bound=progress.penalty_bound(bound_solver.best_objective_bound),
            previous=options.previous,
            allow_shortfalls=options.allow_shortfalls,
        )
    elif status is Status.UNKNOWN and fallback is not None:
        # CP-SAT found nothing in time, but the greedy week (checked by the validator) is
        # valid: return it, with CP-SAT's bound if it has one.
        timetable, terms = scored_timetable(
            instance,
            fallback.sessions,
            bound=progress.best_bound_or(0),  # CP-SAT may not have started: 0 still holds
            previous=options.previous,
            allow_shortfalls=options.allow_shortfalls,
        )
        first = best = build_seconds
    elif status is Status.UNKNOWN and not ctrl_c.pressed.is_set():
        timetable.explanation = [
            f"no valid week was found within the time limit of {options.time_limit:g} s "
            f"(building the model and a starting week took {build_seconds:.1f} s of it); "
            "give it a longer time limit (--time-limit), or run `iop-scheduler explain` to "
            "find out whether any valid week exists"
        ]
    elif status is Status.INFEASIBLE:
        reasons = list(tm.infeasible_reasons)
        left = options.time_limit - (time.monotonic() - started)
        if not reasons and left > 1:
            reasons = explain_from_model(instance, min(left, 60.0), candidates)
        timetable.explanation = reasons or [NO_EXPLANATION_IN_TIME]
    status = Status(timetable.status)
    bound = timetable.bound
    total = time.monotonic() - started
    timetable.solve_seconds = round(total, 3)
    repeatable = None
    if options.reproducible:
        finished = code in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
        searched = not out_of_time and (
            solver.deterministic_time >= 0.99 * params.max_deterministic_time
        )
        repeatable = (finished or searched) and (floor is None or floor.complete)
    return Result(
        status=status,
        timetable=timetable,
        terms=terms,
        reproducible=repeatable,
        bound=bound,
        method="cpsat",
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        total_seconds=total,
        first_solution_seconds=first,
        best_solution_seconds=best,
        stats=stats,
        history=progress.history,
        interrupted=ctrl_c.pressed.is_set(),
    )
