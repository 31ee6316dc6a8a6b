"""``iop-scheduler import-csv``: roster CSV files in, a checked instance out."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from iop_scheduler import InputError, load_instance
from iop_scheduler.cli import cli
from iop_scheduler.io import as_instance
from iop_scheduler.roster import read_roster, write_roster

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "docs" / "templates"
TINY = ROOT / "instances" / "tiny.json"


def run(*args: Any) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def roster(tmp_path) -> Path:
    """A copy of the shipped templates, free to spoil."""
    return Path(shutil.copytree(TEMPLATES, tmp_path / "roster"))


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` counts as a spreadsheet does (the header is row 1)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_templates_import_into_the_tiny_week_plus_one_booking():
    week = read_roster(TEMPLATES)
    tiny = load_instance(ROOT / "instances" / "tiny.json")
    got, want = week.model_dump(mode="json"), tiny.model_dump(mode="json")
    assert got["name"] == "riverside-morning"
    assert got["fixed_sessions"] == [
        {"type": "individual", "day": "mon", "start": "09:00", "clinician": "cl1",
         "room": "r3", "clients": ["c1"]}
    ]  # fmt: skip
    for key in want.keys() - {"name", "fixed_sessions"}:
        assert got[key] == want[key], key


def test_import_command_writes_a_loadable_instance(tmp_path):
    out = tmp_path / "week.json"
    result = run("import-csv", TEMPLATES, "-o", out)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "8 clients, 4 clinicians, 4 rooms" in result.stdout
    assert load_instance(out).name == "riverside-morning"


def test_import_command_default_output_is_beside_the_folder(roster):
    result = run("import-csv", roster)
    assert result.exit_code == 0, result.output
    assert load_instance(roster.parent / "roster.json").clients


def test_a_quote_left_open_is_bad_input_not_fewer_clients(roster, tmp_path):
    # Found by a fuzz run: the open quote swallowed rows 4-9 into one name, and the
    # import wrote a week of 3 clients with exit 0.
    path = roster / "clients.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[3].startswith("c3,Client 3,")
    lines[3] = lines[3].replace("c3,Client 3,", 'c3,"Client 3,', 1)
    path.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "week.json"
    result = run("import-csv", roster, "-o", out)
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr.startswith(f"error: {path}: row 4: a quote opened in this row is never")


def test_a_quoted_value_with_a_line_break_is_still_fine(roster, tmp_path):
    # Found by review: Excel writes a cell with Alt-Enter as a quoted value holding a line
    # break; only a quote left open is refused, and the rows keep a spreadsheet's numbers.
    set_cell(roster / "clients.csv", 2, "name", "Doe,\nJane")
    set_cell(roster / "clients.csv", 4, "availability", "mon 9am-13:00")
    result = run("import-csv", roster, "-o", tmp_path / "week.json")
    assert "row 4, column availability" in result.stderr  # row 2's line break counts once
    set_cell(roster / "clients.csv", 4, "availability", "")
    result = run("import-csv", roster, "-o", tmp_path / "week.json")
    assert result.exit_code == 0, result.output
    assert load_instance(tmp_path / "week.json").clients[0].name == "Doe, Jane"


def test_importing_over_a_different_week_says_so(roster):
    # Found by a coordinator walk-through: export-roster then import-csv, both with their
    # default paths, silently replaced the week a published timetable was built from.
    assert run("import-csv", roster).stderr == ""
    assert run("import-csv", roster).stderr == ""  # the same week again: nothing to say
    set_cell(roster / "clients.csv", 2, "name", "Someone Else")
    result = run("import-csv", roster)
    assert result.exit_code == 0
    assert "roster.json held a different week before" in result.stderr


@pytest.mark.parametrize("name", ["tiny.json", "small.json"])
def test_instances_round_trip_through_csv(tmp_path, name):
    week = load_instance(ROOT / "instances" / name)
    write_roster(week, tmp_path)
    assert read_roster(tmp_path).model_dump(mode="json") == week.model_dump(mode="json")


def test_bad_time_in_row_3_of_clients_names_file_row_and_column(roster, tmp_path):
    set_cell(roster / "clients.csv", 3, "availability", "mon 9am-13:00")
    out = tmp_path / "week.json"
    result = run("import-csv", roster, "-o", out)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in result.output
    assert "clients.csv" in line and "row 3" in line and "column availability" in line
    assert "'9am'" in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "needles"),
    [
        ("clients.csv", 4, "requires", "individual=two", ["row 4", "column requires", "'two'"]),
        # Found by a fuzz run: only separators read as "never available", without a word.
        ("clients.csv", 2, "availability", ";;", ["row 2", "column availability",
                                                 "';;' names no window", "'none'"]),
        ("clients.csv", 2, "assigned_clinicians", "individual=cl9",
         ["row 2", "column assigned_clinicians", "unknown clinician 'cl9'"]),
        ("clients.csv", 5, "preferred_days", "mon; funday", ["row 5", "column preferred_days",
                                                             "'funday'"]),
        ("clients.csv", 3, "id", "c1", ["row 3", "column id", "duplicate id 'c1'"]),
        ("clinicians.csv", 2, "max_hours_per_day", "six", ["row 2", "column max_hours_per_day"]),
        ("rooms.csv", 3, "capacity", "-2", ["row 3", "column capacity"]),
        ("rooms.csv", 5, "availability", "mon 09:15-17:00",
         ["row 5", "column availability", "not on the 30-minute grid"]),
        ("session_types.csv", 2, "kind", "party", ["row 2", "column kind"]),
        ("session_types.csv", 6, "max_size", "3", ["row 6", "column max_size", "exactly one"]),
        ("program.csv", 5, "value", "25", ["program.csv", "row 5", "column value",
                                          "slot_minutes"]),
        ("program.csv", 3, "value", "30/11/2026", ["row 3", "column value", "YYYY-MM-DD"]),
        ("fixed_sessions.csv", 2, "room", "r1", ["row 2", "column room", "office"]),
    ],
)  # fmt: skip
def test_each_bad_cell_is_one_line_naming_it(roster, file, row, column, value, needles):
    set_cell(roster / file, row, column, value)
    with pytest.raises(InputError) as caught:
        read_roster(roster)
    message = str(caught.value)
    assert message.startswith(str(roster / file)), message
    for needle in needles:
        assert needle in message, message
    result = run("import-csv", roster, "-o", roster / "out.json")
    assert result.exit_code == 2 and result.stderr.strip() == f"error: {message}"
    assert not (roster / "out.json").exists()


def test_unknown_column_and_missing_file(roster):
    text = (roster / "rooms.csv").read_text(encoding="utf-8")
    (roster / "rooms.csv").write_text(text.replace("capacity", "seats", 1), encoding="utf-8")
    with pytest.raises(InputError, match=r"rooms\.csv: row 1, column seats: unknown column"):
        read_roster(roster)
    (roster / "rooms.csv").unlink()
    with pytest.raises(InputError, match=r"rooms\.csv: file not found"):
        read_roster(roster)


def test_roster_syntax_ranges_several_windows_and_defaults(tmp_path):
    write_roster(load_instance(ROOT / "instances" / "tiny.json"), tmp_path)
    set_cell(tmp_path / "clients.csv", 2, "availability",
             "mon-wed 09:00-10:00, 11:00-13:00; fri 9:00-12:00")  # fmt: skip
    set_cell(tmp_path / "clients.csv", 2, "requires", "individual; relapse_prevention=2")
    set_cell(tmp_path / "clinicians.csv", 2, "qualified_for", "none")
    set_cell(tmp_path / "program.csv", 9, "value", "")  # max_hours_per_client_week: default
    week = read_roster(tmp_path)
    c1 = week.client_by_id["c1"]
    assert c1.availability == {
        "mon": [(540, 600), (660, 780)], "tue": [(540, 600), (660, 780)],
        "wed": [(540, 600), (660, 780)], "fri": [(540, 720)],
    }  # fmt: skip
    assert c1.requires == {"individual": 1, "relapse_prevention": 2}
    assert week.clinician_by_id["cl1"].qualified_for == []
    assert week.rules.max_hours_per_client_week == 19


def test_files_as_regional_spreadsheets_save_them(roster):
    # European Excel: ";" between columns and a decimal comma; Windows Excel's plain
    # "CSV" is Windows-1252; any Excel may add empty columns past the data.
    clinicians = roster / "clinicians.csv"
    text = clinicians.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    rows[1][rows[0].index("max_hours_per_day")] = "7,5"
    with clinicians.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    clients = roster / "clients.csv"
    rows = list(csv.reader(clients.read_text(encoding="utf-8").splitlines()))
    rows[1][rows[0].index("name")] = "José Núñez"
    with clients.open("w", encoding="cp1252", newline="") as handle:
        csv.writer(handle).writerows([[*row, "", ""] for row in rows])  # two empty columns
    week = read_roster(roster)
    assert week.clinicians[0].max_hours_per_day == 7.5
    assert week.clients[0].name == "José Núñez"



def test_unicode_text_and_windows_typed_as_people_type_them(roster):
    # Found by a coordinator walk-through: Excel's "Unicode Text" (UTF-16, tabs) read as
    # garbage, and "09:00 - 13:00" was split at its spaces.
    clients = roster / "clients.csv"
    rows = list(csv.reader(clients.read_text(encoding="utf-8").splitlines()))
    rows[1][rows[0].index("availability")] = "mon \u2013 wed 09:00 - 13:00; fri 9:00 \u2013 12:00"
    rows[1][rows[0].index("name")] = "José Núñez"
    with clients.open("w", encoding="utf-16", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows(rows)
    assert clients.read_bytes().startswith(b"\xff\xfe")
    week = read_roster(roster)
    first = week.clients[0]
    assert first.name == "José Núñez"
    assert first.availability == {"mon": [(540, 780)], "tue": [(540, 780)],
                                  "wed": [(540, 780)], "fri": [(540, 720)]}  # fmt: skip
    assert len(week.clients) == len(read_roster(TEMPLATES).clients)

def test_a_rule_broken_by_a_default_names_the_row_of_the_setting_given(roster):
    program = roster / "program.csv"
    rows = [line for line in program.read_text(encoding="utf-8").splitlines()
            if not line.startswith("close,")]  # fmt: skip
    program.write_text("\n".join(rows).replace("open,09:00", "open,22:00") + "\n", "utf-8")
    with pytest.raises(InputError) as caught:
        read_roster(roster)
    assert str(caught.value).startswith(f"{program}: row ")
    assert "column value: close: 21:00 is not after open 22:00" in str(caught.value)


def test_export_roster_command_round_trips_every_digit(tmp_path):
    data = load_instance(ROOT / "instances" / "small.json").model_dump(mode="json")
    data["clinicians"][0]["max_hours_per_week"] = 10.1234567  # ":g" would keep 10.1235
    week = tmp_path / "week.json"
    week.write_text(json.dumps(data), encoding="utf-8")
    result = run("export-roster", week, "-o", tmp_path / "roster")
    assert result.exit_code == 0, result.output
    back = run("import-csv", tmp_path / "roster", "-o", tmp_path / "back.json")
    assert back.exit_code == 0, back.output
    got = load_instance(tmp_path / "back.json").model_dump(mode="json")
    assert got == load_instance(week).model_dump(mode="json")


def test_an_unquoted_comma_is_named_where_the_values_shift(roster):
    clients = roster / "clients.csv"
    lines = clients.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("Client 1", "Doe, Jane", 1)  # unquoted: one cell too many
    clients.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2 has more cells than the header: a value "):
        read_roster(roster)


def _renamed(data: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``data`` with the id ``old`` renamed to ``new`` wherever it is used."""
    text = json.dumps(data).replace(json.dumps(old), json.dumps(new))
    return json.loads(text)


