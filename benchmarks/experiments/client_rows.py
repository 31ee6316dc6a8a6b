"""Each client's least own cost stated as a row of the model: a trial, not kept.

The per-client bound (cpsat/client_bound.py) is reported, not stated: stated as one row
`penalty >= sum`, it froze CP-SAT's bound at that sum on the small sample. This trial
states it disaggregated instead, one valid row per client:

    sum of the client's staff shares + idle weight x idle + miss weight x misses
        >= that client's least own cost

(the share and the least cost as in client_bound.py, scaled by its SCALE), so that the
LP reaches the per-client bound by itself and branching might raise it further. Measured
on the small sample, 60 s, 2 workers: the bound fell (seed 0: 4,698 -> 3,930; seed 1:
4,704 -> 3,974) and the weeks were no better (benchmarks/README.md, "Trials not kept").
Run from the repository root:

    python benchmarks/experiments/client_rows.py instances/small.json --rows --seed 0
    python benchmarks/experiments/client_rows.py instances/small.json --seed 0
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ortools.sat.python import cp_model

from iop_scheduler.candidates import build_candidates
from iop_scheduler.cpsat.client_bound import SCALE, _ClientWeek, staff_share
from iop_scheduler.cpsat.model import TimetableModel, preference_missed
from iop_scheduler.cpsat.solve import SEARCH_PARAMETERS, apply_parameters, configure_portfolio
from iop_scheduler.greedy import solve_greedy
from iop_scheduler.io import load_instance
from iop_scheduler.options import SolveOptions


def main() -> None:
    """Solve with or without the per-client rows; print the penalty and bound found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance")
    parser.add_argument("--rows", action="store_true", help="state the per-client rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    started = time.monotonic()
    instance = load_instance(args.instance)
    tm = TimetableModel(build_candidates(instance))
    seats = {pv.pool.index: pv.most_attendees for pv in tm.vars.pools}
    weights = instance.weights
    least_total = 0
    rows: list[tuple[list[tuple[int, int]], int]] = []  # (coefficient, variable index), least
    for client in instance.clients:
        if not tm.vars.attendances.get(client.id):
            continue
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.linearization_level = 2
        solver.parameters.cp_model_presolve = False
        solver.parameters.max_time_in_seconds = 2.0
        solver.solve(_ClientWeek(tm, client, seats).model)
        least = max(0, int(solver.best_objective_bound + 1e-6))  # SCALE x a valid bound
        least_total += least
        if not args.rows or least == 0:
            continue
        terms: list[tuple[int, int]] = []
        for option in tm.vars.attendances[client.id]:
            individual = instance.type_by_id[option.type_id].kind == "individual"
            cost = staff_share(option, seats, weights.staff_minute, individual)
            if preference_missed(
                client.preferred_days, client.preferred_window, option.day, option.start, option.end
            ):
                cost += SCALE * weights.preference_miss
            if cost:
                terms.append((cost, option.literal.index))
        for (client_id, _), day in tm.vars.client_days.items():
            if client_id == client.id and day.idle is not None:
                terms.append((SCALE * weights.client_idle_minute, day.idle.index))
        expression: Any = sum(c * tm.model.get_int_var_from_proto_index(i) for c, i in terms)
        tm.model.add(expression >= least)
        rows.append((terms, least))
    print(f"per-client sum {least_total / SCALE:,.1f}, rows stated {len(rows)}")

    greedy = solve_greedy(instance, SolveOptions())
    tm.add_hint(greedy.timetable, complete_seconds=10)
    # Each row must hold for every valid week: check it on the greedy week (completed).
    hint = tm.model.proto.solution_hint
    value = dict(zip(hint.vars, hint.values, strict=True))
    broken = sum(1 for terms, least in rows if sum(c * value[i] for c, i in terms) < least)
    print(f"rows the greedy week breaks: {broken}")
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.1, args.time_limit - (time.monotonic() - started))
    configure_portfolio(params, 2)
    apply_parameters(params, SEARCH_PARAMETERS)
    params.random_seed = args.seed
    code = solver.solve(tm.model)
    print(
        f"rows={args.rows} seed={args.seed}: {solver.status_name(code)} "
        f"penalty {solver.objective_value:,.0f} bound {solver.best_objective_bound:,.0f}"
    )


if __name__ == "__main__":
    main()
