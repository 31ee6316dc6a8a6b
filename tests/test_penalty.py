"""One test per penalty term of SPEC section 5: breaking the soft wish stays feasible and
costs exactly its weight, in the solver's optimum and in the validator's score."""

from __future__ import annotations

import pytest

from helpers import base_instance, client, clinician, session, solve_checked, timetable
from iop_scheduler import Status, score
from iop_scheduler.io import dump_timetable
from iop_scheduler.times import parse_hhmm

OPTIMAL = Status.OPTIMAL


def costs(instance, table, **kwargs) -> dict[str, int]:
    """The validator's cost of each penalty term."""
    return {name: term.cost for name, term in score(instance, table, **kwargs).items()}


# -- staff_minute --------------------------------------------------------------------------


def test_staff_minute_fuller_groups_cost_less():
    clients = [client("c1", requires={"grp": 1}), client("c2", requires={"grp": 1})]
    instance = base_instance(clients=clients)
    # Both clients share one group: 60 staff minutes, not 120.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 60
    assert result.terms["staff_minute"].amount == 60
    one = timetable(session("s1", "grp", "09:00", "10:00", clients=["c1", "c2"]))
    two = timetable(
        session("s1", "grp", "09:00", "10:00", clients=["c1"]),
        session("s2", "grp", "10:00", "11:00", clients=["c2"]),
    )
    # A second 60-minute session costs 60 × the staff_minute weight (1 by default).
    assert costs(instance, one)["staff_minute"] == 60
    assert costs(instance, two)["staff_minute"] == 120


def test_staff_minute_weight_is_honoured():
    instance = base_instance(weights={"staff_minute": 3})
    # One 60-minute group at weight 3.
    result = solve_checked(instance)
    assert result.penalty == 180
    assert result.terms["staff_minute"].weight == 3
    assert score(instance, result.timetable)["staff_minute"].weight == 3


# -- client_idle_minute --------------------------------------------------------------------


def idle_week(gap: bool, **weights: int):
    """c1 needs a group (cl1, 09:00-10:00 only) and an individual session (cl2)."""
    window = [["11:00", "12:00"]] if gap else [["10:00", "11:00"]]
    return base_instance(
        clinicians=[
            clinician("cl1", availability={"mon": [["09:00", "10:00"]]}),
            clinician("cl2", availability={"mon": window}),
        ],
        clients=[client("c1", requires={"grp": 1, "ind": 1})],
        weights=weights,
    )


def test_client_idle_minute():
    # Back to back: two sessions, no idle time.
    assert solve_checked(idle_week(gap=False)).penalty == 120
    # cl2 is free only at 11:00: c1 waits 60 minutes at weight 2, feasible but 120 dearer.
    result = solve_checked(idle_week(gap=True))
    assert result.status is OPTIMAL
    assert result.penalty == 120 + 60 * 2
    assert result.terms["client_idle_minute"].amount == 60
    # The instance's weight is honoured: 60 idle minutes at weight 5.
    assert solve_checked(idle_week(gap=True, client_idle_minute=5)).penalty == 120 + 60 * 5


def test_client_idle_minute_avoided_when_possible():
    instance = base_instance(
        clinicians=[clinician("cl1"), clinician("cl2")],
        clients=[client("c1", requires={"grp": 1, "ind": 1})],
    )
    # Everyone is free all morning, so the two sessions run back to back: no idle minute.
    result = solve_checked(instance)
    assert result.penalty == 120
    first, second = sorted(result.timetable.sessions, key=lambda s: s.start)
    assert first.end == second.start


def test_client_idle_minute_score_per_client_and_day():
    instance = base_instance(
        days=["mon", "tue"],
        clients=[client("c1", requires={"grp": 1, "ind": 1})],
        weights={"client_idle_minute": 3},
    )
    gap = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "ind", "10:30", "11:30", room="r2"),
    )
    # 30 minutes between the sessions, at weight 3.
    assert costs(instance, gap)["client_idle_minute"] == 30 * 3
    apart = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "ind", "11:00", "12:00", room="r2", day="tue"),
    )
    # On different days there is no time between them on any one day.
    assert costs(instance, apart)["client_idle_minute"] == 0


