"""``capacity``: how many more clients of a track fit, checked against a one-by-one search.

The clinics here are one Monday morning (09:00-12:00) of 60-minute individual sessions,
so each solve is proven optimal in a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import base_dict, client, clinician
from iop_scheduler import Instance, Timetable, load_instance, solve, validate
from iop_scheduler import capacity as capacity_module
from iop_scheduler.capacity import (
    CapacityReport,
    Probe,
    find_capacity,
    render_report,
    unreachable_assignments,
    with_clinician_copy,
)
from iop_scheduler.changes import add_clients
from iop_scheduler.cli import cli
from iop_scheduler.interrupt import ctrl_c_ends_the_run
from iop_scheduler.options import SolveOptions
from iop_scheduler.result import Result, Status

TINY = Path(__file__).resolve().parents[1] / "instances" / "tiny.json"
SOLVE = {"time_limit": 3.0, "workers": 1}


def clinic(clinicians: int, offices: int, **overrides: Any) -> Instance:
    """Two "sud" clients who each need one individual session; counselors and offices.

    Each counselor and each office holds at most three 60-minute sessions in the morning,
    so the week serves 3 × min(counselors, offices) clients.
    """
    data = base_dict(
        clinicians=[clinician(f"cl{i + 1}") for i in range(clinicians)],
        rooms=[{"id": f"r{i + 1}", "kind": "office", "capacity": 1} for i in range(offices)],
        clients=[
            client("c1", track="sud", requires={"ind": 1}),
            client("c2", track="sud", requires={"ind": 1}),
        ],
        **overrides,
    )
    return Instance.model_validate(data)


def brute_force(week: Instance, track: str, limit: int = 10) -> int | None:
    """The last N before the first N (0, 1, 2, ...) whose solve lists a shortfall."""
    for n in range(limit + 1):
        grown = add_clients(week, track, n, 0) if n else week
        result = solve(grown, allow_shortfalls=True, **SOLVE)
        assert result.status.has_timetable
        assert validate(grown, result.timetable, allow_shortfalls=True) == []
        if result.timetable.shortfalls:
            return n - 1 if n else None
    raise AssertionError("no shortfall found")


@pytest.mark.parametrize(
    ("clinicians", "offices", "binds"),
    [
        (1, 2, ("clinician", "counselor")),  # 3 counselor hours for 4 clients at +2
        (2, 1, ("room", "office")),  # 3 office hours for 4 clients at +2
    ],
)
def test_capacity_matches_brute_force_and_names_the_binding_resource(clinicians, offices, binds):
    week = clinic(clinicians, offices)
    expected = brute_force(week, "sud")
    assert expected == 1  # 3 sessions in the morning, 2 clients already: room for one more
    report = find_capacity(week, "sud", max_added=8, **SOLVE)
    assert report.added == expected and report.first_unserved == expected + 1
    assert not report.reached_max and report.unknown_probes == []
    # Doubling: +0, +1 served, +2 not; nothing left to halve.
    assert [(p.added, p.served) for p in report.probes] == [(0, True), (1, True), (2, False)]
    served = [(r.resource, r.kind) for r in report.relaxations if r.served]
    assert served == [binds]
    assert {(r.resource, r.kind) for r in report.relaxations} == {
        ("clinician", "counselor"),
        ("room", "office"),
    }
    # At +1 the binding resource is fully used: 3 of 3 hours.
    used = report.clinicians if binds[0] == "clinician" else report.rooms
    assert max(u.share for u in used) == pytest.approx(1.0)
    text = render_report(report)
    assert "Capacity: 1 more sud client with no shortfall; +2 falls short." in text
    noun = "an office" if binds[1] == "office" else f"a {binds[1]}"
    assert f"Adding {noun} is enough to serve +2." in text
    # Each relaxation is tried alone: when several serve, any one of them is enough.
    both = dataclasses.replace(report, relaxations=[
        dataclasses.replace(r, probe=dataclasses.replace(r.probe, served=True))
        for r in report.relaxations
    ])  # fmt: skip
    names = " or ".join(("an office" if r.kind == "office" else f"a {r.kind}")
                        for r in both.relaxations)  # fmt: skip
    assert f"Adding any one of {names} is enough to serve +2." in render_report(both)


def test_binary_search_between_doublings():
    """Two counselors and two offices serve 6 clients: +4, found between +2 and +8."""
    week = clinic(2, 2)
    report = find_capacity(week, "sud", max_added=20, relax=False, **SOLVE)
    assert report.added == 4 and report.first_unserved == 5
    assert [p.added for p in report.probes] == [0, 1, 2, 4, 8, 6, 5]
    assert report.relaxations == []


def test_no_single_resource_is_enough_when_both_bind():
    week = clinic(1, 1)  # 3 sessions: one counselor, one office
    report = find_capacity(week, "sud", max_added=4, **SOLVE)
    assert report.added == 1 and report.relaxations
    assert not any(r.served for r in report.relaxations)
    assert "No single added clinician or room is enough to serve +2." in render_report(report)


def test_every_n_up_to_max_served_says_at_least():
    report = find_capacity(clinic(1, 1), "sud", max_added=1, **SOLVE)
    assert report.added == 1 and report.reached_max and report.relaxations == []
    assert "Capacity: at least 1 more sud client" in render_report(report)


def test_a_week_that_already_falls_short_has_no_capacity():
    week = clinic(1, 1, rules={"min_hours_per_client_week": 2})  # one session is 1 hour
    report = find_capacity(week, "sud", max_added=4, relax=False, **SOLVE)
    assert report.added is None and report.first_unserved == 0
    assert "already falls short" in render_report(report)


def test_a_week_found_short_but_not_proven_short_says_so():
    # Found by an operations walk-through: +18 was reported short ("falls short", "what
    # binds") where `explain` scheduled that week; the probe had ended feasible, not optimal.
    def probe(added, status, served):
        return Probe(added=added, status=status, served=served,
                     clients_under_served=0 if served else 2,
                     short_rules={} if served else {"requires:ind": 2})  # fmt: skip

    report = CapacityReport(
        instance="clinic", track="sud", track_clients=3, max_added=4, time_limit=6, seed=0,
        added=1, first_unserved=2,
        probes=[probe(0, Status.OPTIMAL, True), probe(1, Status.FEASIBLE, True),
                probe(2, Status.FEASIBLE, False)],
    )  # fmt: skip
    text = render_report(report)
    assert "+2    not served in the time limit: 2 clients short" in text
    assert "Capacity: at least 1 more sud client with no shortfall; +2 fell short in the " \
        "time limit, not proven" in text  # fmt: skip
    assert "falls short" not in text
    proven = dataclasses.replace(report, probes=[*report.probes[:2],
                                                 probe(2, Status.OPTIMAL, False)])  # fmt: skip
    assert "+2 falls short." in render_report(proven)
    # A first unserved probe that found no week at all says so (found by review).
    unknown = dataclasses.replace(report, probes=[*report.probes[:2], Probe(
        added=2, status=Status.UNKNOWN, served=False, clients_under_served=0)])  # fmt: skip
    assert "+2 found no timetable in the time limit (a longer" in render_report(unknown)
    # The week as it is, short but not proven: not "already falls short".
    first = dataclasses.replace(report, added=None, first_unserved=0,
                                probes=[probe(0, Status.FEASIBLE, False)])  # fmt: skip
    assert "fell short in the time limit, not proven" in render_report(first)


def test_a_week_that_finds_no_timetable_in_time_has_unknown_capacity():
    report = CapacityReport(
        instance="clinic", track="sud", track_clients=3, max_added=4, time_limit=0.1, seed=0,
        added=None, first_unserved=0,
        probes=[Probe(added=0, status=Status.UNKNOWN, served=False, clients_under_served=0)],
    )  # fmt: skip
    text = render_report(report)
    assert "Capacity: unknown" in text and "already falls short" not in text
    assert "+0 ended with no timetable in the time limit" in text


def test_the_clinician_copy_takes_a_share_of_the_new_assigned_clients():
    data = base_dict(
        clinicians=[clinician("cl1"), clinician("cl2")],
        clients=[
            client("c1", track="sud", requires={"ind": 1}, assigned_clinicians={"ind": "cl1"}),
            client("c2", track="sud", requires={"ind": 1}, assigned_clinicians={"ind": "cl2"}),
        ],
    )
    week = Instance.model_validate(data)
    grown = add_clients(week, "sud", 3, 0)
    relaxed, ident = with_clinician_copy(grown, "cl1", {"c1", "c2"})
    assert ident == "cl1-extra"
    copy = relaxed.clinician_by_id[ident]
    assert copy.discipline == "counselor" and copy.availability is None
    assigned = [c.assigned_clinicians["ind"] for c in relaxed.clients]
    # Old clients keep their therapist; new ones go to the least loaded of cl1, cl2 and the
    # copy (ties by id): the copy (0 clients), cl1 (1), then the copy again (1, before cl2).
    assert assigned == ["cl1", "cl2", "cl1-extra", "cl1", "cl1-extra"]


def test_the_clinician_copy_spreads_new_clients_only_to_clinicians_free_with_them():
    early = {"mon": [["09:00", "10:00"]]}
    late = {"mon": [["10:00", "12:00"]]}
    data = base_dict(
        clinicians=[clinician("cl1"), clinician("cl2", availability=early)],
        clients=[
            client("c1", track="sud", requires={"ind": 1}, assigned_clinicians={"ind": "cl1"}),
            client(
                "c2",
                track="sud",
                requires={"ind": 1},
                assigned_clinicians={"ind": "cl2"},
                availability=early,
            ),
            *(
                client(
                    f"n{i}",
                    track="sud",
                    requires={"ind": 1},
                    assigned_clinicians={"ind": "cl1"},
                    availability=late,
                )
                for i in range(1, 5)
            ),
        ],
    )
    grown = Instance.model_validate(data)
    relaxed, _ = with_clinician_copy(grown, "cl1", {"c1", "c2"})
    assigned = [c.assigned_clinicians["ind"] for c in relaxed.clients]
    # cl2 is the least loaded for the fourth new client, but never free with them.
    assert assigned == ["cl1", "cl2", "cl1-extra", "cl1", "cl1-extra", "cl1"]
    assert unreachable_assignments(relaxed, {"c1", "c2"}) == []


def run(*args: Any) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_capacity(tmp_path: Path):
    path = tmp_path / "week.json"
    path.write_text(clinic(1, 2).model_dump_json(), encoding="utf-8")
    result = run("capacity", path, "--track", "sud", "--max", "4", "--time-limit", "3",
                 "--workers", "1")  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Capacity: 1 more sud client with no shortfall" in result.stdout
    assert "one more counselor (copy of cl1)" in result.stdout
    assert "Utilisation at +1:" in result.stdout
    assert "+2: not served" in result.stderr


def test_cli_capacity_unknown_track_is_one_line(tmp_path: Path):
    path = tmp_path / "week.json"
    path.write_text(json.dumps(json.loads(clinic(1, 1).model_dump_json())), encoding="utf-8")
    result = run("capacity", path, "--track", "eating")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["error: --track: no client of track 'eating' to model new clients on "
                     "(tracks here: sud)"]  # fmt: skip


def test_generated_client_gets_a_clinician_who_can_see_them():
    # c1 and cl1 work 09:00-10:00, c2 and cl2 11:00-12:00. A new client modelled on c2 must
    # be assigned cl2: cl1 is less loaded but never free when the new client is.
    morning = {"mon": [["09:00", "10:00"]]}
    late = {"mon": [["11:00", "12:00"]]}
    data = base_dict(
        clinicians=[clinician("cl1", availability=morning), clinician("cl2", availability=late)],
        clients=[
            client("c1", track="sud", availability=morning, requires={"ind": 1},
                   assigned_clinicians={"ind": "cl1"}),
            client("c2", track="sud", availability=late, requires={"ind": 1},
                   assigned_clinicians={"ind": "cl2"}),
        ],
    )  # fmt: skip
    week = Instance.model_validate(data)
    seed = next(
        s
        for s in range(50)
        if add_clients(week, "sud", 1, s).clients[-1].availability
        == week.client_by_id["c2"].availability
    )
    grown = add_clients(week, "sud", 1, seed)
    assert grown.clients[-1].assigned_clinicians == {"ind": "cl2"}
    report = find_capacity(week, "sud", max_added=1, seed=seed, relax=False, **SOLVE)
    assert report.unreachable == []


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, a POSIX signal")
def test_ctrl_c_ends_the_capacity_search_with_what_was_found(tmp_path):
    command = [sys.executable, "-m", "iop_scheduler", "capacity", str(TINY), "--track",
               "substance_use", "--time-limit", "120", "--workers", "1"]
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("Adding"):
            break
    time.sleep(4)  # the first probe's search is under way
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=90)
    assert time.monotonic() - started < 100, "the probes ran on after Ctrl-C"
    assert "Stopped by Ctrl-C" in stdout, stdout + stderr
    # The cut-short +0 week has no shortfall (tiny is well staffed): it proves +0 served.
    assert "Capacity so far: at least 0 more substance_use clients." in stdout
    assert proc.returncode == 0


def test_a_solve_inside_a_stopped_run_returns_at_once():
    """What replan, capacity and whatif rely on: after Ctrl-C no further search runs."""
    week = load_instance(TINY)
    with ctrl_c_ends_the_run() as run_state:
        with ctrl_c_ends_the_run() as inner:
            assert inner is run_state  # nested blocks share one state
        run_state.stop()
        started = time.monotonic()
        result = solve(week, time_limit=60, workers=1)
    assert time.monotonic() - started < 20
    assert result.interrupted and result.status.has_timetable
    assert validate(week, result.timetable) == []


def test_no_relaxations_are_tried_when_the_first_unserved_week_only_ran_out_of_time(
    monkeypatch,
):
    # +2 would fall short (three sessions fit, four clients need one each); here it runs
    # out of time instead, which proves no shortfall, so no resource is added to relax it.
    real_solve = capacity_module.solve_with
    base = len(clinic(1, 1).clients)

    def out_of_time_from_two(week: Instance, options: SolveOptions) -> Result:
        if len(week.clients) >= base + 2:
            return Result(Status.UNKNOWN, Timetable(instance=week.name, status="unknown"))
        return real_solve(week, options)

    monkeypatch.setattr(capacity_module, "solve_with", out_of_time_from_two)
    report = find_capacity(clinic(1, 1), "sud", max_added=4, **SOLVE)
    assert report.added == 1 and report.first_unserved == 2
    assert report.probes[-1].unknown and report.relaxations == []
    text = render_report(report)
    assert "No single added clinician or room" not in text
    assert "+2 ended with no timetable in the time limit" in text


def test_a_week_proven_short_before_solving_runs_no_solve(monkeypatch, tmp_path):
    # Found by a walk-through: a client available on one day of the two required made
    # every probe and each relaxation run out its time limit and say "not proven".
    def no_solve(week: Instance, options: SolveOptions) -> Result:
        raise AssertionError("diagnose proves this week short: no solve should run")

    monkeypatch.setattr(capacity_module, "solve_with", no_solve)
    data = base_dict(
        days=["mon", "tue"],
        rules={"min_days_per_client_week": 2},
        clinicians=[clinician("cl1")],
        rooms=[{"id": "r1", "kind": "office", "capacity": 1}],
        clients=[client("c1", track="sud", requires={"ind": 1},
                        availability={"mon": [["09:00", "12:00"]]})],
    )  # fmt: skip
    report = find_capacity(Instance.model_validate(data), "sud", max_added=4, **SOLVE)
    assert report.added is None and report.first_unserved == 0
    (probe,) = report.probes
    assert probe.proven_short and not probe.unknown and probe.reasons
    assert report.relaxations and all(r.probe.reasons == probe.reasons
                                      for r in report.relaxations)  # fmt: skip
    text = render_report(report)
    assert "already falls short" in text
    assert "Why +0 cannot be served (found before any solve):\n  - client c1 is available " \
        "on 1 program day(s) (Monday)" in text  # fmt: skip
    assert "No single added clinician or room (a copy of one of each" in text
    assert "What binds first" not in text and "not proven" not in text
