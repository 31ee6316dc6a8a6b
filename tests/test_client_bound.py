"""The per-client bound (cpsat/client_bound.py): what it charges, and that it holds.

It charges each client a whole individual session, a group or course copy's minutes over the
most clients who could share the copy, their idle minutes and their preference misses, all
under that client's own rules. Each tiny week below is one where that charge is exact, so
the bound meets the optimum; the samples check it against the other stated bounds, and the
property test of test_properties.py against every valid week found.
"""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

import iop_scheduler.greedy as greedy
from helpers import base_instance, check_timetable, client, solve_checked
from iop_scheduler import Status, solve
from iop_scheduler.candidates import build_candidates
from iop_scheduler.cpsat import client_bound as module
from iop_scheduler.cpsat.client_bound import (
    ClientBound,
    WeekReady,
    client_bound,
    client_bound_holds,
)
from iop_scheduler.cpsat.model import TimetableModel
from iop_scheduler.io import load_instance
from iop_scheduler.options import ModelSettings

SAMPLES = Path(__file__).resolve().parents[1] / "instances"


def bound_of(instance, **kwargs) -> ClientBound:
    model = TimetableModel(build_candidates(instance), **kwargs)
    return client_bound(model, deadline=time.monotonic() + 10, workers=2)


def assert_bound_is_the_optimum(instance, expected: int) -> None:
    found = bound_of(instance)
    assert found.penalty == expected
    assert found.proven == found.clients == len(instance.clients)
    result = solve_checked(instance, time_limit=5)
    assert result.status is Status.OPTIMAL
    assert result.penalty == expected and result.bound == expected


def test_clients_who_could_share_a_group_split_its_minutes():
    # The group seats 4 and two clients could come: 30 minutes each, one 60-minute group.
    two = [client("c1", requires={"grp": 1}), client("c2", requires={"grp": 1})]
    assert_bound_is_the_optimum(base_instance(clients=two), 60)


def test_a_client_alone_pays_a_whole_group_and_a_whole_individual_session():
    # Seats do not matter when nobody else could come; an individual session is one client's.
    assert_bound_is_the_optimum(
        base_instance(
            clients=[client("c1", requires={"grp": 1, "ind": 1})],
            rules={"min_hours_per_client_week": 2, "min_hours_per_client_day": 2},
        ),
        120,
    )


def test_idle_minutes_and_preference_misses_a_client_cannot_avoid_are_charged():
    # Available 09-10 and 11-12 only, two hours a day: two sessions, an hour idle (x2)
    # between them, and the 11:00 one misses the preferred 09-10 window (x60).
    instance = base_instance(
        clients=[
            client(
                "c1",
                requires={"grp": 1},
                availability={"mon": [["09:00", "10:00"], ["11:00", "12:00"]]},
                preferred_window=["09:00", "10:00"],
            )
        ],
        rules={"min_hours_per_client_week": 2, "min_hours_per_client_day": 2},
    )
    assert_bound_is_the_optimum(instance, 120 + 2 * 60 + 60)


def test_it_is_at_least_the_seat_demand_bounds_on_the_samples():
    for name in ("tiny.json", "small.json"):
        instance = load_instance(SAMPLES / name)
        model = TimetableModel(build_candidates(instance))
        stated = model.seat_demand_floor
        found = client_bound(model, deadline=time.monotonic() + 30, workers=2)
        assert found.proven == found.clients == len(instance.clients)
        assert found.penalty > stated, name


def test_the_reported_bound_is_at_least_it():
    # A reproducible run bounds every client, whatever the clock (a normal run stops at
    # a share of the time limit, and counts the clients not reached as 0).
    instance = load_instance(SAMPLES / "small.json")
    result = solve_checked(instance, time_limit=8, reproducible=True)
    assert result.bound is not None and result.bound >= bound_of(instance).penalty
    assert all(p.bound >= bound_of(instance).penalty for p in result.history if p.penalty)


def test_a_week_that_meets_it_is_optimal_and_ends_the_search():
    # Two clients sharing one group: the per-client bound (60) proves the first week found
    # optimal, so the run stops long before its 10 s.
    two = [client("c1", requires={"grp": 1}), client("c2", requires={"grp": 1})]
    result = solve_checked(base_instance(clients=two), time_limit=10)
    assert result.status is Status.OPTIMAL and result.penalty == 60
    assert result.total_seconds < 5


def test_clients_not_reached_count_nothing():
    found = client_bound(
        TimetableModel(build_candidates(load_instance(SAMPLES / "tiny.json"))),
        deadline=time.monotonic() - 1,
    )
    assert found.penalty == 0 and found.proven == 0


