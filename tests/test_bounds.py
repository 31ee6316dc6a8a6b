"""The lower bounds the model states on its objective terms, where they bind."""

from __future__ import annotations

from pathlib import Path

from iop_scheduler import load_instance
from iop_scheduler.candidates import build_candidates
from iop_scheduler.cpsat.model import (
    TimetableModel,
    fewest_sessions_in_a_day,
    objective_lower_bounds,
)
from iop_scheduler.cpsat.variables import Attendance

SMALL = Path(__file__).resolve().parents[1] / "instances" / "small.json"


def options(*types: tuple[str, int]) -> list[Attendance]:
    """A day's attendance options: (type, minutes), each at 9:00."""
    return [
        Attendance("c1", type_id, "mon", 540, 540 + minutes, None, True, None)  # type: ignore[arg-type]
        for type_id, minutes in types
    ]


def test_three_hours_take_three_sessions_when_only_one_type_lasts_90_minutes():
    day = options(("process", 90), ("cbt", 60), ("dbt", 60), ("med", 30))
    assert fewest_sessions_in_a_day(day, 180, 2, 1) == 3
    # Two of the same type a day: 90 + 90.
    assert fewest_sessions_in_a_day(day, 180, 2, 2) == 2
    # The group minimum can be the larger one.
    assert fewest_sessions_in_a_day(day, 60, 2, 1) == 2
    # A day attended has a session even with no minimums.
    assert fewest_sessions_in_a_day(day, 0, 0, 1) == 1


def test_extra_days_outside_the_preferred_ones_cost_their_fewest_sessions():
    # small.json: c05, c13 and c21 prefer two days and must come three; c17 and c25 prefer
    # a day they are not available on. Each such extra day takes 3 h, which is three
    # sessions (one 90-minute type, the rest 60 or less): 5 days x 3 misses.
    model = TimetableModel(build_candidates(load_instance(SMALL)))
    _, misses = objective_lower_bounds(model)
    assert misses == 15
    assert model.miss_lower_bound == 15
