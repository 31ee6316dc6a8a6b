"""``iop-scheduler export``: CSV, Excel, iCalendar and HTML round-trip to the timetable."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import base_instance, session, timetable
from iop_scheduler.cli import cli
from iop_scheduler.export import (
    SHEETS,
    export_csv,
    export_ics,
    export_xlsx,
    read_sessions_csv,
    render_html,
    resolve_week,
)
from iop_scheduler.times import WEEK_DAYS
from solved_tiny import TINY, solved_tiny, tiny_files

MONDAY = dt.date(2026, 11, 30)  # tiny.json's week_of


def run(*args: Any) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def week():
    """The tiny instance and its solved timetable (solved once per session)."""
    return solved_tiny()


@pytest.fixture(scope="module")
def files(week, tmp_path_factory):
    """tiny.json and the solved timetable written to a file, for the CLI."""
    return tiny_files(tmp_path_factory.mktemp("tiny"))


def date_of(day: str) -> dt.date:
    return MONDAY + dt.timedelta(days=WEEK_DAYS.index(day))


def hhmm(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


# -- dates -------------------------------------------------------------------------------


def test_week_dates_come_from_week_of_and_its_monday():
    inst = base_instance(week_of="2026-12-02")  # a Wednesday
    week = resolve_week(inst)
    assert week.monday == MONDAY and not week.assumed and week.note == ""
    assert week.date_of("fri") == dt.date(2026, 12, 4)


def test_without_week_of_the_next_monday_is_assumed_and_said():
    inst = base_instance()
    # From a Monday, the next Monday is a week later; from a Sunday, the day after.
    assert resolve_week(inst, today=dt.date(2026, 11, 30)).monday == dt.date(2026, 12, 7)
    week = resolve_week(inst, today=dt.date(2026, 12, 6))
    assert week.monday == dt.date(2026, 12, 7) and week.assumed
    assert "2026-12-07" in week.note and "week_of" in week.note
    assert resolve_week(inst, dt.date(2027, 1, 6)).monday == dt.date(2027, 1, 4)


# -- CSV ---------------------------------------------------------------------------------


def test_csv_reloads_to_the_same_sessions(week, tmp_path):
    inst, table = week
    written = export_csv(inst, table, tmp_path, resolve_week(inst))
    assert [p.name for p in written] == ["sessions.csv", "attendances.csv"]
    back = read_sessions_csv(tmp_path / "sessions.csv")
    assert sorted(back, key=lambda s: s.id) == sorted(table.sessions, key=lambda s: s.id)

    import pandas as pd

    sessions = pd.read_csv(tmp_path / "sessions.csv", dtype=str, keep_default_na=False)
    assert len(sessions) == len(table.sessions)
    by_id = {s.id: s for s in table.sessions}
    for row in sessions.to_dict("records"):
        s = by_id[row["session"]]
        assert row["date"] == date_of(s.day).isoformat()
        assert row["type_name"] == inst.type_by_id[s.type].title
        assert row["clinician_name"] == inst.clinician_by_id[s.clinician].name
        assert row["room_name"] == inst.room_by_id[s.room].name
        assert int(row["size"]) == len(s.clients)
    attendances = pd.read_csv(tmp_path / "attendances.csv", dtype=str, keep_default_na=False)
    assert len(attendances) == sum(len(s.clients) for s in table.sessions)
    assert Counter(zip(attendances["session"], attendances["client"], strict=True)) == Counter(
        (s.id, c) for s in table.sessions for c in s.clients
    )


# -- Excel -------------------------------------------------------------------------------


def test_xlsx_has_a_sheet_per_view(week, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    inst, table = week
    path = export_xlsx(inst, table, tmp_path / "week.xlsx", resolve_week(inst))
    book = openpyxl.load_workbook(path)
    assert tuple(book.sheetnames) == SHEETS
    assert book["Sessions"].max_row == 1 + len(table.sessions)
    attendances = sum(len(s.clients) for s in table.sessions)
    assert book["Attendances"].max_row == 1 + attendances
    assert book["By client"].max_row == 1 + attendances
    assert book["By clinician"].max_row == 1 + len(table.sessions)
    assert book["By room"].max_row == 1 + len(table.sessions)
    header = [c.value for c in book["Sessions"][1]]
    dates = {row[header.index("date")] for row in book["Sessions"].iter_rows(2, values_only=True)}
    assert {d.date() for d in dates} == {date_of(s.day) for s in table.sessions}
    grid = book["Week grid"]
    texts = [c.value for row in grid.iter_rows(min_row=3) for c in row[1:] if c.value]
    assert len(texts) == len(table.sessions)  # one labelled block per session
    assert grid.cell(row=1, column=2).value == "Monday 30 Nov"


def test_xlsx_lists_a_double_booked_room_in_one_block(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    inst = base_instance()
    table = timetable(
        session("s1", "grp", "09:00", "10:00"), session("s2", "grp", "09:30", "10:30")
    )
    path = export_xlsx(inst, table, tmp_path / "clash.xlsx", resolve_week(inst))
    grid = openpyxl.load_workbook(path)["Week grid"]
    texts = [c.value for row in grid.iter_rows(min_row=3) for c in row[1:] if c.value]
    assert len(texts) == 1 and "s1" in texts[0] and "s2" in texts[0]


# -- iCalendar ---------------------------------------------------------------------------


def entity_sessions(table, kind: str, entity: str) -> list:
    if kind == "clinician":
        return [s for s in table.sessions if s.clinician == entity]
    if kind == "room":
        return [s for s in table.sessions if s.room == entity]
    return [s for s in table.sessions if entity in s.clients]


def test_ics_parse_back_to_each_entitys_sessions_at_the_real_dates(week, tmp_path):
    icalendar = pytest.importorskip("icalendar")
    inst, table = week
    result = export_ics(inst, table, tmp_path, resolve_week(inst))
    entities = (
        [("clinician", c.id) for c in inst.clinicians]
        + [("client", c.id) for c in inst.clients]
        + [("room", r.id) for r in inst.rooms]
    )
    uids: set[str] = set()
    checked = 0
    for kind, entity in entities:
        expected = entity_sessions(table, kind, entity)
        path = tmp_path / f"{kind}-{entity}.ics"
        if not expected:
            assert not path.exists() and f"{kind} {entity}" in result.empty
            continue
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        assert str(cal["VERSION"]) == "2.0" and "iop-scheduler" in str(cal["PRODID"])
        events = cal.walk("VEVENT")
        assert len(events) == len(expected)
        got = {
            (str(e["SUMMARY"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["LOCATION"]))
            for e in events
        }
        want = {
            (
                inst.type_by_id[s.type].title,
                dt.datetime.combine(date_of(s.day), hhmm(s.start)),
                dt.datetime.combine(date_of(s.day), hhmm(s.end)),
                inst.room_by_id[s.room].name,
            )
            for s in expected
        }
        assert got == want
        for event in events:
            assert event.decoded("DTSTART").tzinfo is None  # floating local time
            assert "DTSTAMP" in event
            assert "Led by" in str(event["DESCRIPTION"])
            uid = str(event["UID"])
            assert uid not in uids
            uids.add(uid)
        checked += 1
    assert checked == len(result.written) > 0


def test_ics_timezone_gives_tzid_and_vtimezone(week, tmp_path):
    icalendar = pytest.importorskip("icalendar")
    inst, table = week
    export_ics(inst, table, tmp_path, resolve_week(inst), timezone="America/New_York")
    text = (tmp_path / "room-r1.ics").read_text(encoding="utf-8")
    assert "BEGIN:VTIMEZONE" in text and "TZID=America/New_York" in text
    cal = icalendar.Calendar.from_ical(text)
    first = min(cal.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
    start = first.decoded("DTSTART")
    assert start.utcoffset() == dt.timedelta(hours=-5)  # EST in late November


# -- HTML --------------------------------------------------------------------------------


class SessionCounter(HTMLParser):
    """Collects the attributes of every element whose class list holds "session"."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[dict[str, str | None]] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "session" in (found.get("class") or "").split():
            self.sessions.append(found)
        for name in ("src", "href"):
            if (found.get(name) or "").startswith(("http:", "https:", "//")):
                self.external.append(f"{tag} {name}")


