"""The ``solve`` and ``validate`` commands end to end, through click's CliRunner."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import base_dict, check_timetable, session, timetable
from iop_scheduler import Instance, Timetable, load_instance, load_timetable
from iop_scheduler.cli import cli

TINY = Path(__file__).resolve().parents[1] / "instances" / "tiny.json"

#: The fields of SPEC section 6 every timetable file carries.
TIMETABLE_FIELDS = {"format", "instance", "status", "penalty", "bound", "solve_seconds",
                    "sessions", "shortfalls", "explanation"}
SESSION_FIELDS = {"id", "type", "day", "start", "end", "clinician", "room", "clients"}


def run(*args: str) -> Any:
    """Invoke the CLI (stderr kept apart from stdout)."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def json_from(text: str) -> Any:
    """The JSON document printed on stdout."""
    return json.loads(text)


@pytest.fixture(scope="module")
def tiny_solved(tmp_path_factory) -> tuple[Any, Path]:
    """``solve instances/tiny.json -o out.json``, run once for the module."""
    out = tmp_path_factory.mktemp("tiny") / "out.json"
    result = run("solve", TINY, "--time-limit", "10", "--workers", "2", "-o", out)
    return result, out


def test_solve_tiny_writes_a_valid_timetable(tiny_solved):
    result, out = tiny_solved
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Penalty" in result.stdout and f"Timetable written to {out}" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data.keys() >= TIMETABLE_FIELDS
    assert data["status"] in ("optimal", "feasible") and data["sessions"]
    # The independent validator and scorer agree with what the solver wrote.
    assert check_timetable(load_instance(TINY), load_timetable(out)) == data["penalty"]


def test_validate_accepts_the_solved_tiny_week(tiny_solved):
    _, out = tiny_solved
    result = run("validate", TINY, out)
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout and "Penalty" in result.stdout
    assert "Note:" not in result.stdout  # the declared penalty is the computed one


def test_validate_json_output(tiny_solved):
    _, out = tiny_solved
    result = run("validate", TINY, out, "--format", "json")
    assert result.exit_code == 0
    report = json_from(result.stdout)
    assert report["valid"] is True and report["violations"] == []
    assert report["penalty"] == json.loads(out.read_text())["penalty"]
    assert report["penalty"] == sum(t["cost"] for t in report["terms"].values())


def test_solve_format_json_prints_the_timetable():
    result = run("solve", TINY, "--time-limit", "5", "--workers", "2", "--format", "json")
    assert result.exit_code == 0, (result.output, result.exception)
    data = json_from(result.stdout)
    assert data.keys() >= TIMETABLE_FIELDS
    assert data["format"] == "iop-schedule/1" and data["instance"] == "tiny"
    assert data["status"] in ("optimal", "feasible")
    assert isinstance(data["penalty"], int)
    check_timetable(load_instance(TINY), Timetable.model_validate(data))
    assert data["shortfalls"] == [] and data["explanation"] == []
    for entry in data["sessions"]:
        assert entry.keys() >= SESSION_FIELDS
        assert isinstance(entry["start"], str) and len(entry["start"]) == 5  # "HH:MM"


def test_solve_reproducible_runs_agree():
    args = ("solve", TINY, "--time-limit", "10", "--workers", "2", "--seed", "3",
            "--reproducible", "--format", "json")
    first, second = run(*args), run(*args)
    assert first.exit_code == second.exit_code == 0
    one, two = json_from(first.stdout), json_from(second.stdout)
    check_timetable(load_instance(TINY), Timetable.model_validate(one))
    assert one["sessions"] == two["sessions"]
    assert one["penalty"] == two["penalty"]


# -- exit statuses on small weeks ----------------------------------------------------------


def write(tmp_path: Path, name: str, data: Any) -> Path:
    """Write JSON data to a file in tmp_path."""
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_solve_infeasible_week_exits_1(tmp_path):
    # A nurse cannot lead the required group: no valid timetable exists.
    week = write(tmp_path, "week.json",
                 base_dict(clinicians=[{"id": "n1", "discipline": "nurse"}]))
    out = tmp_path / "out.json"
    result = run("solve", week, "--time-limit", "5", "--workers", "2", "-o", out)
    assert result.exit_code == 1
    assert "infeasible" in result.stdout and "Why no timetable exists" in result.stdout
    data = json.loads(out.read_text())
    assert data["status"] == "infeasible" and data["sessions"] == []
    assert data["penalty"] is None and data["bound"] is None
    assert data["explanation"]  # SPEC 7: it says why


