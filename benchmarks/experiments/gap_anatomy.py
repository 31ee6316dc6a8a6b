"""Split a timetable's penalty into what the LP bound can and cannot see (issue 4).

The LP relaxation charges a group copy for a fraction of itself: attendees / seats. This
prints, for a solved week, its staff minutes as run and as the relaxation would charge the
same attendances, next to the seat-demand lower bounds the model states. Run from the
repository root:

    iop-scheduler solve instances/ladder/medium.json --time-limit 60 --workers 2 -o week.json
    python benchmarks/experiments/gap_anatomy.py instances/ladder/medium.json week.json
"""

from __future__ import annotations

import sys

from iop_scheduler.candidates import build_candidates
from iop_scheduler.cpsat.model import TimetableModel
from iop_scheduler.io import load_instance, load_timetable
from iop_scheduler.scoring import penalty_terms


def main(instance_path: str, timetable_path: str) -> None:
    """Print the penalty, its staff minutes as run and as the LP charges them."""
    instance = load_instance(instance_path)
    timetable = load_timetable(timetable_path)
    sessions = timetable.sessions
    terms = penalty_terms(instance, sessions)
    # Charge each copy by the seats of its pool, as the model's LP does; a booked (fixed)
    # session has no pool and is charged whole.
    model = TimetableModel(build_candidates(instance))
    pool_of = {(pv.pool.type_id, pv.pool.day, pv.pool.start): pv for pv in model.vars.pools}
    fractional = 0.0
    for s in sessions:
        minutes = s.end - s.start
        pv = pool_of.get((s.type, s.day, s.start))
        if pv is None or pv.stype.kind == "individual":
            fractional += minutes
        else:
            fractional += minutes * len(s.clients) / pv.most_seats
    staff_bound, miss_bound = model.staff_lower_bound, model.miss_lower_bound
    w = instance.weights
    others = sum(t.cost for name, t in terms.items() if name != "staff_minute")
    print(f"penalty                                  {sum(t.cost for t in terms.values()):>8,}")
    print(f"  staff minutes as run                   {terms['staff_minute'].amount:>8,}")
    print(f"  staff minutes, copies charged fraction {fractional:>8,.0f}")
    print(f"  idle and preference costs              {others:>8,}")
    print(
        f"stated bounds: staff {staff_bound:,}, preference misses {miss_bound} "
        f"(cost {staff_bound * w.staff_minute + miss_bound * w.preference_miss:,})"
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
