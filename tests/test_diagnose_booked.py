"""Booked (fixed) sessions use their leader's hours: the quick clinician-hours proofs count them.

Each over-the-limit week has a twin exactly at the limit that must not be reported (a
diagnosis finding aborts the solve) and that the solver does schedule.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from helpers import base_dict, base_instance, client, clinician, solve_checked
from iop_scheduler import Instance, Status
from iop_scheduler.cli import cli
from iop_scheduler.diagnose import diagnose


def only_finding(instance, rule):
    """The one diagnosis finding of a rule (there must be exactly one)."""
    findings = [f for f in diagnose(instance) if f.rule == rule]
    assert len(findings) == 1, [str(f) for f in diagnose(instance)]
    return findings[0]


def caseload(*ids, of="cl2"):
    """Clients who each require one individual session with their assigned clinician."""
    return [client(c, requires={"ind": 1}, assigned_clinicians={"ind": of}) for c in ids]


def group_booking(start, day="mon", lead="cl2", who="c9"):
    """A one-hour group booked for ``who`` and led by ``lead``."""
    return {"type": "grp", "day": day, "start": start, "clinician": lead, "room": "r1",
            "clients": [who]}  # fmt: skip


def booked_week(max_week):
    # cl2 leads a booked group (1 h) and owes c1 and c2 an hour each (2 h): 3 h in all.
    return base_dict(
        clinicians=[clinician("cl1"), clinician("cl2", max_hours_per_week=max_week)],
        clients=[*caseload("c1", "c2"), client("c9", requires={"grp": 1})],
        fixed_sessions=[group_booking("09:00")],
    )


def test_booked_hours_and_the_caseload_beyond_the_week(tmp_path):
    # Neither alone exceeds cl2's two hours a week (1 h booked, 2 h owed); together they do.
    instance = base_instance(**booked_week(2))
    finding = only_finding(instance, "clinician_hours")
    assert finding.clinicians == ("cl2",) and finding.clients == ("c1", "c2")
    assert str(finding) == (
        "clinician cl2 leads 1h of booked sessions (fixed session 0) and is the assigned "
        "clinician of 2 clients (c1, c2) whose required sessions with them need another 2h "
        "(3h in all), but cl2 works at most 2 h a week"
    )
    # The coordinator reads the same sentence from `solve`, which stops there.
    path = tmp_path / "week.json"
    path.write_text(json.dumps(booked_week(2)))
    run = CliRunner().invoke(cli, ["solve", str(path), "--time-limit", "5", "--workers", "1",
                                   "--no-progress", "-o", str(tmp_path / "out.json")])  # fmt: skip
    assert run.exit_code == 1, run.output
    assert f"  - {finding}\n" in run.output


def test_booked_hours_and_the_caseload_exactly_at_the_week_limit_are_not_reported():
    instance = base_instance(**booked_week(3))
    assert diagnose(instance) == []
    assert solve_checked(instance, time_limit=5).status.has_timetable


def c1_booked_with_cl2(week_hours: int) -> Instance:
    """cl2 carries c1 and c2 and works ``week_hours`` a week; c1's hour with cl2 is booked."""
    return base_instance(
        clinicians=[clinician("cl1"), clinician("cl2", max_hours_per_week=week_hours)],
        clients=caseload("c1", "c2"),
        fixed_sessions=[{"type": "ind", "day": "mon", "start": "09:00", "clinician": "cl2",
                         "room": "r2", "clients": ["c1"]}],
    )  # fmt: skip


def test_a_booked_session_of_the_caseload_counts_once():
    # c1's required hour with cl2 is the booked one: cl2 leads 2 h, within the limit.
    instance = c1_booked_with_cl2(2)
    assert diagnose(instance) == []
    assert solve_checked(instance, time_limit=5).status.has_timetable


