"""The bound of a relaxation over whole weekly patterns, by column generation (issue 4).

Would a relaxation that knows each client's whole week, and still ties clients together
through leaders, rooms and hours, prove more than the per-client bound? This solves its
LP (a Dantzig-Wolfe master) by column generation and prints, each round, the master's
value and the Lagrangian bound it proves (master value + each client's least reduced
cost, a bound at every round up to the rounding of prices). Run from the repository root:

    python benchmarks/experiments/pattern_bound.py instances/small.json
    python benchmarks/experiments/pattern_bound.py instances/ladder/medium.json

The master holds, for each client, a convex combination of weekly patterns (columns:
the attendances of one valid week of that client under their own rules, costing its
idle minutes and preference misses), and for each pool a fractional number of copies
(staff minutes each), its leaders and rooms as fractions of one, with the seat rows
(attendees at most copies x most attendees, at most the seats of the rooms used, at
least copies x min size), no leader or room in two overlapping pools, and the leaders'
daily and weekly hours. Left out, so it stays a relaxation: the discipline rules and
booked sessions. Columns are priced by the same one-client CP-SAT model as the
per-client bound (`cpsat/client_bound.py`), with the seat rows' duals as attendance
costs. Seat rows carry a slack at a high cost so that the first master is feasible.

Measured (2026-11-28, this machine): on the small sample the master converges after 27
rounds (44 s) to 4,552.9, and on ladder-medium after 61 rounds (262 s) to 7,487.8: on
both, exactly the per-client bound. Leaders, rooms and hours add nothing to it.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from typing import Any

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from iop_scheduler.candidates import build_candidates, hours_to_minutes_floor
from iop_scheduler.cpsat.client_bound import SCALE, _ClientWeek, _signature
from iop_scheduler.cpsat.model import TimetableModel, overlap_cliques
from iop_scheduler.cpsat.variables import Attendance
from iop_scheduler.io import load_instance

#: Cost of one seat over a pool's capacity: makes the first master feasible.
OVERFLOW_COST = 10_000


class _PricedWeek(_ClientWeek):
    """One client's week at its own idle and miss cost, each attended pool at its price."""

    def __init__(
        self, full: TimetableModel, client: Any, seats: dict[int, int], prices: dict[int, int]
    ) -> None:
        self._prices = prices
        super().__init__(full, client, seats)

    def _attendance_cost(self, option: Attendance) -> int:
        return 0 if option.pool is None else self._prices.get(option.pool, 0)


