"""What every command shares: error handling, exit codes, options and progress output."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from ..domain import Instance, Timetable, check_week_date, planned_monday
from ..errors import EXIT_INPUT_ERROR, InputError
from ..io import load_timetable
from ..result import PenaltyTerm, ProgressPoint, Status
from ..times import monday_of
from ..validator import check_references
from ..validator import validate as validate_checked

F = TypeVar("F", bound=Callable[..., Any])


def handles_input_errors(func: F) -> F:
    """Turn `InputError` into one line on stderr and exit status 2, without a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as err:
            click.echo(f"error: {one_line(str(err))}", err=True)
            sys.exit(EXIT_INPUT_ERROR)

    return wrapper  # type: ignore[return-value]


def one_line(text: str) -> str:
    """``text`` with control characters written as escapes (a line break as ``\\n``).

    An error names the offending id or file as the user wrote it; one holding a line
    break split the error over two lines (found by a fuzz run).
    """
    return "".join(
        repr(char)[1:-1] if unicodedata.category(char) == "Cc" else char for char in text
    )


def note_other_clinic(
    instance: Instance | str, timetable: Timetable, file: str, *, option: str = ""
) -> None:
    """A note on stderr when a timetable names another clinic than the instance.

    ``instance`` is the instance (or the clinic name) it is checked against; ``option``
    names the option the file came with (``--previous``), so the note says which file it
    is about. Only a note: the ids decide whether the timetable fits (a re-plan, or a
    renamed copy of the instance, keeps them), and a timetable naming unknown ids is an
    input error where the ids must resolve.
    """
    name = instance if isinstance(instance, str) else instance.name
    if timetable.instance and name and timetable.instance != name:
        what = f"{file} ({option})" if option else file
        click.echo(
            f"note: {what} is a timetable of '{timetable.instance}', checked against '{name}'",
            err=True,
        )
    planned = planned_monday(timetable)
    week_of = None if isinstance(instance, str) or instance.week_of is None else instance.week_of
    if not option and planned is not None and week_of is not None and (
        planned != monday_of(week_of)
    ):
        # Found by a coordinator walk-through: last week's timetable exported under this
        # week's dates, with nothing said when the clients' days had not changed.
        click.echo(
            f"note: {file} was planned for the week of {planned.isoformat()}; the instance "
            f"is the week of {monday_of(week_of).isoformat()}",
            err=True,
        )


def note_broken_rules(
    week: Instance, table: Timetable, instance_file: str, timetable_file: str
) -> bool:
    """A note on stderr when the timetable breaks rules; returns whether it does.

    For the views (`export`, `plot`), which draw a draft all the same (a coordinator may
    share one) but lay sessions out by day, time and room, so that a session out of hours,
    on another day or double-booked may not show: said out loud, with the command that
    lists every break (walk-throughs saw such sessions vanish, exit 0).
    """
    broken = validate_checked(week, table)
    if broken:
        click.echo(
            f"note: {timetable_file} breaks {len(broken)} rule(s), for example: {broken[0]}; "
            f"the views may not show it: run `iop-scheduler validate {instance_file} "
            f"{timetable_file}` for the list",
            err=True,
        )
    return bool(broken)


def outputs_apart(
    outputs: Mapping[str, str | None], inputs: Mapping[str, str | None]
) -> None:
    """Raise `InputError` when an output file is one of the inputs, or another output.

    Keys name the option or argument (``-o``, ``INSTANCE``). Found by a coordinator
    walk-through: ``replan --new-instance`` given the published week replaced it, and
    ``solve inst.json -o inst.json`` turned the clinic file into a timetable.
    """
    given_outputs = [(label, path) for label, path in outputs.items() if path]
    seen: list[tuple[str, str]] = []
    for label, path in given_outputs:
        for other_label, other in [*seen, *((k, v) for k, v in inputs.items() if v)]:
            if _same_file(path, other):
                raise InputError(
                    f"{label} {path} is also the {other_label} file: writing it would "
                    f"replace that file; choose another name"
                )
        seen.append((label, path))


#: The project's file formats, as a person would name what a file holds.
_HOLDS = {
    "iop-instance/1": "a clinic week (iop-instance/1)",
    "iop-schedule/1": "a timetable (iop-schedule/1)",
    "iop-changes/1": "changes (iop-changes/1)",
    "iop-scenarios/1": "scenarios (iop-scenarios/1)",
}


def keeps_other_kind(path: str | None, writes: str | None, option: str = "-o") -> None:
    """Raise `InputError` when ``path`` holds a project file of another kind than ``writes``.

    ``writes`` is the format written (None: not a project JSON file, such as a report or
    a workbook, so that every project file there is kept). A coordinator walk-through
    replaced a published timetable with a roster (``import-csv -o week.json``).
    """
    held = _json_object(path) if path else None
    kind = held.get("format") if held is not None else None
    if isinstance(kind, str) and kind in _HOLDS and kind != writes:
        raise InputError(
            f"{option} {path} holds {_HOLDS[kind]}: writing there would replace it; "
            "choose another name"
        )


