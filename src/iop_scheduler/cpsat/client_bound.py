"""A lower bound on the penalty from each client's week on its own (issue 4).

Drop every rule that ties clients together (group sizes, leaders, rooms, program days) and
charge each client a share of the staff time they use: a whole individual session, and
``minutes / seats`` of a group or course copy, since a copy seats at most its pool's
``most_seats`` clients. The penalty of every valid week is then at least

    staff weight x (minutes of the booked sessions) + the sum over clients of the least
    (staff weight x share + idle weight x idle minutes + miss weight x misses)

that each client's week could cost under that client's own rules (4: no overlaps; 6: days,
hours and required sessions; 7: the day rules). Each client's least cost is a small CP-SAT
solve, some tens of milliseconds, and clients with the same options share one. When week
minimums may fall short, a client's cost includes their own shortfall (the discipline rule
stays relaxed, so a missing discipline is not charged): a client who cannot meet their week
alone cannot meet it beside others either.

Why: with seats counted as CP-SAT's model counts them, this sum on the small sample
(4,393.1) is exactly the bound CP-SAT used to stop at, so that bound held nothing that
ties clients together. Here a copy is also shared by no more clients than could attend
it (``PoolVars.most_attendees``), and on the large clinics CP-SAT's LP reaches even the
plain sum slowly. The solver reports the larger of this bound and CP-SAT's. It is not
added to the model: stated as ``penalty >= bound`` it flattened the LP values the search
branches on, and the bound that CP-SAT's branching raises over a minute on the small
sample (to 5,022) stayed at the stated 4,554 (benchmarks/README, "Per-client bound").
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from ..domain import Client
from ..options import ModelSettings
from .model import TimetableModel, preference_missed
from .variables import Attendance

#: Costs are scaled by this and group shares rounded down, so every bound stays valid;
#: 5040 divides the seats 1-10, 12, 14-16 and 18 exactly.
SCALE = 5040
#: A client's own week is proven optimal in well under this (0.5 s at most on the ladder).
PER_CLIENT_SECONDS = 2.0
#: Without a `WeekReady` (the solver always passes one), client weeks solved before the
#: pace says whether all of them can be by the deadline: this share of them, and at least
#: PACE_SAMPLE. The first ones are the slowest (threads
#: and CP-SAT starting, the greedy week holding the interpreter): on the 300-client clinic
#: the first 8 projected 29 s, the first 38 about 18 s, and all took 16-19 s.
PACE_SHARE = 1 / 8
PACE_SAMPLE = 8
#: Client weeks solved after the starting week is built before the pace is judged (see
#: `client_bound`): 8 alone gave up on the 60-client clinic in a whatif process, their
#: pace still slowed by solves begun beside the greedy week.
PACE_AFTER_WEEK = 16


@dataclass
class ClientBound:
    """What the per-client bound proved, and at what cost."""

    #: Lower bound on the penalty of every valid week.
    penalty: int
    clients: int
    #: Clients whose least cost was proven (the others count with a weaker bound, or 0).
    proven: int
    #: Distinct client weeks solved (clients with the same options share one).
    solved: int
    seconds: float
    #: Every client week was solved (none cut short by the deadline, a stop or the pace).
    complete: bool = True


class _ClientWeek(TimetableModel):
    """One client's week under that client's own rules, at the cost the client incurs."""

    def __init__(self, full: TimetableModel, client: Client, seats: dict[int, int]) -> None:
        self._full = full
        self._client = client
        self._seats = seats
        super().__init__(
            full.candidates,
            allow_shortfalls=full.allow_shortfalls,
            settings=ModelSettings(objective_bounds=False),
        )

    def _clients_needing_discipline_tracking(self) -> set[str]:
        return set()  # the discipline rule is relaxed here

    def _add_variables(self) -> None:
        self.instance = self.instance.model_copy(update={"clients": [self._client]})
        options = []
        for option in self._full.vars.attendances.get(self._client.id, []):
            literal = self.model.new_bool_var("attend")
            if option.literal.index == self._full.vars.true.index:
                self.model.add(literal == 1)  # listed in a booked session
            options.append(dataclasses.replace(option, literal=literal))
        self.vars.attendances = {self._client.id: options}

    def add_constraints(self) -> None:
        self._no_overlap_clients()
        self._client_days()
        self._client_weeks()

    def _attendance_cost(self, option: Attendance) -> int:
        """SCALE x what one attendance costs this client: its share of the staff time."""
        individual = self._full.instance.type_by_id[option.type_id].kind == "individual"
        return staff_share(option, self._seats, self.instance.weights.staff_minute, individual)

    def _add_objective(self) -> None:
        weights = self.instance.weights
        share: list[Any] = []
        for option in self.vars.attendances[self._client.id]:
            coefficient = self._attendance_cost(option)
            if coefficient:
                share.append(coefficient * option.literal)
        idle: Any = self._idle_minutes(weights.client_idle_minute > 0)
        misses: Any = self._preference_misses()
        short: Any = self._shortfall_amount() if self.allow_shortfalls else 0
        self.model.minimize(
            sum(share)
            + SCALE * weights.client_idle_minute * idle
            + SCALE * weights.preference_miss * misses
            + SCALE * weights.shortfall_minute * short
        )


def staff_share(
    option: Attendance, seats: dict[int, int], staff_weight: int, individual: bool
) -> int:
    """SCALE x the staff cost one attendance is charged (rounded down, so it stays a bound).

    An individual session is one client's whole copy; a group or course copy is shared by
    at most its pool's most seats. A booked session is charged nothing here: its minutes
    are counted whole, once, by `client_bound`.
    """
    if option.pool is None:
        return 0
    cost = SCALE * staff_weight * option.minutes
    return cost if individual else cost // max(1, seats[option.pool])


def _signature(
    tm: TimetableModel, client: Client, seats: dict[int, int]
) -> tuple[object, ...]:
    """What a client's least cost depends on: the options, their costs, the requirements."""
    options = tuple(
        (
            a.type_id,
            a.day,
            a.start,
            a.end,
            a.is_group,
            None if a.pool is None else seats[a.pool],
            a.fixed,
            a.literal.index == tm.vars.true.index,
            preference_missed(
                client.preferred_days, client.preferred_window, a.day, a.start, a.end
            ),
        )
        for a in tm.vars.attendances.get(client.id, [])
    )
    return options, tuple(sorted(client.requires.items()))


