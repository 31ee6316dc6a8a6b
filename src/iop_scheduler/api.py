"""The Python API a notebook user calls; the CLI is a thin layer over it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from .domain import Instance, Timetable
from .options import SolveOptions
from .result import ProgressPoint, Result

Method = Literal["cpsat", "greedy"]
METHODS: tuple[str, ...] = ("cpsat", "greedy")


def solve(
    instance: Instance,
    *,
    method: Method = "cpsat",
    time_limit: float = 60.0,
    workers: int = 0,
    seed: int = 0,
    log: bool = False,
    reproducible: bool = False,
    allow_shortfalls: bool = False,
    previous: Timetable | None = None,
    hint: Timetable | None = None,
    greedy_hint: bool = True,
    on_progress: Callable[[ProgressPoint], None] | None = None,
) -> Result:
    """Build the week's timetable.

    ``method`` is ``"cpsat"`` (the optimising model) or ``"greedy"`` (the hand-scheduling
    baseline). ``time_limit`` bounds the whole run in seconds, model building included;
    ``workers=0`` uses every core. With ``reproducible``, the same input, seed and worker
    count give the same timetable. ``previous`` keeps a past timetable's attendances where
    possible; ``hint`` starts the search from a timetable.
    """
    options = SolveOptions(
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        log=log,
        reproducible=reproducible,
        allow_shortfalls=allow_shortfalls,
        previous=previous,
        hint=hint,
        greedy_hint=greedy_hint,
        on_progress=on_progress,
    )
    return solve_with(instance, options, method=method)


def solve_with(instance: Instance, options: SolveOptions, *, method: str = "cpsat") -> Result:
    """Solve with explicit `SolveOptions` (what `solve` and the CLI call)."""
    started = time.monotonic()
    if method == "greedy":
        from .greedy import solve_greedy

        result = solve_greedy(instance, options, started=started)
    elif method == "cpsat":
        from .cpsat import solve_cpsat

        result = solve_cpsat(instance, options, started=started)
    else:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return result