def test_not_used_when_explaining_or_when_switched_off():
    instance = load_instance(SAMPLES / "tiny.json")
    later = time.monotonic() + 10
    explaining = TimetableModel(build_candidates(instance), explain=True)
    assert not client_bound_holds(explaining)
    off = TimetableModel(build_candidates(instance), settings=ModelSettings(client_bound=False))
    assert not client_bound_holds(off)
    on = TimetableModel(build_candidates(instance))
    constraints = len(on.model.proto.constraints)
    assert client_bound_holds(on)
    assert client_bound(on, deadline=later).proven > 0
    # Reported, never added to the model (it would flatten what the search branches on).
    assert len(on.model.proto.constraints) == constraints


def test_with_shortfalls_it_charges_what_a_clients_own_week_cannot_meet():
    # Monday 09-12 is the whole week and a 4-hour week minimum: one group and one
    # individual session at most (one of each type a day), so 120 minutes short at the
    # shortfall weight; alone, the client pays both sessions whole.
    instance = base_instance(
        clients=[client("c1", requires={"grp": 1})],
        rules={"min_hours_per_client_week": 4},
    )
    short = TimetableModel(build_candidates(instance), allow_shortfalls=True)
    assert client_bound_holds(short)
    expected = 120 + 120 * 1000
    assert client_bound(short, deadline=time.monotonic() + 10).penalty == expected
    result = solve_checked(instance, time_limit=5, allow_shortfalls=True)
    assert result.status is Status.OPTIMAL
    assert result.penalty == result.bound == expected


def test_with_shortfalls_a_client_who_can_attend_nothing_still_counts():
    # Free on Tuesday only, which is no program day: the whole week minimum is short
    # (60 minutes, a day and the required group, 60 each). The missing discipline is
    # the one shortfall this bound leaves out (its rule is relaxed here).
    instance = base_instance(
        clients=[
            client("c1", requires={"grp": 1}),
            client("c2", requires={"grp": 1}, availability={"tue": [["09:00", "12:00"]]}),
        ]
    )
    short = TimetableModel(build_candidates(instance), allow_shortfalls=True)
    assert "c2" not in short.vars.attendances
    found = client_bound(short, deadline=time.monotonic() + 10)
    assert found.clients == 2
    assert found.penalty == 60 + (60 + 60 + 60) * 1000
    result = solve_checked(instance, time_limit=5, allow_shortfalls=True)
    assert result.penalty == 60 + 4 * 60 * 1000
    assert result.bound is not None and found.penalty <= result.bound <= result.penalty


def proven_after(seconds: float):
    """A stand-in for `_least_cost` that takes ``seconds`` and proves a cost of 1."""

    def least_cost(tm, client, seats, limit, deterministic):
        time.sleep(seconds)
        return Fraction(1), True

    return least_cost


def test_it_gives_up_when_the_pace_cannot_reach_every_client(monkeypatch):
    # 20 distinct client weeks at 0.05 s each need 1 s; with 0.5 s, the first 8 set a pace
    # that cannot make it, so the rest is left to the search (and the sum counts nothing
    # unproven).
    monkeypatch.setattr(module, "_least_cost", proven_after(0.05))
    model = TimetableModel(build_candidates(load_instance(SAMPLES / "small.json")))
    started = time.monotonic()
    found = client_bound(model, deadline=started + 0.5, workers=1)
    assert found.solved < 12 and found.proven < found.clients
    assert time.monotonic() - started < 0.7
    # Deterministic runs never give up on pace (their bound must not depend on the clock):
    # they go on to the deadline, about 16 client weeks in 0.8 s.
    found = client_bound(model, deadline=time.monotonic() + 0.8, workers=1, deterministic=True)
    assert found.solved >= 10


def test_its_share_and_pace_count_from_the_starting_week(monkeypatch):
    # The solver marks the starting week once it is built: before that the greedy week
    # slows these solves (here 0.1 s each) but the bound delays nothing; after it they
    # take 0.01 s. Judged from the start against a 1 s share, the first 8 project 2 s for
    # the 20 client weeks and the bound gives up; counted from the week, all 20 are solved.
    week = WeekReady()

    def slow_then_fast(tm, client, seats, seconds, deterministic):
        time.sleep(0.01 if week.ready_at else 0.1)
        return Fraction(1), True

    monkeypatch.setattr(module, "_least_cost", slow_then_fast)
    model = TimetableModel(build_candidates(load_instance(SAMPLES / "small.json")))
    found = client_bound(model, deadline=time.monotonic() + 1.0, workers=1)
    assert not found.complete and found.solved <= 9
    timer = threading.Timer(1.2, week.mark)  # past the 1 s share: it does not count yet
    timer.start()
    found = client_bound(
        model,
        deadline=time.monotonic() + 10,
        workers=1,
        week_ready=week,
        seconds_after_week=1.0,
    )
    timer.join()
    assert found.complete and found.solved == 20
    # Once the week is built, the share stops the bound: here nothing is left of it.
    week.ready_at = time.monotonic() - 2
    found = client_bound(
        model, deadline=time.monotonic() + 10, workers=1, week_ready=week,
        seconds_after_week=1.0,
    )  # fmt: skip
    assert found.solved == 0


