"""Folder outputs (csv, ics, plots, roster): all files or none, and no stale file comes back."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import base_dict, base_instance, session, timetable
from iop_scheduler import InputError, load_instance
from iop_scheduler.cli import cli
from iop_scheduler.export import export_csv, export_ics, resolve_week
from iop_scheduler.io import dump_timetable, write_files_atomic
from iop_scheduler.roster import read_roster, write_roster

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "docs" / "templates"
#: The calendars of the base week with one group session: cl1 leads it, c1 attends, in r1.
CALENDARS = ["client-c1.ics", "clinician-cl1.ics", "room-r1.ics"]


def run(*args: Any) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def listing(folder: Path) -> dict[str, bytes | None]:
    """Every entry of a folder (hidden ones too): a file's bytes, None for a folder."""
    return {p.name: None if p.is_dir() else p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def week_files(tmp_path) -> tuple[Path, Path]:
    """The base week and a one-session timetable of it, as files."""
    instance = tmp_path / "week.json"
    instance.write_text(json.dumps(base_dict(week_of="2026-11-30")), encoding="utf-8")
    table = tmp_path / "table.json"
    table.write_text(json.dumps(dump_timetable(one_session())), encoding="utf-8")
    return instance, table


def one_session() -> Any:
    return timetable(session("s1", "grp", "09:00", "10:00"))


# -- an error leaves the folder as it was ----------------------------------------------------


def test_csv_export_with_a_folder_in_the_way_writes_no_file(week_files, tmp_path):
    instance, table = week_files
    out = tmp_path / "half"
    (out / "attendances.csv").mkdir(parents=True)
    (out / "sessions.csv").write_bytes(b"old")
    before = listing(out)
    result = run("export", instance, table, "--to", "csv", "-o", out)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {out / 'attendances.csv'}: cannot write: a folder stands where the file should be"
    )
    assert listing(out) == before  # sessions.csv keeps its old bytes; no temporary file


def test_plot_with_a_folder_in_the_way_writes_no_file(week_files, tmp_path):
    instance, table = week_files
    out = tmp_path / "halfp"
    (out / "clinician_load.png").mkdir(parents=True)
    result = run("plot", instance, table, "-o", out)
    assert result.exit_code == 2
    assert "clinician_load.png: cannot write" in result.stderr
    assert listing(out) == {"clinician_load.png": None}  # no week_grid.png


def test_ics_export_with_a_folder_in_the_way_writes_no_calendar(week_files, tmp_path):
    pytest.importorskip("icalendar")
    instance, table = week_files
    out = tmp_path / "halfi"
    (out / "room-r1.ics").mkdir(parents=True)  # the last calendar written
    result = run("export", instance, table, "--to", "ics", "-o", out)
    assert result.exit_code == 2
    assert "room-r1.ics: cannot write" in result.stderr
    assert listing(out) == {"room-r1.ics": None}


def test_roster_with_a_folder_in_the_way_writes_no_file(tmp_path):
    out = tmp_path / "roster"
    (out / "clients.csv").mkdir(parents=True)  # written after four other files
    with pytest.raises(InputError, match=r"clients\.csv: cannot write"):
        write_roster(load_instance(ROOT / "instances" / "tiny.json"), out)
    assert listing(out) == {"clients.csv": None}


def test_api_exports_with_a_folder_in_the_way_write_no_file(tmp_path):
    inst, table = base_instance(), one_session()
    (tmp_path / "attendances.csv").mkdir()
    with pytest.raises(InputError, match=r"attendances\.csv: cannot write"):
        export_csv(inst, table, tmp_path, resolve_week(inst))
    assert listing(tmp_path) == {"attendances.csv": None}


