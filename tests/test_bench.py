"""The benchmark command runs end to end on the tiny sample and writes its files."""

from __future__ import annotations

import csv
import dataclasses
import warnings
from pathlib import Path

from click.testing import CliRunner

from iop_scheduler.bench import (
    BenchSettings,
    RunRecord,
    load_settings,
    markdown_table,
    plot_results,
    run_benchmark,
    summarise,
)
from iop_scheduler.cli import cli

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "instances" / "tiny.json"


def test_bench_command_writes_results_table_and_plots(tmp_path):
    out = tmp_path / "results"
    result = CliRunner().invoke(
        cli, ["bench", str(TINY), "--time-limit", "3", "--seeds", "1", "--workers", "2",
              "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for name in ("results.csv", "history.csv", "results.md", "penalty_over_time.png",
                 "first_valid_vs_size.png", "gap_vs_size.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    rows = list(csv.DictReader((out / "results.csv").open()))
    # One greedy run (deterministic) and one CP-SAT run, both valid on the tiny sample.
    assert sorted(row["method"] for row in rows) == ["cpsat", "greedy"]
    assert all(row["valid"] == "True" for row in rows)
    cpsat = next(row for row in rows if row["method"] == "cpsat")
    assert int(cpsat["variables"]) > 0 and float(cpsat["peak_mb"]) > 0
    assert float(cpsat["first_s"]) <= float(cpsat["wall_s"])
    table = (out / "results.md").read_text()
    assert "| tiny | 8 | cpsat |" in table and "Machine:" in table


def test_protocol_variants_switch_model_features(tmp_path):
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(
        f'instances = ["{TINY}"]\nmethods = ["plain"]\nseeds = 1\nworkers = 1\n'
        "time_limit = 2\n[variants.plain]\ngreedy_hint = false\nobjective_bounds = false\n"
        "parameters = { num_workers = 1 }\n",
        encoding="utf-8",
    )
    settings = load_settings(protocol)
    assert isinstance(settings, BenchSettings) and settings.variants["plain"].greedy_hint is False
    records = run_benchmark(settings)
    assert [r.method for r in records] == ["plain"] and records[0].workers == 1


def test_time_limits_by_stem_or_by_path(tmp_path):
    # Two files of one stem (the ladder's tiny and the hand-made tiny) need a path key.
    twin = tmp_path / "clinics" / "tiny.json"
    twin.parent.mkdir()
    twin.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(
        f'instances = ["{TINY}", "clinics/tiny.json"]\ntime_limit = 60\n'
        '[time_limits]\ntiny = 30\n"clinics/tiny.json" = 10\n',
        encoding="utf-8",
    )
    settings = load_settings(protocol)
    assert settings.time_limit_of(TINY) == 30
    assert settings.time_limit_of(twin) == 10


def test_bench_rejects_an_unknown_method_in_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["bench", str(TINY), "--methods", "magic", "-o",
                                      str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --methods: unknown method 'magic' (choose cpsat, greedy)"
    ]
    assert not (tmp_path / "out").exists()


def record(seed: int, penalty: int, bound: int, method: str = "cpsat") -> RunRecord:
    return RunRecord(
        instance="clinic", clients=8, method=method, seed=seed, time_limit=60, workers=2,
        status="feasible", valid=True, penalty=penalty, bound=bound,
        gap=(penalty - bound) / penalty, first_s=1.0, best_s=2.0, wall_s=60.0, peak_mb=100,
        variables=10, constraints=20, pools=3,
    )  # fmt: skip


def test_a_row_is_the_median_run_so_its_gap_is_its_own():
    runs = [record(0, 1_300, 1_000), record(1, 1_200, 1_150), record(2, 1_250, 900)]
    runs.append(record(0, 2_500, 0, method="greedy"))
    (cpsat,) = [row for row in summarise(runs) if row["method"] == "cpsat"]
    # Seed 2 has the median penalty: its bound and gap, not the best bound of seed 1.
    assert (cpsat["penalty"], cpsat["bound"], cpsat["best"]) == (1_250, 900, 1_200)
    assert cpsat["gap"] == (cpsat["penalty"] - cpsat["bound"]) / cpsat["penalty"]
    assert cpsat["vs_greedy"] == 1_250 / 2_500


def test_two_clinics_of_one_name_are_refused(tmp_path):
    twin = tmp_path / "twin.json"
    twin.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["bench", str(TINY), str(twin), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "'tiny' is also the name of" in result.stderr
    assert not (tmp_path / "out").exists()


def test_plots_of_runs_without_any_timetable_draw_no_empty_legend(tmp_path):
    # Every run out of time: nothing to label, and matplotlib used to warn about it on
    # stderr ("No artists with labels found to put in legend").
    lost = dataclasses.replace(
        record(0, 1, 0), status="unknown", valid=False, penalty=None, bound=None, gap=None,
        first_s=None, best_s=None,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        written = plot_results([lost], tmp_path)
    assert all(path.exists() for path in written)


def test_bench_takes_output_as_the_other_commands_do():
    from click.testing import CliRunner

    from iop_scheduler.cli import cli

    text = CliRunner().invoke(cli, ["bench", "--help"]).output
    # -o is --output everywhere; --out stays for the commands already written down.
    assert "-o, --output, --out" in text


def test_a_run_without_a_model_shows_no_model_size():
    # A run whose model was not built in time reports a size of 0, as the greedy does.
    stopped = dataclasses.replace(record(1, 1_400, 1_000), variables=0, constraints=0)
    greedy = dataclasses.replace(record(0, 2_500, 0, method="greedy"), variables=0, constraints=0)
    rows = {row["method"]: row for row in summarise([stopped, record(0, 1_300, 1_000), greedy])}
    assert (rows["cpsat"]["variables"], rows["cpsat"]["constraints"]) == (10, 20)
    assert (rows["greedy"]["variables"], rows["greedy"]["constraints"]) == (None, None)
    table = markdown_table([greedy], "bench")
    assert table.splitlines()[-1].endswith("| - | - | - |")


def test_an_empty_folder_is_named_as_such(tmp_path):
    # Found by an operations walk-through: "give files or folders" when a folder was given.
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["bench", str(empty), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: no instance files (*.json) in {empty}: give instance files, or folders "
        "that hold them\n"
    )
    assert not (tmp_path / "out").exists()


class _InterruptedAfter:
    """A multiprocessing context whose pools run ``runs`` jobs in-process, then Ctrl-C."""

    def __init__(self, runs: int) -> None:
        self.runs = runs

    def Pool(self, *args, **kwargs):  # multiprocessing's name
        context = self

        class _Pool:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def apply(self, func, args):
                if context.runs == 0:
                    raise KeyboardInterrupt
                context.runs -= 1
                return func(*args)

        return _Pool()


def test_ctrl_c_writes_the_runs_that_finished(tmp_path, monkeypatch):
    # Found by an operations walk-through: Ctrl-C printed "Aborted!" and the finished
    # runs were lost.
    import iop_scheduler.bench as bench

    monkeypatch.setattr(bench.mp, "get_context", lambda method: _InterruptedAfter(1))
    out = tmp_path / "results"
    result = CliRunner().invoke(cli, ["bench", str(TINY), "--time-limit", "2", "--seeds", "1",
                                      "--workers", "1", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 130, result.output
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [row["method"] for row in rows] == ["greedy"]
    assert "Stopped by Ctrl-C: the results hold the 1 of 2 run(s) that finished" in result.stderr
    monkeypatch.setattr(bench.mp, "get_context", lambda method: _InterruptedAfter(0))
    empty = tmp_path / "none"
    result = CliRunner().invoke(cli, ["bench", str(TINY), "-o", str(empty)])
    assert result.exit_code == 130 and not empty.exists()
    assert "Stopped by Ctrl-C before any run finished: nothing written." in result.stderr