def test_after_the_week_it_gives_up_when_its_pace_cannot_finish_in_its_share(monkeypatch):
    # The week is ready from the start and the bound has 1 s: at 0.08 s a week, the pace
    # of the 4 weeks after the first (PACE_AFTER_WEEK, lowered here) projects 1.6 s for
    # the 20, so it gives up at about 0.4 s; run to its share, it would solve 12 or more.
    monkeypatch.setattr(module, "_least_cost", proven_after(0.08))
    monkeypatch.setattr(module, "PACE_AFTER_WEEK", 4)
    model = TimetableModel(build_candidates(load_instance(SAMPLES / "small.json")))
    week = WeekReady()
    week.mark()
    found = client_bound(
        model, deadline=time.monotonic() + 10, workers=1, week_ready=week,
        seconds_after_week=1.0,
    )  # fmt: skip
    assert not found.complete and found.solved <= 7
    # A week ready late leaves the search at least half the time left: 4 s to the
    # deadline and a 3 s share, so the bound stops at 2 s, not 3 s (its 20 weeks at
    # 0.15 s would take 3 s).
    monkeypatch.setattr(module, "_least_cost", proven_after(0.15))
    monkeypatch.setattr(module, "PACE_AFTER_WEEK", 1000)  # the share alone stops it
    week.mark()
    started = time.monotonic()
    found = client_bound(
        model, deadline=started + 4, workers=1, week_ready=week, seconds_after_week=3.0
    )
    assert not found.complete and time.monotonic() - started < 2.5


def _takes_all_it_is_given(tm, client, seats, seconds, deterministic):
    """A client week that is not proven before its time runs out (as on the large clinics)."""
    time.sleep(seconds)
    return Fraction(0), False


def test_a_reproducible_run_whose_bound_uses_the_time_limit_still_answers(monkeypatch):
    # Found by review: `solve instances/ladder/large.json --reproducible --time-limit 8`
    # crashed ("solve() has not been called") when the bound used up the whole limit.
    monkeypatch.setattr(module, "_least_cost", _takes_all_it_is_given)
    instance = base_instance()
    result = solve(instance, time_limit=1, workers=1, reproducible=True)
    assert result.status.has_timetable and result.total_seconds < 3
    assert result.penalty == check_timetable(instance, result.timetable)
    assert result.bound is not None  # the greedy week, with the bound proven so far (0)
    # The bound was cut by the clock (at the deadline, or at its share if its thread began
    # after the week was built), so the run promises nothing.
    assert result.reproducible is False


def test_a_client_week_cut_by_the_clock_leaves_the_bound_incomplete(monkeypatch):
    # Found by CI: the bound's thread began after a fast greedy week, its one client week
    # stopped at the share, unproven, and the run still called itself reproducible.
    monkeypatch.setattr(module, "_least_cost", _takes_all_it_is_given)
    model = TimetableModel(build_candidates(base_instance()))
    week = WeekReady()
    week.mark()
    # A share of 1 s (not less: a thread begun late on a busy machine would find it over).
    found = client_bound(
        model, deadline=time.monotonic() + 3, workers=1, deterministic=True,
        week_ready=week, seconds_after_week=1.0,
    )  # fmt: skip
    assert found.solved == 1 and not found.complete
    # Proven in time, the same week is complete.
    monkeypatch.setattr(module, "_least_cost", proven_after(0.01))
    week.mark()
    found = client_bound(
        model, deadline=time.monotonic() + 3, workers=1, deterministic=True,
        week_ready=week, seconds_after_week=1.0,
    )  # fmt: skip
    assert found.solved == 1 and found.complete


def test_an_error_while_building_the_week_stops_the_bound_thread(monkeypatch):
    # Found by review: the bound solved on until its deadline after the solve had raised.
    def broken(*args, **kwargs):
        raise ValueError("greedy failed")

    def slow(tm, client, seats, seconds, deterministic):
        time.sleep(0.3)  # one client week of the large clinics
        return Fraction(0), False

    monkeypatch.setattr(greedy, "solve_greedy", broken)
    monkeypatch.setattr(module, "_least_cost", proven_after(0.05))
    monkeypatch.setattr(module, "_signature", lambda tm, c, seats: c.id)  # 10 distinct weeks
    clients = [client(f"c{i}", requires={"grp": 1}) for i in range(10)]
    with pytest.raises(ValueError, match="greedy failed"):
        solve(base_instance(clients=clients), time_limit=10, workers=1)
    time.sleep(0.6)  # longer than one client week
    alive = [t for t in threading.enumerate() if t.name.startswith("iop-client-bound")]
    assert not alive, "the per-client bound runs on after the solve raised"
