"""The solver side's reckoning of a timetable: penalty terms and week shortfalls.

Solving methods (CP-SAT, greedy) report the penalty of the timetable they return computed
here from its sessions, since a model's slack variables need not be tight in a non-optimal
solution. The validator has its own, independent implementation; tests check they agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .candidates import hours_to_minutes_ceil
from .domain import Instance, ScheduledSession, Shortfall, Timetable, record_planned_week
from .result import PenaltyTerm, total_penalty

SHORTFALL_UNIT = 60


def _missed(instance: Instance, client_id: str, s: ScheduledSession) -> bool:
    client = instance.client_by_id[client_id]
    if client.preferred_days and s.day not in client.preferred_days:
        return True
    window = client.preferred_window
    return window is not None and not (window[0] <= s.start and s.end <= window[1])


def week_shortfalls(instance: Instance, sessions: Iterable[ScheduledSession]) -> list[Shortfall]:
    """Every client week minimum that the sessions fall short of, in client order."""
    rules = instance.rules
    minutes: dict[str, int] = defaultdict(int)
    days: dict[str, set[str]] = defaultdict(set)
    disciplines: dict[str, set[str]] = defaultdict(set)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for s in sessions:
        discipline = instance.clinician_by_id[s.clinician].discipline if s.clinician else None
        for c in s.clients:
            minutes[c] += s.end - s.start
            days[c].add(s.day)
            if discipline:
                disciplines[c].add(discipline)
            counts[(c, s.type)] += 1
    need_minutes = hours_to_minutes_ceil(rules.min_hours_per_client_week)
    found: list[Shortfall] = []
    for client in instance.clients:
        c = client.id
        if len(days[c]) < rules.min_days_per_client_week:
            found.append(
                Shortfall(
                    client=c,
                    rule="min_days_per_client_week",
                    required=rules.min_days_per_client_week,
                    scheduled=len(days[c]),
                )
            )
        if minutes[c] < need_minutes:
            found.append(
                Shortfall(
                    client=c,
                    rule="min_hours_per_client_week",
                    required=rules.min_hours_per_client_week,
                    scheduled=round(minutes[c] / 60, 4),
                )
            )
        if len(disciplines[c]) < rules.min_disciplines_per_client_week:
            found.append(
                Shortfall(
                    client=c,
                    rule="min_disciplines_per_client_week",
                    required=rules.min_disciplines_per_client_week,
                    scheduled=len(disciplines[c]),
                )
            )
        for type_id, count in client.requires.items():
            if counts[(c, type_id)] < count:
                found.append(
                    Shortfall(
                        client=c,
                        rule=f"requires:{type_id}",
                        required=count,
                        scheduled=counts[(c, type_id)],
                    )
                )
    return found


def shortfall_amount(instance: Instance, shortfalls: Iterable[Shortfall]) -> int:
    """Minutes below the weekly hours plus 60 per missing day, session and discipline."""
    total = 0
    for entry in shortfalls:
        if entry.rule == "min_hours_per_client_week":
            total += hours_to_minutes_ceil(entry.required) - round(entry.scheduled * 60)
        else:
            total += SHORTFALL_UNIT * int(entry.required - entry.scheduled)
    return total


def penalty_terms(
    instance: Instance,
    sessions: list[ScheduledSession],
    *,
    previous: Timetable | None = None,
    allow_shortfalls: bool = False,
) -> dict[str, PenaltyTerm]:
    """The named penalty terms of a timetable's sessions (SPEC section 5)."""
    weights = instance.weights
    staff = sum(s.end - s.start for s in sessions)
    per_client_day: dict[tuple[str, str], list[ScheduledSession]] = defaultdict(list)
    misses = 0
    for s in sessions:
        for c in s.clients:
            per_client_day[(c, s.day)].append(s)
            if c in instance.client_by_id and _missed(instance, c, s):
                misses += 1
    idle = 0
    for day_sessions in per_client_day.values():
        # Minutes in some session, overlaps once (only an invalid week has overlaps, or
        # sessions that end before they start, which span no time).
        busy = {t for s in day_sessions for t in range(s.start, s.end)}
        if busy:
            idle += max(busy) + 1 - min(busy) - len(busy)
    terms = {
        "staff_minute": PenaltyTerm("staff_minute", staff, weights.staff_minute),
        "client_idle_minute": PenaltyTerm("client_idle_minute", idle, weights.client_idle_minute),
        "preference_miss": PenaltyTerm("preference_miss", misses, weights.preference_miss),
    }
    if previous is not None:
        now = {(c, s.type, s.day, s.start) for s in sessions for c in s.clients}
        before = {(c, s.type, s.day, s.start) for s in previous.sessions for c in s.clients}
        terms["change_from_previous"] = PenaltyTerm(
            "change_from_previous", len(before - now), weights.change_from_previous
        )
    if allow_shortfalls:
        amount = shortfall_amount(instance, week_shortfalls(instance, sessions))
        terms["shortfall_minute"] = PenaltyTerm(
            "shortfall_minute", amount, weights.shortfall_minute
        )
    return terms


def scored_timetable(
    instance: Instance,
    sessions: list[ScheduledSession],
    *,
    bound: int | None,
    previous: Timetable | None = None,
    allow_shortfalls: bool = False,
) -> tuple[Timetable, dict[str, PenaltyTerm]]:
    """A timetable file for a solution, and its penalty by term.

    The bound is capped at the penalty; the status is ``optimal`` when they meet; the
    shortfalls are listed when they are allowed.
    """
    terms = penalty_terms(instance, sessions, previous=previous, allow_shortfalls=allow_shortfalls)
    penalty = total_penalty(terms)
    bound = None if bound is None else min(bound, penalty)
    timetable = Timetable(
        instance=instance.name,
        status="optimal" if bound == penalty else "feasible",
        penalty=penalty,
        bound=bound,
        sessions=sessions,
        shortfalls=week_shortfalls(instance, sessions) if allow_shortfalls else [],
    )
    timetable.penalty_terms = {n: t.cost for n, t in terms.items()}  # type: ignore[attr-defined]
    record_planned_week(timetable, instance)
    if allow_shortfalls:
        timetable.allow_shortfalls = True  # type: ignore[attr-defined]
    return timetable, terms
