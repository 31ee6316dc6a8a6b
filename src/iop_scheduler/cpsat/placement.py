"""Turn a solved pool model into named sessions: pair leaders with rooms, split clients.

The model guarantees that a split exists (seat counts, per-leader sizes, discipline counts);
this module constructs one deterministically. Every timetable still goes through the
independent validator in the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..domain import ScheduledSession, Timetable, number_sessions
from .model import TimetableModel
from .variables import PoolVars

Value = Callable[[Any], int]


@dataclass
class _Previous:
    """Who led which copy where last time, so that a re-plan keeps copies as they were."""

    leader_of: dict[tuple[str, str, int, str], str] = field(default_factory=dict)
    room_of: dict[tuple[str, str, int, str], str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, previous: Timetable | None) -> _Previous:
        found = cls()
        for s in previous.sessions if previous is not None else []:
            if s.clinician is None:
                continue
            found.room_of[(s.type, s.day, s.start, s.clinician)] = s.room
            for c in s.clients:
                found.leader_of[(s.type, s.day, s.start, c)] = s.clinician
        return found


def place_sessions(
    tm: TimetableModel, value: Value, *, previous: Timetable | None = None
) -> list[ScheduledSession]:
    """Build the sessions of a solution, sorted by day, start and type, with ids s1, s2, ...

    With ``previous``, clients go back to the copy (leader) they were in and leaders to the
    room they had, wherever the solution allows.
    """
    before = _Previous.of(previous)
    sessions: list[ScheduledSession] = []
    for pv in tm.vars.pools:
        leaders = [k for k, v in pv.leaders.items() if value(v)]
        if not leaders:
            continue
        if pv.stype.kind == "individual":
            copies = _individual_copies(tm, pv, leaders, value, before)
        elif pv.mode == "per_leader":
            copies = _per_leader_copies(tm, pv, leaders, value)
        else:
            copies = _aggregate_copies(pv, leaders, value, before)
        for leader, room, clients in copies:
            sessions.append(
                ScheduledSession(
                    id="",
                    type=pv.pool.type_id,
                    day=pv.pool.day,
                    start=pv.pool.start,
                    end=pv.pool.end,
                    clinician=leader,
                    room=room,
                    clients=sorted(clients),
                )
            )
    for fv in tm.vars.fixed:
        copy = fv.copy
        clients = list(copy.listed) + sorted(c for c, v in fv.joiners.items() if value(v))
        sessions.append(
            ScheduledSession(
                id="",
                type=copy.type_id,
                day=copy.day,
                start=copy.start,
                end=copy.end,
                clinician=copy.clinician,
                room=copy.room,
                clients=clients,
            )
        )
    return number_sessions(sessions)


def _rooms_on(pv: PoolVars, value: Value) -> list[str]:
    """Rooms the pool uses, largest first (ties by id)."""
    rooms = [r for r, v in pv.rooms.items() if value(v)]
    return sorted(rooms, key=lambda r: (-pv.room_seats[r], r))


def _pair_rooms(
    pv: PoolVars, leaders: list[str], value: Value, before: _Previous
) -> list[str | None]:
    """A room for each leader (in ``leaders`` order): their previous room where possible."""
    if not pv.rooms:
        return [None] * len(leaders)
    free = _rooms_on(pv, value)
    paired: list[str | None] = [None] * len(leaders)
    key = (pv.pool.type_id, pv.pool.day, pv.pool.start)
    for i, leader in enumerate(leaders):
        room = before.room_of.get((*key, leader))
        if room in free:
            paired[i] = room
            free.remove(room)
    for i in range(len(leaders)):
        if paired[i] is None:
            paired[i] = free.pop(0)
    return paired


def _individual_copies(
    tm: TimetableModel, pv: PoolVars, leaders: list[str], value: Value, before: _Previous
) -> list[tuple[str, str | None, list[str]]]:
    """One client per leader: pinned clients first, then discipline-tracked, then the rest."""
    inst = tm.instance
    key = (pv.pool.type_id, pv.pool.day, pv.pool.start)
    attending = [c for c, v in pv.clients.items() if value(v)]
    free_leaders = sorted(leaders)
    pairs: dict[str, str] = {}
    rest: list[str] = []
    wanted: dict[str, str] = {}
    for (c, q), v in pv.client_discipline.items():
        if value(v):
            wanted[c] = q
    for c in attending:
        leader = inst.client_by_id[c].assigned_clinicians.get(pv.stype.id)
        if leader is not None:
            pairs[leader] = c
            free_leaders.remove(leader)
        elif c not in wanted:
            rest.append(c)
    for c, q in sorted(wanted.items()):
        leader = next(k for k in free_leaders if inst.clinician_by_id[k].discipline == q)
        pairs[leader] = c
        free_leaders.remove(leader)
    for c in sorted(rest):  # back with last week's leader where that leader is free
        leader = before.leader_of.get((*key, c))
        if leader in free_leaders:
            pairs[leader] = c
            free_leaders.remove(leader)
    rest = [c for c in sorted(rest) if c not in pairs.values()]
    for leader, c in zip(free_leaders, rest, strict=True):
        pairs[leader] = c
    ordered = sorted(leaders)
    rooms = _pair_rooms(pv, ordered, value, before)
    return [(k, room, [pairs[k]]) for k, room in zip(ordered, rooms, strict=True)]


def _aggregate_copies(
    pv: PoolVars, leaders: list[str], value: Value, before: _Previous
) -> list[tuple[str, str | None, list[str]]]:
    """Pair leaders with rooms and split the attendees, keeping last week's copies if any."""
    attending = sorted(c for c, v in pv.clients.items() if value(v))
    leaders = sorted(leaders)
    rooms = _pair_rooms(pv, leaders, value, before)
    most = pv.stype.size_max or len(attending)
    seats = [pv.room_seats[r] if r is not None else most for r in rooms]
    key = (pv.pool.type_id, pv.pool.day, pv.pool.start)
    wants = {c: before.leader_of.get((*key, c)) for c in attending}
    desired = [sum(1 for c in attending if wants[c] == k) for k in leaders]
    sizes = _sizes(len(attending), pv.stype.size_min, seats, desired)
    members: dict[str, list[str]] = {k: [] for k in leaders}
    position = {k: i for i, k in enumerate(leaders)}
    unplaced = []
    for c in attending:
        k = wants[c]
        if k in members and len(members[k]) < sizes[position[k]]:
            members[k].append(c)
        else:
            unplaced.append(c)
    for k in leaders:
        need = sizes[position[k]] - len(members[k])
        members[k] += unplaced[:need]
        unplaced = unplaced[need:]
    return [(k, room, members[k]) for k, room in zip(leaders, rooms, strict=True)]