def _json_object(path: str) -> dict[str, Any] | None:
    """The JSON object a file holds (None: no such file, not readable, or not one).

    Reads past the first bytes only when they open an object, so that a workbook or a
    page about to be replaced is not read whole; a name too long to open is None here
    (`ensure_writable` then says why in one line).
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
            if not head.lstrip().startswith(b"{"):  # a JSON object opens so
                return None
            held = json.loads(head + handle.read())
    except (OSError, ValueError):
        return None
    return held if isinstance(held, dict) else None


def _same_file(first: str, second: str) -> bool:
    """Whether two paths name one file (through links or ``..`` too)."""
    try:
        if Path(first).exists() and Path(second).exists():
            return os.path.samefile(first, second)
    except OSError:
        pass
    return Path(first).resolve() == Path(second).resolve()


def kept_earlier_timetable(status: Status, output: str) -> bool:
    """Whether a run that found no timetable should leave ``output`` alone.

    It should when the file holds a timetable already: a re-run with too short a time
    limit replaced the published week with an empty result (coordinator walk-through).
    """
    if status.has_timetable:
        return False
    held = _json_object(output)
    return (
        held is not None
        and held.get("format") == "iop-schedule/1"
        and held.get("status") in ("optimal", "feasible")
    )


def written_note(status: Status, output: str, *, kept: bool = False) -> str:
    """What the -o file holds: a timetable, or only the status and the explanation.

    ``kept``: the run found none and left the timetable the file held alone.
    """
    if status.has_timetable:
        return f"Timetable written to {output}"
    if kept:
        return (
            f"No timetable (status {status.value}); {output} was left as it was (it holds "
            "an earlier timetable)"
        )
    return f"No timetable (status {status.value}); the result was written to {output}"


def require_timetable(timetable: Timetable, file: str, purpose: str) -> None:
    """Raise `InputError` unless the file holds a timetable (status optimal or feasible).

    ``purpose`` ends the message: "the file holds no timetable {purpose}".
    """
    if not Status(timetable.status).has_timetable:
        raise InputError(
            f"status {timetable.status}: the file holds no timetable {purpose}", file=file
        )


def load_option_timetable(
    path: str, instance: Instance, option: str, *, instance_file: str | None = None
) -> Timetable:
    """The timetable of an option such as ``--previous`` or ``--hint``, checked.

    A file that holds no timetable raises `InputError`; one of another clinic than
    ``instance`` gets a note on stderr naming the file and the option. With
    ``instance_file`` (replan's published week), every id it names must be in
    ``instance``: else it is the week of another clinic, and an `InputError` says so.
    """
    timetable = load_timetable(path)
    require_timetable(timetable, path, f"to use as {option}")
    if instance_file is not None:
        try:
            check_references(instance, timetable, file=path)
        except InputError as err:
            # Found by a coordinator walk-through: another clinic's week searched for the
            # whole time limit and then advised `explain`.
            raise InputError(
                f"{err.detail}: {option} must be the week published for {instance_file}",
                file=path,
            ) from None
    else:
        _shares_something(instance, timetable, path, option)
    note_other_clinic(instance, timetable, path, option=option)
    return timetable


def _shares_something(instance: Instance, timetable: Timetable, path: str, option: str) -> None:
    """Raise `InputError` when a timetable has sessions but no client or no type of ``instance``.

    An older week may name clients since discharged (SPEC 9.11 counts their attendances),
    but one that shares no client, or no session type, is another clinic's: a coordinator
    walk-through's `validate --previous` of another clinic charged 97 changes.
    """
    if not timetable.sessions:
        return
    types = {s.type for s in timetable.sessions}
    clients = {c for s in timetable.sessions for c in s.clients}
    missing = ""
    if not types & set(instance.type_by_id):
        missing = "no session type"
    elif clients and not clients & set(instance.client_by_id):
        missing = "no client"
    if missing:
        clinic = f" (it is a timetable of '{timetable.instance}')" if timetable.instance else ""
        raise InputError(
            f"{option} shares {missing} with the instance{clinic}: give a week of this clinic",
            file=path,
        )


def checked_week_of(date: dt.date) -> dt.date:
    """A ``--week-of`` date, or `InputError` when no calendar can hold its week."""
    try:
        return check_week_date(date)
    except ValueError as err:
        raise InputError(f"--week-of: {err}") from None


class _FiniteSeconds(click.FloatRange):
    """Seconds, at least 0.1: ``nan`` and ``inf`` pass a float range, so refuse them here.

    Found by a fuzz run: ``--time-limit nan`` ended in a traceback.
    """

    name = "seconds"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


FINITE_SECONDS = _FiniteSeconds(min=0.1)


def time_limit_option(
    default: float | None, help: str = "Seconds for the whole run, model building included."
) -> Callable[[F], F]:
    """``--time-limit`` in seconds (at least 0.1), with this command's default and help."""
    return click.option(
        "--time-limit",
        type=FINITE_SECONDS,
        default=default,
        show_default=default is not None,
        help=help,
    )


def workers_option(
    default: int | None, help: str = "CP-SAT search workers (0: one per core)."
) -> Callable[[F], F]:
    """``--workers``: CP-SAT search workers, 0 for one per core."""
    return click.option(
        "--workers",
        type=click.IntRange(min=0),
        default=default,
        show_default=default is not None,
        help=help,
    )


def output_format_option(func: F) -> F:
    """``--format table|json``."""
    return json_format_option("Print a readable table or machine-readable JSON.")(func)


def json_format_option(help: str) -> Callable[[F], F]:
    """``--format table|json`` with this command's help (what its JSON holds)."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help=help,
    )


def solver_options(func: F) -> F:
    """The options of every command that solves: limits, workers, seed, log, reproducibility."""
    decorators = [
        time_limit_option(60.0),
        workers_option(0),
        click.option(
            "--seed", type=int, default=0, show_default=True, help="Random seed of the search."
        ),
        click.option("--log", is_flag=True, help="Print CP-SAT's search log on stderr."),
        click.option(
            "--reproducible",
            is_flag=True,
            help="Same input, seed and workers give the same timetable (stops on "
            "deterministic work, so it may use less of the time limit).",
        ),
        click.option(
            "--progress/--no-progress",
            default=None,
            help="Show elapsed time, best penalty, bound and gap while solving "
            "(default: when stderr is a terminal).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


class ProgressPrinter:
    """Shows elapsed time, best penalty, bound and gap on stderr while a solve runs."""

    def __init__(self, enabled: bool | None, label: str = "") -> None:
        self.tty = sys.stderr.isatty()
        self.enabled = self.tty if enabled is None else enabled
        self.label = label
        self.started = time.monotonic()
        self.best: int | None = None
        self.bound: int | None = None
        self._last_line = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ProgressPrinter:
        if self.enabled and self.tty:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.enabled and self.tty:
            click.echo("\r" + " " * 78 + "\r", err=True, nl=False)

    def _text(self) -> str:
        elapsed = time.monotonic() - self.started
        best = f"{self.best:,}" if self.best is not None else "-"
        bound = f"{self.bound:,}" if self.bound is not None else "-"
        gap = ""
        if self.best and self.bound is not None:
            gap = f"  gap {max(0.0, (self.best - self.bound) / self.best):.1%}"
        return f"{self.label}{elapsed:7.1f} s  best {best}  bound {bound}{gap}"

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            click.echo("\r" + self._text().ljust(78), err=True, nl=False)

    def __call__(self, point: ProgressPoint) -> None:
        """Record a new best timetable or bound (the solver's progress callback)."""
        improved = point.penalty is not None and point.penalty != self.best
        if point.penalty is not None:
            self.best = point.penalty
        if point.bound is not None:
            self.bound = point.bound
        if self.enabled and not self.tty:
            now = time.monotonic()
            if improved or now - self._last_line > 5:
                self._last_line = now
                click.echo(self._text(), err=True)


def declared_penalty_note(
    file: str, table: Timetable, penalty: int, terms: dict[str, PenaltyTerm], previous: str | None
) -> str:
    """A note when the penalty FILE declares is not this timetable's, naming the files.

    Not a broken rule (a hand-edited file keeps its old header), but the file's status and
    bound then describe another week. A file planned without a previous week declares no
    change_from_previous: with ``--previous`` it is compared without that term. A file
    planned on a previous week is compared only against the one given with ``--previous``.
    """
    declared = table.penalty
    declared_terms = (table.model_extra or {}).get("penalty_terms", {})
    if not isinstance(declared_terms, dict):
        declared_terms = {}  # an extra field nothing checks: a hand-edited file's (review)
    planned_on_previous = "change_from_previous" in declared_terms
    if declared is None:
        return ""
    if planned_on_previous and not previous:
        # Found by a coordinator walk-through: replan printed one penalty and validate
        # another, with nothing to say why.
        changes_cost = declared_terms["change_from_previous"]
        if not isinstance(changes_cost, int) or declared - changes_cost != penalty:
            return ""  # hand-edited: the terms say nothing reliable
        if not changes_cost:
            return ""  # every attendance kept: both penalties agree
        return (
            f"Note: {file} was planned on a previous week; its declared penalty "
            f"{declared:,} also counts {changes_cost:,} for the attendances it did not keep. "
            f"Give that week with --previous to count them here."
        )
    if previous and not planned_on_previous:
        changes = terms.get("change_from_previous")
        own = penalty - (changes.cost if changes else 0)
        if declared == own:
            return ""
        return (
            f"Note: {file} declares penalty {declared:,}, but its penalty without the "
            f"changes from {previous} is {own:,}: its status ({table.status}) and bound "
            f"describe another week."
        )
    if declared == penalty:
        return ""
    if previous:
        return (
            f"Note: {file} declares penalty {declared:,}, but its penalty against {previous} "
            f"is {penalty:,}: it was planned on another previous week, or its status "
            f"({table.status}) and bound describe another week."
        )
    return (
        f"Note: {file} declares penalty {declared:,}, but its penalty is {penalty:,}: its "
        f"status ({table.status}) and bound describe another week."
    )
