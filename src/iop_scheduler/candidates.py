"""Candidate sessions: where a session of each type could run, who could lead and attend it.

Prune before you model. A *pool* is one (type, day, start) at which at least one session of
the type could run: a qualified leader and (when the type needs one) a suitable room are free
for the whole session, and enough clients of an admitted track are available. Sessions of one
pool are interchangeable copies, so the CP-SAT model counts them instead of naming each one.
Fixed sessions are kept apart as *fixed copies*: their leader, room and listed clients are
given, and other eligible clients may join them.

This module does not import OR-Tools: the CP-SAT model, the greedy baseline and the
infeasibility diagnosis all start from the same candidates. The validator does not use it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from math import ceil

from .domain import Availability, Instance, SessionType
from .times import Day

Interval = tuple[int, int]


def free_windows(
    availability: Availability | None, day: Day, open_: int, close: int
) -> list[Interval]:
    """Merged windows of one day, clipped to program hours (missing: always available)."""
    if availability is None:
        return [(open_, close)]
    clipped = [(max(s, open_), min(e, close)) for s, e in availability.get(day, [])]
    return merge_intervals([(s, e) for s, e in clipped if e > s])


def merge_intervals(spans: list[Interval]) -> list[Interval]:
    """The union of intervals as sorted, disjoint ones; touching intervals merge."""
    merged: list[Interval] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def longest_overlap(
    instance: Instance, a: Availability | None, b: Availability | None
) -> int:
    """The longest stretch of minutes, on any program day, inside both availabilities."""
    longest = 0
    for day in instance.days:
        for s1, e1 in free_windows(a, day, instance.open, instance.close):
            for s2, e2 in free_windows(b, day, instance.open, instance.close):
                longest = max(longest, min(e1, e2) - max(s1, s2))
    return longest


def covers(windows: list[Interval], start: int, end: int) -> bool:
    """Whether one merged window holds the whole of ``[start, end)``."""
    return any(s <= start and end <= e for s, e in windows)


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Whether two half-open intervals share a minute."""
    return a_start < b_end and b_start < a_end


def hours_to_minutes_ceil(hours: float) -> int:
    """Whole minutes needed to reach ``hours`` (fractional hour rules round up)."""
    return ceil(Fraction(str(hours)) * 60)


def hours_to_minutes_floor(hours: float) -> int:
    """Whole minutes allowed under ``hours`` (fractional hour bounds round down)."""
    return int(Fraction(str(hours)) * 60)


@dataclass(frozen=True)
class Pool:
    """A (type, day, start) where copies of a session could run, with who could take part."""

    index: int
    type_id: str
    day: Day
    start: int
    end: int
    leaders: tuple[str, ...]
    rooms: tuple[str, ...]
    clients: tuple[str, ...]

    @property
    def duration(self) -> int:
        """Minutes one copy lasts."""
        return self.end - self.start


@dataclass(frozen=True)
class FixedCopy:
    """A booked session: leader, room and listed clients given; ``joiners`` may join."""

    index: int
    type_id: str
    day: Day
    start: int
    end: int
    clinician: str
    room: str | None
    listed: tuple[str, ...]
    joiners: tuple[str, ...]

    @property
    def duration(self) -> int:
        """Minutes the session lasts."""
        return self.end - self.start


@dataclass
class Candidates:
    """Everything that could be scheduled, after pruning."""

    instance: Instance
    pools: list[Pool]
    fixed: list[FixedCopy]
    #: Per client and day, the merged windows the client is available in.
    client_windows: dict[str, dict[Day, list[Interval]]] = field(default_factory=dict)
    #: Why each client lost each program day, for diagnosis ("available 2h on tue").
    dropped_days: dict[str, dict[Day, str]] = field(default_factory=dict)

    def pools_of_client(self) -> dict[str, list[Pool]]:
        """The pools each client could attend."""
        result: dict[str, list[Pool]] = defaultdict(list)
        for pool in self.pools:
            for client_id in pool.clients:
                result[client_id].append(pool)
        return result

    def leader_disciplines(self, type_id: str) -> set[str]:
        """Disciplines of every clinician who could lead some session of a type."""
        clinicians = self.instance.clinician_by_id
        found = {
            clinicians[k].discipline for p in self.pools if p.type_id == type_id for k in p.leaders
        }
        found |= {clinicians[f.clinician].discipline for f in self.fixed if f.type_id == type_id}
        return found


def can_lead(instance: Instance, clinician_id: str, stype: SessionType) -> bool:
    """Whether a clinician's discipline and qualifications allow leading a type."""
    clinician = instance.clinician_by_id[clinician_id]
    if clinician.discipline not in stype.disciplines:
        return False
    return clinician.qualified_for is None or stype.id in clinician.qualified_for