def _least_cost(
    tm: TimetableModel,
    client: Client,
    seats: dict[int, int],
    seconds: float,
    deterministic: bool,
) -> tuple[Fraction, bool]:
    """A lower bound on the client's own cost, and whether it is their proven least cost."""
    week = _ClientWeek(tm, client, seats)
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = 1
    params.max_time_in_seconds = seconds
    if deterministic:  # the same bound on every run: stop on work done, not on the clock
        params.max_deterministic_time = PER_CLIENT_SECONDS
    # Measured on the ladder: the LP at level 2 proves these small weeks at once (without
    # it, 5 s left most of them open); presolve and probing cost more than they save
    # (60 clients: 3.3 s with both, 2.4 s without).
    params.linearization_level = 2
    params.cp_model_presolve = False
    params.catch_sigint_signal = False
    code = solver.solve(week.model)
    if code == cp_model.INFEASIBLE:
        # No valid week for this client: nothing to bound (the full model says infeasible).
        return Fraction(0), True
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN):
        return Fraction(0), False
    bound = max(0, int(solver.best_objective_bound + 1e-6))
    return Fraction(bound, SCALE), code == cp_model.OPTIMAL


class WeekReady:
    """When the solver's starting week was built (see `client_bound`)."""

    def __init__(self) -> None:
        #: time.monotonic() when the week was ready; None until then.
        self.ready_at: float | None = None

    def mark(self) -> None:
        """The starting week is built: from now on the bound delays the search."""
        self.ready_at = time.monotonic()


