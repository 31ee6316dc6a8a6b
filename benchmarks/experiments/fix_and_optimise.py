"""Fix-and-optimise by days and half-days after a bound phase: a decomposition trial.

Not used by the solver: measured against CP-SAT's own local search it found worse weeks
(benchmarks/README.md, "Where the gap lies"). Kept so that the figures can be reproduced.
The first phase is the default search; then, until the time limit, a neighbourhood of
days (and, for several days, one half of the day) is freed, every other pool's leader,
room and attendance literals are fixed to the best week's values, and a copy of the model
is solved from the best week for a few seconds. Run from the repository root:

    python benchmarks/experiments/fix_and_optimise.py instances/ladder/medium.json \
        --time-limit 60 --first-phase 20 --sub-seconds 4 --days 1,2,2,3
"""

from __future__ import annotations

import argparse
import random
import time

from ortools.sat.python import cp_model

from iop_scheduler.candidates import build_candidates
from iop_scheduler.cpsat.model import TimetableModel
from iop_scheduler.cpsat.solve import SEARCH_PARAMETERS, apply_parameters, configure_portfolio
from iop_scheduler.greedy import solve_greedy
from iop_scheduler.io import load_instance
from iop_scheduler.options import SolveOptions

NOON = 13 * 60  # morning and evening cohorts split here on the ladder clinics


def main() -> None:
    """Run the trial and print the best penalty after each round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--first-phase", type=float, default=20.0)
    parser.add_argument("--sub-seconds", type=float, default=4.0)
    parser.add_argument("--days", default="1,2,2,3", help="sizes of neighbourhoods, drawn")
    parser.add_argument("--one-half", action="store_true", help="free one half-day only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.monotonic()

    def elapsed() -> float:
        return time.monotonic() - started

    instance = load_instance(args.instance)
    tm = TimetableModel(build_candidates(instance))
    greedy = solve_greedy(instance, SolveOptions())
    tm.add_hint(greedy.timetable, complete_seconds=10)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = args.first_phase - elapsed()
    configure_portfolio(solver.parameters, 2)
    apply_parameters(solver.parameters, SEARCH_PARAMETERS)
    solver.parameters.random_seed = args.seed
    solver.solve(tm.model)
    best = list(solver.response_proto.solution)
    best_penalty = solver.objective_value
    print(
        f"{elapsed():6.1f} s  first phase {best_penalty:,.0f}, bound "
        f"{solver.best_objective_bound:,.0f}"
    )

    rng = random.Random(args.seed)
    sizes = [int(k) for k in args.days.split(",")]
    days = sorted({pv.pool.day for pv in tm.vars.pools})
    rounds = 0
    while elapsed() < args.time_limit - 0.5:
        rounds += 1
        size = rng.choice(sizes)
        free_days = set(rng.sample(days, size))
        halves = {rng.choice(["am", "pm"])} if size > 1 or args.one_half else {"am", "pm"}
        tm.set_hint(dict(enumerate(best)))  # the clone below starts from the best week
        sub = tm.model.clone()
        for pv in tm.vars.pools:
            half = "am" if pv.pool.start < NOON else "pm"
            if pv.pool.day in free_days and half in halves:
                continue
            for literal in [*pv.leaders.values(), *pv.rooms.values(), *pv.clients.values()]:
                domain = sub.proto.variables[literal.index].domain
                domain.clear()
                domain.extend([best[literal.index]] * 2)
        sub_solver = cp_model.CpSolver()
        sub_solver.parameters.num_workers = 2
        sub_solver.parameters.max_time_in_seconds = min(
            args.sub_seconds, args.time_limit - elapsed()
        )
        sub_solver.parameters.random_seed = args.seed + rounds
        code = sub_solver.solve(sub)
        found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        if found and sub_solver.objective_value < best_penalty:
            best_penalty = sub_solver.objective_value
            best = list(sub_solver.response_proto.solution)
        print(
            f"{elapsed():6.1f} s  free {'+'.join(sorted(free_days))} {'+'.join(sorted(halves))}: "
            f"{sub_solver.status_name(code)}, best {best_penalty:,.0f}"
        )
    print(f"final penalty {best_penalty:,.0f}")


if __name__ == "__main__":
    main()
