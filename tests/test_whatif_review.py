"""Review findings on ``whatif`` and ``capacity``: a scheduler address that is no Dask
scheduler, an output folder that cannot be written, what the shortfall rows count, option
names, and what capacity's utilisation divides by.

Solves are short (a tiny week, one process, a few seconds at most).
"""

from __future__ import annotations

import csv
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import TWO_SUD_CLIENTS
from iop_scheduler import load_instance
from iop_scheduler.capacity import CapacityReport, Utilisation, render_report
from iop_scheduler.cli import cli

DOCS = Path(__file__).resolve().parents[1] / "docs" / "whatif.md"

WEEK: dict[str, Any] = TWO_SUD_CLIENTS

#: One day and one counselor cannot give two days, two disciplines or two "grp" sessions
#: (at most one of a type a day): each client is 1 day and 1 discipline short, and c1 one
#: required session; one group of 60 minutes still meets the 1-hour weekly minimum.
SCENARIOS: dict[str, Any] = {
    "format": "iop-scenarios/1",
    "scenarios": [
        {
            "name": "tight",
            "changes": [
                {"kind": "set_rule", "rule": "min_days_per_client_week", "value": 2},
                {"kind": "set_rule", "rule": "min_disciplines_per_client_week", "value": 2},
                {"kind": "set_client", "client": "c1", "field": "requires",
                 "value": {"grp": 2}},
            ],
        }
    ],
}  # fmt: skip


def run(*args: Any) -> Any:
    """Invoke the CLI (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def inputs(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path / "week.json", WEEK), write(tmp_path / "scenarios.json", SCENARIOS)


def one_error_line(result: Any) -> str:
    """The single stderr line of a run that stopped on bad input (exit 2, nothing on stdout)."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


# -- 1. --scheduler pointed at something that is not a Dask scheduler ----------------------


