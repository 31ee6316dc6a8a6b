"""Turn a solved pool model into named sessions: pair leaders with rooms, split clients.

The model guarantees that a split exists (seat counts, per-leader sizes, discipline counts);
this module constructs one deterministically. Every timetable still goes through the
independent validator in the tests.
"""

from __future__ import annotations

from collections.abc import Callable

from ..domain import ScheduledSession, number_sessions
from .model import TimetableModel
from .variables import PoolVars

Value = Callable[[object], int]


def place_sessions(tm: TimetableModel, value: Value) -> list[ScheduledSession]:
    """Build the sessions of a solution, sorted by day, start and type, with ids s1, s2, ..."""
    sessions: list[ScheduledSession] = []
    for pv in tm.vars.pools:
        leaders = [k for k, v in pv.leaders.items() if value(v)]
        if not leaders:
            continue
        if pv.stype.kind == "individual":
            copies = _individual_copies(tm, pv, leaders, value)
        elif pv.mode == "per_leader":
            copies = _per_leader_copies(tm, pv, leaders, value)
        else:
            copies = _aggregate_copies(pv, leaders, value)
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


def _individual_copies(
    tm: TimetableModel, pv: PoolVars, leaders: list[str], value: Value
) -> list[tuple[str, str | None, list[str]]]:
    """One client per leader: pinned clients first, then discipline-tracked, then the rest."""
    inst = tm.instance
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
    for leader, c in zip(free_leaders, sorted(rest), strict=True):
        pairs[leader] = c
    rooms: list[str | None] = list(_rooms_on(pv, value)) if pv.rooms else [None] * len(leaders)
    return [(k, room, [pairs[k]]) for k, room in zip(sorted(leaders), rooms, strict=True)]


def _aggregate_copies(
    pv: PoolVars, leaders: list[str], value: Value
) -> list[tuple[str, str | None, list[str]]]:
    """Pair leaders with rooms and split the attendees into sizes as even as the rooms allow."""
    attending = sorted(c for c, v in pv.clients.items() if value(v))
    leaders = sorted(leaders)
    if pv.rooms:
        rooms: list[str | None] = list(_rooms_on(pv, value))
        seats = [pv.room_seats[r] for r in rooms if r is not None]
    else:
        rooms = [None] * len(leaders)
        most = pv.stype.size_max or len(attending)
        seats = [most] * len(leaders)
    sizes = _even_sizes(len(attending), pv.stype.size_min, seats)
    copies = []
    position = 0
    for leader, room, size in zip(leaders, rooms, sizes, strict=True):
        copies.append((leader, room, attending[position : position + size]))
        position += size
    return copies


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
