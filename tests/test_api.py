"""The Python API as a notebook user calls it: edits in Python, paths, dicts, bad arguments."""

from __future__ import annotations

import json

import pytest

from iop_scheduler import (
    InputError,
    SolveOptions,
    load_instance,
    load_timetable,
    save_timetable,
    solve,
    validate,
)
from iop_scheduler.domain import Room
from iop_scheduler.replan import replan
from iop_scheduler.whatif import scenario_weeks
from solved_tiny import TINY, solved_tiny


def test_validate_judges_an_instance_as_changed_in_python():
    inst, table = solved_tiny()
    # model_copy keeps the lookups cached at load time; the change must still count.
    smaller = inst.model_copy(
        update={
            "session_types": [
                t.model_copy(update={"max_size": 3, "min_size": 2}) if t.kind != "individual" else t
                for t in inst.session_types
            ]
        }
    )
    assert validate(inst, table) == []
    broken = validate(smaller, table)
    assert broken and {v.rule for v in broken} == {"attendees"}


def test_an_edit_that_breaks_the_file_format_is_an_input_error_before_solving():
    week = load_instance(TINY)
    week.session_types[0].duration_minutes = 45  # not on the 30-minute grid
    with pytest.raises(InputError, match=r"session_types\[0\] \(process\)\.duration_minutes"):
        solve(week, method="greedy")
    week = load_instance(TINY)
    week.clients[0].assigned_clinicians = {"individual": "nobody"}
    with pytest.raises(InputError, match="unknown clinician 'nobody'"):
        solve(week, method="greedy")


def test_solve_and_validate_take_paths_and_dicts(tmp_path):
    result = solve(TINY, method="greedy")
    assert result.status.has_timetable
    path = tmp_path / "week.json"
    save_timetable(result.timetable, path)
    assert load_timetable(path) == result.timetable
    data = json.loads(TINY.read_text(encoding="utf-8"))
    assert validate(data, path) == []
    assert validate(TINY, json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"time_limit": None}, ValueError, "time_limit must be a positive number"),
        ({"time_limit": 0}, ValueError, "time_limit must be a positive number"),
        ({"workers": -1}, ValueError, "workers must be 0"),
        ({"method": "magic"}, ValueError, "unknown method 'magic'"),
    ],
)
def test_bad_arguments_say_which(kwargs, error, needle):
    with pytest.raises(error, match=needle):
        solve(TINY, **kwargs)


