"""Fix-and-optimise by days, half-days or clients after a bound phase: a decomposition trial.

Not used by the solver: measured against CP-SAT's own local search it found worse weeks
(benchmarks/README.md, "Where the gap lies"). Kept so that the figures can be reproduced.
The first phase is the default search; then, until the time limit, a neighbourhood of
days (and, for several days, one half of the day) is freed, every other pool's leader,
room and attendance literals are fixed to the best week's values, and a copy of the model
is solved from the best week for a few seconds. With ``--clients K`` the neighbourhood is
instead one half-day, drawn by the seat-minutes its group copies leave empty: its pools'
leaders and rooms, and the attendances there of K of its clients, drawn by the empty
seats of the copies they sit in, so that part-full copies can be merged. Run from the
repository root:

    python benchmarks/experiments/fix_and_optimise.py instances/ladder/medium.json \
        --time-limit 60 --first-phase 20 --sub-seconds 4 --days 1,2,2,3
    python benchmarks/experiments/fix_and_optimise.py instances/ladder/medium.json \
        --time-limit 60 --first-phase 20 --sub-seconds 1 --clients 6
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict

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
    parser.add_argument("--clients", type=int, default=0, help="free K clients of a half-day")
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
        tm.set_hint(dict(enumerate(best)))  # the clone below starts from the best week
        sub = tm.model.clone()

        if args.clients:
            free_days, halves, chosen = _client_neighbourhood(tm, best, rng, args.clients)
            label = f"{len(chosen)} clients of"
        else:
            size = rng.choice(sizes)
            free_days = set(rng.sample(days, size))
            halves = {rng.choice(["am", "pm"])} if size > 1 or args.one_half else {"am", "pm"}
            chosen, label = None, "free"
        fixed = []
        for pv in tm.vars.pools:
            half = "am" if pv.pool.start < NOON else "pm"
            free = pv.pool.day in free_days and half in halves
            if not free:
                fixed += [*pv.leaders.values(), *pv.rooms.values()]
            for client, literal in pv.clients.items():
                if not free or (chosen is not None and client not in chosen):
                    fixed.append(literal)
        for literal in fixed:
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
            f"{elapsed():6.1f} s  {label} {'+'.join(sorted(free_days))} "
            f"{'+'.join(sorted(halves))}: "
            f"{sub_solver.status_name(code)}, best {best_penalty:,.0f}"
        )
    print(f"final penalty {best_penalty:,.0f}")


def _client_neighbourhood(
    tm: TimetableModel, best: list[int], rng: random.Random, count: int
) -> tuple[set[str], set[str], set[str]]:
    """A half-day drawn by its empty group seat-minutes, and clients of its part-full copies."""
    empty: dict[tuple[str, str], int] = defaultdict(int)
    weight: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pv in tm.vars.pools:
        if pv.stype.kind == "individual":
            continue
        half_day = (pv.pool.day, "am" if pv.pool.start < NOON else "pm")
        copies = sum(best[literal.index] for literal in pv.leaders.values())
        attendees = [c for c, literal in pv.clients.items() if best[literal.index]]
        seats_left = copies * pv.most_attendees - len(attendees)
        empty[half_day] += max(0, seats_left) * pv.pool.duration
        for client in attendees:
            weight[half_day][client] += 1 + max(0, seats_left)
    half_days = sorted(weight)
    day, half = rng.choices(half_days, weights=[empty[h] + 1 for h in half_days])[0]
    clients = weight[day, half]
    chosen: set[str] = set()
    while len(chosen) < min(count, len(clients)):
        chosen.add(rng.choices(list(clients), weights=list(clients.values()))[0])
    return {day}, {half}, chosen


if __name__ == "__main__":
    main()