def test_html_is_one_self_contained_file(week):
    inst, table = week
    page = render_html(inst, table, resolve_week(inst))
    parser = SessionCounter()
    parser.feed(page)
    assert parser.external == []
    assert "<link" not in page and "@import" not in page and "url(" not in page
    # The sessions are drawn by the script, from the embedded data.
    assert parser.sessions == []
    opening = '<script type="application/json" id="week-data">'
    start = page.index(opening) + len(opening)
    data = json.loads(page[start : page.index("</script>", start)])
    assert len(data["sessions"]) == len(table.sessions)


def test_html_escapes_names_that_look_like_markup():
    inst = base_instance(
        clients=[{"id": "c1", "name": "</script><b>x</b>", "requires": {"grp": 1}}]
    )
    page = render_html(inst, timetable(session("s1", "grp", "09:00", "10:00")), resolve_week(inst))
    assert "</script><b>" not in page and page.count("</script>") == 2


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def rendered_page(inst: Any, table: Any, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The week view of ``table`` as headless Chromium renders it (the test skips without it)."""
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium found (apt-get install chromium); the HTML render test needs one")
    page = tmp_path / "week.html"
    from iop_scheduler.export import export_html

    export_html(inst, table, page, resolve_week(inst))
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
        page.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_html_renders_in_headless_chromium(week, tmp_path):
    inst, table = week
    done = rendered_page(inst, table, tmp_path)
    parser = SessionCounter()
    parser.feed(done.stdout)
    assert 'data-rendered="true"' in done.stdout, "the page's script did not run to its end"
    # Every session shows in its room's tab (or Telehealth), its leader's and each client's.
    expected = sum(1 + 1 + len(s.clients) for s in table.sessions)
    assert len(parser.sessions) == expected
    per_tab = Counter((e["data-entity-kind"], e["data-entity"]) for e in parser.sessions)
    for client in inst.clients:
        assert per_tab[("client", client.id)] == len(entity_sessions(table, "client", client.id))
    for clin in inst.clinicians:
        assert per_tab[("clinician", clin.id)] == len(
            entity_sessions(table, "clinician", clin.id)
        )
    by_id = {s.id: s for s in table.sessions}
    for element in parser.sessions:
        s = by_id[element["data-session"]]
        assert element["data-day"] == s.day and element["data-type"] == s.type
    tabs = done.stdout.count('role="tab"')
    assert tabs == len(inst.rooms) + len(inst.clinicians) + len(inst.clients)


# -- the command -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name", "made"),
    [
        ("csv", "out-csv", ["sessions.csv", "attendances.csv"]),
        ("xlsx", "out.xlsx", None),
        ("ics", "out-ics", ["room-r1.ics"]),
        ("html", "out.html", None),
    ],
)
def test_export_command_writes_each_format(files, tmp_path, fmt, name, made):
    instance, table = files
    result = run("export", instance, table, "--to", fmt, "-o", tmp_path / name)
    assert result.exit_code == 0, (result.output, result.exception)
    target = tmp_path / name
    if made is None:
        assert target.is_file() and target.stat().st_size > 0
    else:
        assert all((target / m).is_file() for m in made)
    # tiny.json has a week_of, so no date is assumed; ics may name rooms left unused.
    assert "week_of" not in result.stderr
    assert all(line.startswith("note: no sessions") for line in result.stderr.splitlines())


def test_export_defaults_to_html_next_to_the_timetable(files):
    instance, table = files
    result = run("export", instance, table)
    assert result.exit_code == 0, result.output
    assert table.with_name("week.html").is_file()
    result = run("export", instance, table, "-o", table.with_name("grid.xlsx"))
    assert result.exit_code == 0 and table.with_name("grid.xlsx").is_file()


def test_export_without_week_of_says_which_monday_it_used(files, tmp_path):
    _, table = files
    data = json.loads(TINY.read_text(encoding="utf-8"))
    del data["week_of"]
    instance = tmp_path / "no_week.json"
    instance.write_text(json.dumps(data), encoding="utf-8")
    result = run("export", instance, table, "--to", "csv", "-o", tmp_path / "csv")
    assert result.exit_code == 0, result.output
    assert "no week_of" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    monday = resolve_week(base_instance()).monday
    assert monday.weekday() == 0 and monday > dt.date.today()
    assert monday.isoformat() in result.stderr


def test_export_of_a_timetable_that_holds_none_is_an_input_error(files, tmp_path):
    instance, _ = files
    empty = tmp_path / "none.json"
    empty.write_text(
        json.dumps({"format": "iop-schedule/1", "instance": "tiny", "status": "infeasible",
                    "sessions": []}),
        encoding="utf-8",
    )  # fmt: skip
    result = run("export", instance, empty, "-o", tmp_path / "x.html")
    assert result.exit_code == 2
    assert "infeasible" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.html").exists()


def test_export_rejects_a_bad_time_zone_and_writes_nothing(files, tmp_path):
    instance, table = files
    result = run("export", instance, table, "--to", "ics", "--timezone", "Mars/Olympus",
                 "-o", tmp_path / "cal")  # fmt: skip
    assert result.exit_code == 2 and "Mars/Olympus" in result.stderr
    assert not (tmp_path / "cal").exists()


@pytest.mark.parametrize(("fmt", "module"), [("ics", "icalendar"), ("xlsx", "openpyxl")])
def test_missing_export_extra_is_one_line_naming_the_extra(
    files, tmp_path, monkeypatch, fmt, module
):
    instance, table = files
    monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError
    result = run("export", instance, table, "--to", fmt, "-o", tmp_path / "out")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert 'pip install "iop-scheduler[export]"' in line and module in line
    assert not (tmp_path / "out").exists()