def test_a_wrong_type_of_week_is_named():
    with pytest.raises(TypeError, match="expected an Instance, a dict or the path"):
        solve(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a Timetable, a dict or the path"):
        validate(TINY, [])  # type: ignore[arg-type]


def test_result_repr_gives_the_verdict_not_the_sessions():
    result = solve(TINY, method="greedy")
    text = repr(result)
    assert text.startswith("Result(status='feasible', penalty=")
    assert f"sessions={len(result.timetable.sessions)}" in text and len(text) < 300


def test_replan_and_whatif_take_changes_and_scenarios_as_dicts():
    inst, table = solved_tiny()
    outcome = replan(
        inst,
        table,
        [{"kind": "clinician_unavailable", "clinician": "cl3", "day": "tue"}],
        SolveOptions(time_limit=10, workers=1),
    )
    assert outcome.instance.clinician_by_id["cl3"].availability is not None
    assert outcome.instance.clinician_by_id["cl3"].availability["tue"] == []
    assert outcome.result.status.has_timetable
    assert all(s.clinician != "cl3" or s.day != "tue" for s in outcome.result.timetable.sessions)
    with pytest.raises(InputError, match=r"changes\[0\]"):
        replan(inst, table, [{"kind": "clinician_removed"}], method="greedy")
    smaller = {"kind": "set_session_type", "type": "process", "field": "max_size", "value": 6}
    weeks = scenario_weeks(inst, [{"name": "groups of 6", "changes": [smaller]}])
    assert [name for name, _ in weeks] == ["base", "groups of 6"]
    assert weeks[1][1].type_by_id["process"].max_size == 6


def test_a_timetable_as_dataframes_has_a_row_per_session_and_attendance():
    from iop_scheduler import attendances_frame, sessions_frame

    inst, table = solved_tiny()
    sessions = sessions_frame(inst, table)
    assert len(sessions) == len(table.sessions)
    assert sessions["minutes"].sum() == sum(s.end - s.start for s in table.sessions)
    attendances = attendances_frame(inst, table)
    assert len(attendances) == sum(len(s.clients) for s in table.sessions)
    assert set(attendances["client"]) == {c for s in table.sessions for c in s.clients}


def test_a_copied_instance_looks_up_what_it_holds_not_what_the_original_held():
    instance = load_instance(TINY)
    assert "booth" not in instance.room_by_id  # the original's lookup is now cached
    booth = Room(id="booth", kind="office", capacity=1)
    copy = instance.model_copy(update={"rooms": [*instance.rooms, booth]})
    assert copy.room_by_id["booth"] is booth
    assert "booth" not in instance.room_by_id
    fewer = instance.model_copy(update={"clients": instance.clients[:1]})
    assert list(fewer.client_by_id) == [instance.clients[0].id]


def test_last_weeks_timetable_as_a_hint_after_a_discharge_starts_from_the_greedy_week():
    # Found by a notebook walk-through: a hint that no longer fits (it names a discharged
    # client) replaced the greedy starting week and fallback, and a 10 s solve of the
    # 25-client sample found nothing.
    import time

    from iop_scheduler.candidates import build_candidates
    from iop_scheduler.cpsat.model import TimetableModel
    from iop_scheduler.cpsat.solve import _starting_week
    from iop_scheduler.interrupt import CtrlC

    inst, last = solved_tiny()
    later = inst.model_copy(update={"clients": inst.clients[1:]})
    options = SolveOptions(time_limit=5, workers=1, hint=last)
    tm = TimetableModel(build_candidates(later))
    hint, fallback = _starting_week(later, tm, options, time.monotonic(), CtrlC())
    assert hint is not None and hint is fallback and hint is not last
    assert validate(later, fallback) == []
    # A hint that fits is the start, and the week to fall back on.
    tm = TimetableModel(build_candidates(inst))
    hint, fallback = _starting_week(inst, tm, options, time.monotonic(), CtrlC())
    assert hint is last and fallback is last


def test_every_reader_of_a_week_sees_an_edit_made_in_place(tmp_path):
    # Found by a notebook walk-through: after a lookup was used, a client appended in
    # place was scored, shown in the DataFrames and exported as the week before the edit.
    from iop_scheduler import attendances_frame, score

    inst, table = solved_tiny()
    week = inst.model_copy(deep=True)
    assert week.client_by_id  # the lookup is built and cached
    newcomer = week.clients[0].model_copy(update={"id": "c99", "name": "New Client"})
    week.clients.append(newcomer)
    c1 = week.clients[0].id
    moved = table.model_copy(deep=True)
    for s in moved.sessions:
        if c1 in s.clients:
            s.clients = [("c99" if c == c1 else c) for c in s.clients]
    assert score(week, moved) == score(week.model_dump(mode="json"), moved)
    names = set(attendances_frame(week, moved)["client_name"])
    assert "New Client" in names


@pytest.mark.parametrize("reader", ["score", "sessions_frame", "explain", "compliance"])
def test_readers_take_paths_and_say_where_a_results_timetable_is(reader, tmp_path):
    import iop_scheduler
    from iop_scheduler.explain import explain
    from iop_scheduler.report.compliance import compliance

    inst, table = solved_tiny()
    week_path, table_path = tmp_path / "week.json", tmp_path / "table.json"
    week_path.write_text(json.dumps(inst.model_dump(mode="json")), encoding="utf-8")
    save_timetable(table, table_path)
    functions = {"score": iop_scheduler.score, "sessions_frame": iop_scheduler.sessions_frame,
                 "compliance": compliance}  # fmt: skip
    if reader == "explain":
        assert explain(str(week_path), time_limit=5).infeasible is False
        return
    assert functions[reader](str(week_path), str(table_path)) is not None
    result = solve(inst, time_limit=1, workers=1, method="greedy")
    with pytest.raises(TypeError, match=r"a Result's timetable is result\.timetable"):
        functions[reader](inst, result)


def test_replan_takes_the_options_as_keywords_and_apply_changes_takes_dicts():
    from iop_scheduler.changes import apply_changes

    inst, table = solved_tiny()
    change = {"kind": "clinician_unavailable", "clinician": inst.clinicians[0].id, "day": "mon"}
    week = apply_changes(inst, [change])
    assert week.clinicians[0].availability != inst.clinicians[0].availability
    outcome = replan(inst, table, [change], time_limit=5, workers=1)
    assert outcome.result.status.has_timetable
    with pytest.raises(TypeError, match="expected SolveOptions"):
        replan(inst, table, [change], {"time_limit": 5})


def test_notebook_reprs_are_one_line():
    inst, table = solved_tiny()
    assert repr(inst).startswith("Instance(name='tiny'") and len(repr(inst)) < 200
    assert repr(table).startswith("Timetable(instance='tiny', status=")
    assert "sessions=" in repr(table) and len(repr(table)) < 200
    first = next(s for s in table.sessions if s.start == 540)
    assert "start='09:00'" in repr(first)


def test_a_hint_with_a_stale_shortfall_list_still_fits():
    # Found by review: the file's own lists set aside a hint whose sessions were valid.
    from iop_scheduler.domain import Shortfall
    from iop_scheduler.validator import sessions_fit

    inst, table = solved_tiny()
    stale = table.model_copy(update={"shortfalls": [
        Shortfall(client=inst.clients[0].id, rule="requires:individual", required=2,
                  scheduled=1)]})  # fmt: skip
    assert validate(inst, stale, allow_shortfalls=True) != []
    assert sessions_fit(inst, stale, allow_shortfalls=True)
    gone = inst.model_copy(update={"clients": inst.clients[1:]})
    assert not sessions_fit(gone, table)