def test_validate_broken_timetable_exits_1(tmp_path):
    week = write(tmp_path, "week.json", base_dict())
    broken = timetable(session("s1", "grp", "09:00", "10:00", clinician=None))
    table = tmp_path / "table.json"
    table.write_text(broken.model_dump_json(), encoding="utf-8")
    result = run("validate", week, table)
    assert result.exit_code == 1
    assert "[leader]" in result.stdout and "s1" in result.stdout


def test_solve_and_validate_with_previous(tmp_path):
    week = write(tmp_path, "week.json", base_dict())
    previous = tmp_path / "previous.json"
    previous.write_text(
        timetable(session("s1", "grp", "10:30", "11:30"), penalty=60).model_dump_json(),
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    result = run("solve", week, "--time-limit", "5", "--workers", "2", "--previous", previous,
                 "-o", out)
    assert result.exit_code == 0
    # Keeping c1's 10:30 group costs nothing, so the optimum keeps it: 60 staff minutes.
    data = json.loads(out.read_text())
    kept = check_timetable(Instance.model_validate(base_dict()), load_timetable(out),
                           previous=load_timetable(previous))
    assert data["penalty"] == kept == 60
    assert [s["start"] for s in data["sessions"]] == ["10:30"]
    checked = run("validate", week, out, "--previous", previous, "--format", "json")
    assert checked.exit_code == 0
    assert json_from(checked.stdout)["terms"]["change_from_previous"]["amount"] == 0


def test_solve_greedy_on_the_base_week(tmp_path):
    week = write(tmp_path, "week.json", base_dict())
    out = tmp_path / "out.json"
    result = run("solve", week, "--method", "greedy", "-o", out)
    # One client needing one group: even a spreadsheet coordinator schedules that.
    assert result.exit_code == 0, result.stdout
    assert run("validate", week, out).exit_code == 0
    check_timetable(Instance.model_validate(base_dict()), load_timetable(out))


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, a POSIX signal")
def test_ctrl_c_stops_a_long_solve_and_keeps_the_best_timetable(tmp_path):
    """Issue 3: Ctrl-C ends the search early and the best timetable so far is written."""
    out = tmp_path / "week.json"
    command = [sys.executable, "-m", "iop_scheduler", "solve", str(TINY), "--time-limit",
               "120", "--workers", "1", "--progress", "-o", str(out)]
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # progress lines: "  1.2 s  best 1,290  bound ..."
        if re.search(r"best [\d,]+", line):
            break
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=60)
    assert time.monotonic() - started < 100, "the solve ran on after Ctrl-C"
    assert proc.returncode == 0, stdout
    assert "Penalty" in stdout
    week = load_instance(TINY)
    check_timetable(week, load_timetable(out))


def test_validate_shows_what_is_wrong_with_a_file_that_holds_no_timetable(tmp_path):
    week = write(tmp_path, "week.json", base_dict())
    table = timetable(session("s1", "grp", "09:00", "10:00"), status="infeasible",
                      penalty=None)  # fmt: skip
    path = tmp_path / "table.json"
    path.write_text(table.model_dump_json(), encoding="utf-8")
    result = run("validate", week, path)
    assert result.exit_code == 1
    # Not only "holds no timetable": the status rule it breaks (SPEC 9.14) is listed too.
    assert "[status] status infeasible but sessions or shortfalls are listed" in result.stdout


@pytest.mark.parametrize("command", ["solve", "explain", "capacity"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_time_limit_that_is_no_number_of_seconds_is_a_usage_error(command, value):
    # Found by a fuzz run: nan passed the range check and ended in a traceback.
    extra = ["--track", "x"] if command == "capacity" else []
    result = run(command, str(TINY), "--time-limit", value, *extra)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "--time-limit" in result.output


def test_a_hint_that_breaks_rules_of_this_week_is_set_aside_with_a_note(tmp_path):
    from solved_tiny import solved_tiny, tiny_files

    inst, _ = solved_tiny()
    _, last = tiny_files(tmp_path)
    later = tmp_path / "later.json"
    data = inst.model_dump(mode="json")
    data["clients"] = data["clients"][1:]  # discharged since
    later.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["solve", str(later), "--hint", str(last),
                                      "--time-limit", "3", "--workers", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"note: --hint {last} breaks rules of this week" in result.stderr