def build_candidates(instance: Instance, *, prune_days: bool = True) -> Candidates:
    """Derive every pool and fixed copy of an instance, pruning what can never be true.

    With ``prune_days``, a client loses a day on which they could not meet the day rules
    (too few available hours or too few group types), and pools left with too few clients
    are dropped, repeated until nothing changes. Every pruning keeps all valid timetables.
    """
    inst = instance
    slot = inst.slot_minutes

    def windows_of(availability: Availability | None) -> dict[Day, list[Interval]]:
        return {d: free_windows(availability, d, inst.open, inst.close) for d in inst.days}

    clinician_windows = {c.id: windows_of(c.availability) for c in inst.clinicians}
    room_windows = {r.id: windows_of(r.availability) for r in inst.rooms}
    client_windows = {c.id: windows_of(c.availability) for c in inst.clients}

    # Fixed sessions occupy their leader, room and listed clients.
    fixed_busy: dict[tuple[str, str], list[tuple[Day, int, int]]] = defaultdict(list)
    fixed_spans: list[tuple[int, Day, int, int]] = []
    for index, booked in enumerate(inst.fixed_sessions):
        stype = inst.type_by_id[booked.type]
        end = booked.start + stype.duration_minutes
        fixed_spans.append((index, booked.day, booked.start, end))
        fixed_busy[("clinician", booked.clinician)].append((booked.day, booked.start, end))
        if booked.room is not None:
            fixed_busy[("room", booked.room)].append((booked.day, booked.start, end))
        for client_id in booked.clients:
            fixed_busy[("client", client_id)].append((booked.day, booked.start, end))

    def free_of_fixed(kind: str, ident: str, day: Day, start: int, end: int) -> bool:
        return not any(
            d == day and overlaps(s, e, start, end) for d, s, e in fixed_busy.get((kind, ident), [])
        )

    def clinician_fits(clin_id: str, duration: int) -> bool:
        clin = inst.clinician_by_id[clin_id]
        for bound in (clin.max_hours_per_day, clin.max_hours_per_week):
            if bound is not None and duration > hours_to_minutes_floor(bound):
                return False
        return True

    pools: list[Pool] = []
    for stype in inst.session_types:
        duration = stype.duration_minutes
        qualified = [
            c.id
            for c in inst.clinicians
            if can_lead(inst, c.id, stype) and clinician_fits(c.id, duration)
        ]
        suitable_rooms = [
            r.id
            for r in inst.rooms
            if r.kind in stype.room_kinds and r.capacity >= max(1, stype.size_min)
        ]
        admitted = [c for c in inst.clients if stype.admits_track(c.track)]
        if not qualified or (stype.needs_room and not suitable_rooms) or not admitted:
            continue
        for day in inst.days:
            for start in range(inst.open, inst.close - duration + 1, slot):
                end = start + duration
                leaders = tuple(
                    k
                    for k in qualified
                    if covers(clinician_windows[k][day], start, end)
                    and free_of_fixed("clinician", k, day, start, end)
                )
                if not leaders:
                    continue
                rooms: tuple[str, ...] = ()
                if stype.needs_room:
                    rooms = tuple(
                        r
                        for r in suitable_rooms
                        if covers(room_windows[r][day], start, end)
                        and free_of_fixed("room", r, day, start, end)
                    )
                    if not rooms:
                        continue
                clients = tuple(
                    c.id
                    for c in admitted
                    if covers(client_windows[c.id][day], start, end)
                    and free_of_fixed("client", c.id, day, start, end)
                    and c.assigned_clinicians.get(stype.id, leaders[0]) in leaders
                )
                if len(clients) < stype.size_min:
                    continue
                pools.append(Pool(len(pools), stype.id, day, start, end, leaders, rooms, clients))

    fixed: list[FixedCopy] = []
    for index, day, start, end in fixed_spans:
        booked = inst.fixed_sessions[index]
        stype = inst.type_by_id[booked.type]
        joiners: tuple[str, ...] = ()
        if stype.kind != "individual":
            joiners = tuple(
                c.id
                for c in inst.clients
                if c.id not in booked.clients
                and stype.admits_track(c.track)
                and covers(client_windows[c.id][day], start, end)
                and free_of_fixed("client", c.id, day, start, end)
                and c.assigned_clinicians.get(stype.id, booked.clinician) == booked.clinician
            )
        fixed.append(
            FixedCopy(
                index,
                booked.type,
                day,
                start,
                end,
                booked.clinician,
                booked.room,
                tuple(booked.clients),
                joiners,
            )
        )

    candidates = Candidates(inst, pools, fixed, client_windows)
    if prune_days:
        _prune_client_days(candidates)
    return candidates


