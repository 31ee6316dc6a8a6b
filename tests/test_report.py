"""``iop-scheduler report``: compliance and KPIs, checked against hand computation."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import base_instance, client, session, timetable
from iop_scheduler import score
from iop_scheduler.cli import cli
from iop_scheduler.report.compliance import compliance, render_markdown, render_table, to_json
from iop_scheduler.scoring import penalty_terms
from solved_tiny import solved_tiny, tiny_files


def run(*args: Any) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def week():
    """The tiny instance and its solved timetable (solved once per session)."""
    return solved_tiny()


# -- a hand-made week with known numbers -----------------------------------------------------


def two_session_week(**rules: Any):
    """c1 attends a group 09:00-10:00 and an individual session 11:00-12:00 on Monday.

    Program hours are 09:00-12:00 (180 minutes); c1 prefers 09:00-11:00, so the 11:00
    session misses the window; c1 waits 10:00-11:00 (60 idle minutes).
    """
    inst = base_instance(
        clients=[client("c1", preferred_window=["09:00", "11:00"], requires={"grp": 1})],
        rules=rules,
    )
    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "ind", "11:00", "12:00", room="r2"),
    )
    return inst, table


def test_hand_made_week_numbers():
    inst, table = two_session_week()
    report = compliance(inst, table)
    (c1,) = report.clients
    assert (c1.minutes, len(c1.days), c1.sessions, c1.status) == (120, 1, 2, "OK")
    assert c1.days[0].group_sessions == 1 and c1.days[0].idle_minutes == 60
    (cl1,) = report.clinicians
    # cl1 has no availability: all of program hours, 09:00-12:00.
    assert (cl1.led_minutes, cl1.available_minutes) == (120, 180)
    assert cl1.utilisation == pytest.approx(2 / 3)
    r1, r2 = report.rooms
    assert (r1.used_minutes, r1.available_minutes, r1.seat_fill) == (60, 180, 0.25)
    assert (r2.used_minutes, r2.seat_fill) == (60, 1.0)
    # grp: max_size 4 and room capacity 4 -> 4 seats, 1 attendee.
    (grp,) = report.fill
    assert (grp.sessions, grp.attendees, grp.seats, grp.fill_rate) == (1, 1, 4, 0.25)
    assert [(w.client, w.day, w.idle_minutes, w.cost) for w in report.idle] == [
        ("c1", "mon", 60, 120)  # weight client_idle_minute = 2
    ]
    assert [(m.session, m.reason, m.cost) for m in report.preference_misses] == [
        ("s2", "window", 60)
    ]
    assert report.penalty == 120 + 120 + 60  # staff minutes, idle, one miss


def test_a_client_below_the_rules_is_short():
    inst, table = two_session_week(min_hours_per_client_week=3, min_group_sessions_per_client_day=2)
    report = compliance(inst, table)
    (c1,) = report.clients
    assert c1.status == "short"
    assert any("2 h, short of 3 h" in p for p in c1.problems)
    assert any(p.startswith("mon: 1 group session(s), short of 2") for p in c1.problems)
    assert c1.days[0].ok is False
    assert report.violations  # the validator agrees the week breaks rules
    text = render_table(report)
    assert "short: " in text and "1h 1g*" not in text and "2h 1g*" in text


def test_a_missing_required_session_alone_reads_short_once():
    # Found by an operations walk-through: "short: grp: 0 of 2 required session(s), short".
    inst = base_instance(
        clients=[client("c1", preferred_window=["09:00", "11:00"], requires={"grp": 2})],
        rules={"min_hours_per_client_week": 2, "min_hours_per_client_day": 2},
    )
    table = timetable(
        session("s1", "grp", "09:00", "10:00"),
        session("s2", "ind", "11:00", "12:00", room="r2"),
    )
    (c1,) = compliance(inst, table).clients
    assert c1.problems == ["grp: 1 of 2 required session(s)"]
    assert c1.status == "short"
    assert "short: grp: 1 of 2 required session(s)" in render_table(compliance(inst, table))
    assert "session(s), short" not in render_table(compliance(inst, table))


def test_preferred_days_and_window_missed_together_count_once():
    inst = base_instance(
        days=["mon", "tue"],
        clients=[client("c1", preferred_days=["tue"], preferred_window=["09:00", "10:00"],
                        requires={"grp": 1})],
    )  # fmt: skip
    table = timetable(session("s1", "grp", "10:00", "11:00"))
    report = compliance(inst, table)
    assert [m.reason for m in report.preference_misses] == ["day and window"]
    assert score(inst, table)["preference_miss"].amount == 1


# -- the solved tiny week, against computation from its sessions ------------------------------


def test_tiny_report_matches_hand_computation(week):
    inst, table = week
    report = compliance(inst, table)
    assert report.violations == [] and report.clients_ok == len(inst.clients)
    minutes: dict[str, int] = defaultdict(int)
    days: dict[str, set[str]] = defaultdict(set)
    groups: dict[tuple[str, str], int] = defaultdict(int)
    for s in table.sessions:
        for c in s.clients:
            minutes[c] += s.end - s.start
            days[c].add(s.day)
            if inst.type_by_id[s.type].kind == "group":
                groups[(c, s.day)] += 1
    for row in report.clients:
        assert row.minutes == minutes[row.id]
        assert {d.day for d in row.days} == days[row.id]
        for d in row.days:
            assert d.group_sessions == groups[(row.id, d.day)]
            assert d.ok and d.minutes >= 180 and d.group_sessions >= 2
        assert row.minutes >= 600 and len(row.days) >= 3 and row.status == "OK"

    # Availability of tiny.json within 09:00-17:00: cl1 5 x 8 h, cl2 4 x 8 h, cl3 5 x 5 h,
    # cl4 5 x 4 h; rooms r1-r3 always open (5 x 8 h), r4 Mon/Wed/Fri only.
    available = {"cl1": 40, "cl2": 32, "cl3": 25, "cl4": 20}
    for row in report.clinicians:
        led = sum(s.end - s.start for s in table.sessions if s.clinician == row.id)
        assert row.led_minutes == led
        assert row.available_minutes == available[row.id] * 60
        assert row.utilisation == pytest.approx(led / (available[row.id] * 60))
    open_hours = {"r1": 40, "r2": 40, "r3": 40, "r4": 24}
    for room in report.rooms:
        held = [s for s in table.sessions if s.room == room.id]
        assert room.used_minutes == sum(s.end - s.start for s in held)
        assert room.available_minutes == open_hours[room.id] * 60
        assert room.attendees == sum(len(s.clients) for s in held)

    shared = [s for s in table.sessions if inst.type_by_id[s.type].kind != "individual"]
    seats = sum(
        min(inst.type_by_id[s.type].max_size, inst.room_by_id[s.room].capacity) for s in shared
    )
    assert report.fill_rate == pytest.approx(sum(len(s.clients) for s in shared) / seats)

    # The breakdowns add up to the validator's terms.
    terms = score(inst, table)
    assert report.terms == terms
    assert sum(w.idle_minutes for w in report.idle) == terms["client_idle_minute"].amount
    assert len(report.preference_misses) == terms["preference_miss"].amount
    assert sum(s.staff_minutes for s in report.session_costs) == terms["staff_minute"].amount
    assert sum(t.staff_minutes for t in report.type_costs) == terms["staff_minute"].amount


def test_report_command_formats(week, tmp_path):
    inst, _ = week
    instance, table = tiny_files(tmp_path)
    result = run("report", instance, table)
    assert result.exit_code == 0, (result.output, result.exception)
    for title in ("Clients", "Clinicians", "Rooms", "Group fill", "Penalty by term",
                  "Client idle time", "Preference misses", "Staff time by session type"):
        assert title in result.stdout  # fmt: skip
    data = json.loads(run("report", instance, table, "--format", "json").stdout)
    assert data["valid"] is True and data["totals"]["clients_ok"] == len(inst.clients)
    assert data["penalty"] == sum(t["cost"] for t in data["terms"].values())
    assert {c["id"] for c in data["clients"]} == {c.id for c in inst.clients}
    result = run("report", instance, table, "--format", "markdown", "-o", tmp_path / "r.md")
    assert result.exit_code == 0 and result.stdout.startswith("Wrote")
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Compliance and KPI report") and "| client |" in markdown
    assert markdown == render_markdown(compliance(inst, solved_tiny()[1]))


def test_report_with_previous_lists_dropped_attendances(tmp_path):
    inst, table = two_session_week()
    before = timetable(session("s1", "grp", "09:30", "10:30"))
    report = compliance(inst, table, previous=before)
    assert report.changes == [{"client": "c1", "type": "grp", "day": "mon", "start": "09:30"}]
    assert to_json(report)["terms"]["change_from_previous"]["amount"] == 1


def test_report_on_a_mismatched_timetable_is_an_input_error(tmp_path):
    _, table = tiny_files(tmp_path)
    inst = tmp_path / "base.json"
    inst.write_text(base_instance().model_dump_json(), encoding="utf-8")
    result = run("report", inst, table)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_a_client_in_overlapping_sessions_is_broken_and_never_idle_below_zero():
    # c1 is booked into two sessions at once (rule 4): the report names the broken rule
    # and does not count c1 among the clients meeting every rule, and the overlap never
    # makes the idle time negative (it would lower the penalty of a broken week).
    inst = base_instance(clients=[client("c1", requires={"grp": 1})])
    table = timetable(
        session("s1", "grp", "09:00", "11:00"),
        session("s2", "ind", "10:00", "11:00", room="r2"),
    )
    report = compliance(inst, table)
    (c1,) = report.clients
    assert c1.status == "broken" and report.clients_ok == 0
    assert any(p.startswith("[client_overlap]") for p in c1.problems)
    assert c1.days[0].idle_minutes == 0 and report.idle == []
    assert score(inst, table)["client_idle_minute"].amount == 0
    assert penalty_terms(inst, table.sessions)["client_idle_minute"].amount == 0


def test_a_timetable_of_another_clinic_name_gets_a_note(tmp_path):
    instance_path, table_path = tiny_files(tmp_path)
    data = json.loads(table_path.read_text(encoding="utf-8"))
    data["instance"] = "riverside"
    table_path.write_text(json.dumps(data), encoding="utf-8")
    for command in ("validate", "report"):
        result = run(command, instance_path, table_path)
        # The ids fit, so it is checked as usual; the note says the names differ.
        assert result.exit_code == 0, result.output
        assert "is a timetable of 'riverside', checked against 'tiny'" in result.stderr


def test_the_shortfalls_section_is_the_weeks_own_not_the_files_list():
    # Found by a review of the reports: after a hand edit took a client out of every
    # session, the section still printed the file's old list.
    inst, table = two_session_week(min_hours_per_client_week=3)
    stale = table.model_copy(update={"shortfalls": []})
    stale.allow_shortfalls = True  # type: ignore[attr-defined]
    report = compliance(inst, stale)
    assert report.shortfalls == [{"client": "c1", "rule": "min_hours_per_client_week",
                                  "required": 3, "scheduled": 2}]  # fmt: skip
    assert "min_hours_per_client_week" in render_table(report)
    # A file that does not allow shortfalls has no such section: its rules are broken.
    assert compliance(inst, table).shortfalls == []


def test_required_sessions_in_json_name_their_numbers():
    # Found by a review of the reports: the text printed attended/required ("grp 1/1"),
    # the JSON a bare [required, attended].
    inst, table = two_session_week()
    (c1,) = to_json(compliance(inst, table))["clients"]
    assert c1["requires"] == {"grp": {"required": 1, "attended": 1}}
