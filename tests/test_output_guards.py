"""No command writes over its own input files, or over a project file of another kind.

Found by a coordinator walk-through: `replan --new-instance` given the published week
replaced it, `solve inst.json -o inst.json` turned the clinic file into a timetable,
`import-csv -o week.json` replaced a timetable with a roster, and a re-run of `solve` with
too short a time limit replaced the published week with an empty result.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from iop_scheduler.cli import cli
from solved_tiny import tiny_files

ROOT = Path(__file__).resolve().parents[1]
CALLOUT = ROOT / "instances" / "changes" / "small-callout.json"


def run(folder: Path, *args: Any) -> Any:
    """Run the CLI with paths relative to ``folder``."""
    paths = [str(folder / a) if "." in str(a) or (folder / str(a)).exists() else str(a)
             for a in args]  # fmt: skip
    return CliRunner().invoke(cli, paths)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["solve", "inst.json", "-o", "inst.json"], "-o {d}/inst.json is also the INSTANCE"),
        (["solve", "inst.json", "-o", "week.json", "--previous", "week.json"],
         "-o {d}/week.json is also the --previous file"),
        (["solve", "inst.json", "-o", "other.json"], "-o {d}/other.json holds a clinic week "
         "(iop-instance/1): writing there would replace it; choose another name"),
        (["replan", "inst.json", "--previous", "week.json", "--change", "callout.json",
          "-o", "new.json", "--new-instance", "week.json"],
         "--new-instance {d}/week.json is also the --previous file"),
        (["replan", "inst.json", "--previous", "week.json", "--change", "callout.json",
          "-o", "new.json", "--new-instance", "new.json"], "is also the -o file"),
        (["replan", "inst.json", "--previous", "week.json", "--change", "callout.json",
          "-o", "other.json"], "holds a clinic week"),
        (["export", "inst.json", "week.json", "--to", "html", "-o", "inst.json"],
         "is also the INSTANCE file"),
        (["export", "inst.json", "week.json", "--to", "xlsx", "-o", "keep.xlsx"], None),
        (["report", "inst.json", "week.json", "-o", "week.json"], "is also the TIMETABLE file"),
        (["report", "inst.json", "week.json", "-o", "other.json"], "holds a clinic week"),
        (["import-csv", "templates", "-o", "week.json"], "-o {d}/week.json holds a timetable "
         "(iop-schedule/1)"),
        (["generate", "--clients", "6", "-o", "g.json", "--witness", "g.json"],
         "--witness {d}/g.json is also the -o file"),
        (["generate", "--clients", "6", "-o", "week.json"], "holds a timetable"),
    ],
)  # fmt: skip
def test_an_output_that_would_replace_an_input_is_refused(tmp_path, args, error):
    tiny_files(tmp_path)
    shutil.copy(ROOT / "instances" / "tiny.json", tmp_path / "inst.json")
    shutil.copy(tmp_path / "inst.json", tmp_path / "other.json")
    shutil.copy(CALLOUT, tmp_path / "callout.json")
    shutil.copytree(ROOT / "docs" / "templates", tmp_path / "templates")
    (tmp_path / "keep.xlsx").write_bytes(b"not ours")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    if error is None:  # a file that is not one of the project's may be replaced
        args = [*args[:-1], "keep.xlsx"]
        pytest.importorskip("openpyxl")
        assert run(tmp_path, *args).exit_code == 0
        return
    result = run(tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip()
    ] and error.format(d=tmp_path) in result.stderr
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before


def test_a_solve_that_finds_no_timetable_keeps_the_timetable_the_file_held(tmp_path):
    _, table = tiny_files(tmp_path)
    held = table.read_bytes()
    # An infeasible week: one client must attend on more days than the program has.
    data = json.loads((ROOT / "instances" / "tiny.json").read_text(encoding="utf-8"))
    data["rules"] = {"min_days_per_client_week": 6}
    (tmp_path / "inst.json").write_text(json.dumps(data), encoding="utf-8")
    result = run(tmp_path, "solve", "inst.json", "-o", "week.json", "--time-limit", "5")
    assert result.exit_code == 1
    assert "week.json was left as it was (it holds an earlier timetable)" in result.output
    assert (tmp_path / "week.json").read_bytes() == held
    # A file that held no timetable takes the result, as before.
    result = run(tmp_path, "solve", "inst.json", "-o", "result.json", "--time-limit", "5")
    assert result.exit_code == 1
    assert json.loads((tmp_path / "result.json").read_text())["status"] == "infeasible"


@pytest.mark.parametrize("held", [b'{"format": ["report"]}', b'{"format": {"v": 1}}', b"[1, 2]",
                                  b"\x00\x01binary", b""])  # fmt: skip
def test_a_file_of_someone_elses_shape_is_replaced_as_before(tmp_path, held):
    # Found by review: a "format" that is a list or an object crashed the guard.
    tiny_files(tmp_path)
    shutil.copy(ROOT / "instances" / "tiny.json", tmp_path / "inst.json")
    (tmp_path / "out.txt").write_bytes(held)
    result = run(tmp_path, "report", "inst.json", "week.json", "-o", "out.txt")
    assert result.exit_code == 0, result.output


def test_an_output_name_too_long_is_one_line(tmp_path):
    # Found by review: the guards ran before the writability check and let the OSError of
    # a 300-character name through as a traceback.
    tiny_files(tmp_path)
    shutil.copy(ROOT / "instances" / "tiny.json", tmp_path / "inst.json")
    result = run(tmp_path, "report", "inst.json", "week.json", "-o", "x" * 300 + ".txt")
    assert result.exit_code == 2 and "cannot write" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
