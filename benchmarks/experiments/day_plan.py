"""Decomposition trial: choose each client's days first, so that half-days fill whole copies.

In a 60 s week of ladder-medium the evening half-days hold 11-14 clients and the mornings
23-27, so some hours run a second, part-full copy (12 seats a group, 16 a course). This
trial plans the days first: a small CP-SAT model picks each client's days (as many as
`min_days_per_client_week`, among their available ones, with a day for each required
individual session) to minimise the copies each half-day needs, ``ceil(n / 12)`` group
copies for ``--group-slots`` hours and ``ceil(n / 16)`` course copies for
``--course-slots`` hours, plus the misses of preferred days. Then the full model solves
the week with every client's availability cut to the chosen days (a restriction, so its
week is valid for the clinic; the script checks it), and with ``--then-full`` the
unrestricted model goes on from that week. Run from the repository root:

    python benchmarks/experiments/day_plan.py instances/ladder/medium.json --time-limit 75 --plan 20

Measured (2026-11-28, this machine, 2 workers; the default search in the same session:
9,840 at 60 s, protocol median 9,810):

| run | planned half-days (mornings / evenings) | penalty |
|---|---|---:|
| plan 5 s, restricted 55 s | 12-34 / 11-16 | 9,900 |
| plan 20 s, restricted 55 s | 21-24 / 12-15 | 10,050 |
| same, seed 1 | 22-24 / 11-16 | 9,990 |
| plan 20 s, restricted 35 s, full 25 s | 21-24 / 11-16 | 10,680, then 9,840 at 80 s |
| plan 10 s, restricted 40 s, full 30 s | 23-24 / 11-16 | 10,320, then 9,840 at 80 s |

Half-days of nearly whole copies do not make better weeks: within a day the hours, the
90-minute process group, courses of 16 beside groups of 12, individual sessions and the
leaders decide how full the copies run, and the restricted model is no easier to search.
Not kept.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict

from ortools.sat.python import cp_model

from iop_scheduler import api
from iop_scheduler.candidates import Candidates, build_candidates
from iop_scheduler.domain import Instance
from iop_scheduler.io import load_instance
from iop_scheduler.times import Day


def plan_days(
    instance: Instance, cands: Candidates, args: argparse.Namespace
) -> dict[str, list[Day]]:
    """Each client's days, chosen so that every half-day needs few, full copies."""
    model = cp_model.CpModel()
    pools_of = cands.pools_of_client()
    kinds = {t.id: t.kind for t in instance.session_types}
    midday = (instance.open + instance.close) / 2
    attends: dict[tuple[str, Day], cp_model.IntVar] = {}
    half_of: dict[tuple[str, Day], str] = {}
    for client in instance.clients:
        windows = {d: w for d, w in cands.client_windows.get(client.id, {}).items() if w}
        for day, spans in windows.items():
            attends[client.id, day] = model.new_bool_var(f"x_{client.id}_{day}")
            middle = (spans[0][0] + spans[-1][1]) / 2
            half_of[client.id, day] = "am" if middle < midday else "pm"
        mine = [attends[client.id, d] for d in windows]
        model.add(sum(mine) == min(instance.rules.min_days_per_client_week, len(mine)))
        for type_id, count in client.requires.items():
            if count and kinds[type_id] == "individual":
                days = {p.day for p in pools_of[client.id] if p.type_id == type_id}
                model.add(sum(attends[client.id, d] for d in days if d in windows) >= 1)
    halves: dict[tuple[Day, str], list[cp_model.IntVar]] = defaultdict(list)
    for key, var in attends.items():
        halves[key[1], half_of[key]].append(var)
    cost = []
    for (day, half), present in halves.items():
        groups = model.new_int_var(0, math.ceil(len(present) / 12), f"g_{day}_{half}")
        courses = model.new_int_var(0, math.ceil(len(present) / 16), f"k_{day}_{half}")
        model.add(12 * groups >= sum(present))
        model.add(16 * courses >= sum(present))
        cost.append(60 * (args.group_slots * groups + args.course_slots * courses))
    miss = instance.weights.preference_miss * args.sessions_per_day
    for (client_id, day), var in attends.items():
        preferred = instance.client_by_id[client_id].preferred_days
        if preferred and day not in preferred:
            cost.append(miss * var)
    model.minimize(sum(cost))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = args.plan
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = args.seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SystemExit(f"no day plan in {args.plan} s: {solver.status_name(status)}")
    counts: dict[tuple[Day, str], int] = defaultdict(int)
    chosen: dict[str, list[Day]] = defaultdict(list)
    for key, var in attends.items():
        if solver.value(var):
            chosen[key[0]].append(key[1])
            counts[key[1], half_of[key]] += 1
    print(f"day plan: {solver.status_name(status)}, copy cost {solver.objective_value:,.0f}")
    for half in ("am", "pm"):
        row = [f"{day} {counts[day, half]}" for day in instance.days if (day, half) in counts]
        if row:
            print(f"  {half}: {', '.join(row)}")
    return chosen


def restricted(instance: Instance, chosen: dict[str, list[Day]]) -> Instance:
    """The clinic with each client available on their chosen days only."""
    clients = []
    for client in instance.clients:
        days = set(chosen[client.id])
        availability = client.availability
        if availability is None:  # always available: within program hours on those days
            availability = {d: [(instance.open, instance.close)] for d in instance.days}
        kept = {d: w for d, w in availability.items() if d in days}
        clients.append(client.model_copy(update={"availability": kept}))
    return instance.model_copy(update={"clients": clients})


def main() -> None:
    """Plan the days, solve the restricted week, check it, optionally go on unrestricted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds in all")
    parser.add_argument("--plan", type=float, default=10.0, help="seconds for the day plan")
    parser.add_argument("--then-full", type=float, default=0.0,
                        help="seconds of the unrestricted model at the end")  # fmt: skip
    parser.add_argument("--group-slots", type=int, default=2)
    parser.add_argument("--course-slots", type=int, default=1)
    parser.add_argument("--sessions-per-day", type=int, default=3,
                        help="misses counted for a day outside the preferred days")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.monotonic()
    instance = load_instance(args.instance)
    chosen = plan_days(instance, build_candidates(instance), args)
    left = args.time_limit - (time.monotonic() - started) - args.then_full
    result = api.solve(restricted(instance, chosen), time_limit=left, workers=2, seed=args.seed)
    elapsed = time.monotonic() - started
    print(f"restricted week: {result.status.value}, penalty {result.penalty:,} at {elapsed:.1f} s")
    if not result.status.has_timetable:
        return
    broken = api.validate(instance, result.timetable)
    print(f"broken rules on the clinic: {len(broken)}")
    if args.then_full and not broken:
        full = api.solve(instance, time_limit=args.then_full, workers=2, seed=args.seed,
                         hint=result.timetable)  # fmt: skip
        elapsed = time.monotonic() - started
        print(f"unrestricted from it: penalty {full.penalty:,} at {elapsed:.1f} s")


if __name__ == "__main__":
    main()
