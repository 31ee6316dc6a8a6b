"""The per-client bound beside the greedy week, as `solve` runs them, with or without its give-up.

`solve` builds the greedy week while the per-client bound (cpsat/client_bound.py) solves
each client's week on other threads, within a share of the time limit; after eight
client weeks the bound gives up when its pace cannot reach the last one in time. This
runs the two the same way and prints when each ends and what the bound proved, so that
the give-up can be judged. Run from the repository root:

    python benchmarks/experiments/bound_beside_greedy.py instances/ladder/xlarge.json --share 18
    python benchmarks/experiments/bound_beside_greedy.py instances/ladder/xlarge.json \\
        --share 18 --no-give-up

Measured 2026-11-28 on this machine (benchmarks/README, "Latest results"): with the
give-up it stopped after 9 of 297 client weeks (0.95 s) and the greedy week took 8.6 s;
without it, 266 client weeks in the 18 s, the greedy week 18.8 s, and a partial bound of
33,804, below the 34,710 CP-SAT proves at 120 s.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from iop_scheduler.candidates import build_candidates
from iop_scheduler.cpsat import client_bound as bound_module
from iop_scheduler.cpsat.model import TimetableModel
from iop_scheduler.greedy import solve_greedy
from iop_scheduler.io import load_instance
from iop_scheduler.options import SolveOptions


def main() -> None:
    """Run the bound beside the greedy week and print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance")
    parser.add_argument("--share", type=float, default=18.0, help="seconds for the bound")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-give-up", action="store_true", help="never give up on pace")
    args = parser.parse_args()
    if args.no_give_up:
        bound_module.PACE_SAMPLE = 10**9  # the pace is never judged
    instance = load_instance(args.instance)
    started = time.monotonic()
    tm = TimetableModel(build_candidates(instance))
    built = time.monotonic() - started
    print(f"model built in {built:.1f} s")
    with ThreadPoolExecutor(max_workers=1) as background:
        pending = background.submit(
            bound_module.client_bound,
            tm,
            deadline=time.monotonic() + args.share,
            workers=args.workers,
        )
        greedy = solve_greedy(instance, SolveOptions(time_limit=600))
        print(
            f"greedy week: {greedy.status.value}, penalty {greedy.penalty}, "
            f"{time.monotonic() - started - built:.1f} s"
        )
        result = pending.result()
    print(
        f"per-client bound: {result.penalty:,} after {result.seconds:.1f} s, "
        f"{result.solved} client weeks solved for {result.clients} clients, "
        f"{'complete' if result.complete else 'cut short'}"
    )


if __name__ == "__main__":
    main()
