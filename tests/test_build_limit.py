"""The time limit and Ctrl-C also stop the model while it is being built (issue 2)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from iop_scheduler import load_instance
from iop_scheduler.candidates import build_candidates
from iop_scheduler.cli import cli
from iop_scheduler.cpsat import solve_cpsat
from iop_scheduler.cpsat.model import BuildStopped, TimetableModel
from iop_scheduler.cpsat.solve import _solve_cpsat
from iop_scheduler.explain import explain
from iop_scheduler.interrupt import CtrlC
from iop_scheduler.options import SolveOptions
from iop_scheduler.result import Status

SAMPLES = Path(__file__).resolve().parents[1] / "instances"


def test_the_build_asks_stop_between_its_steps_and_stops_when_told():
    candidates = build_candidates(load_instance(SAMPLES / "tiny.json"))
    asked = 0

    def stop_at_third_step() -> bool:
        nonlocal asked
        asked += 1
        return asked >= 3

    with pytest.raises(BuildStopped):
        TimetableModel(candidates, stop=stop_at_third_step)
    assert asked == 3

    calls = 0

    def never() -> bool:
        nonlocal calls
        calls += 1
        return False

    whole = TimetableModel(candidates, stop=never)
    # Once before the variables, before each of the ten rule families, before the
    # objective, once inside it (after the idle spans) and once when the build is done.
    assert calls == 14
    assert len(whole.model.proto.constraints) > 0


def test_a_run_out_of_time_while_building_returns_unknown_at_once():
    week = load_instance(SAMPLES / "small.json")
    # The run "started" 100 s ago with a 60 s limit: the limit passes before the first step.
    result = solve_cpsat(week, SolveOptions(time_limit=60), started=time.monotonic() - 100)
    assert result.status is Status.UNKNOWN and not result.interrupted
    assert result.timetable.sessions == []
    assert "while the model was being built" in result.timetable.explanation[0]
    assert result.solve_seconds == 0.0 and result.stats.variables == 0


def test_a_build_that_ends_past_the_limit_starts_no_week(monkeypatch):
    week = load_instance(SAMPLES / "small.json")
    started = time.monotonic()
    limit = 3.0
    build_objective = TimetableModel._add_objective

    def slow_objective(self: TimetableModel) -> None:
        build_objective(self)  # its own check comes before the limit...
        time.sleep(max(0.0, started + limit + 0.05 - time.monotonic()))  # ...its end after

    monkeypatch.setattr(TimetableModel, "_add_objective", slow_objective)
    result = solve_cpsat(week, SolveOptions(time_limit=limit), started=started)
    assert result.status is Status.UNKNOWN and result.timetable.sessions == []
    assert "while the model was being built" in result.timetable.explanation[0]
    assert result.total_seconds < limit + 1  # no starting week, no search
    assert result.stats.pools > 0 and result.stats.variables == 0


def test_ctrl_c_while_building_still_returns_the_greedy_week():
    pressed = CtrlC()
    pressed.stop()  # as if Ctrl-C came before the first build step
    week = load_instance(SAMPLES / "small.json")
    result = _solve_cpsat(week, SolveOptions(time_limit=60), time.monotonic(), pressed)
    # The build goes on (a few seconds at most) for the week `replan` needs at once.
    assert result.interrupted and result.status.has_timetable
    assert result.stats.variables > 0 and result.total_seconds < 30


def test_cli_says_the_limit_passed_while_building(tmp_path):
    out = tmp_path / "week.json"
    result = CliRunner().invoke(
        cli,
        ["solve", str(SAMPLES / "ladder" / "xlarge.json"), "--time-limit", "0.1", "-o", str(out)],
    )
    assert result.exit_code == 1, result.output
    assert "passed while the model was being built" in result.output
    assert "--time-limit" in result.output
    # The file holds the status and the reason, not a timetable: the summary says so.
    assert f"No timetable (status unknown); the result was written to {out}" in result.output
    assert "Timetable written" not in result.output
    written = json.loads(out.read_text())
    assert written["status"] == "unknown" and written["sessions"] == []


def test_explain_keeps_to_its_time_limit_while_building():
    # Two 300-client models (about 3 s each) used to be built whatever the limit: 8 s
    # for --time-limit 0.1. Now the limit stops the builds and the answer is "undecided".
    week = load_instance(SAMPLES / "ladder" / "xlarge.json")
    started = time.monotonic()
    found = explain(week, time_limit=0.1)
    assert found.infeasible is None and found.reasons == []
    assert time.monotonic() - started < 4