# -- preference_miss -----------------------------------------------------------------------


def preference_week(*, days_wish: bool, window_wish: bool, forced: bool, **weights: int):
    """c1 needs a group; with ``forced``, only Monday 09:00-10:00 is possible."""
    wishes = {}
    if days_wish:
        wishes["preferred_days"] = ["tue"]
    if window_wish:
        wishes["preferred_window"] = ["10:00", "11:00"]
    availability = {"mon": [["09:00", "10:00"]]} if forced else None
    return base_instance(
        days=["mon", "tue"],
        clinicians=[clinician("cl1", availability=availability)],
        clients=[client("c1", requires={"grp": 1}, **wishes)],
        weights=weights,
    )


@pytest.mark.parametrize(
    ("days_wish", "window_wish"),
    [
        pytest.param(True, False, id="days"),
        pytest.param(False, True, id="window"),
        pytest.param(True, True, id="days-and-window"),
    ],
)
def test_preference_miss(days_wish, window_wish):
    # The wish can be met (Tuesday, 10:00-11:00), so it costs nothing.
    met = solve_checked(preference_week(days_wish=days_wish, window_wish=window_wish,
                                        forced=False))
    assert met.status is OPTIMAL and met.penalty == 60
    (only,) = met.timetable.sessions
    if days_wish:
        assert only.day == "tue"
    if window_wish:
        assert only.start == parse_hhmm("10:00")
    # Only Monday 09:00 is possible: one miss at weight 60 (SPEC 9.10: missing the days and
    # the window at once is still one miss).
    missed = solve_checked(preference_week(days_wish=days_wish, window_wish=window_wish,
                                           forced=True))
    assert missed.status is OPTIMAL
    assert missed.penalty == 60 + 60
    assert missed.terms["preference_miss"].amount == 1


def test_preference_miss_weight_is_honoured():
    instance = preference_week(days_wish=True, window_wish=True, forced=True, preference_miss=7)
    # One forced miss at weight 7.
    assert solve_checked(instance).penalty == 60 + 7


def test_preference_miss_score():
    instance = base_instance(
        days=["mon", "tue"],
        clients=[client("c1", requires={"grp": 1}, preferred_days=["mon"],
                        preferred_window=["10:00", "11:00"])],
        rules={"max_same_type_per_client_day": 2},
    )
    inside = timetable(session("s1", "grp", "10:00", "11:00"))
    assert costs(instance, inside)["preference_miss"] == 0
    # Half inside the window is not wholly inside it: one miss.
    straddles = timetable(session("s1", "grp", "09:30", "10:30"))
    assert costs(instance, straddles)["preference_miss"] == 60
    # Each session missing a wish counts: Tuesday (both wishes missed) and Monday 09:00.
    two = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "grp", "09:00", "10:00", day="tue"),
    )
    assert costs(instance, two)["preference_miss"] == 2 * 60


def test_preferred_days_empty_is_no_preference():
    instance = base_instance(clients=[client("c1", requires={"grp": 1}, preferred_days=[])])
    # SPEC 9.10: [] is no preference, not "no day suits".
    assert solve_checked(instance).penalty == 60
    assert costs(instance, timetable(session("s1", "grp", "09:00", "10:00")))[
        "preference_miss"
    ] == 0


# -- change_from_previous ------------------------------------------------------------------


def previous_week(start: str, clients: list[str] | None = None):
    """A published timetable with one group at ``start`` on Monday."""
    return timetable(session("s1", "grp", start, _plus_hour(start), clients=clients))


def _plus_hour(start: str) -> str:
    hours, minutes = start.split(":")
    return f"{int(hours) + 1:02d}:{minutes}"


def test_change_from_previous_keeps_attendances():
    previous = previous_week("10:30")
    # Any start costs the same, but the previous week had c1 at 10:30: kept, no change.
    result = solve_checked(base_instance(), previous=previous)
    assert result.status is OPTIMAL and result.penalty == 60
    assert [s.start for s in result.timetable.sessions] == [parse_hhmm("10:30")]
    assert result.terms["change_from_previous"].amount == 0