def _sizes(total: int, least: int, seats: list[int], desired: list[int]) -> list[int]:
    """Copy sizes summing to ``total`` within ``[least, seats]``, close to ``desired``."""
    if not any(desired):
        return _even_sizes(total, least, seats)
    if total < least * len(seats) or total > sum(seats):
        raise AssertionError("the model let through a pool whose clients cannot be split")
    sizes = [max(least, min(d, cap)) for d, cap in zip(desired, seats, strict=True)]
    while sum(sizes) > total:  # shrink the largest copy that is above the minimum
        i = max((i for i in range(len(sizes)) if sizes[i] > least), key=lambda i: sizes[i])
        sizes[i] -= 1
    while sum(sizes) < total:  # grow the smallest copy that has a free seat
        i = min((i for i in range(len(sizes)) if sizes[i] < seats[i]), key=lambda i: sizes[i])
        sizes[i] += 1
    return sizes


def _even_sizes(total: int, least: int, seats: list[int]) -> list[int]:
    """Sizes summing to ``total``, each within ``[least, seats[i]]``, as even as possible."""
    sizes = [least] * len(seats)
    remaining = total - least * len(seats)
    if remaining < 0 or total > sum(seats):
        raise AssertionError("the model let through a pool whose clients cannot be split")
    while remaining:
        open_copies = [i for i in range(len(seats)) if sizes[i] < seats[i]]
        smallest = min(open_copies, key=lambda i: (sizes[i], i))
        sizes[smallest] += 1
        remaining -= 1
    return sizes


def _per_leader_copies(
    tm: TimetableModel, pv: PoolVars, leaders: list[str], value: Value
) -> list[tuple[str, str | None, list[str]]]:
    """Each leader's copy takes its pinned and tracked clients, then free ones up to its size."""
    inst = tm.instance
    members: dict[str, list[str]] = {k: [] for k in leaders}
    tracked = {c for c, _ in pv.client_leader}
    free: list[str] = []
    for c, v in pv.clients.items():
        if not value(v):
            continue
        leader = inst.client_by_id[c].assigned_clinicians.get(pv.stype.id)
        if leader is not None:
            members[leader].append(c)
        elif c in tracked:
            leader = next(k for k in pv.leaders if value(pv.client_leader[(c, k)]))
            members[leader].append(c)
        else:
            free.append(c)
    free.sort()
    for k in sorted(leaders):
        need = value(pv.leader_sizes[k]) - len(members[k])
        members[k] += free[:need]
        free = free[need:]
    if free:
        raise AssertionError("the model let through more clients than its copies hold")
    by_size = sorted(leaders, key=lambda k: (-len(members[k]), k))
    rooms: list[str | None] = list(_rooms_on(pv, value)) if pv.rooms else [None] * len(leaders)
    return [(k, room, members[k]) for k, room in zip(by_size, rooms, strict=True)]