def test_a_full_disk_midway_leaves_nothing_not_even_the_new_folder(tmp_path, monkeypatch):
    real = tempfile.mkstemp
    calls = []

    def mkstemp(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    out = tmp_path / "new" / "deeper"
    with pytest.raises(InputError, match=r"b\.txt: cannot write: No space left on device"):
        write_files_atomic(out, {"a.txt": b"a", "b.txt": b"b"})
    assert listing(tmp_path) == {}  # the folders it made are gone too


def test_a_failed_rename_replaces_no_more_files_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_bytes(b"old")
    real = os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(dst).name == "b.txt":  # as if a folder were put there meanwhile
            raise IsADirectoryError(21, "Is a directory")
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(InputError, match=r"b\.txt: cannot write: Is a directory \(1 of 3"):
        write_files_atomic(tmp_path, {n: b"new" for n in ("a.txt", "b.txt", "c.txt")})
    assert listing(tmp_path) == {"a.txt": b"new", "b.txt": b"old", "c.txt": b"old"}


def test_every_file_is_replaced_and_other_files_are_kept(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"old")
    (tmp_path / "mine.txt").write_bytes(b"mine")
    paths = write_files_atomic(tmp_path, {"a.txt": b"new a", "b.txt": b"new b"})
    assert paths == [tmp_path / "a.txt", tmp_path / "b.txt"]
    assert listing(tmp_path) == {"a.txt": b"new a", "b.txt": b"new b", "mine.txt": b"mine"}


# -- nothing stale comes back ----------------------------------------------------------------


def test_a_re_exported_roster_without_bookings_imports_without_the_old_ones(tmp_path):
    booked = tmp_path / "booked.json"
    assert run("import-csv", TEMPLATES, "-o", booked).exit_code == 0
    assert load_instance(booked).fixed_sessions  # the templates book one session
    out = tmp_path / "rr"
    assert run("export-roster", booked, "-o", out).exit_code == 0
    tiny = ROOT / "instances" / "tiny.json"
    result = run("export-roster", tiny, "-o", out)
    assert result.exit_code == 0, result.output
    back = tmp_path / "rr.json"
    result = run("import-csv", out, "-o", back)
    assert result.exit_code == 0, result.output
    assert load_instance(back).model_dump(mode="json") == load_instance(tiny).model_dump(
        mode="json"
    )


def test_a_roster_without_bookings_has_a_header_only_fixed_sessions_file(tmp_path):
    tiny = load_instance(ROOT / "instances" / "tiny.json")
    assert not tiny.fixed_sessions
    names = [p.name for p in write_roster(tiny, tmp_path)]
    assert names[-1] == "fixed_sessions.csv"
    text = (tmp_path / "fixed_sessions.csv").read_text(encoding="utf-8")
    assert text == "type,day,start,clinician,room,clients\n"
    assert read_roster(tmp_path).fixed_sessions == []


def test_ics_export_names_calendars_it_did_not_write_and_keeps_them(week_files, tmp_path):
    pytest.importorskip("icalendar")
    instance, table = week_files
    out = tmp_path / "cal"
    out.mkdir()
    (out / "client-gone.ics").write_bytes(b"old calendar")  # a client no longer there
    (out / "room-r2.ics").write_bytes(b"old calendar")  # r2 has no session this week
    (out / "client-c1.ics").write_bytes(b"old calendar")  # replaced
    (out / "notes.txt").write_bytes(b"mine")  # not a calendar of the export's
    (out / "team.ics").write_bytes(b"mine")  # not named as the export names them
    result = run("export", instance, table, "--to", "ics", "-o", out)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "did not write" in line]
    assert notes == [
        f"note: {out} also holds 2 calendar files this export did not write, left as they "
        "were: client-gone.ics, room-r2.ics"
    ]
    assert (out / "client-gone.ics").read_bytes() == b"old calendar"
    assert (out / "client-c1.ics").read_bytes() != b"old calendar"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*CALENDARS, "client-gone.ics", "room-r2.ics", "notes.txt", "team.ics"]
    )


def test_export_ics_lists_the_calendars_it_did_not_write(tmp_path):
    pytest.importorskip("icalendar")
    inst, table = base_instance(), one_session()
    first = export_ics(inst, table, tmp_path, resolve_week(inst))
    assert sorted(p.name for p in first.written) == CALENDARS and first.stale == []
    (tmp_path / "clinician-x.ics").write_bytes(b"")
    again = export_ics(inst, table, tmp_path, resolve_week(inst))
    assert again.stale == [tmp_path / "clinician-x.ics"]
