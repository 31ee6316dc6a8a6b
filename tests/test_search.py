"""The two-phase search: once the bound stalls, local search takes over every worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import check_timetable
from iop_scheduler import load_instance
from iop_scheduler.api import solve_with
from iop_scheduler.candidates import build_candidates
from iop_scheduler.cpsat import solve as cpsat_solve
from iop_scheduler.cpsat.model import TimetableModel
from iop_scheduler.options import ModelSettings, SolveOptions

TINY = Path(__file__).resolve().parents[1] / "instances" / "tiny.json"


def searches(lns_after_bound: bool, workers: int = 2) -> tuple[list[str], object]:
    """Solve tiny for 8 s with the search log captured; the log lines and the result."""
    lines: list[str] = []
    options = SolveOptions(
        time_limit=8,
        workers=workers,
        log=True,
        log_callback=lines.append,
        model=ModelSettings(lns_after_bound=lns_after_bound),
    )
    week = load_instance(TINY)
    result = solve_with(week, options)
    assert result.status.has_timetable
    assert result.penalty == check_timetable(week, result.timetable)
    assert result.bound is not None and result.bound <= result.penalty
    return lines, result


@pytest.fixture
def impatient(monkeypatch):
    """A bound that has not moved for half a second counts as stalled."""
    monkeypatch.setattr(cpsat_solve, "BOUND_STALL_MIN_SECONDS", 0.5)
    monkeypatch.setattr(cpsat_solve, "BOUND_STALL_SHARE", 0.0)
    monkeypatch.setattr(cpsat_solve, "BOUND_PHASE_MIN_SHARE", 0.0)


@pytest.fixture
def any_size(monkeypatch):
    """Two phases even on the tiny week (by default only large models get them)."""
    monkeypatch.setattr(cpsat_solve, "LNS_PHASE_MIN_VARIABLES", 0)


def test_local_search_takes_over_once_the_bound_stalls(impatient, any_size):
    lines, result = searches(lns_after_bound=True)
    starts = [line for line in lines if line.startswith("Starting CP-SAT solver")]
    assert len(starts) == 2, "the local-search phase did not start"
    assert any("use_lns_only: true" in line for line in lines)
    # It starts from the first phase's best week, so it can only improve on it.
    second = lines[lines.index(starts[1]) :]
    assert any("The solution hint is complete and is feasible" in line for line in second)
    # The bound the first phase proved is kept, not the second phase's trivial one.
    assert result.bound > 0


def test_one_phase_when_switched_off(impatient, any_size):
    lines, _ = searches(lns_after_bound=False)
    assert sum(line.startswith("Starting CP-SAT solver") for line in lines) == 1


def test_one_phase_on_small_models(impatient):
    """The tiny week's model is far below the size where the bound search stalls."""
    lines, _ = searches(lns_after_bound=True)
    assert sum(line.startswith("Starting CP-SAT solver") for line in lines) == 1


def test_one_worker_gets_two_phases_whatever_the_size():
    """Alone, the max-LP worker leaves the local search no thread: it switches at 30%."""
    lines, result = searches(lns_after_bound=True, workers=1)
    starts = [line for line in lines if line.startswith("Starting CP-SAT solver")]
    assert len(starts) == 2, "the local-search phase did not start"
    second = lines[lines.index(starts[1]) :]
    assert any("use_lns_only: true" in line for line in second)
    assert result.bound > 0  # the bound phase's


def test_one_worker_keeps_one_phase_when_switched_off():
    lines, _ = searches(lns_after_bound=False, workers=1)
    assert sum(line.startswith("Starting CP-SAT solver") for line in lines) == 1


def stated_calls(monkeypatch) -> list[bool]:
    """Record each call of `TimetableModel.state_objective_bounds`."""
    calls: list[bool] = []
    original = TimetableModel.state_objective_bounds

    def spy(self):
        calls.append(True)
        original(self)

    monkeypatch.setattr(TimetableModel, "state_objective_bounds", spy)
    return calls


def test_seat_demand_bounds_are_stated_only_for_one_phase(monkeypatch, impatient):
    """Stated, they help the max-LP worker's branching; with two phases they slow the
    local search (benchmarks/stated_bounds.toml), so there they are only reported."""
    calls = stated_calls(monkeypatch)
    searches(lns_after_bound=True)  # the tiny week: one phase
    assert calls == [True]
    calls.clear()
    monkeypatch.setattr(cpsat_solve, "LNS_PHASE_MIN_VARIABLES", 0)
    searches(lns_after_bound=True)
    assert calls == []


def test_unstated_seat_demand_bounds_are_still_reported(impatient, any_size):
    week = load_instance(TINY)
    floor = TimetableModel(build_candidates(week)).seat_demand_floor
    assert floor > 0
    options = SolveOptions(
        time_limit=4, workers=1, model=ModelSettings(client_bound=False, lns_after_bound=True)
    )
    result = solve_with(week, options)
    bounds = [p.bound for p in result.history if p.bound is not None]
    assert bounds and min(bounds) >= floor
    assert result.bound is not None and result.bound >= floor
