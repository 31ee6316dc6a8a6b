"""Explain an infeasible week from the model: a small set of rule families that conflict.

Each rule family (a client's week, a client's days, a clinician's hours, a program day's
disciplines, a fixed booking, a session type's minimum size) is put behind an assumption
literal. CP-SAT's sufficient assumptions for infeasibility give a conflicting set; it is
solved without the objective (with one, the core tends to hold every assumption) and shrunk
by deletion while time allows, then written in the coordinator's words. Under assumptions
CP-SAT searches on one thread and presolves only what keeps every solution, which can stall
a search that a full presolve finishes in a second (instances/tiny.json with 14 h a week per
client and 12 h per clinician); the families are then switched on and off as fixed
literals instead, and the deletion starts from all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from ..candidates import Candidates, build_candidates
from ..domain import Instance
from ..times import DAY_NAMES, format_hhmm
from .model import BuildStopped, TimetableModel, deadline_passed

#: A solve under some rule families: its status and, if infeasible, a conflicting set.
TrialSolve = Callable[[TimetableModel, list[str], float], tuple[object, list[str]]]

#: The share of the time left that the search under assumptions gets to find a conflict.
#: That search runs on one thread with a weakened presolve and can stall where a fully
#: presolved solve is quick; the rest of the time then goes to the solves with fixed literals.
CORE_SHARE = 0.3


@dataclass
class Conflict:
    """What the model says about a week: infeasible or not, and which families conflict.

    ``infeasible`` is None when it was not decided in time. When infeasible, ``families``
    cannot all hold together (always proven); it is empty only when the week is infeasible
    whatever the families (``minimal``) or when no time was left to name any (not
    ``minimal``). ``minimal``: no family can be dropped and the rest still conflict.
    """

    infeasible: bool | None
    families: list[str] = field(default_factory=list)
    minimal: bool = False


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


def _solve_fixed(
    tm: TimetableModel, enforced: list[str], seconds: float
) -> tuple[object, list[str]]:
    """Solve with the enforced families fixed on and the others free, fully presolved.

    The same question as `_solve_with`'s assumptions, so the same status, but no smaller
    conflicting set comes with it (CP-SAT gives one only for assumptions): the set is
    ``enforced``. The others are left free, not switched off: switching a booking's family
    off cancels the booking, which frees nobody (the candidates already left its clinician,
    room and clients no other option at its time), so "off" would be stricter than the
    week and an infeasible trial would prove nothing about the families kept.
    """
    model = tm.model.clone()
    model.clear_assumptions()
    for family in enforced:
        literal = tm.assumptions[family]
        model.add(model.get_bool_var_from_proto_index(literal.index) == 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    code = solver.solve(model)
    return code, list(enforced) if code == cp_model.INFEASIBLE else []


def conflicting_families(
    instance: Instance, time_limit: float = 30.0, candidates: Candidates | None = None
) -> Conflict:
    """Whether the week is infeasible, and a small set of rule families that cannot all hold.

    A search under assumptions gives a conflicting set at once; families are then dropped
    while the rest still conflict. When that search does not finish, a solve with every
    family fixed on decides feasibility and the deletion starts from all of them. What is
    not dropped when the time runs out is still a proven conflicting set, if not a minimal
    one.
    """
    started = time.monotonic()
    cands = candidates or build_candidates(instance)
    try:
        tm = TimetableModel(cands, explain=True, stop=deadline_passed(started + time_limit))
    except BuildStopped:
        return Conflict(None)
    tm.model.clear_objective()
    families = sorted(tm.assumptions)

    def left() -> float:
        return time_limit - (time.monotonic() - started)

    if left() <= 0:
        return Conflict(None)
    code, core = _solve_with(tm, families, min(left(), max(1.0, left() * CORE_SHARE)))
    trial_solve: TrialSolve = _solve_with
    if code != cp_model.INFEASIBLE:
        if code in (cp_model.FEASIBLE, cp_model.OPTIMAL):
            return Conflict(False)
        if left() <= 0:
            return Conflict(None)
        # Unknown under assumptions: decide with presolve, then shrink the same way.
        code, core = _solve_fixed(tm, families, left())
        if code in (cp_model.FEASIBLE, cp_model.OPTIMAL):
            return Conflict(False)
        if code != cp_model.INFEASIBLE:
            return Conflict(None)
        trial_solve = _solve_fixed
    if not core:
        return Conflict(True, [], True)  # infeasible whatever the families: the structure
    kept, minimal = _shrink(tm, core, trial_solve, left, max(1.0, time_limit / 10))
    if not minimal and len(kept) == len(families):
        return Conflict(True, [], False)  # nothing dropped: naming every family says nothing
    return Conflict(True, kept, minimal)


def _shrink(
    tm: TimetableModel,
    core: list[str],
    trial_solve: TrialSolve,
    left: Callable[[], float],
    per_trial: float,
) -> tuple[list[str], bool]:
    """Drop families from a conflicting set while the rest still conflict; say if minimal.

    Deletion by halves: first whole groups of families are tried out (a conflict of two
    families among thirty goes in a few solves), then smaller groups, then each family
    alone. A family kept after its own trial is needed (without it the rest can hold, and
    so can any part of the rest): the set is minimal if every such trial was decided.
    """
    kept = list(core)
    minimal = True
    chunk = max(1, len(kept) // 2)
    while True:
        pending = list(kept)
        while pending:
            group, pending = pending[:chunk], pending[chunk:]
            group = [f for f in group if f in kept]  # a smaller conflict may have dropped it
            if not group:
                continue
            if left() <= 0.1:
                return kept, False
            trial = [f for f in kept if f not in group]
            code, smaller = trial_solve(tm, trial, min(left(), per_trial))
            if code == cp_model.INFEASIBLE:
                keep = set(smaller or trial)
                kept = [f for f in trial if f in keep]
            elif chunk == 1 and code not in (cp_model.FEASIBLE, cp_model.OPTIMAL):
                minimal = False  # unknown in time: keep the family to stay sound
        if chunk == 1:
            return kept, minimal
        chunk = max(1, chunk // 2)


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
    """Sentences naming a small set of rules that cannot all hold together.

    Empty when the week is not proven infeasible in the time given.
    """
    return describe_conflict(instance, conflicting_families(instance, time_limit, candidates))


#: What is said of a proven-infeasible week when no conflicting set was found in time.
NO_EXPLANATION_IN_TIME = (
    "proven infeasible, but no explanation was found in the time left; run "
    "`iop-scheduler explain` with a longer --time-limit"
)


def describe_conflict(instance: Instance, conflict: Conflict) -> list[str]:
    """The conflict in the coordinator's words: never empty for an infeasible week."""
    if not conflict.infeasible:
        return []
    if not conflict.families:
        if conflict.minimal:
            return [
                "the week is infeasible even with every client, clinician and day rule "
                "relaxed: the availabilities leave no room for the sessions themselves"
            ]
        return [NO_EXPLANATION_IN_TIME]
    head = (
        "these rules cannot all hold together"
        if conflict.minimal
        else "these rules cannot all hold together (not shrunk to a minimal set in time)"
    )
    return [f"{head}:"] + [f"  {describe_family(instance, f)}" for f in conflict.families]