@contextmanager
def fake_server(reply: bytes | None) -> Iterator[str]:
    """A TCP server on loopback: accepts, then sends ``reply`` (None: never says a word)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:  # a timeout: look at stop again
                continue
            accepted.append(conn)
            if reply is not None:
                try:
                    conn.recv(4096)
                    conn.sendall(reply)
                except OSError:
                    pass  # the client gave up first

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


def run_bounded(seconds: float, *args: Any) -> tuple[Any, float]:
    """`run` in a thread: fails (instead of hanging the suite) if it takes over ``seconds``."""
    box: dict[str, Any] = {}
    started = time.monotonic()
    thread = threading.Thread(target=lambda: box.setdefault("result", run(*args)), daemon=True)
    thread.start()
    thread.join(seconds)
    elapsed = time.monotonic() - started
    assert not thread.is_alive(), f"whatif --scheduler still waiting after {seconds} s"
    return box["result"], elapsed


@pytest.fixture
def short_connect(monkeypatch: pytest.MonkeyPatch) -> float:
    """Dask must be installed (the extra); give a scheduler 2 s to answer instead of 10."""
    pytest.importorskip("distributed", reason="dask[distributed] is not installed (the extra)")
    monkeypatch.setattr("iop_scheduler.whatif.DASK_CONNECT_SECONDS", 2)
    return 2.0


def test_scheduler_that_accepts_and_never_answers_is_one_line_in_bounded_time(
    tmp_path, short_connect
):
    week, scenarios = inputs(tmp_path)
    with fake_server(None) as address:
        result, elapsed = run_bounded(
            30, "whatif", week, scenarios, "--scheduler", address, "--time-limit", "2"
        )
    line = one_error_line(result)
    assert line == f"error: --scheduler: no Dask scheduler answered at {address} within 2 s"
    assert elapsed < short_connect + 5


@pytest.mark.parametrize(
    "reply",
    [
        # A web server's answer: its first 8 bytes read as a frame length of 3.07 EiB,
        # which numpy fails to allocate (MemoryError) inside distributed's handshake.
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
        b"\xff" * 64,  # "Maximum allowed dimension exceeded" (ValueError)
        b"\x00" * 64,  # zero frames: no handshake message at all
    ],
    ids=["http", "ff", "zeros"],
)
def test_scheduler_that_answers_garbage_is_one_line(tmp_path, short_connect, reply):
    week, scenarios = inputs(tmp_path)
    out = tmp_path / "out"
    with fake_server(reply) as address:
        result, elapsed = run_bounded(
            30, "whatif", week, scenarios, "--scheduler", address, "-o", out
        )
    line = one_error_line(result)
    assert line.startswith(f"error: --scheduler: something answers at {address}, but not as a")
    assert "Traceback" not in result.output
    assert not out.exists()  # nothing written, not even the folder
    assert elapsed < short_connect + 5


def test_scheduler_address_without_a_port_is_one_line(tmp_path, short_connect):
    week, scenarios = inputs(tmp_path)
    result = run("whatif", week, scenarios, "--scheduler", "tcp://127.0.0.1")
    line = one_error_line(result)
    assert line == "error: --scheduler tcp://127.0.0.1: missing port number in address '127.0.0.1'"


def test_connect_dask_is_bounded_for_python_callers(short_connect):
    from iop_scheduler.errors import InputError
    from iop_scheduler.whatif import connect_dask

    with fake_server(None) as address:
        started = time.monotonic()
        with pytest.raises(InputError, match="no Dask scheduler answered"):
            connect_dask(address, seconds=1)
        assert time.monotonic() - started < 5


# -- 2. an output folder that cannot be written stops the run before any solve --------------


@pytest.mark.parametrize("option", ["-o", "--output", "--output-dir"])
def test_unwritable_output_fails_before_any_solve(tmp_path, monkeypatch, option):
    week, scenarios = inputs(tmp_path)

    def no_solve(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a solve started although the output cannot be written")

    monkeypatch.setattr("iop_scheduler.cli.whatif_cmd.solve_weeks", no_solve)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run("whatif", week, scenarios, option, blocker / "out", "--time-limit", "2")
    line = one_error_line(result)
    assert line == (
        f"error: {blocker / 'out' / 'whatif.csv'}: cannot write: "
        f"a file stands where a folder should be"
    )


# -- 3 and 4. every shortfall counted, under labels that say what they count; --output -----


def test_shortfall_rows_count_days_sessions_and_disciplines_not_only_hours(tmp_path):
    week, scenarios = inputs(tmp_path)
    out = tmp_path / "out"
    result = run(
        "whatif", week, scenarios, "--output", out, "--time-limit", "3", "--processes", "1"
    )
    assert result.exit_code == 0, (result.output, result.exception)
    rows = {re.split(r"\s{2,}", line.strip())[0]: line for line in result.stdout.splitlines()}
    assert "shortfall hours" not in rows  # it counted hours only, and read as every shortfall
    assert rows["hours short (weekly minimum)"].split()[-2:] == ["0.0", "(=)"]
    assert rows["days short (weekly minimum)"].split()[-2:] == ["2", "(+2)"]
    assert rows["required sessions missing"].split()[-2:] == ["1", "(+1)"]
    assert rows["disciplines short"].split()[-2:] == ["2", "(+2)"]
    with (out / "whatif.csv").open(encoding="utf-8") as handle:
        tight = {row["scenario"]: row for row in csv.DictReader(handle)}["tight"]
    assert tight["clients_under_served"] == "2"
    assert (tight["shortfall_hours"], tight["shortfall_days"]) == ("0", "2")
    assert (tight["shortfall_sessions"], tight["shortfall_disciplines"]) == ("1", "2")
    # 60 shortfall minutes per day, session and discipline short: (2 + 1 + 2) x 60 x weight.
    weight = load_instance(week).weights.shortfall_minute
    assert tight["shortfall_minute_cost"] == str(5 * 60 * weight)


def test_docs_describe_every_row_from_staff_hours_on():
    from iop_scheduler.whatif import _metrics

    documented = DOCS.read_text(encoding="utf-8")
    labels = [metric.label.strip() for metric in _metrics([])]
    for label in labels[labels.index("staff hours") :]:
        assert f"| {label} |" in documented, label
    assert "`--output`" in documented


def test_whatif_help_names_output_and_output_dir():
    result = run("whatif", "--help")
    assert "-o, --output, --output-dir DIRECTORY" in result.stdout


# -- 4 and 5. capacity: the sequence of N, and what its utilisation divides by -------------


def test_capacity_help_and_docs_give_the_same_sequence_of_n():
    help_text = " ".join(run("capacity", "--help").stdout.split())
    assert (
        "The week as it is (N = 0) comes first, then N doubles (1, 2, 4, ..., with --max as "
        "the last step)" in help_text
    )
    docs = " ".join(DOCS.read_text(encoding="utf-8").split())
    assert (
        "The week as it is (+0) is solved first; then N doubles — +1, +2, +4, … with `--max`"
        in docs
    )
    assert "+0, +1, +2, +4" not in docs and "(1, 2, 4, ...) until" not in help_text


def test_capacity_utilisation_says_it_is_over_the_clinicians_cap():
    report = CapacityReport(
        instance="small", track="sud", track_clients=2, max_added=4, time_limit=1, seed=0,
        added=4, first_unserved=None,
        clinicians=[Utilisation("md1", "Dr One", "psychiatrist", 450, 600)],
        rooms=[Utilisation("grp1", "Room A", "group_room", 1680, 3900)],
    )  # fmt: skip
    lines = render_report(report).splitlines()
    start = lines.index(
        "Utilisation at +4: clinicians' hours led over their cap, rooms' hours used over "
        "their open hours"
    )
    assert lines[start + 1].split()[-2:] == ["of", "cap"]
    assert lines[start + 2].split() == ["md1", "psychiatrist", "7.5", "10.0", "75%"]
    assert lines[start + 3].split()[-2:] == ["of", "open"]
    note = " ".join(" ".join(lines[start + 5 :]).split())
    assert "capped by their daily and weekly maximums" in note
    assert "`report`'s utilisation divides by availability alone" in note
    docs = " ".join(DOCS.read_text(encoding="utf-8").split())
    assert "75% of cap here, 44% in `report`" in docs
