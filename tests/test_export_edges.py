"""Exports of awkward names and ids, and of files the coordinator got slightly wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import base_dict, base_instance, client, session, timetable
from iop_scheduler.cli import cli
from iop_scheduler.domain import Instance
from iop_scheduler.export import export_csv, export_ics, resolve_week
from solved_tiny import tiny_files


def run(*args: Any) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_a_line_break_in_a_name_reads_as_a_space():
    # Alt+Enter in a spreadsheet cell puts a line break in a name; calendars, workbooks
    # and tables cannot hold one, so the name reads as it would on one line.
    inst = Instance.model_validate(base_dict(name="Riverside\n IOP"))
    assert inst.name == "Riverside IOP"


def test_a_control_character_in_a_name_is_one_line_naming_it(tmp_path):
    data = base_dict()
    data["clients"][0]["name"] = "Client\x07 1"
    path = tmp_path / "week.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("validate", path, path)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: clients[0] (c1).name: 'Client\\x07 1' contains the control "
        "character U+0007"
    ]


def test_ics_calendar_name_is_escaped_text_and_uids_keep_ids_apart(tmp_path):
    icalendar = pytest.importorskip("icalendar")
    data = base_dict(name="Büro; 1, east")
    # Two clients whose ids differ only where a file name would clean them alike.
    data["clients"] = [client("a b"), client("a_b")]
    inst = Instance.model_validate(data)
    table = timetable(session("s1", "grp", "09:00", "10:00", clients=["a b", "a_b"]))
    export_ics(inst, table, tmp_path, resolve_week(inst))
    uids = set()
    for path in sorted(tmp_path.glob("client-*.ics")):
        raw = path.read_bytes()
        assert b"X-WR-CALNAME:" in raw and b"B\xc3\xbcro\\; 1\\, east" in raw
        cal = icalendar.Calendar.from_ical(raw)
        calname = str(cal["x-wr-calname"])  # an X- property parses back raw: unescape it
        calname = calname.replace("\\;", ";").replace("\\,", ",")
        assert calname.endswith("Büro; 1, east week of 2026-11-30")
        uids |= {str(event["uid"]) for event in cal.walk("VEVENT")}
    assert len(uids) == 2, uids


def test_csv_starts_with_a_byte_order_mark_for_excel(tmp_path):
    inst = base_instance()
    table = timetable(session("s1", "grp", "09:00", "10:00"))
    for path in export_csv(inst, table, tmp_path, resolve_week(inst)):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("week.ics", "the ics export writes a folder of files; give --to ics"),
        ("week.csv", "the csv export writes a folder of files; give --to csv"),
        ("week.pdf", "cannot tell the format from '.pdf'"),
    ],
)
def test_export_without_to_refuses_a_suffix_it_cannot_write(tmp_path, name, needle):
    instance, table = tiny_files(tmp_path)
    target = tmp_path / "out" / name
    result = run("export", instance, table, "-o", target)
    assert result.exit_code == 2 and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not target.exists() and not target.parent.exists()


@pytest.mark.parametrize(
    ("to", "name", "error"),
    [
        ("xlsx", "out.html", "-o {out} names html, but --to xlsx writes a workbook: give "
         "the file a .xlsx name, or leave --to out"),
        ("html", "out.xlsx", "-o {out} names xlsx, but --to html writes a web page"),
        ("html", "out.htm", None),
        ("xlsx", "out", None),
    ],
)  # fmt: skip
def test_export_refuses_a_suffix_that_names_another_format(tmp_path, to, name, error):
    # Found by coordinator walk-throughs: a workbook named out.html (first only a note).
    instance, table = tiny_files(tmp_path)
    out = tmp_path / name
    result = run("export", instance, table, "--to", to, "-o", out)
    if error is None:
        assert result.exit_code == 0 and out.is_file()
    else:
        assert result.exit_code == 2 and not out.exists()
        assert error.format(out=out) in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31"])
def test_export_refuses_a_week_no_calendar_can_hold(tmp_path, date):
    # Found by a fuzz run: the ics export crashed ("year 0 is out of range").
    instance, table = tiny_files(tmp_path)
    out = tmp_path / "ics"
    result = run("export", instance, table, "--to", "ics", "-o", out, "--week-of", date)
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr == f"error: --week-of: {date}: a week must fall in the years 1900-2999\n"


def test_export_of_a_broken_timetable_says_so(tmp_path):
    instance, table = tiny_files(tmp_path)
    data = json.loads(Path(table).read_text(encoding="utf-8"))
    data["sessions"][1]["id"] = data["sessions"][0]["id"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    result = run("export", instance, broken, "--to", "html", "-o", tmp_path / "w.html")
    # Written (a draft may be shared), but the exit status tells a script (walk-through).
    assert result.exit_code == 1 and (tmp_path / "w.html").is_file()
    assert "breaks 1 rule(s)" in result.stderr and "iop-scheduler validate" in result.stderr


def test_export_of_last_weeks_timetable_names_both_weeks(tmp_path):
    # Found by a coordinator walk-through: last week's file exported under this week's
    # dates with nothing said. A timetable now records the week it was planned for.
    instance, table = tiny_files(tmp_path)
    data = json.loads(Path(instance).read_text(encoding="utf-8"))
    assert json.loads(Path(table).read_text(encoding="utf-8"))["week_of"] == "2026-11-30"
    data["week_of"] = "2027-01-04"
    later = tmp_path / "later.json"
    later.write_text(json.dumps(data), encoding="utf-8")
    result = run("export", later, table, "--to", "html", "-o", tmp_path / "w.html")
    assert result.exit_code == 0
    assert (f"note: {table} was planned for the week of 2026-11-30; the instance is the "
            "week of 2027-01-04") in result.stderr
    # Any day names its week: the Thursday of the same week is no other week (review).
    data["week_of"] = "2026-12-03"
    later.write_text(json.dumps(data), encoding="utf-8")
    result = run("export", later, table, "--to", "html", "-o", tmp_path / "w.html")
    assert result.exit_code == 0 and "planned for" not in result.stderr


def test_summary_names_the_week_by_its_monday_as_the_exports_do():
    from iop_scheduler.report.summary import headline

    inst = base_instance(week_of="2026-12-02")  # a Wednesday
    assert "week of 2026-11-30" in headline(inst)
    assert resolve_week(inst).monday.isoformat() == "2026-11-30"
