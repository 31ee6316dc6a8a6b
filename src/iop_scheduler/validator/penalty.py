"""The penalty of SPEC section 5, computed from a timetable alone, term by term."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from math import ceil

from ..domain import Instance, Timetable
from ..result import PenaltyTerm
from .rules import _Week, real_shortfalls, shortfalls_allowed


def covered_minutes(spans: list[tuple[int, int]]) -> int:
    """Minutes inside at least one of the spans (overlaps count once).

    In a valid week a client's sessions never overlap; counting overlaps once keeps the
    idle time of an invalid one from going below zero.
    """
    covered = 0
    reached = None
    for start, end in sorted(spans):
        if reached is None or start >= reached:
            covered += end - start
            reached = end
        elif end > reached:
            covered += end - reached
            reached = end
    return covered


def day_idle_minutes(spans: list[tuple[int, int]]) -> int:
    """Minutes of a client's day between the first start and the last end in no session.

    A session that ends before it starts breaks rule 1 and spans no time.
    """
    spans = [(start, end) for start, end in spans if end > start]
    if not spans:
        return 0
    first = min(start for start, _ in spans)
    last = max(end for _, end in spans)
    return (last - first) - covered_minutes(spans)


def score(
    instance: Instance,
    timetable: Timetable,
    *,
    previous: Timetable | None = None,
    allow_shortfalls: bool | None = None,
) -> dict[str, PenaltyTerm]:
    """Each named penalty term of a timetable: staff, idle, preferences, changes, shortfall.

    Keys are the weight names of SPEC section 5; each `PenaltyTerm` holds the amount, the
    weight and their product (``cost``); `result.total_penalty` sums them. ``previous``, a
    timetable this one re-plans, adds ``change_from_previous``. ``allow_shortfalls``
    adds ``shortfall_minute``; None reads the mode from the timetable (shortfalls listed).
    """
    weights = instance.weights
    sessions = timetable.sessions
    staff = sum(s.end - s.start for s in sessions)
    days: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    misses = 0
    for s in sessions:
        for c in dict.fromkeys(s.clients):
            days[(c, s.day)].append((s.start, s.end))
            client = instance.client_by_id.get(c)
            if client is None:
                continue
            off_day = bool(client.preferred_days) and s.day not in client.preferred_days
            window = client.preferred_window
            off_window = window is not None and (s.start < window[0] or s.end > window[1])
            if off_day or off_window:
                misses += 1
    idle = sum(day_idle_minutes(spans) for spans in days.values())
    terms = {
        "staff_minute": PenaltyTerm("staff_minute", staff, weights.staff_minute),
        "client_idle_minute": PenaltyTerm("client_idle_minute", idle, weights.client_idle_minute),
        "preference_miss": PenaltyTerm("preference_miss", misses, weights.preference_miss),
    }
    if previous is not None:
        kept = {(c, s.type, s.day, s.start) for s in sessions for c in s.clients}
        lost = {(c, s.type, s.day, s.start) for s in previous.sessions for c in s.clients} - kept
        terms["change_from_previous"] = PenaltyTerm(
            "change_from_previous", len(lost), weights.change_from_previous
        )
    if allow_shortfalls is None:
        allow_shortfalls = shortfalls_allowed(timetable)
    if allow_shortfalls:
        by_client: dict[str, list] = defaultdict(list)
        for s in sessions:
            for c in dict.fromkeys(s.clients):
                by_client[c].append(s)
        amount = 0
        for _, rule, need, got in real_shortfalls(_Week(instance, list(sessions), dict(by_client))):
            if rule == "min_hours_per_client_week":
                amount += ceil(Fraction(str(need)) * 60) - round(got * 60)
            else:
                amount += 60 * int(need - got)
        terms["shortfall_minute"] = PenaltyTerm(
            "shortfall_minute", amount, weights.shortfall_minute
        )
    return terms
