"""Re-planning after a call-out: apply the changes, keep as much of the week as possible."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .api import solve_with
from .changes import Changes, apply_changes
from .diff import TimetableDiff, diff_timetables
from .domain import Instance, Timetable
from .interrupt import CtrlC, ctrl_c_ends_the_run
from .io import as_instance, as_timetable
from .options import SolveOptions
from .result import Result, Status
from .validator import validate


@dataclass
class ReplanResult:
    """The week after the changes, its new timetable, and what changed."""

    instance: Instance
    result: Result
    diff: TimetableDiff | None


def replan(
    instance: Instance,
    previous: Timetable,
    changes: Changes | Sequence[Any],
    options: SolveOptions | None = None,
    *,
    method: str = "cpsat",
    **fields: Any,
) -> ReplanResult:
    """Re-plan a published week after ``changes`` (SPEC section 8).

    Every attendance of ``previous`` that the new timetable drops costs
    ``change_from_previous``; the search starts from the previous week with only what the
    changes break re-planned (the greedy coordinator in repair mode). With CP-SAT, half the
    time goes first to a local re-plan in which every client the changes do not touch keeps
    their week exactly (it reports no bound, since its proof covers only that restriction);
    if that finds nothing, everyone is re-planned in the time left.

    ``changes`` is a `Changes` (``load_changes(path)``) or a list of changes, as objects or
    as the dicts of a change file (``{"kind": "clinician_removed", "clinician": "cl5"}``).
    The result holds the changed week, the `Result` and the difference from ``previous``.
    ``options`` is a `SolveOptions`; or give its fields as keywords, as to `solve`
    (``replan(week, last, changes, time_limit=30)``).
    """
    if options is not None and not isinstance(options, SolveOptions):
        raise TypeError(
            f"options: expected SolveOptions, not {type(options).__name__} (or give its "
            "fields as keywords: time_limit=30, workers=2, ...)"
        )
    if fields:
        if options is not None:
            raise TypeError("give either options or its fields as keywords, not both")
        options = SolveOptions(**fields)
    previous = as_timetable(previous)
    week = apply_changes(as_instance(instance), changes)
    settings = replace(options or SolveOptions(), previous=previous)
    if method == "cpsat":
        with ctrl_c_ends_the_run() as ctrl_c:
            result = _local_then_full(week, previous, settings, ctrl_c)
    else:
        result = solve_with(week, settings, method=method)
    delta = diff_timetables(previous, result.timetable) if result.status.has_timetable else None
    return ReplanResult(week, result, delta)


def affected_clients(week: Instance, previous: Timetable) -> frozenset[str]:
    """Clients whose previous week breaks a rule of the changed week, or who are new.

    The validator names them: clients of sessions whose leader, room or time is no longer
    possible, clients whose own availability changed, and clients without a previous week.
    """
    enrolled = {c.id for c in week.clients}
    kept = Timetable.model_validate(
        {
            **previous.model_dump(),
            "sessions": [
                s.model_copy(update={"clients": [c for c in s.clients if c in enrolled]})
                for s in previous.sessions
                if s.type in week.type_by_id
                and (s.clinician is None or s.clinician in week.clinician_by_id)
                and (s.room is None or s.room in week.room_by_id)
            ],
            "shortfalls": [],
        }
    )
    by_session = {s.id: set(s.clients) for s in kept.sessions}
    touched: set[str] = set()
    for violation in validate(week, kept, allow_shortfalls=False):
        touched.update(violation.clients)
        for session_id in violation.sessions:
            touched.update(by_session.get(session_id, set()))
        if violation.sessions:
            continue  # the sessions named are what breaks, not the leader's whole week
        # A clinician's or room's hours (or a missing fixed booking): every session of
        # theirs on the days named (all week when none is) could be the one to move.
        on_days = set(violation.days)
        for s in kept.sessions:
            if on_days and s.day not in on_days:
                continue
            if s.clinician in violation.clinicians or s.room in violation.rooms:
                touched.update(s.clients)
    before = {c for s in previous.sessions for c in s.clients}
    touched.update(enrolled - before)
    # Sessions dropped above (removed leader, room or type) touch their clients too.
    dropped = [s for s in previous.sessions if s.id not in by_session]
    touched.update(c for s in dropped for c in s.clients)
    return frozenset(touched & enrolled)


def _local_then_full(
    week: Instance, previous: Timetable, settings: SolveOptions, ctrl_c: CtrlC
) -> Result:
    """A local re-plan in half the time; everyone re-planned only if it finds nothing.

    After Ctrl-C the full re-plan does not start: the local re-plan's answer stands.
    """
    started = time.monotonic()
    affected = affected_clients(week, previous)
    kept = frozenset(c.id for c in week.clients) - affected
    if kept:
        local = solve_with(
            week, replace(settings, keep_clients=kept, time_limit=settings.time_limit * 0.5)
        )
        if local.status.has_timetable:
            # Its bound holds only with the other clients frozen: it proves nothing
            # about the week itself, so the local re-plan reports no bound.
            local.status = Status.FEASIBLE
            local.bound = None
            local.timetable.status = "feasible"
            local.timetable.bound = None
        if local.status.has_timetable or ctrl_c.pressed.is_set():
            return local
    # The full re-plan gets what is left of the same time limit: it counts from the start
    # of the re-plan, so its messages and times are the whole run's.
    return solve_with(week, settings, started=started)
