"""Re-planning after a call-out: apply the changes, keep as much of the week as possible."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .api import solve_with
from .changes import apply_changes
from .diff import TimetableDiff, diff_timetables
from .domain import Instance, Timetable
from .options import SolveOptions
from .result import Result


@dataclass
class ReplanResult:
    """The week after the changes, its new timetable, and what changed."""

    instance: Instance
    result: Result
    diff: TimetableDiff | None


def replan(
    instance: Instance,
    previous: Timetable,
    changes: list,
    options: SolveOptions | None = None,
    *,
    method: str = "cpsat",
) -> ReplanResult:
    """Re-plan a published week after ``changes`` (SPEC section 8).

    Every attendance of ``previous`` that the new timetable drops costs
    ``change_from_previous``; the search starts from the previous week with only what the
    changes break re-planned (the greedy coordinator in repair mode).
    """
    week = apply_changes(instance, changes)
    settings = replace(options or SolveOptions(), previous=previous)
    result = solve_with(week, settings, method=method)
    delta = diff_timetables(previous, result.timetable) if result.status.has_timetable else None
    return ReplanResult(week, result, delta)
