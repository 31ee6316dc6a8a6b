"""The benchmark command runs end to end on the tiny sample and writes its files."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from iop_scheduler.bench import BenchSettings, load_settings, run_benchmark
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


def test_bench_rejects_an_unknown_method_in_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["bench", str(TINY), "--methods", "magic", "-o",
                                      str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --methods: unknown method 'magic' (choose cpsat, greedy)"
    ]
    assert not (tmp_path / "out").exists()