def client_bound(
    tm: TimetableModel,
    *,
    deadline: float,
    workers: int = 1,
    stop: Callable[[], bool] = lambda: False,
    deterministic: bool = False,
    week_ready: WeekReady | None = None,
    seconds_after_week: float = 0.0,
) -> ClientBound:
    """The per-client lower bound on the penalty of ``tm``'s week (see the module doc).

    Stops solving clients at ``deadline`` (time.monotonic()) or when ``stop()`` is true;
    the clients not reached count 0, so the result is a valid bound in every case. After
    a few clients it also gives up when the pace so far cannot reach the last one by the
    deadline: a sum over part of the clients is far below what CP-SAT proves, so the time
    is better left to the search. With ``deterministic``, each client's solve stops on
    work done rather than on the clock and there is no giving up on pace, so the bound is
    the same on every run that ends before the deadline.

    With ``week_ready`` (the solver's), the search cannot start before its starting week
    is built, so until then the bound runs up to ``deadline`` (it only slows the greedy
    week beside it); once the week is marked ready, it may take ``seconds_after_week``
    more (0: it stops there), but never more than half the time left, and the pace is
    judged only on the client weeks solved after the mark. Judged from the start, beside
    the greedy week, the pace was far too slow: in a whatif process with one worker the
    60-client clinic's first 8 weeks projected 9 s against a 6 s share, and all 60 took
    5 s; the 300-client bound at 60 s gave up after 2.5 s where it now ends complete.
    """
    started = time.monotonic()
    inst = tm.instance
    # Most clients one copy of each pool can hold: a group attendance's share divides by it.
    seats = {pv.pool.index: pv.most_attendees for pv in tm.vars.pools}
    by_signature: dict[tuple[object, ...], list[Client]] = {}
    for client in inst.clients:
        # With shortfalls, a client who can attend nothing still costs their shortfall.
        if tm.allow_shortfalls or tm.vars.attendances.get(client.id):
            by_signature.setdefault(_signature(tm, client, seats), []).append(client)

    groups = list(by_signature.values())
    finished = 0  # client weeks solved so far (by any thread)
    cut_by_clock = 0  # of those, left unproven when their time ran out
    lock = threading.Lock()
    #: When the pace starts counting, and the client weeks solved by then.
    pace_start: tuple[float, int] | None
    if week_ready is None:
        # The pace counts from the start, on an eighth of the client weeks (at least 8).
        pace_start = (started, 0)
        sample = max(PACE_SAMPLE, PACE_SHARE * len(groups))
    else:
        # From the first client week solved after the starting week (set in solve_one).
        pace_start = None
        sample = PACE_AFTER_WEEK

    def stop_at() -> float:
        """When to stop: the deadline, or sooner once the starting week is built."""
        ready = None if week_ready is None else week_ready.ready_at
        if ready is None:
            return deadline
        # Half the time left at most: a week built late still leaves the search some.
        return min(deadline, ready + min(seconds_after_week, (deadline - ready) / 2))

    def out_of_pace(now: float, limit: float) -> bool:
        """Whether the pace so far leaves clients unsolved at ``limit``."""
        with lock:
            done, start = finished, pace_start
        if deterministic or start is None:
            return False
        since, done_before = start
        counted = done - done_before
        if counted < sample:
            return False
        return now + (now - since) / counted * (len(groups) - done) > limit

    def solve_one(clients: list[Client]) -> tuple[Fraction, bool, int]:
        nonlocal finished, cut_by_clock, pace_start
        now = time.monotonic()
        limit = stop_at()
        if now >= limit or stop() or out_of_pace(now, limit):
            return Fraction(0), False, len(clients)
        seconds = limit - now if deterministic else min(PER_CLIENT_SECONDS, limit - now)
        cost, proven = _least_cost(tm, clients[0], seats, seconds, deterministic)
        with lock:
            finished += 1
            # Cut by the deadline or the share, a week's bound depends on the clock: a
            # reproducible run then gives no promise (found by CI, where the bound's
            # thread began after a fast greedy week and stopped at its share).
            cut_by_clock += not proven and time.monotonic() >= limit
            if pace_start is None and week_ready is not None and week_ready.ready_at:
                # From a solve's end after the mark (another thread's solve begun
                # before it may still end later and count).
                pace_start = (time.monotonic(), finished)
        return cost, proven, len(clients)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(solve_one, groups))
    booked = sum(fv.copy.duration for fv in tm.vars.fixed)
    total = Fraction(inst.weights.staff_minute * booked)
    proven = 0
    for cost, is_proven, count in results:
        total += cost * count
        proven += count if is_proven else 0
    return ClientBound(
        penalty=int(total) if total == int(total) else int(total) + 1,
        clients=sum(len(g) for g in groups),
        proven=proven,
        solved=finished,
        complete=finished == len(groups) and not cut_by_clock,
        seconds=time.monotonic() - started,
    )


def client_bound_holds(tm: TimetableModel) -> bool:
    """Whether the per-client bound holds for ``tm``'s week and is wanted.

    Not when explaining: rule families may be switched off there. With shortfalls it
    holds, since each client's own shortfall is part of their least cost.
    """
    return not tm.explain and tm.settings.client_bound
