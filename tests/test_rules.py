"""One focused test per rule of SPEC section 4, on the solver and on the validator.

Each solver test takes the relaxed base week of ``helpers.py`` (one Monday morning, one
counselor, a group room and an office, one client who requires one 60-minute group: optimum
60 staff minutes), tightens exactly one rule and checks that the optimum moves or the week
becomes infeasible. Each validator test hand-writes a timetable that breaks that one rule and
checks that the violation names who is involved.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import (
    base_dict,
    base_instance,
    client,
    clinician,
    session,
    solve_checked,
    timetable,
)
from iop_scheduler import Instance, Status, Timetable, validate
from iop_scheduler.times import parse_hhmm

OPTIMAL = Status.OPTIMAL
INFEASIBLE = Status.INFEASIBLE


def the_violation(instance: Instance, table: Timetable, rule: str, *, alone: bool = True) -> Any:
    """The one violation of ``rule``; with ``alone``, no other rule may be broken."""
    found = validate(instance, table)
    if alone:
        assert {v.rule for v in found} == {rule}, found
    matching = [v for v in found if v.rule == rule]
    assert len(matching) == 1, found
    return matching[0]


def with_type(data: dict[str, Any], type_id: str, **fields: Any) -> dict[str, Any]:
    """Change fields of one session type of instance data (in place, returned for chaining)."""
    for stype in data["session_types"]:
        if stype["id"] == type_id:
            stype.update(fields)
    return data


def starts(result: Any) -> list[int]:
    """Sorted start minutes of the sessions of a result."""
    return sorted(s.start for s in result.timetable.sessions)


# -- the base week and a valid hand-written timetable -------------------------------------


def test_base_week_optimum_is_one_group():
    # One client requiring one 60-minute group, every other rule relaxed: one session.
    result = solve_checked(base_instance())
    assert result.status is OPTIMAL
    assert result.penalty == 60
    assert [(s.type, s.clinician, s.room, s.clients) for s in result.timetable.sessions] == [
        ("grp", "cl1", "r1", ["c1"])
    ]


def test_valid_hand_written_timetable_has_no_violations():
    instance = base_instance(
        days=["mon", "tue"],
        clinicians=[clinician("cl1"), clinician("cl2", "psychologist")],
        clients=[
            client("c1", requires={"grp": 1, "ind": 1}, assigned_clinicians={"ind": "cl2"}),
            client("c2", requires={"grp": 1}),
        ],
        rules={"min_disciplines_per_day": 2},
        fixed_sessions=[
            {"type": "grp", "day": "mon", "start": "09:00", "clinician": "cl1", "room": "r1",
             "clients": ["c1"]}
        ],
    )
    table = timetable(
        session("s1", "grp", "09:00", "10:00", clients=["c1", "c2"]),
        session("s2", "ind", "10:00", "11:00", clinician="cl2", room="r2"),
        session("s3", "grp", "09:00", "10:00", day="tue", clients=["c2"]),
        session("s4", "ind", "10:00", "11:00", day="tue", clinician="cl2", room="r2",
                clients=["c2"]),
        status="optimal",
        penalty=240,
        bound=240,
    )
    assert validate(instance, table) == []


def test_a_feasible_file_may_leave_its_penalty_out_but_optimal_needs_both_numbers():
    # Found by a coordinator walk-through: a hand-made week without a penalty was called
    # broken, though the docs say a hand-made file may omit it.
    instance = base_instance()
    week = [session("s1", "grp", "09:00", "10:00")]
    assert validate(instance, timetable(*week, penalty=None)) == []
    broken = the_violation(instance, timetable(*week, status="optimal", penalty=60), "status")
    assert broken.message == "status optimal but the bound (not given) is not the penalty (60)"


# -- rule 1: grid --------------------------------------------------------------------------


def test_grid_session_must_fit_inside_program_hours():
    data = with_type(base_dict(), "grp", duration_minutes=240)
    # A 4-hour group cannot lie inside a 3-hour program day (09:00-12:00).
    assert solve_checked(Instance.model_validate(data)).status is INFEASIBLE
    data["close"] = "13:00"
    # With a 4-hour day it runs once, 09:00-13:00: 240 staff minutes.
    result = solve_checked(Instance.model_validate(data))
    assert result.status is OPTIMAL and result.penalty == 240
    assert starts(result) == [parse_hhmm("09:00")]


def test_grid_sessions_start_on_the_slot_grid():
    instance = base_instance(slot_minutes=60, close="11:00")
    # On a 60-minute grid a 60-minute group can start at 09:00 or 10:00 only.
    result = solve_checked(instance)
    assert result.status is OPTIMAL
    assert all(start in (540, 600) for start in starts(result))


@pytest.mark.parametrize(
    ("start", "end", "day"),
    [
        pytest.param("09:15", "10:15", "mon", id="off-grid"),
        pytest.param("11:30", "12:30", "mon", id="after-close"),
        pytest.param("09:00", "10:30", "mon", id="wrong-length"),
        pytest.param("09:00", "10:00", "tue", id="not-a-program-day"),
    ],
)
def test_grid_violation(start, end, day):
    table = timetable(session("s1", "grp", start, end, day=day))
    outside = end > "12:00" or day == "tue"
    violation = the_violation(base_instance(), table, "grid", alone=not outside)
    assert violation.sessions == ("s1",)
    if day == "tue":
        assert violation.days == ("tue",)
    if outside:
        # SPEC 2: a missing availability is program hours on program days, so nobody is
        # available for a session outside them (as when the same hours are written out).
        rules = {v.rule for v in validate(base_instance(), table)}
        assert rules == {"grid", "leader", "room", "attendees"}


def test_availability_never_reaches_outside_program_hours():
    # Found by a differential audit: a window written past closing time (or none at all)
    # made a session after 12:00 look available; both read as program hours now.
    wide = {"mon": [["09:00", "13:00"]]}
    instance = base_instance(
        clinicians=[clinician("cl1", availability=wide)],
        clients=[client("c1", requires={"grp": 1}, availability=wide)],
    )
    table = timetable(session("s1", "grp", "11:30", "12:30"))
    assert {v.rule for v in validate(instance, table)} == {"grid", "leader", "room", "attendees"}


# -- rule 2: leader ------------------------------------------------------------------------


def test_leader_discipline_must_be_allowed():
    # Only a nurse is on staff, and groups are led by counselors or psychologists.
    instance = base_instance(clinicians=[clinician("n1", "nurse")])
    assert solve_checked(instance).status is INFEASIBLE
    table = timetable(session("s1", "grp", "09:00", "10:00", clinician="n1"))
    violation = the_violation(instance, table, "leader")
    assert violation.clinicians == ("n1",) and violation.sessions == ("s1",)


def test_leader_must_be_available():
    late = {"mon": [["10:30", "11:30"]]}
    instance = base_instance(clinicians=[clinician("cl1", availability=late)])
    # The only leader is free from 10:30, so the group starts at 10:30.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and starts(result) == [parse_hhmm("10:30")]
    table = timetable(session("s1", "grp", "09:00", "10:00"))
    violation = the_violation(instance, table, "leader")
    assert violation.clinicians == ("cl1",) and violation.days == ("mon",)


def test_leader_touching_availability_windows_merge():
    windows = {"mon": [["09:00", "09:30"], ["09:30", "10:00"]]}
    instance = base_instance(clinicians=[clinician("cl1", availability=windows)])
    # SPEC 9.3: the two touching windows are one 09:00-10:00 window, so the group fits there.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and starts(result) == [parse_hhmm("09:00")]
    assert validate(instance, timetable(session("s1", "grp", "09:00", "10:00"))) == []


def test_leader_must_not_lead_overlapping_sessions():
    rooms = [
        {"id": "r1", "kind": "group_room", "capacity": 4},
        {"id": "r2", "kind": "office", "capacity": 1},
        {"id": "r3", "kind": "office", "capacity": 1},
    ]
    clients = [client("c1", requires={"ind": 1}), client("c2", requires={"ind": 1})]
    # Two individual sessions, one leader, a one-hour day: the leader cannot do both.
    short = base_instance(rooms=rooms, clients=clients, close="10:00")
    assert solve_checked(short).status is INFEASIBLE
    # With two hours the sessions run one after the other.
    result = solve_checked(base_instance(rooms=rooms, clients=clients, close="11:00"))
    assert result.status is OPTIMAL and result.penalty == 120
    first, second = starts(result)
    assert second - first >= 60

    instance = base_instance(clients=[client("c1", requires={"ind": 1}), client("c2")])
    table = timetable(
        session("s1", "ind", "09:00", "10:00", room="r2", clients=["c1"]),
        session("s2", "grp", "09:30", "10:30", clients=["c2"]),
    )
    violation = the_violation(instance, table, "leader_overlap")
    assert violation.clinicians == ("cl1",) and set(violation.sessions) == {"s1", "s2"}


def test_leader_qualified_for_restricts_types():
    clinicians = [clinician("cl1", qualified_for=["ind"]), clinician("cl2")]
    # cl1 may lead only individual sessions, so cl2 leads the group.
    result = solve_checked(base_instance(clinicians=clinicians))
    assert result.status is OPTIMAL
    assert [s.clinician for s in result.timetable.sessions] == ["cl2"]
    # SPEC 9.9: qualified_for [] means the clinician leads nothing.
    nobody = base_instance(clinicians=[clinician("cl1", qualified_for=[])])
    assert solve_checked(nobody).status is INFEASIBLE

    instance = base_instance(clinicians=clinicians)
    table = timetable(session("s1", "grp", "09:00", "10:00", clinician="cl1"))
    violation = the_violation(instance, table, "leader")
    assert violation.clinicians == ("cl1",) and "qualified" in violation.message


def test_leader_is_required():
    table = timetable(session("s1", "grp", "09:00", "10:00", clinician=None))
    found = validate(base_instance(), table)
    assert any(v.rule == "leader" and v.sessions == ("s1",) for v in found)


def test_clinician_max_hours_per_day():
    clients = [client("c1", requires={"grp": 1}), client("c2", requires={"ind": 1})]
    capped = [clinician("cl1", max_hours_per_day=1)]
    # Two sessions are needed (a group and an individual) but cl1 leads at most 1 h a day.
    assert solve_checked(base_instance(clients=clients, clinicians=capped)).status is INFEASIBLE
    # Over two days, cl1 leads one session each day.
    result = solve_checked(base_instance(clients=clients, clinicians=capped, days=["mon", "tue"]))
    assert result.status is OPTIMAL
    assert sorted(s.day for s in result.timetable.sessions) == ["mon", "tue"]

    instance = base_instance(clients=clients, clinicians=[clinician("cl1", max_hours_per_day=1.5)])
    table = timetable(
        session("s1", "grp", "09:00", "10:00", clients=["c1"]),
        session("s2", "ind", "10:00", "11:00", room="r2", clients=["c2"]),
    )
    violation = the_violation(instance, table, "clinician_hours")
    assert violation.clinicians == ("cl1",) and violation.days == ("mon",)


def test_clinician_max_hours_per_week():
    clients = [client("c1", requires={"grp": 1}), client("c2", requires={"ind": 1})]
    two_days = ["mon", "tue"]
    # 1.5 h a week (fractional, SPEC 9.12) is less than the two 60-minute sessions needed.
    capped = base_instance(clients=clients, days=two_days,
                           clinicians=[clinician("cl1", max_hours_per_week=1.5)])
    assert solve_checked(capped).status is INFEASIBLE
    # 2 h a week is exactly enough.
    enough = base_instance(clients=clients, days=two_days,
                           clinicians=[clinician("cl1", max_hours_per_week=2)])
    assert solve_checked(enough).status is OPTIMAL

    table = timetable(
        session("s1", "grp", "09:00", "10:00", clients=["c1"]),
        session("s2", "ind", "09:00", "10:00", room="r2", clients=["c2"], day="tue"),
    )
    violation = the_violation(capped, table, "clinician_hours")
    assert violation.clinicians == ("cl1",) and violation.days == ()


# -- rule 3: room --------------------------------------------------------------------------


def test_room_must_be_of_an_allowed_kind():
    instance = base_instance(rooms=[{"id": "r2", "kind": "office", "capacity": 4}])
    # Groups need a group room, and the only room is an office.
    assert solve_checked(instance).status is INFEASIBLE
    table = timetable(session("s1", "grp", "09:00", "10:00", room="r2"))
    violation = the_violation(instance, table, "room")
    assert violation.rooms == ("r2",) and violation.sessions == ("s1",)


def test_room_must_be_available():
    rooms = [{"id": "r1", "kind": "group_room", "capacity": 4,
              "availability": {"mon": [["10:30", "11:30"]]}}]
    instance = base_instance(rooms=rooms)
    # SPEC 9.4: the group room opens at 10:30, so the group starts at 10:30.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and starts(result) == [parse_hhmm("10:30")]
    table = timetable(session("s1", "grp", "09:00", "10:00"))
    violation = the_violation(instance, table, "room")
    assert violation.rooms == ("r1",) and violation.days == ("mon",)


def test_room_is_required_unless_telehealth():
    data = base_dict(clients=[client("c1", requires={"tele": 1})])
    data["session_types"].append(
        {"id": "tele", "kind": "group", "duration_minutes": 60, "disciplines": ["counselor"]}
    )
    instance = Instance.model_validate(data)
    # SPEC 9.6: no room_kinds means telehealth, so the session has room null.
    result = solve_checked(instance)
    assert result.status is OPTIMAL
    assert [(s.type, s.room) for s in result.timetable.sessions] == [("tele", None)]

    in_a_room = timetable(session("s1", "tele", "09:00", "10:00", room="r1"))
    violation = the_violation(instance, in_a_room, "room")
    assert violation.sessions == ("s1",) and violation.rooms == ("r1",)
    no_room = timetable(session("s1", "grp", "09:00", "10:00", room=None))
    violation = the_violation(base_instance(), no_room, "room")
    assert violation.sessions == ("s1",)
    # Put in a room anyway, it takes that room from a session there at the same time
    # (found by an independent cross-check of the validator).
    both = timetable(session("s1", "tele", "09:00", "10:00", room="r1"),
                     session("s2", "grp", "09:30", "10:30"))  # fmt: skip
    overlap = the_violation(instance, both, "room_overlap", alone=False)
    assert overlap.sessions == ("s1", "s2") or overlap.sessions == ("s2", "s1")


def test_room_capacity_bounds_attendees():
    clients = [client(c, requires={"grp": 1}) for c in ("c1", "c2", "c3")]
    roomy = base_instance(clients=clients, rooms=[{"id": "r1", "kind": "group_room",
                                                   "capacity": 3}])
    # Three clients fit one group of capacity 3: 60 staff minutes.
    assert solve_checked(roomy).penalty == 60
    small = base_instance(clients=clients, rooms=[{"id": "r1", "kind": "group_room",
                                                   "capacity": 2}])
    # In a room for two they need two groups: 120 staff minutes.
    result = solve_checked(small)
    assert result.status is OPTIMAL and result.penalty == 120

    table = timetable(session("s1", "grp", "09:00", "10:00", clients=["c1", "c2", "c3"]))
    violation = the_violation(small, table, "capacity")
    assert violation.rooms == ("r1",) and violation.sessions == ("s1",)


def test_room_capacity_counts_clients_not_the_leader():
    instance = base_instance(rooms=[{"id": "r1", "kind": "group_room", "capacity": 1}])
    # SPEC 9.5: a room for one client holds the client and the leader.
    assert solve_checked(instance).penalty == 60
    assert validate(instance, timetable(session("s1", "grp", "09:00", "10:00"))) == []


def test_room_must_not_hold_overlapping_sessions():
    clinicians = [clinician("cl1"), clinician("cl2")]
    clients = [client("c1", requires={"ind": 1}), client("c2", requires={"ind": 1})]
    # Two individual sessions, two leaders but one office, in a one-hour day.
    short = base_instance(clinicians=clinicians, clients=clients, close="10:00")
    assert solve_checked(short).status is INFEASIBLE
    # With two hours the office holds them one after the other.
    result = solve_checked(base_instance(clinicians=clinicians, clients=clients))
    assert result.status is OPTIMAL
    first, second = starts(result)
    assert second - first >= 60

    table = timetable(
        session("s1", "ind", "09:00", "10:00", room="r2", clients=["c1"]),
        session("s2", "ind", "09:30", "10:30", clinician="cl2", room="r2", clients=["c2"]),
    )
    instance = base_instance(clinicians=clinicians, clients=clients)
    violation = the_violation(instance, table, "room_overlap")
    assert violation.rooms == ("r2",) and set(violation.sessions) == {"s1", "s2"}


# -- rule 4: attendees ---------------------------------------------------------------------


def test_individual_session_has_exactly_one_client():
    clinicians = [clinician("cl1"), clinician("cl2")]
    rooms = [{"id": "r2", "kind": "office", "capacity": 2},
             {"id": "r3", "kind": "office", "capacity": 2}]
    clients = [client("c1", requires={"ind": 1}), client("c2", requires={"ind": 1})]
    instance = base_instance(clinicians=clinicians, rooms=rooms, clients=clients)
    # Two clients cannot share an individual session, even in a room for two: 120 minutes.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 120
    assert all(len(s.clients) == 1 for s in result.timetable.sessions)

    table = timetable(session("s1", "ind", "09:00", "10:00", room="r2", clients=["c1", "c2"]))
    violation = the_violation(instance, table, "attendees")
    assert violation.sessions == ("s1",) and set(violation.clients) == {"c1", "c2"}


def test_group_min_size():
    data = with_type(base_dict(), "grp", min_size=2)
    # A group of at least two, and only one client: no group can run.
    assert solve_checked(Instance.model_validate(data)).status is INFEASIBLE
    data["clients"].append(client("c2", requires={"grp": 1}))
    # With a second client, one group of two: 60 staff minutes.
    instance = Instance.model_validate(data)
    assert solve_checked(instance).penalty == 60

    table = timetable(
        session("s1", "grp", "09:00", "10:00", clients=["c1"]),
        session("s2", "grp", "10:00", "11:00", clients=["c2"]),
    )
    found = [v for v in validate(instance, table) if v.rule == "attendees"]
    assert {v.sessions for v in found} == {("s1",), ("s2",)}
    assert {v.rule for v in validate(instance, table)} == {"attendees"}


def test_group_max_size():
    data = with_type(base_dict(), "grp", max_size=2)
    data["clients"] = [client(c, requires={"grp": 1}) for c in ("c1", "c2", "c3")]
    instance = Instance.model_validate(data)
    # Three clients and groups of at most two: two groups, 120 staff minutes.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 120

    table = timetable(session("s1", "grp", "09:00", "10:00", clients=["c1", "c2", "c3"]))
    violation = the_violation(instance, table, "attendees")
    assert violation.sessions == ("s1",) and "max_size" in violation.message


@pytest.mark.parametrize("type_id", ["grp", "ind"])
def test_tracks_restrict_attendees(type_id):
    data = with_type(base_dict(), type_id, tracks=["sud"])
    data["clients"] = [client("c1", track="mh", requires={type_id: 1})]
    # SPEC 9.7 and 9.16: a client of track mh requires a type only track sud may attend.
    assert solve_checked(Instance.model_validate(data)).status is INFEASIBLE
    data["clients"][0]["track"] = "sud"
    assert solve_checked(Instance.model_validate(data)).status is OPTIMAL

    data["clients"][0]["track"] = "mh"
    data["clients"][0]["requires"] = {}
    instance = Instance.model_validate(data)
    room = "r1" if type_id == "grp" else "r2"
    table = timetable(session("s1", type_id, "09:00", "10:00", room=room))
    violation = the_violation(instance, table, "attendees")
    assert violation.clients == ("c1",) and violation.sessions == ("s1",)


def test_track_conflict_is_explained():
    data = with_type(base_dict(), "grp", tracks=["sud"])
    data["clients"] = [client("c1", track="mh", requires={"grp": 1})]
    result = solve_checked(Instance.model_validate(data))
    # SPEC 9.16: the explanation names the client, the type and the track conflict.
    assert result.status is INFEASIBLE
    assert any(
        "c1" in reason and "grp" in reason and "mh" in reason
        for reason in result.timetable.explanation
    ), result.timetable.explanation


def test_client_must_be_available():
    instance = base_instance(
        clients=[client("c1", requires={"grp": 1}, availability={"mon": [["10:30", "11:30"]]})]
    )
    # The client arrives at 10:30, so the group starts at 10:30.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and starts(result) == [parse_hhmm("10:30")]
    table = timetable(session("s1", "grp", "09:00", "10:00"))
    violation = the_violation(instance, table, "attendees")
    assert violation.clients == ("c1",) and violation.days == ("mon",)


def test_clients_unavailable_for_one_session_are_one_entry():
    # A session moved out of the clients' hours named every attendee on a line of their
    # own; one entry names them all (and the report still files it under each client).
    late = {"mon": [["10:30", "11:30"]]}
    instance = base_instance(
        clients=[client(c, requires={"grp": 1}, availability=late) for c in ("c1", "c2", "c3")]
    )
    table = timetable(session("s1", "grp", "09:00", "10:00", clients=["c1", "c2", "c3"]))
    violation = the_violation(instance, table, "attendees")
    assert violation.clients == ("c1", "c2", "c3") and violation.sessions == ("s1",)
    assert str(violation).startswith("[attendees] 3 clients (c1, c2, c3) are not available")


@pytest.mark.parametrize("availability", [{"mon": []}, {}, {"tue": [["09:00", "12:00"]]}])
def test_client_unavailable_day(availability):
    instance = base_instance(clients=[client("c1", requires={"grp": 1},
                                             availability=availability)])
    # SPEC 2 and 9.3: a missing day, or a day with [], is unavailable; c1 cannot attend.
    assert solve_checked(instance).status is INFEASIBLE


def test_client_availability_null_means_always():
    instance = base_instance(clients=[client("c1", requires={"grp": 1}, availability=None)])
    # SPEC 9.3: availability null is always available within program hours.
    assert solve_checked(instance).penalty == 60


def test_client_must_not_attend_overlapping_sessions():
    clinicians = [clinician("cl1"), clinician("cl2")]
    clients = [client("c1", requires={"grp": 1, "ind": 1})]
    # A group and an individual session, each 60 minutes, cannot both fit in one hour.
    short = base_instance(clinicians=clinicians, clients=clients, close="10:00")
    assert solve_checked(short).status is INFEASIBLE
    result = solve_checked(base_instance(clinicians=clinicians, clients=clients))
    assert result.status is OPTIMAL and result.penalty == 120

    instance = base_instance(clinicians=clinicians, clients=clients)
    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "ind", "09:30", "10:30", clinician="cl2", room="r2"),
    )
    violation = the_violation(instance, table, "client_overlap")
    assert violation.clients == ("c1",) and set(violation.sessions) == {"s1", "s2"}


def test_client_listed_twice():
    table = timetable(session("s1", "grp", "09:00", "10:00", clients=["c1", "c1"]))
    violation = the_violation(base_instance(), table, "attendees")
    assert violation.clients == ("c1",) and violation.sessions == ("s1",)


# -- rule 5: assignments -------------------------------------------------------------------


def test_assigned_clinician_leads_the_clients_sessions():
    clinicians = [clinician("cl1"), clinician("cl2")]
    clients = [client("c1", requires={"ind": 1}, assigned_clinicians={"ind": "cl2"})]
    instance = base_instance(clinicians=clinicians, clients=clients)
    # c1's individual sessions are led by their primary therapist cl2.
    result = solve_checked(instance)
    assert result.status is OPTIMAL
    assert [s.clinician for s in result.timetable.sessions] == ["cl2"]
    # With cl2 away all week, c1's individual session cannot run.
    away = [clinician("cl1"), clinician("cl2", availability={})]
    assert solve_checked(base_instance(clinicians=away, clients=clients)).status is INFEASIBLE

    table = timetable(session("s1", "ind", "09:00", "10:00", room="r2"))
    violation = the_violation(instance, table, "assignment")
    assert violation.clients == ("c1",)
    assert violation.clinicians == ("cl2",)
    assert violation.sessions == ("s1",)


def test_assigned_clinicians_split_a_group():
    clinicians = [clinician("cl1"), clinician("cl2")]
    clients = [
        client("c1", requires={"grp": 1}, assigned_clinicians={"grp": "cl1"}),
        client("c2", requires={"grp": 1}, assigned_clinicians={"grp": "cl2"}),
    ]
    rooms = [{"id": "r1", "kind": "group_room", "capacity": 4},
             {"id": "r3", "kind": "group_room", "capacity": 4}]
    # One group would do, but each client's group must be led by their own clinician: 120.
    result = solve_checked(base_instance(clinicians=clinicians, clients=clients, rooms=rooms))
    assert result.status is OPTIMAL and result.penalty == 120
    leaders = {c: s.clinician for s in result.timetable.sessions for c in s.clients}
    assert leaders == {"c1": "cl1", "c2": "cl2"}


def test_assigned_clients_may_share_their_clinicians_group():
    instance = base_instance(
        clinicians=[clinician("cl1", max_hours_per_week=1)],
        clients=[
            client("c1", requires={"grp": 1}, assigned_clinicians={"grp": "cl1"}),
            client("c2", requires={"grp": 1}, assigned_clinicians={"grp": "cl1"}),
        ],
    )
    # cl1 works one hour a week, and one group led by cl1 serves both clients: 60.
    table = timetable(session("s1", "grp", "09:00", "10:00", clients=["c1", "c2"]))
    assert validate(instance, table) == []
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 60


# -- rule 6: client week -------------------------------------------------------------------


def test_requires_counts():
    instance = base_instance(clients=[client("c1", requires={"grp": 2})])
    # Two groups, at most one of a type a day, and one program day.
    assert solve_checked(instance).status is INFEASIBLE
    # Over two days, one group each day: 120 staff minutes.
    result = solve_checked(base_instance(clients=[client("c1", requires={"grp": 2})],
                                         days=["mon", "tue"]))
    assert result.status is OPTIMAL and result.penalty == 120

    table = timetable(session("s1", "ind", "09:00", "10:00", room="r2"))
    violation = the_violation(base_instance(), table, "requires:grp")
    assert violation.clients == ("c1",)


def test_min_days_per_client_week():
    two_days = base_instance(days=["mon", "tue"], rules={"min_days_per_client_week": 2})
    # Two days of attendance where one group would do: a session on each day, 120.
    result = solve_checked(two_days)
    assert result.status is OPTIMAL and result.penalty == 120
    assert sorted(s.day for s in result.timetable.sessions) == ["mon", "tue"]
    # A one-day program cannot give two days.
    one_day = base_instance(rules={"min_days_per_client_week": 2})
    assert solve_checked(one_day).status is INFEASIBLE

    table = timetable(session("s1", "grp", "09:00", "10:00"))
    violation = the_violation(two_days, table, "min_days_per_client_week")
    assert violation.clients == ("c1",)


def test_min_hours_per_client_week():
    instance = base_instance(rules={"min_hours_per_client_week": 1.5})
    # 1.5 h needs a second 60-minute session besides the required group: 120.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 120

    table = timetable(session("s1", "grp", "09:00", "10:00"))
    violation = the_violation(instance, table, "min_hours_per_client_week")
    assert violation.clients == ("c1",)


def test_max_hours_per_client_week():
    clients = [client("c1", requires={"grp": 1, "ind": 1})]
    # The two required sessions make 2 h, above a 1.5 h weekly maximum.
    capped = base_instance(clients=clients, rules={"max_hours_per_client_week": 1.5})
    assert solve_checked(capped).status is INFEASIBLE
    assert solve_checked(base_instance(clients=clients,
                                       rules={"max_hours_per_client_week": 2})).penalty == 120

    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "ind", "10:00", "11:00", room="r2"),
    )
    violation = the_violation(capped, table, "max_hours_per_client_week")
    assert violation.clients == ("c1",)


def test_min_disciplines_per_client_week():
    clinicians = [clinician("cl1", "counselor"), clinician("cl2", "psychologist")]
    rules = {"min_disciplines_per_client_week": 2}
    instance = base_instance(clinicians=clinicians, rules=rules)
    # Two disciplines need two sessions led by a counselor and a psychologist: 120.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 120
    assert {s.clinician for s in result.timetable.sessions} == {"cl1", "cl2"}
    # With only a counselor on staff two disciplines are impossible.
    assert solve_checked(base_instance(rules=rules)).status is INFEASIBLE

    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "ind", "10:00", "11:00", room="r2"),
    )
    violation = the_violation(instance, table, "min_disciplines_per_client_week")
    assert violation.clients == ("c1",)


# -- rule 7: client day --------------------------------------------------------------------


def test_min_hours_per_client_day():
    instance = base_instance(rules={"min_hours_per_client_day": 1.5})
    # A day attended must hold 1.5 h (SPEC 9.12: fractional), so two sessions that day: 120.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 120
    assert {s.day for s in result.timetable.sessions} == {"mon"}

    table = timetable(session("s1", "grp", "09:00", "10:00"))
    violation = the_violation(instance, table, "min_hours_per_client_day")
    assert violation.clients == ("c1",) and violation.days == ("mon",)


def test_max_hours_per_client_day():
    clients = [client("c1", requires={"grp": 1, "ind": 1})]
    rules = {"max_hours_per_client_day": 1}
    # The two required hours do not fit a 1-hour day on a one-day program.
    assert solve_checked(base_instance(clients=clients, rules=rules)).status is INFEASIBLE
    # Over two days they are split, one session a day.
    instance = base_instance(clients=clients, rules=rules, days=["mon", "tue"])
    result = solve_checked(instance)
    assert result.status is OPTIMAL
    assert sorted(s.day for s in result.timetable.sessions) == ["mon", "tue"]

    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "ind", "10:00", "11:00", room="r2"),
    )
    violation = the_violation(instance, table, "max_hours_per_client_day")
    assert violation.clients == ("c1",) and violation.days == ("mon",)


@pytest.mark.parametrize(
    ("clients", "rules"),
    [
        pytest.param(
            [client("c1")],
            {"min_hours_per_client_day": 2, "max_hours_per_client_day": 1},
            id="day-bounds-client-with-nothing-required",
        ),
        pytest.param(
            [],
            {"min_hours_per_client_week": 2, "max_hours_per_client_week": 1},
            id="week-bounds-no-clients",
        ),
    ],
)
def test_contradictory_hour_bounds_bind_only_clients_who_attend(clients, rules):
    # SPEC 4: the day bounds hold "on every day the client attends", the week bounds for
    # each enrolled client. Nobody has to attend here (no requires, week minimums 0, or no
    # clients at all), so the empty week is valid, with penalty 0.
    relaxed = {"min_days_per_client_week": 0, "min_hours_per_client_week": 0,
               "min_disciplines_per_client_week": 0}
    instance = base_instance(clients=clients, rules={**relaxed, **rules})
    assert validate(instance, timetable(penalty=0)) == []
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 0


def test_min_group_sessions_per_client_day():
    instance = base_instance(
        clients=[client("c1", requires={"ind": 1})],
        rules={"min_group_sessions_per_client_day": 1},
    )
    # The required individual session brings c1 in, and a day needs one group too: 120.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 120
    assert sorted(s.type for s in result.timetable.sessions) == ["grp", "ind"]

    table = timetable(session("s1", "ind", "09:00", "10:00", room="r2"))
    violation = the_violation(instance, table, "min_group_sessions_per_client_day")
    assert violation.clients == ("c1",) and violation.days == ("mon",)


def test_two_groups_of_one_type_meet_the_daily_group_minimum():
    instance = base_instance(
        rules={"min_group_sessions_per_client_day": 2, "max_same_type_per_client_day": 2}
    )
    # Two groups a day are needed and two of one type are allowed: two "grp" sessions, 120.
    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "grp", "10:00", "11:00"),
    )
    assert validate(instance, table) == []
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 120


def test_max_same_type_per_client_day():
    clients = [client("c1", requires={"grp": 2})]
    # At most one group a day (the base rule) and one day: two groups are impossible.
    assert solve_checked(base_instance(clients=clients)).status is INFEASIBLE
    # Two of a type allowed a day: both groups on Monday, 120.
    two = base_instance(clients=clients, rules={"max_same_type_per_client_day": 2})
    assert solve_checked(two).penalty == 120

    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "grp", "10:00", "11:00"),
    )
    violation = the_violation(base_instance(clients=clients), table,
                              "max_same_type_per_client_day")
    assert violation.clients == ("c1",) and violation.days == ("mon",)


# -- rule 8: program day -------------------------------------------------------------------


def test_min_disciplines_per_day():
    clinicians = [clinician("cl1", "counselor"), clinician("cl2", "psychologist")]
    rules = {"min_disciplines_per_day": 2}
    instance = base_instance(clinicians=clinicians, rules=rules)
    # A day with sessions needs two leading disciplines, so a second session runs: 120.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 120
    assert {s.clinician for s in result.timetable.sessions} == {"cl1", "cl2"}
    # A counselor alone cannot make a program day.
    assert solve_checked(base_instance(rules=rules)).status is INFEASIBLE

    table = timetable(session("s1", "grp", "09:00", "10:00"))
    violation = the_violation(instance, table, "min_disciplines_per_day")
    assert violation.days == ("mon",)


# -- rule 9: fixed sessions ----------------------------------------------------------------


FIXED_IND = {"type": "ind", "day": "mon", "start": "11:00", "clinician": "cl1", "room": "r2",
             "clients": ["c1"]}


def test_fixed_session_runs_as_booked():
    instance = base_instance(fixed_sessions=[FIXED_IND])
    # The booked individual session runs on top of the required group: 120.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 120
    booked = [s for s in result.timetable.sessions if s.type == "ind"]
    assert [(s.start, s.clinician, s.room, s.clients) for s in booked] == [
        (parse_hhmm("11:00"), "cl1", "r2", ["c1"])
    ]

    table = timetable(session("s1", "grp", "09:00", "10:00"))
    violation = the_violation(instance, table, "fixed")
    assert violation.clinicians == ("cl1",) and violation.days == ("mon",)


def test_fixed_group_may_take_more_clients():
    fixed = {"type": "grp", "day": "mon", "start": "10:00", "clinician": "cl1", "room": "r1",
             "clients": ["c1", "c2"]}
    clients = [client(c, requires={"grp": 1}) for c in ("c1", "c2", "c3")]
    instance = base_instance(clients=clients, fixed_sessions=[fixed])
    # c3 joins the booked group instead of opening another: 60.
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 60
    assert [s.clients for s in result.timetable.sessions] == [["c1", "c2", "c3"]]

    table = timetable(
        session("s1", "grp", "09:00", "10:00", clients=["c2"]),
        session("s2", "grp", "10:00", "11:00", clients=["c1", "c3"]),
    )
    violation = the_violation(instance, table, "fixed")
    assert violation.clients == ("c2",) and violation.sessions == ("s2",)


def test_two_alike_bookings_need_two_sessions():
    # Two fixed bookings of one group at one time with one leader: one session cannot
    # answer both (SPEC rule 9), so the validator names the one left missing.
    booked = {"type": "grp", "day": "mon", "start": "09:00", "clinician": "cl1", "room": "r1"}
    instance = base_instance(
        clients=[client("c1"), client("c2")],
        rules={"min_group_sessions_per_client_day": 1, "min_hours_per_client_day": 1},
        fixed_sessions=[{**booked, "clients": ["c1"]}, {**booked, "clients": ["c2"]}],
    )
    table = timetable(session("s1", "grp", "09:00", "10:00", clients=["c1", "c2"]))
    fixed = [v for v in validate(instance, table) if v.rule == "fixed"]
    assert len(fixed) == 1 and "fixed session 1" in fixed[0].message
    # Two sessions answer the two bookings when paired right: booking 1 (c2) takes s1,
    # though booking 0 (no client listed) could have taken s1 first. No client is missing.
    instance = base_instance(
        clients=[client("c1"), client("c2")],
        rules={"min_group_sessions_per_client_day": 1, "min_hours_per_client_day": 1},
        fixed_sessions=[{**booked, "clients": []}, {**booked, "clients": ["c2"]}],
    )
    table = timetable(
        session("s1", "grp", "09:00", "10:00", clients=["c2"]),
        session("s2", "grp", "09:00", "10:00", clients=["c1"]),
    )
    assert [v for v in validate(instance, table) if v.rule == "fixed"] == []


def test_clients_may_fill_a_fixed_group():
    instance = base_instance(
        close="10:00",
        clinicians=[clinician("cl1"), clinician("cl2")],
        rooms=[{"id": "r1", "kind": "group_room", "capacity": 4},
               {"id": "r2", "kind": "group_room", "capacity": 1}],
        clients=[client("c1"), client("c2"), client("c3")],
        rules={"min_group_sessions_per_client_day": 1},
        fixed_sessions=[{"type": "grp", "day": "mon", "start": "09:00", "clinician": "cl1",
                         "room": "r1", "clients": ["c1"]}],
    )
    # Three clients need a group in the one-hour day; the booked group in r1 (capacity 4)
    # holds all three, so one session, 60 staff minutes, is the optimum.
    table = timetable(session("s1", "grp", "09:00", "10:00", clients=["c1", "c2", "c3"]))
    assert validate(instance, table) == []
    result = solve_checked(instance)
    assert result.status is OPTIMAL and result.penalty == 60


def test_fixed_session_with_unavailable_leader_is_infeasible():
    instance = base_instance(
        clinicians=[clinician("cl1", availability={"mon": [["09:00", "10:00"]]})],
        fixed_sessions=[FIXED_IND],
    )
    # The booking at 11:00 needs cl1, who leaves at 10:00; the explanation says so.
    result = solve_checked(instance)
    assert result.status is INFEASIBLE
    assert any("cl1" in reason for reason in result.timetable.explanation)


# -- status and shortfall fields (SPEC 6 and 9.14) ------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"status": "optimal", "penalty": 60}, id="optimal-without-bound"),
        pytest.param({"penalty": 60, "bound": 70}, id="bound-above-penalty"),
        pytest.param({"status": "optimal", "penalty": 60, "bound": 50}, id="optimal-with-gap"),
    ],
)
def test_status_fields_must_agree(fields):
    table = timetable(session("s1", "grp", "09:00", "10:00"), **fields)
    the_violation(base_instance(), table, "status")


def test_status_infeasible_holds_no_sessions():
    table = timetable(session("s1", "grp", "09:00", "10:00"), status="infeasible", penalty=None)
    the_violation(base_instance(), table, "status")
    empty = timetable(status="infeasible", penalty=None)
    assert validate(base_instance(), empty) == []


def test_session_ids_are_unique():
    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s1", "ind", "10:00", "11:00", room="r2"),
    )
    violation = the_violation(base_instance(), table, "session_ids")
    assert violation.sessions == ("s1",)
    assert violation.message == "session id s1 is used by 2 sessions"


def test_shortfalls_listed_without_being_allowed():
    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        shortfalls=[{"client": "c1", "rule": "min_days_per_client_week",
                     "required": 2, "scheduled": 1}],
        allow_shortfalls=False,
    )
    the_violation(base_instance(), table, "shortfalls")


def test_shortfalls_must_be_the_real_ones():
    instance = base_instance(rules={"min_hours_per_client_week": 2})
    unlisted = timetable(session("s1", "grp", "09:00", "10:00"), allow_shortfalls=True)
    violation = the_violation(instance, unlisted, "shortfalls")
    assert violation.clients == ("c1",)
    listed = timetable(
        session("s1", "grp", "09:00", "10:00"),
        allow_shortfalls=True,
        shortfalls=[{"client": "c1", "rule": "min_hours_per_client_week",
                     "required": 2, "scheduled": 1}],
    )
    assert validate(instance, listed) == []
    wrong = timetable(
        session("s1", "grp", "09:00", "10:00"),
        allow_shortfalls=True,
        shortfalls=[{"client": "c1", "rule": "min_hours_per_client_week",
                     "required": 2, "scheduled": 0.5}],
    )
    the_violation(instance, wrong, "shortfalls")
    # One entry per client and minimum: a second, wrong one must not hide behind the first.
    twice = timetable(
        session("s1", "grp", "09:00", "10:00"),
        allow_shortfalls=True,
        shortfalls=[{"client": "c1", "rule": "min_hours_per_client_week",
                     "required": 7, "scheduled": 0.25},
                    {"client": "c1", "rule": "min_hours_per_client_week",
                     "required": 2, "scheduled": 1}],
    )  # fmt: skip
    assert "listed 2 times" in the_violation(instance, twice, "shortfalls").message


def test_allowed_shortfalls_keep_every_other_rule():
    instance = base_instance(rules={"min_hours_per_client_week": 2, "min_days_per_client_week": 2})
    # A one-day program cannot give c1 two days, so without shortfalls it is infeasible.
    assert solve_checked(instance).status is INFEASIBLE
    result = solve_checked(instance, allow_shortfalls=True)
    # With them, c1 still gets the 2 hours (a group and an individual session, 120 staff
    # minutes) and falls short by one day: 60 shortfall units at weight 1000.
    assert result.status is OPTIMAL
    assert result.penalty == 120 + 60 * 1000
    assert {(s.client, s.rule) for s in result.timetable.shortfalls} == {
        ("c1", "min_days_per_client_week")
    }
