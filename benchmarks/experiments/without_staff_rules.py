"""The model without the rules that tie pools together through staff and rooms (issue 4).

Drops the leaders' no-overlap, hours and discipline rules and the rooms' no-overlap: the
pools keep their copy counts, sizes and seats, the clients every rule of their own. This
is a relaxation of the full model, so what CP-SAT proves for it is a bound on the full
model, and a smaller model might let the search prove more. Then, as a two-stage
decomposition, the full model is solved with its clients' attendances and copy counts
fixed to the relaxation's week: if leaders and rooms can be found, that is a valid week.
Run from the repository root:

    python benchmarks/experiments/without_staff_rules.py instances/small.json --time-limit 60

Measured (2026-11-28, this machine, 60 s, 2 workers), relaxation's week / bound, then
stage two:

| instance | relaxation | full model (protocol) | stage two |
|---|---:|---:|---|
| small | 6,030 and 6,360 / 4,996 (two runs) | 6,330-6,510 / about 5,000 | infeasible |
| ladder-medium | 12,540 / 7,320 | 9,780-10,140 / 7,488 | infeasible |

Dropping the staff rules lets the search prove no more, and the copy counts chosen
without leaders and rooms cannot be staffed.
"""

from __future__ import annotations

import argparse
import time

from ortools.sat.python import cp_model

from iop_scheduler.candidates import build_candidates
from iop_scheduler.cpsat.model import TimetableModel
from iop_scheduler.cpsat.solve import SEARCH_PARAMETERS, apply_parameters, configure_portfolio
from iop_scheduler.io import load_instance


class WithoutStaffRules(TimetableModel):
    """Pools and clients only: no rule couples two pools through a leader or a room."""

    def add_constraints(self) -> None:
        """The pool and client families of `TimetableModel.add_constraints`, nothing else."""
        self._pool_sizes()
        self._fixed_sessions()
        self._no_overlap_clients()
        self._client_days()
        self._client_weeks()


def main() -> None:
    """Solve the relaxation, print its week and bound, then try to staff its week."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--stage-two", type=float, default=30.0, help="seconds to staff it")
    args = parser.parse_args()
    started = time.monotonic()
    candidates = build_candidates(load_instance(args.instance))
    relaxed = WithoutStaffRules(candidates)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = args.time_limit
    configure_portfolio(solver.parameters, 2)
    apply_parameters(solver.parameters, SEARCH_PARAMETERS)
    code = solver.solve(relaxed.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SystemExit(f"relaxation: {solver.status_name(code)}")
    print(
        f"relaxation: {solver.status_name(code)} {solver.objective_value:,.0f}, bound "
        f"{solver.best_objective_bound:,.0f} ({time.monotonic() - started:.0f} s)"
    )
    full = TimetableModel(candidates)
    for loose, whole in zip(relaxed.vars.pools, full.vars.pools, strict=True):
        full.model.add(whole.copies() == sum(solver.value(v) for v in loose.leaders.values()))
        for client, literal in whole.clients.items():
            full.model.add(literal == solver.value(loose.clients[client]))
    staffing = cp_model.CpSolver()
    staffing.parameters.max_time_in_seconds = args.stage_two
    staffing.parameters.num_workers = 2
    code = staffing.solve(full.model)
    found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    print(
        f"stage two: {staffing.status_name(code)}"
        + (f" {staffing.objective_value:,.0f}" if found else "")
    )


if __name__ == "__main__":
    main()