def test_a_booked_session_of_the_caseload_counts_once_when_over():
    # Same, with one hour a week: the booking is that hour, c2's session is one more.
    instance = c1_booked_with_cl2(1)
    finding = only_finding(instance, "clinician_hours")
    assert finding.clients == ("c2",)
    assert "leads 1h of booked sessions (fixed session 0)" in str(finding)
    assert "1 client (c2) whose required sessions with them need another 1h (2h in all)" in str(
        finding
    )


def two_day_week(clients):
    # cl2 works two hours a day on Monday and Tuesday; Monday's two are booked.
    return base_instance(
        days=["mon", "tue"],
        clinicians=[clinician("cl1"), clinician("cl2", max_hours_per_day=2)],
        clients=[*caseload(*clients), client("c8"), client("c9")],
        fixed_sessions=[group_booking("09:00", who="c8"), group_booking("10:00")],
    )


def test_booked_minutes_use_that_days_hours():
    # Three owed hours fit four hours of days (the old check), not Tuesday's two.
    instance = two_day_week(["c1", "c2", "c3"])
    finding = only_finding(instance, "clinician_hours")
    assert finding.clients == ("c1", "c2", "c3")
    assert str(finding) == (
        "clinician cl2 leads 2h of booked sessions (fixed sessions 0, 1) and is the assigned "
        "clinician of 3 clients (c1, c2, c3) whose required sessions with them need another "
        "3h (5h in all), but cl2 works at most 2 h a day on the 2 day(s) they are available "
        "(4h a week), which leaves 2h around the bookings"
    )
    assert solve_checked(instance, time_limit=5).status is Status.INFEASIBLE


def test_booked_minutes_exactly_at_the_daily_limit_are_not_reported():
    instance = two_day_week(["c1", "c2"])
    assert diagnose(instance) == []
    assert solve_checked(instance, time_limit=5).status.has_timetable


def test_booked_time_leaves_too_little_availability():
    # cl2 is free 09:00-11:00; a booked group takes the first hour, two are owed.
    instance = base_instance(
        clinicians=[clinician("cl1"), clinician("cl2", availability={"mon": [["09:00", "11:00"]]})],
        clients=[*caseload("c1", "c2"), client("c9", requires={"grp": 1})],
        fixed_sessions=[group_booking("09:00")],
    )  # fmt: skip
    finding = only_finding(instance, "clinician_hours")
    assert str(finding).endswith(
        "but cl2 is available only 2h in program hours, 1h of it outside the bookings"
    )


def test_bookings_alone_beyond_a_clinicians_day_are_named_even_with_shortfalls():
    instance = base_instance(
        days=["mon", "tue"],
        clinicians=[clinician("cl1"), clinician("cl2", max_hours_per_day=1.5)],
        clients=[client("c8"), client("c9")],
        fixed_sessions=[group_booking("09:00", who="c8"), group_booking("10:00")],
    )
    finding = only_finding(instance, "clinician_hours")
    assert finding.days == ("mon",) and finding.clinicians == ("cl2",)
    assert str(finding) == (
        "clinician cl2's booked sessions on Monday (fixed sessions 0, 1) take 2h, but cl2 "
        "works at most 1.5 h a day"
    )
    # Shortfalls only relax the clients' week minimums: the bookings must still run.
    assert [str(f) for f in diagnose(instance, allow_shortfalls=True)] == [str(finding)]


def test_bookings_alone_beyond_a_clinicians_week_are_named():
    instance = base_instance(
        days=["mon", "tue"],
        clinicians=[clinician("cl1"), clinician("cl2", max_hours_per_week=1)],
        clients=[client("c9", requires={"grp": 1})],
        fixed_sessions=[group_booking("09:00"), group_booking("10:00", day="tue")],
    )
    finding = only_finding(instance, "clinician_hours")
    assert str(finding) == (
        "clinician cl2's booked sessions (fixed sessions 0, 1) take 2h, but cl2 works at "
        "most 1 h a week"
    )
