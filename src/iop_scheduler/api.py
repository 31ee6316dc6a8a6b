"""The Python API a notebook user calls; the CLI is a thin layer over it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Literal

from .domain import Instance, Timetable, carry_session_ids
from .io import InstanceLike, TimetableLike, as_instance, as_timetable
from .options import SolveOptions
from .result import PenaltyTerm, ProgressPoint, Result
from .validator import Violation
from .validator import score as score_checked
from .validator import validate as validate_checked

Method = Literal["cpsat", "greedy"]
METHODS: tuple[str, ...] = ("cpsat", "greedy")


def solve(
    instance: InstanceLike,
    *,
    method: Method = "cpsat",
    time_limit: float = 60.0,
    workers: int = 0,
    seed: int = 0,
    log: bool = False,
    reproducible: bool = False,
    allow_shortfalls: bool = False,
    previous: TimetableLike | None = None,
    hint: TimetableLike | None = None,
    greedy_hint: bool = True,
    on_progress: Callable[[ProgressPoint], None] | None = None,
) -> Result:
    """Build the week's timetable and say how good it is.

    Args:
        instance: the clinic week: an `Instance`, its JSON data as a dict, or the path of
            an ``iop-instance/1`` file. It is checked again here, so an instance changed
            in Python after loading is solved as changed.
        method: ``"cpsat"`` (the optimising model) or ``"greedy"`` (the hand-scheduling
            baseline).
        time_limit: seconds for the whole run, model building and the starting week
            included.
        workers: CP-SAT search workers; 0 uses every core.
        seed: CP-SAT's random seed.
        log: print CP-SAT's search log on standard error.
        reproducible: the same input, seed and worker count give the same timetable
            (stops on deterministic work; see docs/model.md for what it costs).
        allow_shortfalls: week minimums may fall short, at the ``shortfall_minute``
            weight; the timetable then lists its shortfalls (SPEC section 6).
        previous: a past timetable (object, dict or path) whose attendances are kept
            where possible, at the ``change_from_previous`` weight.
        hint: a timetable to start the search from.
        greedy_hint: without ``hint``, start from the greedy baseline's week.
        on_progress: called with each new best timetable or bound (a `ProgressPoint`).

    Returns:
        A `Result`: ``status``, ``penalty`` and ``terms``, ``bound`` and ``gap``, the
        ``timetable`` and the timings. A timetable found is always valid.

    Raises:
        InputError: the instance or a timetable breaks the file format (one line naming
            the field and the offending id).
        ValueError: an unknown method, or a time limit or worker count out of range.
        TypeError: an argument of the wrong type.

    """
    started = time.monotonic()
    options = SolveOptions(
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        log=log,
        reproducible=reproducible,
        allow_shortfalls=allow_shortfalls,
        previous=_checked_timetable(previous),
        hint=_checked_timetable(hint),
        greedy_hint=greedy_hint,
        on_progress=on_progress,
    )
    return _solve_checked(as_instance(instance), options, method, started)


def solve_with(
    instance: InstanceLike,
    options: SolveOptions,
    *,
    method: str = "cpsat",
    started: float | None = None,
) -> Result:
    """Solve with explicit `SolveOptions` (what `solve` and the CLI call); see `solve`.

    ``started`` (a `time.monotonic()` value) continues a longer run that began then, such
    as a re-plan's second solve: the time limit and the times reported count from it.
    """
    started = time.monotonic() if started is None else started
    options = replace(
        options,
        previous=_checked_timetable(options.previous),
        hint=_checked_timetable(options.hint),
    )
    return _solve_checked(as_instance(instance), options, method, started)


def _checked_timetable(value: TimetableLike | None) -> Timetable | None:
    return None if value is None else as_timetable(value)


def _solve_checked(
    instance: Instance, options: SolveOptions, method: str, started: float
) -> Result:
    """Run a method on a week and options already checked by `solve` or `solve_with`."""
    if method == "greedy":
        from .greedy import solve_greedy

        result = solve_greedy(instance, options, started=started)
    elif method == "cpsat":
        from .cpsat import solve_cpsat

        result = solve_cpsat(instance, options, started=started)
    else:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if options.previous is not None and result.status.has_timetable:
        # A re-planned week's sessions keep their ids (and calendar events their UIDs).
        carry_session_ids(options.previous, result.timetable.sessions)
    return result


def validate(
    instance: InstanceLike, timetable: TimetableLike, *, allow_shortfalls: bool | None = None
) -> list[Violation]:
    """Every rule of SPEC section 4 that ``timetable`` breaks; an empty list when valid.

    Both arguments may be objects, dicts or file paths, and are checked again here, so a
    hand-edited timetable or instance is judged as it is now. ``allow_shortfalls=None``
    reads the mode from the timetable (shortfalls listed: week minimums may fall short).
    Each `Violation` names its rule and the sessions, clients, clinicians, rooms or days.
    """
    return validate_checked(
        as_instance(instance), as_timetable(timetable), allow_shortfalls=allow_shortfalls
    )


def score(
    instance: InstanceLike,
    timetable: TimetableLike,
    *,
    previous: TimetableLike | None = None,
    allow_shortfalls: bool | None = None,
) -> dict[str, PenaltyTerm]:
    """The penalty of ``timetable`` term by term (SPEC section 5), as `validate` computes it.

    Arguments as for `validate` (objects, dicts or file paths, checked again here);
    ``previous`` adds the change term. The total is ``sum(t.cost for t in terms.values())``.
    """
    return score_checked(
        as_instance(instance),
        as_timetable(timetable),
        previous=_checked_timetable(previous),
        allow_shortfalls=allow_shortfalls,
    )