def test_change_from_previous_costs_its_weight():
    previous = previous_week("09:00")
    late = [clinician("cl1", availability={"mon": [["10:00", "11:00"]]})]
    # cl1 can now lead only at 10:00, so c1's 09:00 group moves: one change at weight 120.
    result = solve_checked(base_instance(clinicians=late), previous=previous)
    assert result.status is OPTIMAL
    assert result.penalty == 60 + 120
    assert result.terms["change_from_previous"].amount == 1
    # The instance's weight is honoured.
    cheap = base_instance(clinicians=late, weights={"change_from_previous": 50})
    assert solve_checked(cheap, previous=previous).penalty == 60 + 50


def test_change_from_previous_counts_clients_no_longer_enrolled():
    previous = previous_week("09:00", clients=["c1", "gone"])
    # SPEC 9.11: the discharged client's attendance cannot be kept: one change, 120.
    result = solve_checked(base_instance(), previous=previous)
    assert result.penalty == 60 + 120
    assert costs(base_instance(), result.timetable, previous=previous)[
        "change_from_previous"
    ] == 120


def test_change_from_previous_score():
    instance = base_instance()
    previous = previous_week("09:00")
    same_time_other_room = timetable(session("s7", "grp", "09:00", "10:00", clinician="cl1"))
    # The attendance is (client, type, day, start): leader, room and id may change.
    assert costs(instance, same_time_other_room, previous=previous)["change_from_previous"] == 0
    later = timetable(session("s1", "grp", "09:30", "10:30"))
    assert costs(instance, later, previous=previous)["change_from_previous"] == 120
    # Without a previous timetable there is no such term.
    assert "change_from_previous" not in score(instance, later)


# -- shortfall_minute ----------------------------------------------------------------------


def test_shortfall_minute_costs_its_weight():
    instance = base_instance(
        close="10:00",
        rules={"min_hours_per_client_week": 2},
        weights={"shortfall_minute": 10},
    )
    # A one-hour day cannot give 2 hours; with shortfalls allowed, c1 gets the group and
    # falls 60 minutes short, at weight 10.
    result = solve_checked(instance, allow_shortfalls=True)
    assert result.status is OPTIMAL
    assert result.penalty == 60 + 60 * 10
    assert result.terms["shortfall_minute"].amount == 60
    assert [(s.client, s.rule, s.required, s.scheduled)
            for s in result.timetable.shortfalls] == [
        ("c1", "min_hours_per_client_week", 2, 1)
    ]


def test_shortfall_counts_are_whole_numbers_and_hours_may_be_fractions():
    # SPEC 9.13: days, disciplines and required sessions are counts; hours may be 9.5.
    instance = base_instance(
        close="10:00",
        rules={"min_hours_per_client_week": 1.5, "min_days_per_client_week": 2},
    )
    result = solve_checked(instance, allow_shortfalls=True)
    written = {e["rule"]: e for e in dump_timetable(result.timetable)["shortfalls"]}
    days = written["min_days_per_client_week"]
    assert (days["required"], days["scheduled"]) == (2, 1)
    assert isinstance(days["required"], int) and isinstance(days["scheduled"], int)
    hours = written["min_hours_per_client_week"]
    assert (hours["required"], hours["scheduled"]) == (1.5, 1)


# -- all weights at once -------------------------------------------------------------------


def test_every_weight_of_the_instance_is_reported():
    weights = {"staff_minute": 2, "client_idle_minute": 3, "preference_miss": 5,
               "change_from_previous": 7, "shortfall_minute": 11}
    instance = base_instance(weights=weights)
    previous = previous_week("09:00")
    result = solve_checked(instance, previous=previous, allow_shortfalls=True)
    assert {name: term.weight for name, term in result.terms.items()} == weights
    table = result.timetable
    assert {
        name: term.weight
        for name, term in score(instance, table, previous=previous).items()
    } == weights