@pytest.mark.parametrize(
    ("collection", "value", "needle"),
    [
        ("clients", "#c1", "starts with '#', which makes a roster row a comment"),
        ("clients", "c;1", "holds ';', which separates the items of a roster cell"),
        ("session_types", "a=b", "holds '=', which separates a type from its count"),
        ("rooms", " r1", "has spaces at its ends, which a roster cell drops"),
    ],
)
def test_export_roster_refuses_an_id_that_would_not_come_back(tmp_path, collection, value, needle):
    data = load_instance(TINY).model_dump(mode="json")
    data = _renamed(data, data[collection][0]["id"], value)
    week = tmp_path / "week.json"
    week.write_text(json.dumps(data), encoding="utf-8")
    assert load_instance(week)  # a valid instance, only not as a roster
    result = run("export-roster", week, "-o", tmp_path / "roster")
    assert result.exit_code == 2
    assert result.output.strip().endswith(f"{needle}; rename it to export a roster")
    assert f"{week}: {collection}[0] " in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "roster").exists()


def test_a_carriage_return_in_a_track_is_bad_input(tmp_path):
    data = load_instance(TINY).model_dump(mode="json")
    data["clients"][0]["track"] = "substance\ruse"
    with pytest.raises(InputError, match=r"clients\[0\] \(c1\)\.track: .* U\+000D"):
        as_instance(data)


def test_export_roster_refuses_a_type_called_none_alone_in_qualified_for(tmp_path):
    data = _renamed(load_instance(TINY).model_dump(mode="json"), "peer_support", "None")
    week = tmp_path / "week.json"
    week.write_text(json.dumps(data), encoding="utf-8")
    result = run("export-roster", week, "-o", tmp_path / "roster")
    assert result.exit_code == 2
    assert "clinicians[3] (cl4).qualified_for: 'None' alone reads as none" in result.output
    assert not (tmp_path / "roster").exists()