def _prune_client_days(cands: Candidates) -> None:
    """Drop client days that cannot meet the day rules, and pools left too small."""
    inst = cands.instance
    rules = inst.rules
    min_day = hours_to_minutes_ceil(rules.min_hours_per_client_day)
    min_groups = rules.min_group_sessions_per_client_day
    kinds = {t.id: t.kind for t in inst.session_types}
    fixed_days = {(c, f.day) for f in cands.fixed for c in f.listed}
    dropped: dict[str, dict[Day, str]] = defaultdict(dict)

    while True:
        by_client_day: dict[tuple[str, Day], list[Pool]] = defaultdict(list)
        for pool in cands.pools:
            for client_id in pool.clients:
                by_client_day[(client_id, pool.day)].append(pool)
        for copy in cands.fixed:
            for client_id in copy.joiners + copy.listed:
                by_client_day.setdefault((client_id, copy.day), [])
        lost: set[tuple[str, Day]] = set()
        for (client_id, day), day_pools in by_client_day.items():
            if (client_id, day) in fixed_days:
                continue
            fixed_here = [f for f in cands.fixed if f.day == day and client_id in f.joiners]
            spans = [(p.start, p.end) for p in day_pools] + [(f.start, f.end) for f in fixed_here]
            reachable = _union_minutes(spans)
            # Groups a day can hold: each type at most max_same_type times, and no more often
            # than it has start times that day.
            starts_by_type: dict[str, set[int]] = defaultdict(set)
            for p in day_pools:
                if kinds[p.type_id] == "group":
                    starts_by_type[p.type_id].add(p.start)
            for f in fixed_here:
                if kinds[f.type_id] == "group":
                    starts_by_type[f.type_id].add(f.start)
            most_groups = sum(
                min(rules.max_same_type_per_client_day, len(starts))
                for starts in starts_by_type.values()
            )
            reason = ""
            if reachable < min_day:
                reason = f"sessions fit in only {reachable} of the {min_day} minutes a day needs"
            elif most_groups < min_groups:
                reason = (
                    f"at most {most_groups} group session(s) can run while available"
                    f"{_why_few_groups(cands, client_id, day, set(starts_by_type))}, "
                    f"{min_groups} are needed a day"
                )
            if reason:
                lost.add((client_id, day))
                dropped[client_id][day] = reason
        if not lost:
            break
        new_pools: list[Pool] = []
        for pool in cands.pools:
            clients = tuple(c for c in pool.clients if (c, pool.day) not in lost)
            if len(clients) < inst.type_by_id[pool.type_id].size_min:
                continue
            new_pools.append(
                Pool(
                    len(new_pools),
                    pool.type_id,
                    pool.day,
                    pool.start,
                    pool.end,
                    pool.leaders,
                    pool.rooms,
                    clients,
                )
            )
        cands.fixed = [
            FixedCopy(
                f.index,
                f.type_id,
                f.day,
                f.start,
                f.end,
                f.clinician,
                f.room,
                f.listed,
                tuple(c for c in f.joiners if (c, f.day) not in lost),
            )
            for f in cands.fixed
        ]
        cands.pools = new_pools
    cands.dropped_days = dict(dropped)


def _union_minutes(spans: list[Interval]) -> int:
    """Minutes covered by the union of intervals."""
    return sum(end - start for start, end in merge_intervals(spans))


def _why_few_groups(cands: Candidates, client_id: str, day: Day, running: set[str]) -> str:
    """Which group types can run for a client on a day, and which lack a room then.

    A closed room otherwise reads as the client's fault: the coordinator should see that
    the groups need a room that is not open while the client can come.
    """
    inst = cands.instance
    windows = cands.client_windows[client_id].get(day, [])
    no_room: list[str] = []
    kinds: set[str] = set()
    for stype in inst.session_types:
        if stype.kind != "group" or stype.id in running or not stype.needs_room:
            continue
        if not stype.admits_track(inst.client_by_id[client_id].track):
            continue
        open_long_enough = any(
            min(e, b) - max(s, a) >= stype.duration_minutes
            for room in inst.rooms
            if room.kind in stype.room_kinds
            for a, b in free_windows(room.availability, day, inst.open, inst.close)
            for s, e in windows
        )
        if not open_long_enough:
            no_room.append(stype.id)
            kinds.update(stype.room_kinds)
    if not no_room:
        return ""
    only = f"only {', '.join(sorted(running))}" if running else "none"
    return (
        f" ({only}; {', '.join(no_room)} need a {' or '.join(sorted(kinds))} and none is "
        "open then)"
    )