def _price(
    tm: TimetableModel, client: Any, seats: dict[int, int], prices: dict[int, int]
) -> tuple[tuple[int, ...], float, float]:
    """The client's cheapest week: its pools, its own cost, and the proven least objective."""
    week = _PricedWeek(tm, client, seats, prices)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    solver.parameters.linearization_level = 2
    solver.parameters.cp_model_presolve = False
    code = solver.solve(week.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SystemExit(f"client {client.id}: no week of their own ({solver.status_name()})")
    pools = tuple(
        sorted(
            o.pool
            for o in week.vars.attendances[client.id]
            if o.pool is not None and solver.value(o.literal)
        )
    )
    own = (solver.objective_value - sum(prices.get(p, 0) for p in pools)) / SCALE
    return pools, own, solver.best_objective_bound / SCALE


def main(path: str, rounds: int = 100) -> None:
    """Run column generation on the instance at ``path`` and print each round."""
    inst = load_instance(path)
    tm = TimetableModel(build_candidates(inst))
    weights = inst.weights
    seats = {pv.pool.index: pv.most_attendees for pv in tm.vars.pools}
    by_signature: dict[tuple[object, ...], list[Any]] = defaultdict(list)
    for client in inst.clients:
        if tm.vars.attendances.get(client.id):
            by_signature[_signature(tm, client, seats)].append(client)
    reps = [group[0] for group in by_signature.values()]
    count = {group[0].id: len(group) for group in by_signature.values()}

    lp = pywraplp.Solver.CreateSolver("GLOP")
    objective = lp.Objective()
    objective.SetMinimization()
    # pool index -> (row, coefficient of one attendance in it)
    seat_rows: dict[int, list[tuple[Any, int]]] = {}
    leader_items: dict[str, list[tuple[Any, int, int, Any]]] = defaultdict(list)
    room_items: dict[str, list[tuple[Any, int, int, Any]]] = defaultdict(list)
    leader_minutes: dict[tuple[str, Any], list[tuple[int, Any]]] = defaultdict(list)
    for pv in tm.vars.pools:
        pool = pv.pool
        copies = lp.NumVar(0, lp.infinity(), "")
        objective.SetCoefficient(copies, weights.staff_minute * pool.duration)
        leaders = []
        for clinician in pv.leaders:
            leads = lp.NumVar(0, 1, "")
            leaders.append(leads)
            leader_items[clinician].append((pool.day, pool.start, pool.end, leads))
            leader_minutes[clinician, pool.day].append((pool.duration, leads))
        lp.Add(sum(leaders) == copies)
        overflow = lp.NumVar(0, lp.infinity(), "")
        objective.SetCoefficient(overflow, OVERFLOW_COST)
        individual = pv.stype.kind == "individual"
        size = lp.Constraint(-lp.infinity(), 0)  # attendees - copies x size - overflow <= 0
        size.SetCoefficient(copies, -(1 if individual else pv.most_attendees))
        size.SetCoefficient(overflow, -1)
        rows = [(size, 1)]
        if pv.rooms:
            hosted = []
            capacity = lp.Constraint(-lp.infinity(), 0)  # attendees - seats used - overflow
            capacity.SetCoefficient(overflow, -1)
            for room, room_seats in pv.room_seats.items():
                hosts = lp.NumVar(0, 1, "")
                hosted.append(hosts)
                capacity.SetCoefficient(hosts, -room_seats)
                room_items[room].append((pool.day, pool.start, pool.end, hosts))
            lp.Add(sum(hosted) == copies)
            rows.append((capacity, 1))
        if not individual and (pv.stype.size_min or 0) > 1:
            filled = lp.Constraint(-lp.infinity(), 0)  # copies x min size - attendees <= 0
            filled.SetCoefficient(copies, pv.stype.size_min)
            rows.append((filled, -1))
        seat_rows[pool.index] = rows
    for items in (*leader_items.values(), *room_items.values()):
        for clique in overlap_cliques(items):
            lp.Add(sum(clique) <= 1)
    for clinician in inst.clinicians:
        week = []
        for day in inst.days:
            terms = leader_minutes.get((clinician.id, day), [])
            week += terms
            if clinician.max_hours_per_day is not None and terms:
                day_limit = hours_to_minutes_floor(clinician.max_hours_per_day)
                lp.Add(sum(m * v for m, v in terms) <= day_limit)
        if clinician.max_hours_per_week is not None and week:
            week_limit = hours_to_minutes_floor(clinician.max_hours_per_week)
            lp.Add(sum(m * v for m, v in week) <= week_limit)
    convexity = {c.id: lp.Constraint(count[c.id], count[c.id]) for c in reps}
    columns: set[tuple[str, tuple[int, ...]]] = set()

    def add_column(client: Any, pools: tuple[int, ...], own: float) -> bool:
        if (client.id, pools) in columns:
            return False
        columns.add((client.id, pools))
        weight = lp.NumVar(0, lp.infinity(), "")
        objective.SetCoefficient(weight, own)
        convexity[client.id].SetCoefficient(weight, 1)
        for p in pools:
            for row, coefficient in seat_rows[p]:
                row.SetCoefficient(weight, coefficient)
        return True

    started = time.monotonic()
    # First columns: each client's week at the per-client bound's prices.
    share = {
        pv.pool.index: SCALE * weights.staff_minute * pv.pool.duration
        // (1 if pv.stype.kind == "individual" else pv.most_attendees)
        for pv in tm.vars.pools
    }
    for client in reps:
        pools, own, _ = _price(tm, client, seats, share)
        add_column(client, pools, own)
    best = 0.0
    for round_ in range(rounds):
        if lp.Solve() != pywraplp.Solver.OPTIMAL:
            raise SystemExit("master LP not solved")
        master = objective.Value()
        # Read every dual before adding a column: adding one invalidates them.
        prices = {}
        for p, rows in seat_rows.items():
            price = -sum(coefficient * row.dual_value() for row, coefficient in rows)
            if abs(price) > 1e-9:
                prices[p] = round(price * SCALE)
        sigma = {c.id: convexity[c.id].dual_value() for c in reps}
        reduced = 0.0
        added = 0
        for client in reps:
            pools, own, least = _price(tm, client, seats, prices)
            rc = least - sigma[client.id]
            reduced += min(0.0, rc) * count[client.id]
            if rc < -1e-6 and add_column(client, pools, own):
                added += 1
        best = max(best, master + reduced)
        print(
            f"round {round_}: master {master:,.1f}  bound {master + reduced:,.1f}  "
            f"best {best:,.1f}  columns {len(columns)} (+{added})  "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )
        if added == 0:
            print(f"converged: the pattern relaxation's LP value is {master:,.1f}")
            return


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
