"""Infeasible weeks are explained in the coordinator's words; shortfall mode shows how far."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import (
    base_dict,
    base_instance,
    client,
    clinician,
    solve_checked,
    two_clients_one_hour,
)
from iop_scheduler import Instance, Status, load_instance, validate
from iop_scheduler.cli import cli
from iop_scheduler.diagnose import diagnose
from iop_scheduler.explain import explain

ROOT = Path(__file__).resolve().parent.parent
INFEASIBLE = ROOT / "instances" / "infeasible"
MON_TUE = ["mon", "tue", "wed"]


def only_finding(instance, rule):
    """The one diagnosis finding of a rule (there must be exactly one)."""
    findings = [f for f in diagnose(instance) if f.rule == rule]
    assert len(findings) == 1, [str(f) for f in diagnose(instance)]
    return findings[0]


def test_client_available_on_too_few_days():
    instance = base_instance(
        days=MON_TUE,
        rules={"min_days_per_client_week": 3},
        clients=[client("c1", requires={"grp": 1},
                        availability={"mon": [["09:00", "12:00"]], "tue": [["09:00", "12:00"]]})],
    )  # fmt: skip
    finding = only_finding(instance, "min_days_per_client_week")
    assert finding.clients == ("c1",)
    assert str(finding) == ("client c1 is available on 2 program day(s) (Monday, Tuesday) "
                            "but the program requires 3")  # fmt: skip


def test_a_type_longer_than_the_program_day_is_named_as_such():
    # The leaders are free all day: time itself is the reason, not their availability.
    instance = base_instance(
        session_types=[{"id": "grp", "kind": "group", "duration_minutes": 240,
                        "disciplines": ["counselor"]}],
    )  # fmt: skip
    finding = only_finding(instance, "requires:grp")
    assert "grp lasts 240 minutes, longer than the program's day (09:00-12:00)" in str(finding)


def test_required_type_nobody_qualified_is_available_for():
    instance = base_instance(
        session_types=[
            {"id": "grp", "kind": "group", "duration_minutes": 60, "disciplines": ["counselor"],
             "room_kinds": ["group_room"]},
            {"id": "med", "kind": "individual", "duration_minutes": 30,
             "disciplines": ["psychiatrist"]},
        ],
        clinicians=[clinician("cl1"),
                    clinician("md1", "psychiatrist", availability={"tue": [["09:00", "12:00"]]})],
        clients=[client("c1", requires={"grp": 1, "med": 1})],
    )  # fmt: skip
    finding = only_finding(instance, "requires:med")
    assert finding.clients == ("c1",)
    assert "no clinician qualified for it is available on the client's days" in str(finding)


def test_assigned_clinician_never_overlaps_the_client():
    instance = base_instance(
        clinicians=[clinician("cl1"), clinician("cl2", availability={"mon": [["09:00", "10:00"]]})],
        clients=[client("c1", requires={"ind": 1}, assigned_clinicians={"ind": "cl2"},
                        availability={"mon": [["10:00", "12:00"]]})],
    )  # fmt: skip
    finding = only_finding(instance, "requires:ind")
    assert str(finding).startswith("client c1 must see cl2 for ind, but cl2's availability "
                                   "never overlaps the client's")  # fmt: skip


def test_group_seats_beyond_the_rooms_in_a_window():
    # Five clients can only come on Monday (min one day) and need a group there; one room
    # of two seats and one leader give two groups of two in the 2-hour window: 4 seats.
    instance = base_instance(
        close="11:00",
        rules={"min_group_sessions_per_client_day": 1},
        rooms=[{"id": "r1", "kind": "group_room", "capacity": 2},
               {"id": "r2", "kind": "office", "capacity": 1}],
        clients=[client(f"c{i}", requires={"grp": 1}) for i in range(1, 6)],
    )  # fmt: skip
    finding = only_finding(instance, "group_seats")
    assert finding.days == ("mon",)
    assert finding.clients == ("c1", "c2", "c3", "c4", "c5")
    assert "need 1 group sessions each (5 seats)" in str(finding)
    assert "hold at most 4 seats" in str(finding)


def test_a_day_without_enough_disciplines():
    instance = base_instance(rules={"min_disciplines_per_day": 2})
    finding = only_finding(instance, "min_disciplines_per_day")
    assert finding.days == ("mon",) and finding.clients == ("c1",)
    assert "only 1 discipline(s) can lead sessions (counselor)" in str(finding)


def test_fixed_sessions_that_conflict():
    instance = base_instance(
        clients=[client("c1"), client("c2")],
        fixed_sessions=[
            {"type": "ind", "day": "mon", "start": "09:00", "clinician": "cl1", "room": "r2",
             "clients": ["c1"]},
            {"type": "grp", "day": "mon", "start": "09:30", "clinician": "cl1", "room": "r1",
             "clients": ["c2"]},
        ],
    )  # fmt: skip
    finding = only_finding(instance, "fixed")
    assert "overlap on Monday and share clinician cl1" in str(finding)
    # Shortfalls cannot absorb it: the bookings must run, so shortfall mode says so too.
    assert [f.rule for f in diagnose(instance, allow_shortfalls=True)] == ["fixed"]


def test_fixed_session_outside_a_clients_availability():
    instance = base_instance(
        clients=[client("c1", availability={"mon": [["10:00", "12:00"]]})],
        fixed_sessions=[{"type": "grp", "day": "mon", "start": "09:00", "clinician": "cl1",
                         "room": "r1", "clients": ["c1"]}],
    )  # fmt: skip
    finding = only_finding(instance, "fixed")
    assert finding.clients == ("c1",) and "who is not available then" in str(finding)


def test_the_model_explains_what_the_quick_checks_miss():
    # c1 and c2 must each see cl2, who is free 09:00-11:00 (two hours: enough for both),
    # but both clients can only come 10:00-11:00: one hour, one session. No quick check
    # fires; the model's conflict set names both clients' weeks.
    instance = two_clients_one_hour()
    assert diagnose(instance) == []
    found = explain(instance, time_limit=10)
    assert found.infeasible is True and found.source == "model"
    assert found.reasons[0] == "these rules cannot all hold together:"
    named = " ".join(found.reasons)
    assert "client c1 needs" in named and "client c2 needs" in named
    assert "ind with cl2, who is available mon 09:00-11:00" in named
    # solve says the same and exits 1.
    result = solve_checked(instance, time_limit=10)
    assert result.status is Status.INFEASIBLE
    assert result.timetable.explanation == found.reasons


def test_required_sessions_beyond_the_weekly_maximum():
    instance = base_instance(
        rules={"max_hours_per_client_week": 1.5},
        clients=[client("c1", requires={"grp": 1, "ind": 1})],
    )
    finding = only_finding(instance, "max_hours_per_client_week")
    assert str(finding) == (
        "client c1's required sessions take 2h but a client attends at most 1.5 h a week"
    )


def test_the_maximums_are_named_among_the_rules_that_cannot_hold():
    # Two required one-hour sessions on the one day, but at most 1.5 h a day: no quick
    # check fires (the week maximum is not set); the model's conflict set must name the
    # daily maximum, or the facts it lists could all hold.
    instance = base_instance(
        rules={"max_hours_per_client_day": 1.5},
        clients=[client("c1", requires={"grp": 1, "ind": 1})],
    )
    assert diagnose(instance) == []
    found = explain(instance, time_limit=10)
    assert found.infeasible is True
    assert "at most 1.5 h" in " ".join(found.reasons), found.reasons


def test_a_feasible_week_has_nothing_to_explain():
    found = explain(base_instance(), time_limit=5)
    assert found.infeasible is False and found.reasons == []


SAMPLES = {
    "client-days": ("min_days_per_client_week", ("c08",), "min_days_per_client_week"),
    "psychiatrist": ("requires:med_management", ("c04",), "requires:med_management"),
    # The closed group rooms leave Monday unusable for c09 and c22: too few days for them.
    "group-rooms": ("min_days_per_client_week", ("c09", "c22"), "min_days_per_client_week"),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_infeasible_samples_are_explained(name):
    instance = load_instance(INFEASIBLE / f"{name}.json")
    rule, clients, _ = SAMPLES[name]
    findings = diagnose(instance)
    assert {f.rule for f in findings} == {rule}
    assert set(clients) == {c for f in findings for c in f.clients}
    result = CliRunner().invoke(cli, ["explain", str(INFEASIBLE / f"{name}.json")])
    assert result.exit_code == 1
    assert str(findings[0]) in result.output


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_shortfall_mode_on_the_infeasible_samples(name, tmp_path):
    instance = load_instance(INFEASIBLE / f"{name}.json")
    _, clients, shortfall_rule = SAMPLES[name]
    result = solve_checked(instance, time_limit=10, workers=2, allow_shortfalls=True)
    assert result.status.has_timetable
    shortfalls = result.timetable.shortfalls
    assert shortfalls, "an infeasible week has someone under-served"
    # The listed shortfalls are exactly the real ones (solve_checked validated the file in
    # shortfall mode) and they include the documented cause.
    assert validate(instance, result.timetable) == []
    if shortfall_rule is not None:
        assert any(s.rule == shortfall_rule and s.client in clients for s in shortfalls)
    # The CLI writes the same, with the exact shortfalls, and validate accepts the file.
    out = tmp_path / "week.json"
    run = CliRunner().invoke(cli, ["solve", str(INFEASIBLE / f"{name}.json"),
                                   "--allow-shortfalls", "--time-limit", "10", "--workers", "2",
                                   "--no-progress", "-o", str(out)])  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "Under-served:" in run.output
    written = json.loads(out.read_text())
    assert written["allow_shortfalls"] is True and written["shortfalls"]
    assert CliRunner().invoke(cli, ["validate", str(INFEASIBLE / f"{name}.json"),
                                    str(out)]).exit_code == 0  # fmt: skip


def test_explain_exits_3_when_it_cannot_decide_in_time():
    # 0 means "can be scheduled": a script must not read that from a run cut short.
    result = CliRunner().invoke(
        cli, ["explain", str(Path(__file__).parents[1] / "instances" / "small.json"),
              "--time-limit", "0.2"],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "Undecided in 0.2 s" in result.stdout


def test_group_rooms_too_small_for_the_week():
    # Ten clients, two days each with two groups: 40 seats; one 4-seat room open three
    # mornings of three hours holds 36. No single window is short; the week is.
    group = {"kind": "group", "duration_minutes": 60, "disciplines": ["counselor"],
             "room_kinds": ["group_room"]}  # fmt: skip
    instance = base_instance(
        days=["mon", "tue", "wed"],
        rules={"min_days_per_client_week": 2, "min_group_sessions_per_client_day": 2},
        session_types=[{"id": "grp", **group}, {"id": "grp2", **group}],
        clinicians=[clinician("cl1"), clinician("cl2")],
        clients=[client(f"c{i}") for i in range(10)],
    )
    finding = only_finding(instance, "group_seats")
    assert "need at least 40 group-session seats" in str(finding)
    assert "at most 36" in str(finding) and "r1: 9 sessions of 4 seats" in str(finding)
    assert finding.rooms == ("r1",)
    result = solve_checked(instance, time_limit=5)
    assert result.status is Status.INFEASIBLE


def test_week_hours_blocked_by_the_daily_maximum_name_it():
    # Three hours are available, but the daily maximum allows one: the rule binds, not
    # the client's availability.
    instance = base_instance(
        rules={"min_hours_per_client_week": 3, "max_hours_per_client_day": 1},
    )
    finding = only_finding(instance, "min_hours_per_client_week")
    assert "max_hours_per_client_day allows 1 h a day on their 1 day(s)" in str(finding)


def test_groups_without_an_open_room_say_so_rather_than_blame_the_client():
    infeasible = Path(__file__).parents[1] / "instances" / "infeasible"
    week = load_instance(infeasible / "group-rooms.json")
    text = " ".join(str(f) for f in diagnose(week))
    assert "process, cbt_skills, dbt_skills need a group_room and none is open then" in text


def test_an_assigned_caseload_beyond_the_daily_maximum_is_named():
    # Three clients need an hour each with cl2, who comes one day and works two hours a day.
    instance = base_instance(
        clinicians=[clinician("cl1"), clinician("cl2", max_hours_per_day=2)],
        clients=[client(f"c{i}", requires={"ind": 1}, assigned_clinicians={"ind": "cl2"})
                 for i in range(1, 4)],
    )  # fmt: skip
    finding = only_finding(instance, "clinician_hours")
    assert finding.clinicians == ("cl2",) and finding.clients == ("c1", "c2", "c3")
    assert "cl2 works at most 2 h a day on the 1 day(s) they are available (2h a week)" in str(
        finding
    )


def test_rooms_smaller_than_min_size_are_named_first():
    # Found by an operations walk-through: with every group room seating 2 and groups of
    # at least 3, explain listed "0 day(s)" for each client and never the rooms.
    instance = base_instance(
        session_types=[{"id": "grp", "kind": "group", "duration_minutes": 60,
                        "disciplines": ["counselor"], "room_kinds": ["group_room"],
                        "min_size": 3}],
        rooms=[{"id": "r1", "kind": "group_room", "capacity": 2}],
        clients=[client(f"c{i}", requires={"grp": 1}) for i in range(3)],
    )  # fmt: skip
    findings = diagnose(instance)
    assert str(findings[0]) == (
        "no grp session can run: it needs at least 3 clients (min_size), but its largest "
        "room (r1, group_room) seats 2"
    )
    assert findings[0].rule == "room" and findings[0].rooms == ("r1",)
    # The clients' own lines give the same reason.
    required = [str(f) for f in findings if f.rule == "requires:grp"]
    assert required and "its largest room (r1, group_room) seats 2" in required[0]
    assert solve_checked(instance, time_limit=5).status is Status.INFEASIBLE
    # A type nobody needs may never run: alone it is no reason (the week is feasible).
    data = base_dict()
    data["session_types"].append({"id": "big", "kind": "group", "duration_minutes": 60,
                                  "disciplines": ["counselor"], "room_kinds": ["group_room"],
                                  "min_size": 30})  # fmt: skip
    assert diagnose(Instance.model_validate(data)) == []


def test_types_whose_room_kind_the_clinic_lacks_are_one_line():
    group = {"kind": "group", "duration_minutes": 60, "disciplines": ["counselor"],
             "room_kinds": ["group_room"]}  # fmt: skip
    instance = base_instance(
        session_types=[{"id": "grp", **group}, {"id": "grp2", **group}],
        rooms=[{"id": "o1", "kind": "office", "capacity": 1}],
        clients=[client("c1", requires={"grp": 1}), client("c2", requires={"grp2": 1})],
    )
    findings = diagnose(instance)
    assert str(findings[0]) == (
        "no grp or grp2 session can run: they need a room of kind group_room and the "
        "clinic has none"
    )
    assert [f.rule for f in findings].count("room") == 1


def test_a_type_nobody_needs_is_not_named_among_the_reasons():
    # Found by review: any infeasible week listed "no art session can run" first, for a
    # type no client required and no rule needed.
    data = json.loads((INFEASIBLE / "client-days.json").read_text(encoding="utf-8"))
    art = {"id": "art", "kind": "course", "duration_minutes": 60,
           "disciplines": ["counselor"], "room_kinds": ["studio"]}  # fmt: skip
    data["session_types"].append(art)
    findings = diagnose(Instance.model_validate(data))
    assert findings and not any("art" in str(f) for f in findings)


def test_a_client_who_can_attend_no_day_is_not_blamed_on_free_leaders():
    # Found by an operations walk-through: with no group room, each client's line listed
    # the same reason once per day, and then "requires individual, but no qualified leader
    # and room are free together" though the offices and counselors were free.
    instance = base_instance(
        days=["mon", "tue"],
        rooms=[{"id": "r2", "kind": "office", "capacity": 1}],
        clients=[client("c1", requires={"ind": 1})],
        rules={"min_days_per_client_week": 1, "min_group_sessions_per_client_day": 1},
    )
    text = [str(f) for f in diagnose(instance)]
    assert not any("free together" in line for line in text), text
    (reach,) = [line for line in text if line.startswith("client c1 can attend")]
    assert "(on Monday, Tuesday at most 0 group session(s) can run" in reach


def test_clients_stranded_for_one_reason_share_one_line():
    # Many clients with the same reason made one line each, burying the other reasons.
    instance = base_instance(
        days=MON_TUE,
        rules={"min_days_per_client_week": 3},
        clients=[client(f"c{i}", requires={"grp": 1},
                        availability={"mon": [["09:00", "12:00"]], "tue": [["09:00", "12:00"]]})
                 for i in range(12)] + [client("solo", requires={"grp": 1},
                                               availability={"mon": [["09:00", "12:00"]]})],
    )  # fmt: skip
    lines = [f for f in diagnose(instance) if f.rule == "min_days_per_client_week"]
    assert [str(f) for f in lines] == [
        "12 clients (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9...) are available on 2 program "
        "day(s) (Monday, Tuesday) but the program requires 3",
        "client solo is available on 1 program day(s) (Monday) but the program requires 3",
    ]
    assert lines[0].clients == tuple(f"c{i}" for i in range(12))
