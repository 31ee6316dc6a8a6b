"""Explain an infeasible week from the model: a small set of rule families that conflict.

Each rule family (a client's week, a client's days, a clinician's hours, a program day's
disciplines, a fixed booking, a session type's minimum size) is put behind an assumption
literal. CP-SAT's sufficient assumptions for infeasibility give a conflicting set; it is
solved without the objective (with one, the core tends to hold every assumption) and shrunk
by deletion while time allows, then written in the coordinator's words.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from ..candidates import Candidates, build_candidates
from ..domain import Instance
from ..times import DAY_NAMES, format_hhmm
from .model import BuildStopped, TimetableModel, deadline_passed


def _solve_with(tm: TimetableModel, assumed: list[str], seconds: float) -> tuple[object, list[str]]:
    """Solve under the assumed families; return the status and a sufficient conflicting set."""
    tm.model.clear_assumptions()
    tm.model.add_assumptions([tm.assumptions[f] for f in assumed])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = 1  # cores from assumptions come from the sequential search
    code = solver.solve(tm.model)
    core: list[str] = []
    if code == cp_model.INFEASIBLE:
        index_of = {tm.assumptions[f].index: f for f in assumed}
        core = [
            index_of[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in index_of
        ]
    return code, core


def conflicting_families(
    instance: Instance, time_limit: float = 30.0, candidates: Candidates | None = None
) -> tuple[list[str], bool]:
    """A small set of rule families that cannot all hold, and whether it is minimal.

    Returns ``([], False)`` when the model is not proven infeasible in the time given.
    """
    started = time.monotonic()
    cands = candidates or build_candidates(instance)
    try:
        tm = TimetableModel(cands, explain=True, stop=deadline_passed(started + time_limit))
    except BuildStopped:
        return [], False
    tm.model.clear_objective()
    families = sorted(tm.assumptions)
    left = time_limit - (time.monotonic() - started)
    if left <= 0:
        return [], False
    code, core = _solve_with(tm, families, min(left, time_limit * 0.5))
    if code != cp_model.INFEASIBLE:
        return [], False
    if not core:
        return [], True  # infeasible whatever the families: the structure itself conflicts
    # Deletion: drop each family in turn; keep it out if the rest is still infeasible.
    minimal = True
    kept = list(core)
    for family in list(core):
        left = time_limit - (time.monotonic() - started)
        if left <= 0.1:
            minimal = False
            break
        trial = [f for f in kept if f != family]
        code, smaller = _solve_with(tm, trial, min(left, max(1.0, time_limit / 10)))
        if code == cp_model.INFEASIBLE:
            kept = smaller or trial
        elif code not in (cp_model.FEASIBLE, cp_model.OPTIMAL):
            minimal = False  # unknown in time: keep the family to stay sound
    return kept, minimal


def is_feasible(
    instance: Instance, time_limit: float, candidates: Candidates | None = None
) -> bool | None:
    """Whether any valid timetable exists (None: not decided in time), ignoring the score."""
    started = time.monotonic()
    try:
        tm = TimetableModel(
            candidates or build_candidates(instance), stop=deadline_passed(started + time_limit)
        )
    except BuildStopped:
        return None
    tm.model.clear_objective()
    left = time_limit - (time.monotonic() - started)
    if left <= 0:
        return None
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = left
    code = solver.solve(tm.model)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    return False if code == cp_model.INFEASIBLE else None


def describe_family(instance: Instance, family: str) -> str:
    """A rule family in the coordinator's words, with the availability facts behind it."""
    kind, _, ident = family.partition(":")
    rules = instance.rules
    if kind == "client_week":
        client = instance.client_by_id[ident]
        needs = [f"{n} {t}" for t, n in sorted(client.requires.items()) if n > 0]
        assigned = [
            f"{t} with {k}, who is available "
            f"{_availability(instance, instance.clinician_by_id[k].availability)}"
            for t, k in sorted(client.assigned_clinicians.items())
            if client.requires.get(t, 0) > 0
        ]
        most = rules.max_hours_per_client_week
        hours = f"{rules.min_hours_per_client_week:g} h" + (
            "" if most is None else f" (at most {most:g} h)"
        )
        text = (
            f"client {ident} needs {rules.min_days_per_client_week} days, {hours} and "
            f"{rules.min_disciplines_per_client_week} disciplines a week"
        )
        if needs:
            text += f", including {', '.join(needs)}"
        if assigned:
            text += f" ({'; '.join(assigned)})"
        return text + f"; available {_availability(instance, client.availability)}"
    if kind == "client_day":
        most = rules.max_hours_per_client_day
        hours = f"at least {rules.min_hours_per_client_day:g} h" + (
            "" if most is None else f" and at most {most:g} h"
        )
        return (
            f"on each day client {ident} attends: {hours}, "
            f"{rules.min_group_sessions_per_client_day} group sessions or more, and at most "
            f"{rules.max_same_type_per_client_day} session(s) of one type"
        )
    if kind == "clinician_hours":
        clin = instance.clinician_by_id[ident]
        bounds = []
        if clin.max_hours_per_day is not None:
            bounds.append(f"{clin.max_hours_per_day:g} h a day")
        if clin.max_hours_per_week is not None:
            bounds.append(f"{clin.max_hours_per_week:g} h a week")
        return (
            f"clinician {ident} ({clin.discipline}) leads at most {' and '.join(bounds)}; "
            f"available {_availability(instance, clin.availability)}"
        )
    if kind == "program_day":
        return (
            f"on {DAY_NAMES[ident]} at least {rules.min_disciplines_per_day} disciplines "
            "lead sessions"
        )
    if kind == "fixed":
        booked = instance.fixed_sessions[int(ident)]
        return (
            f"fixed session {ident} ({booked.type} on {DAY_NAMES[booked.day]} at "
            f"{format_hhmm(booked.start)} with {booked.clinician}"
            f"{' in ' + booked.room if booked.room else ''}) stays as booked"
        )
    if kind == "size":
        stype = instance.type_by_id[ident]
        return f"every {ident} session has at least {stype.size_min} clients (min_size)"
    return family


def _availability(instance: Instance, availability: object) -> str:
    if availability is None:
        return "whenever the program is open"
    parts = []
    for day in instance.days:
        windows = availability.get(day, [])  # type: ignore[attr-defined]
        if windows:
            spans = ", ".join(f"{format_hhmm(s)}-{format_hhmm(e)}" for s, e in windows)
            parts.append(f"{day} {spans}")
    return "; ".join(parts) if parts else "never"


def explain_from_model(
    instance: Instance, time_limit: float = 30.0, candidates: Candidates | None = None
) -> list[str]:
    """Sentences naming a small set of rules that cannot all hold together."""
    families, minimal = conflicting_families(instance, time_limit, candidates)
    if not families:
        if minimal:
            return [
                "the week is infeasible even with every client, clinician and day rule "
                "relaxed: the availabilities leave no room for the sessions themselves"
            ]
        return []
    head = (
        "these rules cannot all hold together"
        if minimal
        else "these rules cannot all hold together (not shrunk to a minimal set in time)"
    )
    return [f"{head}:"] + [f"  {describe_family(instance, f)}" for f in families]
