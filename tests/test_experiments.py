"""The experiment scripts behind the figures of benchmarks/README.md still run."""

from __future__ import annotations

import subprocess
import sys

from solved_tiny import ROOT, tiny_files

EXPERIMENTS = ROOT / "benchmarks" / "experiments"


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXPERIMENTS / script), *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gap_anatomy_splits_the_staff_minutes_of_a_week(tmp_path):
    instance, week = tiny_files(tmp_path)
    out = run("gap_anatomy.py", str(instance), str(week))
    lines = {}
    for line in out.splitlines()[:4]:
        name, amount = line.rsplit(maxsplit=1)
        lines[name.strip()] = int(amount.replace(",", ""))
    as_run = lines["staff minutes as run"]
    fractional = lines["staff minutes, copies charged fraction"]
    # A copy never seats more than its seats, so charging fractions can only cost less.
    assert 0 < fractional <= as_run
    assert "stated bounds: staff" in out


def test_fix_and_optimise_trial_reports_a_penalty():
    out = run("fix_and_optimise.py", str(ROOT / "instances" / "tiny.json"),
              "--time-limit", "6", "--first-phase", "3", "--sub-seconds", "1")  # fmt: skip
    assert "first phase" in out and "final penalty" in out


def test_fix_and_optimise_frees_clients_of_a_half_day():
    out = run("fix_and_optimise.py", str(ROOT / "instances" / "tiny.json"), "--time-limit", "6",
              "--first-phase", "3", "--sub-seconds", "1", "--clients", "3")  # fmt: skip
    assert "clients of" in out and "final penalty" in out


def test_pattern_bound_never_proves_more_than_its_master_lp():
    out = run("pattern_bound.py", str(ROOT / "instances" / "tiny.json"), "3")
    rounds = [line for line in out.splitlines() if line.startswith("round ")]
    assert len(rounds) == 3
    for line in rounds:
        fields = line.split()
        master = float(fields[3].replace(",", ""))
        bound = float(fields[5].replace(",", ""))
        # A Lagrangian bound is never above the LP it prices (up to rounding the prices).
        assert bound <= master + 1


def test_without_staff_rules_solves_the_relaxation_then_tries_to_staff_it():
    out = run("without_staff_rules.py", str(ROOT / "instances" / "tiny.json"),
              "--time-limit", "3", "--stage-two", "3")  # fmt: skip
    assert out.startswith("relaxation: ") and "stage two: " in out


def test_bound_beside_greedy_reports_both():
    out = run("bound_beside_greedy.py", str(ROOT / "instances" / "tiny.json"), "--share", "5",
              "--no-give-up")  # fmt: skip
    assert "greedy week: feasible" in out and "complete" in out


def test_client_rows_hold_for_a_valid_week():
    out = run("client_rows.py", str(ROOT / "instances" / "small.json"), "--rows",
              "--time-limit", "6")  # fmt: skip
    stated = int(out.splitlines()[0].rsplit(maxsplit=1)[1])
    # Every row must hold for every valid week; the completed greedy week is one.
    assert stated > 0 and "rows the greedy week breaks: 0" in out


def test_day_plan_trial_solves_the_restricted_week_and_checks_it():
    out = run("day_plan.py", str(ROOT / "instances" / "tiny.json"),
              "--time-limit", "8", "--plan", "1", "--then-full", "3")  # fmt: skip
    assert "day plan: OPTIMAL" in out
    assert "broken rules on the clinic: 0" in out
    assert "unrestricted from it: penalty" in out


def test_components_trial_solves_each_group_and_checks_the_union():
    out = run("components.py", str(ROOT / "instances" / "small.json"), "--time-limit", "8")
    assert "groups of clients: [13, 12]" in out
    assert "broken rules of the union on the clinic: 0" in out
