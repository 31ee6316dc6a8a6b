"""Names from user files stay text in what the tool writes for people.

A client, clinician, room or session type is named by whoever wrote the instance or the
roster. In a CSV file a name such as ``=HYPERLINK(...)`` is a live formula to the
spreadsheet that opens it, so text cells that start like a formula get a ``'`` in front
(and lose it again when the file is read back). In Markdown a ``|`` splits a table row and
``<script>`` is HTML, so user text is escaped there. The workbook stores names as text and
the HTML page escapes them.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpers import base_dict, session, timetable
from iop_scheduler import Instance, Status, Timetable, validate
from iop_scheduler.export import export_csv, read_sessions_csv, render_html, resolve_week
from iop_scheduler.export.csv import ATTENDANCES_FILE, SESSIONS_FILE
from iop_scheduler.report.compliance import compliance, render_markdown
from iop_scheduler.roster import read_roster, write_roster

LINK = '=HYPERLINK("http://x","a")'

#: Ids and names that a spreadsheet would take for formulas, one per entity.
FORMULA_TEXT = {
    "client name": "+1+1",
    "second client name": LINK,
    "clinician name": "@SUM(A1)",
    "room name": "-2",
    "type name": "=1+1",
    "session id": "=s1",
    "type id": "+grp",  # not "=": a requires cell is type=count
    "clinician id": "@cl1",
    "room id": "+r1",
    "client id": "-c1",
    # A tab or carriage return, formula starts too, is bad input in a track (an Id).
    "track": "=cmd",
    "second track": "@cmd",
}


def formula_week() -> tuple[Instance, Timetable]:
    """The base week with every name and id starting like a formula; one valid session."""
    data = base_dict(
        name="formula-week",
        session_types=[
            {
                "id": FORMULA_TEXT["type id"],
                "name": FORMULA_TEXT["type name"],
                "kind": "group",
                "duration_minutes": 60,
                "min_size": 1,
                "max_size": 4,
                "disciplines": ["counselor"],
                "room_kinds": ["group_room"],
            }
        ],
        clinicians=[
            {
                "id": FORMULA_TEXT["clinician id"],
                "name": FORMULA_TEXT["clinician name"],
                "discipline": "counselor",
            }
        ],
        rooms=[
            {
                "id": FORMULA_TEXT["room id"],
                "name": FORMULA_TEXT["room name"],
                "kind": "group_room",
                "capacity": 4,
            }
        ],
        clients=[
            {
                "id": FORMULA_TEXT["client id"],
                "name": FORMULA_TEXT["client name"],
                "track": FORMULA_TEXT["track"],
                "requires": {FORMULA_TEXT["type id"]: 1},
            },
            {
                "id": "c2",
                "name": FORMULA_TEXT["second client name"],
                "track": FORMULA_TEXT["second track"],
                "requires": {FORMULA_TEXT["type id"]: 1},
            },
            # Starts with the escape character itself: must round-trip as it is.
            {"id": "'=c3", "name": "'quoted", "requires": {FORMULA_TEXT["type id"]: 1}},
        ],
    )
    inst = Instance.model_validate(data)
    table = timetable(
        session(
            FORMULA_TEXT["session id"],
            FORMULA_TEXT["type id"],
            "09:00",
            "10:00",
            clinician=FORMULA_TEXT["clinician id"],
            room=FORMULA_TEXT["room id"],
            clients=[FORMULA_TEXT["client id"], "c2", "'=c3"],
        )
    )
    assert validate(inst, table) == []
    return inst, table


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def dangerous(cell: str) -> bool:
    """Whether a spreadsheet would take the cell for a formula."""
    return cell[:1] in ("=", "+", "-", "@", "\t", "\r")


# -- CSV export ------------------------------------------------------------------------------


def test_csv_export_prefixes_text_cells_that_start_like_a_formula(tmp_path):
    inst, table = formula_week()
    export_csv(inst, table, tmp_path, resolve_week(inst))
    (row,) = read_rows(tmp_path / SESSIONS_FILE)
    assert row["session"] == "'=s1"
    assert row["type"] == "'+grp" and row["type_name"] == "'=1+1"
    assert row["clinician"] == "'@cl1" and row["clinician_name"] == "'@SUM(A1)"
    assert row["room"] == "'+r1" and row["room_name"] == "'-2"
    assert row["clients"] == "'-c1; c2; '=c3"  # only the start of a cell matters
    # Numbers, dates and times written by the tool are left alone.
    assert row["minutes"] == "60" and row["size"] == "3"
    assert row["start"] == "09:00" and row["end"] == "10:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", row["date"])
    by_client = {r["client"]: r for r in read_rows(tmp_path / ATTENDANCES_FILE)}
    assert set(by_client) == {"'-c1", "c2", "''=c3"}
    assert by_client["''=c3"]["client_name"] == "''quoted"
    assert by_client["'-c1"]["client_name"] == "'+1+1"
    assert by_client["'-c1"]["track"] == "'=cmd"
    assert by_client["c2"]["client_name"] == "'" + LINK
    assert by_client["c2"]["track"] == "'@cmd"
    for name in (SESSIONS_FILE, ATTENDANCES_FILE):
        for each in read_rows(tmp_path / name):
            assert not any(dangerous(cell) for cell in each.values()), (name, each)


def test_sessions_csv_reads_back_the_original_ids(tmp_path):
    inst, table = formula_week()
    paths = export_csv(inst, table, tmp_path, resolve_week(inst))
    back = read_sessions_csv(paths[0])
    assert [s.model_dump() for s in back] == [s.model_dump() for s in table.sessions]


# -- roster CSV ------------------------------------------------------------------------------


def test_roster_export_prefixes_formula_cells_and_imports_them_back(tmp_path):
    inst, _ = formula_week()
    write_roster(inst, tmp_path)
    cells = {}
    for path in sorted(tmp_path.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        for row in rows:
            assert not any(dangerous(cell) for cell in row), (path.name, row)
        cells[path.name] = rows
    clients = cells["clients.csv"]
    first = dict(zip(clients[0], clients[1], strict=True))
    assert first["id"] == "'-c1" and first["name"] == "'+1+1"
    assert first["track"] == "'=cmd" and first["requires"] == "'+grp=1"
    third = dict(zip(clients[0], clients[3], strict=True))
    assert third["id"] == "''=c3" and third["name"] == "''quoted"
    assert read_roster(tmp_path).model_dump(mode="json") == inst.model_dump(mode="json")


def test_roster_import_strips_only_the_formula_prefix(tmp_path):
    inst, _ = formula_week()
    write_roster(inst, tmp_path)
    path = tmp_path / "rooms.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("name")] = "'Room A"  # a quote a person typed stays
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert read_roster(tmp_path).rooms[0].name == "'Room A"


# -- what-if and benchmark CSV ---------------------------------------------------------------


def test_whatif_csv_prefixes_scenario_names_but_not_negative_numbers(tmp_path):
    from iop_scheduler.whatif import ScenarioOutcome, write_outputs

    base = ScenarioOutcome("base", Status.FEASIBLE, 5, valid=True, staff_minutes=600)
    worse = ScenarioOutcome("=cmd|'/c calc'!A0", Status.FEASIBLE, 3, valid=True,
                            staff_minutes=300)  # fmt: skip
    write_outputs(tmp_path, [base, worse])  # whatif.csv and whatif.png
    rows = read_rows(tmp_path / "whatif.csv")
    assert rows[1]["scenario"] == "'=cmd|'/c calc'!A0"
    assert rows[1]["clients_vs_base"] == "-2"  # a number of ours: no prefix


def test_bench_results_csv_prefixes_instance_and_method_names(tmp_path):
    from iop_scheduler.bench import write_results

    record = bench_record(instance="=1+1", method="@SUM(A1)")
    write_results([record], tmp_path, "iop-scheduler bench")
    (row,) = read_rows(tmp_path / "results.csv")
    assert row["instance"] == "'=1+1" and row["method"] == "'@SUM(A1)"
    assert row["penalty"] == "10" and row["seed"] == "0"


def bench_record(**fields: Any) -> Any:
    from iop_scheduler.bench import RunRecord

    values: dict[str, Any] = {
        "instance": "tiny", "clients": 2, "method": "greedy", "seed": 0, "time_limit": 1.0,
        "workers": 1, "status": "optimal", "valid": True, "penalty": 10, "bound": 10,
        "gap": 0.0, "first_s": 0.1, "best_s": 0.1, "wall_s": 0.2, "peak_mb": 50.0,
        "variables": 1, "constraints": 1, "pools": 1,
    }  # fmt: skip
    values.update(fields)
    return RunRecord(**values)


# -- Excel -----------------------------------------------------------------------------------


def test_xlsx_stores_formula_like_text_as_text_with_its_own_value(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from iop_scheduler.export import export_xlsx

    inst, table = formula_week()
    path = export_xlsx(inst, table, tmp_path / "week.xlsx", resolve_week(inst))
    book = openpyxl.load_workbook(path)
    seen: set[str] = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and dangerous(cell.value):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
                    # Text even when someone edits the cell and presses Enter.
                    assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                    seen.add(cell.value)
    # The workbook keeps the names as they are (no "'" added to the value).
    for key in ("client name", "second client name", "clinician name", "room name",
                "session id", "client id", "track"):  # fmt: skip
        assert FORMULA_TEXT[key] in seen, key
    sessions = book["Sessions"]
    header = [c.value for c in sessions[1]]
    values = dict(zip(header, [c.value for c in sessions[2]], strict=True))
    assert values["type_name"] == "=1+1" and values["minutes"] == 60


# -- Markdown --------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
MARKDOWN = "*bold* _it_ `code` [x](http://y)"


def markup_week() -> tuple[Instance, Timetable]:
    """The base week whose names hold HTML, table pipes and markdown.

    No line break: names fold it into a space and a track refuses it (an Id); the escape
    itself still turns one into a space (`test_markdown_escape`).
    """
    data = base_dict(name="<b>clinic</b> & co")
    data["session_types"][0]["name"] = MARKDOWN
    data["session_types"][0]["disciplines"] = [MARKDOWN]
    data["clinicians"] = [{"id": "cl1", "name": SCRIPT, "discipline": MARKDOWN}]
    data["rooms"][0]["name"] = "a|b"
    data["clients"] = [{"id": "c|1", "track": "one|two <i>", "requires": {"grp": 1}}]
    inst = Instance.model_validate(data)
    table = timetable(session("s1", "grp", "09:00", "10:00", clients=["c|1"]))
    assert validate(inst, table) == []
    return inst, table


def table_blocks(markdown: str) -> list[list[str]]:
    """The tables of a markdown text: runs of lines starting with "|"."""
    blocks: list[list[str]] = []
    previous = False
    for line in markdown.splitlines():
        row = line.startswith("|")
        if row and not previous:
            blocks.append([])
        if row:
            blocks[-1].append(line)
        previous = row
    return blocks


def cell_count(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def check_markdown(markdown: str) -> None:
    assert "<script>" not in markdown and "<b>" not in markdown and "<i>" not in markdown
    for block in table_blocks(markdown):
        assert len({cell_count(line) for line in block}) == 1, block


def test_compliance_markdown_escapes_user_text():
    inst, table = markup_week()
    markdown = render_markdown(compliance(inst, table))
    check_markdown(markdown)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert "# Compliance" in markdown and "## &lt;b&gt;clinic&lt;/b&gt; &amp; co" in markdown
    assert "| c\\|1 |" in markdown and "a\\|b" in markdown
    assert "one\\|two &lt;i&gt;" in markdown
    assert "\\*bold\\* \\_it\\_ \\`code\\` \\[x\\](http://y)" in markdown


def test_bench_markdown_table_escapes_instance_and_method_names():
    from iop_scheduler.bench import markdown_table

    record = bench_record(instance="<b>x</b>|y", method="a_b*")
    markdown = markdown_table([record], "iop-scheduler bench")
    check_markdown(markdown)
    assert "| &lt;b&gt;x&lt;/b&gt;\\|y | 2 | a\\_b\\* |" in markdown


# -- HTML ------------------------------------------------------------------------------------


def test_html_page_escapes_markup_in_every_name():
    inst, table = markup_week()
    page = render_html(inst, table, resolve_week(inst))
    assert SCRIPT not in page and "<b>clinic" not in page and "<i>" not in page
    assert page.count("<script") == 2  # the data block and the page's own script
    assert "<title>&lt;b&gt;clinic&lt;/b&gt; &amp; co" in page
    opening = '<script type="application/json" id="week-data">'
    start = page.index(opening) + len(opening)
    data = json.loads(page[start : page.index("</script>", start)])
    assert SCRIPT in {s["clinicianName"] for s in data["sessions"]}  # the text, kept exact


# -- the helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "'", "'=x", "''", "plain", "", "a=b", "é"],
)
def test_csv_cell_escape_round_trips(text):
    from iop_scheduler.escaping import escape_csv_cell, unescape_csv_cell

    escaped = escape_csv_cell(text)
    assert not dangerous(escaped)
    assert unescape_csv_cell(escaped) == text
    assert (escaped == text) == (text[:1] not in ("=", "+", "-", "@", "\t", "\r", "'"))


def test_csv_cell_escape_leaves_numbers_alone():
    from iop_scheduler.escaping import escape_csv_cell

    assert escape_csv_cell(-2) == -2 and escape_csv_cell(-1.5) == -1.5
    assert escape_csv_cell(None) is None


def test_markdown_escape():
    from iop_scheduler.escaping import escape_markdown

    assert escape_markdown("a|b") == "a\\|b"
    assert escape_markdown("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert escape_markdown("one\r\ntwo\nthree\rfour") == "one two three four"
    assert escape_markdown("*_`[]\\") == "\\*\\_\\`\\[\\]\\\\"
    assert escape_markdown("~~struck~~") == "\\~\\~struck\\~\\~"
    assert escape_markdown("Group 1, 09:00-10:00") == "Group 1, 09:00-10:00"
