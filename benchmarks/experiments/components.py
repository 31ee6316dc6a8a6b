"""Decomposition trial: solve each group of clients who could never share a session alone.

Clients who could never sit in one session (on the samples: the morning and the evening
clients) are tied only through leaders, rooms and the program-day discipline rule. Each
such group solved on its own, with every leader's and room's whole time and the program-day
rule relaxed to one discipline, is a relaxation of the clinic: the sum of the groups' bounds
is a bound on its week. And the union of the groups' weeks is a week of the clinic when it
keeps the leaders' hours and the program-day rule; the script checks it. Run from the
repository root:

    python benchmarks/experiments/components.py instances/small.json --time-limit 120

Measured (2026-11-28, this machine, 2 workers, the time split evenly between the groups
of 13 and 12 clients; every union valid):

| run | weeks (13 + 12 clients) | sum | bounds sum | whole model, same time |
|---|---|---:|---:|---:|
| 60 s, seed 0 | 3,120 + 3,030 | 6,150 | 4,861 | 6,210-6,390 (protocol seeds) |
| 120 s, seed 0 | 3,060 + 2,880 | 5,940 | 4,867 | 6,090 / 5,032 (one run) |
| 120 s, seed 1 | 3,060 + 2,970 | 6,030 | 4,785 | |

The weeks are as good as the whole model's at 60 s and 1-2% better at 120 s (one run
each, within the seeds' spread), and the bounds are worse: the sum of the halves' bounds
stays near the per-client bound, below what the whole model proves. Not kept.
"""

from __future__ import annotations

import argparse
import time

from iop_scheduler import api
from iop_scheduler.candidates import build_candidates
from iop_scheduler.domain import Client, Instance, Timetable
from iop_scheduler.io import load_instance


def client_groups(instance: Instance) -> list[list[Client]]:
    """The clients split into groups of whom no two in different groups share a pool."""
    parent = {c.id: c.id for c in instance.clients}

    def root(client_id: str) -> str:
        while parent[client_id] != client_id:
            parent[client_id] = parent[parent[client_id]]
            client_id = parent[client_id]
        return client_id

    for pool in build_candidates(instance).pools:
        for other in pool.clients[1:]:
            a, b = root(pool.clients[0]), root(other)
            if a != b:
                parent[a] = b
    groups: dict[str, list[Client]] = {}
    for client in instance.clients:
        groups.setdefault(root(client.id), []).append(client)
    return list(groups.values())


def main() -> None:
    """Solve each group alone, add up weeks and bounds, check the union on the clinic."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds in all")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    instance = load_instance(args.instance)
    if instance.fixed_sessions:
        raise SystemExit("a clinic with booked sessions: not handled by this trial")
    groups = client_groups(instance)
    print("groups of clients:", [len(g) for g in groups])
    relaxed_rules = instance.rules.model_copy(update={"min_disciplines_per_day": 1})
    penalty = bound = 0
    sessions = []
    for group in groups:
        part = instance.model_copy(update={"clients": group, "rules": relaxed_rules})
        started = time.monotonic()
        result = api.solve(
            part, time_limit=args.time_limit / len(groups), workers=2, seed=args.seed
        )
        print(
            f"  {len(group)} clients: {result.status.value}, penalty {result.penalty}, "
            f"bound {result.bound} ({time.monotonic() - started:.0f} s)"
        )
        if not result.status.has_timetable:
            return
        penalty += result.penalty or 0
        bound += result.bound or 0
        sessions += result.timetable.sessions
    print(f"sum: penalty {penalty:,}, bound {bound:,}")
    union = Timetable(
        instance=instance.name,
        status="feasible",
        penalty=penalty,
        sessions=[s.model_copy(update={"id": f"s{i + 1}"}) for i, s in enumerate(sessions)],
    )
    print(f"broken rules of the union on the clinic: {len(api.validate(instance, union))}")


if __name__ == "__main__":
    main()
