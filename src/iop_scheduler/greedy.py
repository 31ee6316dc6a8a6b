"""The hand-scheduling baseline: a deterministic greedy "coordinator".

It does what a careful person does with a spreadsheet:

1. take clients cohort by cohort (same track and availability first), hardest first;
2. give each client day blocks of back-to-back sessions inside their availability, joining
   a session already on the grid at that time when it has a seat (so a cohort shares one
   weekly grid of groups), and otherwise opening one with the first free qualified leader
   and the first free suitable room;
3. repeat until the client's week is met (days, hours, required sessions);
4. fill groups left below their minimum size with clients who are already in that day, or
   dissolve them and re-plan their clients;
5. if some clients' weeks still do not close, start again with those clients booked first
   (a coordinator's "next time I do the hard ones first").

The result goes through the same independent validator as every other timetable; a week
the greedy cannot complete is reported as ``unknown`` (or with shortfalls when allowed).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .candidates import (
    Candidates,
    Pool,
    build_candidates,
    hours_to_minutes_ceil,
    hours_to_minutes_floor,
    overlaps,
)
from .domain import Client, Instance, ScheduledSession, Timetable, number_sessions
from .options import SolveOptions
from .result import ModelStats, PenaltyTerm, Result, Status
from .scoring import scored_timetable
from .times import Day, day_index

if TYPE_CHECKING:
    from .validator import Violation

#: Rounds of "fill or dissolve the groups below minimum size, then re-plan".
REPAIR_ROUNDS = 6
#: Orders in which appointments are booked, tried in turn until one meets every week.
APPOINTMENT_ORDERS = ("scarce", "cohort")
#: Further rounds, after the first, that book the clients left unmet so far first ...
PRIORITY_ROUNDS = 2
#: ... each started only within this share of the time limit from the greedy's start.
PRIORITY_ROUNDS_SHARE = 0.2


@dataclass
class _Session:
    """A session on the grid, open for clients to join."""

    pool: Pool | None
    type_id: str
    day: Day
    start: int
    end: int
    clinician: str
    room: str | None
    seats: int
    clients: list[str] = field(default_factory=list)
    fixed: bool = False


@dataclass
class _Step:
    """One session of a planned day: join ``session`` or open one in ``pool``."""

    type_id: str
    start: int
    end: int
    is_group: bool
    session: _Session | None = None
    pool: Pool | None = None
    clinician: str | None = None
    room: str | None = None


class GreedyCoordinator:
    """Builds a week client by client on a shared grid of sessions."""

    def __init__(
        self,
        instance: Instance,
        candidates: Candidates,
        appointment_order: str = "scarce",
        first: frozenset[str] = frozenset(),
        deadline: float | None = None,
    ) -> None:
        self.inst = instance
        #: time.monotonic() after which planning stops and the clients not yet met stay so.
        self.deadline = deadline
        #: Whether planning stopped at the deadline.
        self.out_of_time = False
        #: Clients booked before everyone else: those a previous attempt left unmet.
        self.first = first
        #: "scarce" books the clients with the fewest appointment slots first; "cohort"
        #: books in cohort order. Neither wins everywhere, so `solve_greedy` tries both.
        self.appointment_order = appointment_order
        self.cands = candidates
        rules = instance.rules
        self.min_day = hours_to_minutes_ceil(rules.min_hours_per_client_day)
        self.max_day = (
            None
            if rules.max_hours_per_client_day is None
            else hours_to_minutes_floor(rules.max_hours_per_client_day)
        )
        self.min_week = hours_to_minutes_ceil(rules.min_hours_per_client_week)
        self.max_week = (
            None
            if rules.max_hours_per_client_week is None
            else hours_to_minutes_floor(rules.max_hours_per_client_week)
        )
        self.sessions: list[_Session] = []
        self.at: dict[tuple[str, Day, int], list[_Session]] = defaultdict(list)
        self.busy: dict[tuple[str, Day], list[tuple[int, int]]] = defaultdict(list)
        self.lead_minutes: dict[tuple[str, Day | None], int] = defaultdict(int)
        self.client_sessions: dict[str, list[_Session]] = defaultdict(list)
        self.pools_by_time: dict[tuple[Day, int], list[Pool]] = defaultdict(list)
        for pool in candidates.pools:
            self.pools_by_time[(pool.day, pool.start)].append(pool)
        self.pool_clients = {p.index: set(p.clients) for p in candidates.pools}
        self.room_order: dict[int, list[str]] = {}  # see _rooms_in_order
        self.banned: set[int] = set()
        # Hour caps in minutes, once: converting hours on every check dominated the run time.
        self.day_cap = {
            c.id: None
            if c.max_hours_per_day is None
            else hours_to_minutes_floor(c.max_hours_per_day)
            for c in instance.clinicians
        }
        self.week_cap = {
            c.id: None
            if c.max_hours_per_week is None
            else hours_to_minutes_floor(c.max_hours_per_week)
            for c in instance.clinicians
        }
        # Minutes each clinician still owes their caseload (assigned required sessions):
        # groups go first to whoever has the most hours to spare beyond that.
        self.owed: dict[str, int] = defaultdict(int)
        for client in instance.clients:
            for type_id, clin_id in client.assigned_clinicians.items():
                count = client.requires.get(type_id, 0)
                self.owed[clin_id] += count * instance.type_by_id[type_id].duration_minutes
        self._place_fixed()

    def _late(self) -> bool:
        """Whether the deadline has passed (remembered in ``out_of_time``)."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.out_of_time = True
        return self.out_of_time

    # -- bookkeeping ---------------------------------------------------------------------

    def _place_fixed(self) -> None:
        for copy in self.cands.fixed:
            stype = self.inst.type_by_id[copy.type_id]
            seats = self._seats(stype.size_max, copy.room)
            session = _Session(
                None,
                copy.type_id,
                copy.day,
                copy.start,
                copy.end,
                copy.clinician,
                copy.room,
                seats,
                fixed=True,
            )
            self._open(session)
            for c in copy.listed:
                self._join(session, c)

    def _seats(self, size_max: int | None, room: str | None) -> int:
        seats = size_max if size_max is not None else 10**6
        if room is not None:
            seats = min(seats, self.inst.room_by_id[room].capacity)
        return seats

    def _free(self, who: str, day: Day, start: int, end: int) -> bool:
        return not any(overlaps(s, e, start, end) for s, e in self.busy[(who, day)])

    def _open(self, session: _Session) -> None:
        self.sessions.append(session)
        self.at[(session.type_id, session.day, session.start)].append(session)
        span = (session.start, session.end)
        self.busy[(f"k:{session.clinician}", session.day)].append(span)
        if session.room is not None:
            self.busy[(f"r:{session.room}", session.day)].append(span)
        minutes = session.end - session.start
        self.lead_minutes[(session.clinician, session.day)] += minutes
        self.lead_minutes[(session.clinician, None)] += minutes

    def _close(self, session: _Session) -> None:
        self.sessions.remove(session)
        self.at[(session.type_id, session.day, session.start)].remove(session)
        span = (session.start, session.end)
        self.busy[(f"k:{session.clinician}", session.day)].remove(span)
        if session.room is not None:
            self.busy[(f"r:{session.room}", session.day)].remove(span)
        minutes = session.end - session.start
        self.lead_minutes[(session.clinician, session.day)] -= minutes
        self.lead_minutes[(session.clinician, None)] -= minutes

    def _join(self, session: _Session, client_id: str) -> None:
        assigned = self.inst.client_by_id[client_id].assigned_clinicians.get(session.type_id)
        if assigned == session.clinician:
            self.owed[assigned] -= session.end - session.start
        session.clients.append(client_id)
        self.client_sessions[client_id].append(session)
        self.busy[(f"c:{client_id}", session.day)].append((session.start, session.end))

    def _leave(self, session: _Session, client_id: str) -> None:
        assigned = self.inst.client_by_id[client_id].assigned_clinicians.get(session.type_id)
        if assigned == session.clinician:
            self.owed[assigned] += session.end - session.start
        session.clients.remove(client_id)
        self.client_sessions[client_id].remove(session)
        self.busy[(f"c:{client_id}", session.day)].remove((session.start, session.end))

    def _leader_fits(self, clinician_id: str, day: Day, minutes: int) -> bool:
        day_cap = self.day_cap[clinician_id]
        if day_cap is not None and self.lead_minutes[(clinician_id, day)] + minutes > day_cap:
            return False
        week_cap = self.week_cap[clinician_id]
        return week_cap is None or self.lead_minutes[(clinician_id, None)] + minutes <= week_cap

    def _spare(self, clinician_id: str) -> tuple[int, str]:
        """Sort key: clinicians with the most weekly minutes to spare beyond their caseload."""
        week = self.week_cap[clinician_id]
        if week is None:
            week = 40 * 60
        spare = week - self.lead_minutes[(clinician_id, None)] - self.owed[clinician_id]
        return (-spare, clinician_id)

    def _staff(self, pool: Pool, client: Client) -> tuple[str, str | None] | None:
        """First free qualified leader (the assigned one if any) and first free suitable room."""
        assigned = client.assigned_clinicians.get(pool.type_id)
        leaders = [assigned] if assigned is not None else sorted(pool.leaders, key=self._spare)
        leader = next(
            (
                k
                for k in leaders
                if k in pool.leaders
                and self._free(f"k:{k}", pool.day, pool.start, pool.end)
                and self._leader_fits(k, pool.day, pool.duration)
            ),
            None,
        )
        if leader is None:
            return None
        if not pool.rooms:
            return leader, None
        room = next(
            (
                r
                for r in self._rooms_in_order(pool)
                if self._free(f"r:{r}", pool.day, pool.start, pool.end)
            ),
            None,
        )
        return None if room is None else (leader, room)

    def _rooms_in_order(self, pool: Pool) -> list[str]:
        """The pool's rooms in the order to try them, sorted once per pool."""
        rooms = self.room_order.get(pool.index)
        if rooms is None:
            # Smallest room that holds a full session first, so big rooms stay free for
            # big groups.
            size_max = self.inst.type_by_id[pool.type_id].size_max
            capacity = {r: self.inst.room_by_id[r].capacity for r in pool.rooms}
            rooms = sorted(
                pool.rooms,
                key=lambda r: (
                    capacity[r] < (size_max or 0),
                    -capacity[r] if size_max is None else capacity[r],
                    r,
                ),
            )
            self.room_order[pool.index] = rooms
        return rooms

    # -- planning one client -------------------------------------------------------------

    def _options_at(
        self,
        client: Client,
        day: Day,
        start: int,
        window_end: int,
        used_types: set[str],
        need_types: dict[str, int],
    ) -> list[_Step]:
        """Every way for a client to spend the time from ``start``: join or open a session."""
        steps: list[_Step] = []
        for pool in self.pools_by_time.get((day, start), []):
            if pool.end > window_end or pool.type_id in used_types:
                continue
            if client.id not in self.pool_clients[pool.index]:
                continue
            stype = self.inst.type_by_id[pool.type_id]
            is_group = stype.kind == "group"
            assigned = client.assigned_clinicians.get(pool.type_id)
            joinable = [
                s
                for s in self.at.get((pool.type_id, day, start), [])
                if len(s.clients) < s.seats
                and stype.kind != "individual"
                and (assigned is None or s.clinician == assigned)
            ]
            if joinable:
                best = max(joinable, key=lambda s: (len(s.clients), s.clinician))
                steps.append(_Step(pool.type_id, start, pool.end, is_group, session=best))
                continue
            if pool.index in self.banned:
                continue
            if stype.kind == "individual" and need_types.get(pool.type_id, 0) <= 0:
                continue  # individual sessions cost a clinician hour each: only when required
            staffed = self._staff(pool, client)
            if staffed is not None:
                steps.append(
                    _Step(
                        pool.type_id,
                        start,
                        pool.end,
                        is_group,
                        pool=pool,
                        clinician=staffed[0],
                        room=staffed[1],
                    )
                )
        return steps

    def _options_ending(
        self,
        client: Client,
        day: Day,
        end: int,
        window_start: int,
        used_types: set[str],
        need_types: dict[str, int],
    ) -> list[_Step]:
        """Every way to spend the time just before ``end`` (to extend a block backwards)."""
        steps: list[_Step] = []
        for duration in sorted({t.duration_minutes for t in self.inst.session_types}):
            start = end - duration
            if start < window_start:
                continue
            steps += [
                o
                for o in self._options_at(client, day, start, end, used_types, need_types)
                if o.end == end
            ]
        return steps

    def top_up(self, client: Client) -> None:
        """Extend the client's day blocks at either end until hours and requirements are met."""
        rules = self.inst.rules
        while True:
            sessions = self.client_sessions[client.id]
            counts: dict[str, int] = defaultdict(int)
            for session in sessions:
                counts[session.type_id] += 1
            needs = {t: n - counts[t] for t, n in client.requires.items() if n > counts[t]}
            minutes = self._client_minutes(client.id)
            if minutes >= self.min_week and not needs:
                return
            best: tuple[tuple, _Step] | None = None
            for day in sorted({s.day for s in sessions}, key=day_index):
                day_sessions = [s for s in sessions if s.day == day]
                used = {s.type_id for s in day_sessions}
                if rules.max_same_type_per_client_day > 1:
                    used = {
                        t
                        for t in used
                        if sum(1 for s in day_sessions if s.type_id == t)
                        >= rules.max_same_type_per_client_day
                    }
                day_minutes = sum(s.end - s.start for s in day_sessions)
                first = min(s.start for s in day_sessions)
                last = max(s.end for s in day_sessions)
                for win_start, win_end in self.cands.client_windows[client.id][day]:
                    options: list[_Step] = []
                    if win_start <= last < win_end:
                        options += self._options_at(client, day, last, win_end, used, needs)
                    if win_start < first <= win_end:
                        options += self._options_ending(client, day, first, win_start, used, needs)
                    for option in options:
                        length = option.end - option.start
                        if self.max_day is not None and day_minutes + length > self.max_day:
                            continue
                        if self.max_week is not None and minutes + length > self.max_week:
                            continue
                        if not self._free(f"c:{client.id}", day, option.start, option.end):
                            continue
                        key = (self._rank(option, needs, 99), day_index(day))
                        if best is None or key < best[0]:
                            best = (key, option)
            if best is None:
                return
            self._commit(client, [best[1]])

    def force_required(self, client: Client) -> None:
        """Fit each missing required session into a day the client attends.

        Scarce sessions (a psychiatrist's few hours) rarely fit a block built around
        groups; a coordinator swaps out whatever non-required session overlaps them, as
        long as the day still meets its rules.
        """
        rules = self.inst.rules
        for type_id, count in sorted(client.requires.items()):
            while sum(1 for s in self.client_sessions[client.id] if s.type_id == type_id) < count:
                best: tuple[tuple, _Step, list[_Session]] | None = None
                sessions = self.client_sessions[client.id]
                counts: dict[str, int] = defaultdict(int)
                for session in sessions:
                    counts[session.type_id] += 1
                for day in sorted({s.day for s in sessions}, key=day_index):
                    day_sessions = [s for s in sessions if s.day == day]
                    if sum(1 for s in day_sessions if s.type_id == type_id) >= (
                        rules.max_same_type_per_client_day
                    ):
                        continue
                    for pool in self.cands.pools:
                        if pool.type_id != type_id or pool.day != day:
                            continue
                        overlapped = [
                            s
                            for s in day_sessions
                            if overlaps(s.start, s.end, pool.start, pool.end)
                        ]
                        if any(
                            s.fixed or counts[s.type_id] <= client.requires.get(s.type_id, 0)
                            for s in overlapped
                        ):
                            continue
                        used = {s.type_id for s in day_sessions if s not in overlapped}
                        windows = self.cands.client_windows[client.id][day]
                        window_end = next((e for b, e in windows if b <= pool.start < e), None)
                        if window_end is None:
                            continue
                        for s in overlapped:  # tentatively free the client's time
                            self.busy[(f"c:{client.id}", day)].remove((s.start, s.end))
                        options = [
                            o
                            for o in self._options_at(
                                client, day, pool.start, window_end, used, {type_id: 1}
                            )
                            if o.type_id == type_id and o.start == pool.start
                        ]
                        for s in overlapped:
                            self.busy[(f"c:{client.id}", day)].append((s.start, s.end))
                        if not options:
                            continue
                        kept = [s for s in day_sessions if s not in overlapped]
                        minutes = sum(s.end - s.start for s in kept) + pool.duration
                        groups = sum(
                            1 for s in kept if self.inst.type_by_id[s.type_id].kind == "group"
                        )
                        groups += self.inst.type_by_id[type_id].kind == "group"
                        if (
                            minutes < self.min_day
                            or groups < rules.min_group_sessions_per_client_day
                        ):
                            continue
                        if self.max_day is not None and minutes > self.max_day:
                            continue
                        lost = sum(s.end - s.start for s in overlapped)
                        key = (len(overlapped), lost, day_index(day), pool.start)
                        if best is None or key < best[0]:
                            best = (key, options[0], overlapped)
                if best is None:
                    break
                _, step, overlapped = best
                for s in overlapped:
                    self._leave(s, client.id)
                    if not s.clients and not s.fixed:
                        self._close(s)
                if step.session is not None and step.session not in self.sessions:
                    continue  # the session it would join was closed; look again
                self._commit(client, [step])
        self.top_up(client)

    def _rank(
        self, step: _Step, need_types: dict[str, int], groups: int, groups_first: bool = False
    ) -> tuple:
        """Sort key of a step, lower is better.

        Required types (or groups, until the day has enough) come first, then joining over
        opening, then sessions that help a group reach its minimum size.
        """
        required = need_types.get(step.type_id, 0) > 0
        short_of_groups = groups < self.inst.rules.min_group_sessions_per_client_day
        first = not (step.is_group and short_of_groups) if groups_first else not required
        return (
            first,
            not required,
            step.session is None,
            not self._helps(step),
            not (step.is_group and groups < self.inst.rules.min_group_sessions_per_client_day),
            -(len(step.session.clients) if step.session else 0),
            step.end - step.start,
            step.type_id,
        )

    def _helps(self, step: _Step) -> bool:
        """Whether a step joins a session that is still below its minimum size."""
        return step.session is not None and len(step.session.clients) < (
            self.inst.type_by_id[step.type_id].size_min
        )

    def _plan_day(
        self,
        client: Client,
        day: Day,
        target: int,
        need_types: dict[str, int],
        week_left: int | None = None,
    ) -> list[_Step] | None:
        """The best block of sessions to add on one day (around any already booked), or None.

        The block runs back to back from a start time, stepping over the client's sessions
        already on that day (an appointment booked first), until the day holds ``target``
        minutes and enough groups. ``week_left`` caps the minutes added (weekly maximum).
        """
        windows = self.cands.client_windows[client.id][day]
        slot = self.inst.slot_minutes
        rules = self.inst.rules
        min_groups = rules.min_group_sessions_per_client_day
        booked = sorted(
            (s for s in self.client_sessions[client.id] if s.day == day), key=lambda s: s.start
        )
        base_minutes = sum(s.end - s.start for s in booked)
        base_groups = sum(1 for s in booked if self.inst.type_by_id[s.type_id].kind == "group")
        base_counts: dict[str, int] = defaultdict(int)
        for session in booked:
            base_counts[session.type_id] += 1
        full = {t for t, n in base_counts.items() if n >= rules.max_same_type_per_client_day}
        starts = {t0 for a, b in windows for t0 in range(a, b, slot)}
        best: tuple[tuple, list[_Step]] | None = None
        for win_start, win_end in windows:
            for start, groups_first in [
                (t0, order)
                for t0 in sorted(starts)
                if win_start <= t0 < win_end
                for order in (False, True)
            ]:
                plan: list[_Step] = []
                used = set(full)
                needs = dict(need_types)
                minutes, groups, idle, added = base_minutes, base_groups, 0, 0
                started = False
                t = start
                while t < win_end:
                    if minutes >= target and groups >= min_groups:
                        break
                    if self.max_day is not None and minutes >= self.max_day:
                        break
                    inside = next((b for b in booked if b.start <= t < b.end), None)
                    if inside is not None:  # step over a session already booked
                        t = inside.end
                        started = True
                        continue
                    options = self._options_at(client, day, t, win_end, used, needs)
                    options = [
                        o
                        for o in options
                        if (self.max_day is None or minutes + o.end - o.start <= self.max_day)
                        and (week_left is None or added + o.end - o.start <= week_left)
                        and self._free(f"c:{client.id}", day, o.start, o.end)
                    ]
                    if not options:
                        if not started:
                            break  # a block starts with a session
                        t += slot
                        idle += slot
                        if idle > 2 * slot:
                            break
                        continue
                    step = min(options, key=lambda o: self._rank(o, needs, groups, groups_first))
                    plan.append(step)
                    started = True
                    used.add(step.type_id)
                    needs[step.type_id] = needs.get(step.type_id, 0) - 1
                    minutes += step.end - step.start
                    added += step.end - step.start
                    groups += step.is_group
                    t = step.end
                if minutes < self.min_day or groups < min_groups or not plan:
                    continue
                met = sum(1 for st in plan if need_types.get(st.type_id, 0) > 0)
                opened = sum(
                    1
                    for st in plan
                    if st.session is None and self.inst.type_by_id[st.type_id].kind != "individual"
                )
                key = (minutes < target, opened, -met, idle, start)
                if best is None or key < best[0]:
                    best = (key, plan)
        return best[1] if best else None

    def _appointment_choices(self, client: Client) -> int:
        """How many pools could hold the client's scarcest required individual session."""
        counts = [
            sum(
                1
                for p in self.cands.pools
                if p.type_id == type_id and client.id in self.pool_clients[p.index]
            )
            for type_id, count in client.requires.items()
            if count > 0 and self.inst.type_by_id[type_id].kind == "individual"
        ]
        return min(counts, default=10**6)

    def reserve_appointments(self, client: Client) -> None:
        """Book a client's required individual sessions first, at the edge of a window.

        A coordinator books appointments with a client's therapist or psychiatrist before
        laying the groups around them; at the start or end of the client's window they leave
        the rest of the window free for a block of groups.
        """
        for type_id, count in sorted(client.requires.items()):
            stype = self.inst.type_by_id[type_id]
            if stype.kind != "individual" or count <= 0:
                continue
            while sum(1 for s in self.client_sessions[client.id] if s.type_id == type_id) < count:
                taken = {s.day for s in self.client_sessions[client.id] if s.type_id == type_id}
                best: tuple[tuple, _Step] | None = None
                for pool in self.cands.pools:
                    if pool.type_id != type_id or pool.day in taken:
                        continue
                    if client.id not in self.pool_clients[pool.index]:
                        continue
                    if not self._free(f"c:{client.id}", pool.day, pool.start, pool.end):
                        continue
                    window = next(
                        (
                            (a, b)
                            for a, b in self.cands.client_windows[client.id][pool.day]
                            if a <= pool.start and pool.end <= b
                        ),
                        None,
                    )
                    if window is None:
                        continue
                    edge = min(pool.start - window[0], window[1] - pool.end)
                    staffed = self._staff(pool, client)
                    if staffed is None:
                        continue
                    booked_here = sum(
                        1 for s in self.client_sessions[client.id] if s.day == pool.day
                    )
                    missed = bool(client.preferred_days) and pool.day not in client.preferred_days
                    key = (edge, -booked_here, missed, day_index(pool.day), pool.start)
                    if best is None or key < best[0]:
                        best = (
                            key,
                            _Step(
                                type_id,
                                pool.start,
                                pool.end,
                                False,
                                pool=pool,
                                clinician=staffed[0],
                                room=staffed[1],
                            ),
                        )
                if best is None:
                    break
                self._commit(client, [best[1]])

    def _commit(self, client: Client, plan: list[_Step]) -> None:
        for step in plan:
            session = step.session
            if session is None:
                assert step.pool is not None and step.clinician is not None
                stype = self.inst.type_by_id[step.type_id]
                session = _Session(
                    step.pool,
                    step.type_id,
                    step.pool.day,
                    step.start,
                    step.end,
                    step.clinician,
                    step.room,
                    self._seats(stype.size_max, step.room),
                )
                self._open(session)
            self._join(session, client.id)

    def _client_minutes(self, client_id: str) -> int:
        return sum(s.end - s.start for s in self.client_sessions[client_id])

    def plan_client(self, client: Client) -> bool:
        """Give a client day blocks until their week is met; False if it cannot be.

        Days that already hold a booking but not a full day (an appointment booked first)
        are completed first. Then each round plans every day the client could still attend
        and keeps the day whose block opens the fewest new groups (joining the grid others
        already use), so that clients of a cohort converge on the same days and times.
        """
        rules = self.inst.rules
        need_types = dict(client.requires)
        for s in self.client_sessions[client.id]:
            need_types[s.type_id] = need_types.get(s.type_id, 0) - 1
        available = [d for d in self.inst.days if self.cands.client_windows[client.id][d]]
        hopeless: set[Day] = set()  # broken days that hold only fixed bookings
        while True:
            minutes = self._client_minutes(client.id)
            attended = {s.day for s in self.client_sessions[client.id]}
            partial = [
                d for d in self._broken_days(client.id) if d in attended and d not in hopeless
            ]
            still = max(self.min_week - minutes, 0)
            if (
                not partial
                and len(attended) >= rules.min_days_per_client_week
                and still == 0
                and all(v <= 0 for v in need_types.values())
            ):
                break
            days_left = max(rules.min_days_per_client_week - len(attended - set(partial)), 1)
            target = max(self.min_day, -(-still // days_left))
            week_left = None if self.max_week is None else self.max_week - minutes
            candidates = partial or [d for d in available if d not in attended]
            best: tuple[tuple, Day, list[_Step]] | None = None
            for day in candidates:
                booked = sum(
                    s.end - s.start for s in self.client_sessions[client.id] if s.day == day
                )
                plan = self._plan_day(client, day, max(target, booked), need_types, week_left)
                if plan is None:
                    continue
                opened = sum(
                    1
                    for st in plan
                    if st.session is None and self.inst.type_by_id[st.type_id].kind != "individual"
                )
                joined = sum(len(st.session.clients) for st in plan if st.session is not None)
                met = sum(1 for st in plan if need_types.get(st.type_id, 0) > 0)
                helped = sum(1 for st in plan if self._helps(st))
                missed = bool(client.preferred_days) and day not in client.preferred_days
                key = (opened, -helped, -met, -joined, missed, day_index(day))
                if best is None or key < best[0]:
                    best = (key, day, plan)
            if best is None:
                if not partial:
                    break
                # A booked day that cannot be completed: give its bookings back, re-plan.
                hopeless.update(partial)
                for day in partial:
                    for session in [s for s in self.client_sessions[client.id] if s.day == day]:
                        if session.fixed:
                            continue
                        self._leave(session, client.id)
                        need_types[session.type_id] = need_types.get(session.type_id, 0) + 1
                        if not session.clients:
                            self._close(session)
                available = [d for d in available if d not in partial]
                continue
            _, day, plan = best
            self._commit(client, plan)
            for step in plan:
                need_types[step.type_id] = need_types.get(step.type_id, 0) - 1
        if not self.client_met(client):
            self.top_up(client)
        if not self.client_met(client):
            self.force_required(client)
        return self.client_met(client)

    def client_met(self, client: Client) -> bool:
        """Whether a client's week minimums all hold."""
        rules = self.inst.rules
        sessions = self.client_sessions[client.id]
        days = {s.day for s in sessions}
        minutes = sum(s.end - s.start for s in sessions)
        counts: dict[str, int] = defaultdict(int)
        disciplines = set()
        for s in sessions:
            counts[s.type_id] += 1
            disciplines.add(self.inst.clinician_by_id[s.clinician].discipline)
        return (
            len(days) >= rules.min_days_per_client_week
            and minutes >= self.min_week
            and len(disciplines) >= rules.min_disciplines_per_client_week
            and all(counts[t] >= n for t, n in client.requires.items())
        )

    def unplan_client(self, client_id: str) -> None:
        """Take a client out of every non-fixed session; close sessions left empty."""
        for session in list(self.client_sessions[client_id]):
            if session.fixed and client_id in self._listed(session):
                continue
            self._leave(session, client_id)
            if not session.clients and not session.fixed:
                self._close(session)

    def _listed(self, session: _Session) -> set[str]:
        for copy in self.cands.fixed:
            if (copy.type_id, copy.day, copy.start, copy.clinician) == (
                session.type_id,
                session.day,
                session.start,
                session.clinician,
            ):
                return set(copy.listed)
        return set()

    # -- repair --------------------------------------------------------------------------

    def _can_add(self, client_id: str, session: _Session) -> bool:
        """Whether adding a client who already attends that day keeps their rules."""
        client = self.inst.client_by_id[client_id]
        same_day = [s for s in self.client_sessions[client_id] if s.day == session.day]
        if not same_day or client_id in session.clients:
            return False
        if client_id not in self.pool_clients.get(
            session.pool.index if session.pool else -1, set()
        ):
            return False
        assigned = client.assigned_clinicians.get(session.type_id)
        if assigned is not None and assigned != session.clinician:
            return False
        if not self._free(f"c:{client_id}", session.day, session.start, session.end):
            return False
        if sum(1 for s in same_day if s.type_id == session.type_id) >= (
            self.inst.rules.max_same_type_per_client_day
        ):
            return False
        minutes = session.end - session.start
        if self.max_day is not None and (
            sum(s.end - s.start for s in same_day) + minutes > self.max_day
        ):
            return False
        return self.max_week is None or self._client_minutes(client_id) + minutes <= self.max_week

    def _try_swap_into(self, client_id: str, session: _Session) -> bool:
        """Move a client who attends that day from overlapping, fuller sessions into this one."""
        client = self.inst.client_by_id[client_id]
        rules = self.inst.rules
        if client_id in session.clients or session.pool is None:
            return False
        if client_id not in self.pool_clients.get(session.pool.index, set()):
            return False
        assigned = client.assigned_clinicians.get(session.type_id)
        if assigned is not None and assigned != session.clinician:
            return False
        day_sessions = [s for s in self.client_sessions[client_id] if s.day == session.day]
        if not day_sessions:
            return False
        overlapped = [
            s for s in day_sessions if overlaps(s.start, s.end, session.start, session.end)
        ]
        counts: dict[str, int] = defaultdict(int)
        for s in self.client_sessions[client_id]:
            counts[s.type_id] += 1
        for s in overlapped:
            stype = self.inst.type_by_id[s.type_id]
            if s.fixed or len(s.clients) <= stype.size_min:
                return False
            if counts[s.type_id] <= client.requires.get(s.type_id, 0):
                return False
        kept = [s for s in day_sessions if s not in overlapped]
        if sum(1 for s in kept if s.type_id == session.type_id) >= (
            rules.max_same_type_per_client_day
        ):
            return False
        minutes = sum(s.end - s.start for s in kept) + session.end - session.start
        groups = sum(1 for s in kept if self.inst.type_by_id[s.type_id].kind == "group")
        groups += self.inst.type_by_id[session.type_id].kind == "group"
        if minutes < self.min_day or groups < rules.min_group_sessions_per_client_day:
            return False
        if self.max_day is not None and minutes > self.max_day:
            return False
        week = self._client_minutes(client_id) - sum(s.end - s.start for s in overlapped)
        week += session.end - session.start
        if week < min(self.min_week, self._client_minutes(client_id)):
            return False
        if self.max_week is not None and week > self.max_week:
            return False
        for s in overlapped:
            self._leave(s, client_id)
        self._join(session, client_id)
        return True

    def repair(self) -> list[str]:
        """Fill or dissolve groups below minimum size; returns clients left unmet.

        A group below its minimum first takes clients who already attend that day, then
        clients moved from fuller overlapping sessions. If it stays too small it is
        dissolved and its clients re-plan that day now that the grid exists for them to
        join; a pool that is too small a second time is banned.
        """
        too_small_before: set[int] = set()
        for _ in range(REPAIR_ROUNDS):
            if self._late():
                break
            small = [
                s
                for s in self.sessions
                if not s.fixed and len(s.clients) < self.inst.type_by_id[s.type_id].size_min
            ]
            unmet = [c for c in self.inst.clients if not self.client_met(c)]
            if not small and not unmet:
                break
            replan: set[str] = {c.id for c in unmet}
            for session in small:
                stype = self.inst.type_by_id[session.type_id]
                for c in sorted(self.inst.client_by_id):
                    if len(session.clients) >= stype.size_min:
                        break
                    if self._can_add(c, session):
                        self._join(session, c)
                for c in sorted(self.inst.client_by_id):
                    if len(session.clients) >= stype.size_min:
                        break
                    self._try_swap_into(c, session)
                if len(session.clients) < stype.size_min:
                    assert session.pool is not None
                    if session.pool.index in too_small_before:
                        self.banned.add(session.pool.index)
                    too_small_before.add(session.pool.index)
                    replan.update(session.clients)
                    for c in list(session.clients):
                        self._leave(session, c)
                    self._close(session)
            # A client who lost a dissolved group has a partial day there: plan_client
            # completes it or gives it back, and adds days until the week is met.
            for c in sorted(replan, key=lambda c: self._cohort_key(self.inst.client_by_id[c])):
                self.plan_client(self.inst.client_by_id[c])

        def too_small(session: _Session) -> bool:
            size_min = self.inst.type_by_id[session.type_id].size_min
            return not session.fixed and 0 < len(session.clients) < size_min

        # A session too small to run is dropped with its clients' whole day there, so that
        # every day rule still holds; those clients are then short. Their other sessions
        # that day may fall below their minimum in turn: repeat until none does (each pass
        # takes at least one client out of a session, so it ends).
        while small := [s for s in self.sessions if too_small(s)]:
            for session in small:
                if not too_small(session):
                    continue
                for c in list(session.clients):
                    for other in list(self.client_sessions[c]):
                        if other.day == session.day and not other.fixed:
                            self._leave(other, c)
                            if not other.clients:
                                self._close(other)
        return [c.id for c in self.inst.clients if not self.client_met(c)]

    def keep(self, sessions: list[ScheduledSession]) -> int:
        """Start from a previous timetable: reopen every session that is still possible.

        A session stays if its pool still exists with its leader and room free and within
        hours; of its clients, those who may still attend stay. Returns the sessions kept.
        Clients whose days no longer meet the day rules are re-planned by `build`.
        """
        by_key = {(p.type_id, p.day, p.start): p for p in self.cands.pools}
        booked = {(f.type_id, f.day, f.start, f.clinician) for f in self.cands.fixed}
        kept = 0
        for old in sessions:
            pool = by_key.get((old.type, old.day, old.start))
            if pool is None or old.clinician not in pool.leaders:
                continue
            if (old.type, old.day, old.start, old.clinician) in booked:
                continue
            if pool.rooms and old.room not in pool.rooms:
                continue
            if not self._free(f"k:{old.clinician}", old.day, old.start, old.end):
                continue
            if old.room is not None and not self._free(
                f"r:{old.room}", old.day, old.start, old.end
            ):
                continue
            if not self._leader_fits(old.clinician, old.day, pool.duration):
                continue
            stype = self.inst.type_by_id[old.type]
            session = _Session(
                pool,
                old.type,
                old.day,
                old.start,
                old.end,
                old.clinician,
                old.room if pool.rooms else None,
                self._seats(stype.size_max, old.room if pool.rooms else None),
            )
            clients = [
                c
                for c in old.clients
                if c in self.pool_clients[pool.index]
                and self.inst.client_by_id[c].assigned_clinicians.get(old.type, old.clinician)
                == old.clinician
                and self._free(f"c:{c}", old.day, old.start, old.end)
            ][: session.seats]
            if not clients:
                continue
            self._open(session)
            for c in clients:
                self._join(session, c)
            kept += 1
        return kept

    def _broken_days(self, client_id: str) -> list[Day]:
        """Days on which a client's sessions no longer meet the day rules."""
        rules = self.inst.rules
        per_day: dict[Day, list[_Session]] = defaultdict(list)
        for session in self.client_sessions[client_id]:
            per_day[session.day].append(session)
        broken = []
        for day, sessions in per_day.items():
            minutes = sum(s.end - s.start for s in sessions)
            groups = sum(1 for s in sessions if self.inst.type_by_id[s.type_id].kind == "group")
            if minutes < self.min_day or groups < rules.min_group_sessions_per_client_day:
                broken.append(day)
        return broken

    def build(self) -> list[str]:
        """Plan every client, then repair; returns the clients whose week is not met.

        Required appointments are booked first for everyone; then each client's days are
        completed around them. After `keep`, only clients whose week is not met (or whose
        days broke) are planned, so the previous week stays as it was.
        """
        order = sorted(self.inst.clients, key=self._cohort_key)
        # With "scarce", appointments go most constrained first: a client whose therapist
        # overlaps their hours once a week gets that hour before someone with many choices.
        booking = order
        if self.appointment_order == "scarce":
            booking = sorted(
                order,
                key=lambda c: (
                    c.id not in self.first,
                    self._appointment_choices(c),
                    self._cohort_key(c),
                ),
            )
        for client in booking:
            if self._late():
                break
            if not self.client_met(client):
                self.reserve_appointments(client)
        for client in order:
            if self._late():
                break
            if self._broken_days(client.id) or not self.client_met(client):
                self.plan_client(client)
        if self._late():
            return [c.id for c in self.inst.clients if not self.client_met(c)]
        return self.repair()

    def _cohort_key(self, client: Client) -> tuple:
        """Hardest cohorts first: least available time, then by track and availability.

        Clients in ``first`` come before all others.
        """
        windows = self.cands.client_windows[client.id]
        available = sum(e - s for spans in windows.values() for s, e in spans)
        pattern = tuple((d, tuple(windows[d])) for d in self.inst.days)
        return (client.id not in self.first, available, client.track or "", pattern, client.id)

    def scheduled(self) -> list[ScheduledSession]:
        """The grid as timetable sessions (empty sessions dropped)."""
        return number_sessions(
            [
                ScheduledSession(
                    id="",
                    type=s.type_id,
                    day=s.day,
                    start=s.start,
                    end=s.end,
                    clinician=s.clinician,
                    room=s.room,
                    clients=sorted(s.clients),
                )
                for s in self.sessions
                if s.clients
            ]
        )


@dataclass
class _Attempt:
    """One coordinator's week, and how it ranks among the attempts of a run."""

    coordinator: GreedyCoordinator
    unmet: list[str]
    #: The scored week, its terms and the validator's findings (shortfall mode only, where
    #: attempts rank by penalty; the strict mode scores the chosen week alone).
    timetable: Timetable | None = None
    terms: dict[str, PenaltyTerm] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)

    @property
    def rank(self) -> tuple[int, ...]:
        """Lower is better: fewest unmet clients (strict), else valid and lowest penalty."""
        if self.timetable is None:
            return (len(self.unmet),)
        assert self.timetable.penalty is not None
        return (bool(self.violations), self.timetable.penalty)


def solve_greedy(
    instance: Instance, options: SolveOptions, *, started: float | None = None
) -> Result:
    """Run the greedy coordinator; the week is ``feasible`` only if every rule holds."""
    from .validator import validate  # the independent validator decides, as for any method

    started = time.monotonic() if started is None else started
    candidates = build_candidates(instance)

    def score(tried: _Attempt) -> None:
        tried.timetable, tried.terms = scored_timetable(
            instance,
            tried.coordinator.scheduled(),
            bound=None,
            previous=options.previous,
            allow_shortfalls=options.allow_shortfalls,
        )
        tried.violations = validate(
            instance, tried.timetable, allow_shortfalls=options.allow_shortfalls
        )

    def attempt(coordinator: GreedyCoordinator, unmet: list[str]) -> _Attempt:
        tried = _Attempt(coordinator, unmet)
        if options.allow_shortfalls:
            # With shortfalls allowed a week that leaves clients short is valid too, so the
            # measure is the scorer's penalty (shortfall minutes weigh most), not the count.
            score(tried)
        return tried

    best: _Attempt | None = None
    # A coordinator whose week does not close books the clients left over first next
    # time: after a round of both appointment orders, the next round puts every client
    # left unmet so far in front. With shortfalls allowed too: one round's week stands as
    # valid, but a client it left short may be served in the next (as the strict mode
    # finds), and shortfall mode (whatif, capacity) asks who *cannot* be served.
    first: frozenset[str] = frozenset()
    # Later rounds start only within a share of the time limit, counted from here: as
    # CP-SAT's hint the greedy week is paid for out of the search's time. The share bounds
    # the greedy's own rounds; in a CP-SAT run the model is built first, and counted from
    # the run's start the share was gone before a second round at short limits (small
    # with a 9-hour week minimum at 4 s: greedy from 0.6 s, first round 0.3-0.8 s, share
    # 0.8 s; no week). The per-client bound beside the greedy counts its share so too.
    deadline = time.monotonic() + PRIORITY_ROUNDS_SHARE * options.time_limit
    # The time limit bounds the whole run: a coordinator still planning then stops.
    out_of_time_at = started + options.time_limit
    out_of_time = False
    closed = False  # a coordinator met every client's week
    for round_index in range(1 + PRIORITY_ROUNDS):
        if round_index and time.monotonic() > deadline:
            break
        unmet_this_round: set[str] = set()
        for order in APPOINTMENT_ORDERS:
            if best is not None and time.monotonic() > out_of_time_at:
                break
            coordinator = GreedyCoordinator(
                instance, candidates, appointment_order=order, first=first,
                deadline=out_of_time_at,
            )  # fmt: skip
            if options.previous is not None:
                coordinator.keep(options.previous.sessions)
            unmet = coordinator.build()
            out_of_time = out_of_time or coordinator.out_of_time
            tried = attempt(coordinator, unmet)
            if best is None or tried.rank < best.rank:
                best = tried
            if not unmet:
                closed = True
                break  # every client's week is met: no need to try another order
            unmet_this_round.update(unmet)
        if closed:
            break
        if unmet_this_round <= first:
            break  # nobody new to put in front: another round would repeat this one
        first |= unmet_this_round
    assert best is not None
    coordinator, unmet = best.coordinator, best.unmet
    elapsed = time.monotonic() - started
    stats = ModelStats(pools=len(candidates.pools))
    if best.timetable is None:  # strict mode scores the chosen week alone
        score(best)
    assert best.timetable is not None
    timetable, terms, violations = best.timetable, best.terms, best.violations
    timetable.solve_seconds = round(elapsed, 3)
    if violations or (unmet and not options.allow_shortfalls):
        reason = (
            f"the greedy baseline ran out of time (time limit {options.time_limit:g} s)"
            if out_of_time
            else "the greedy baseline could not complete the week"
        )
        empty = Timetable(
            instance=instance.name,
            status="unknown",
            solve_seconds=round(elapsed, 3),
            explanation=[
                f"{reason}: {len(violations)} rule(s) broken, {len(unmet)} client(s) unmet"
            ],
        )
        return Result(
            Status.UNKNOWN,
            empty,
            method="greedy",
            total_seconds=elapsed,
            solve_seconds=elapsed,
            stats=stats,
        )
    return Result(
        Status.FEASIBLE,
        timetable,
        terms=terms,
        method="greedy",
        total_seconds=elapsed,
        solve_seconds=elapsed,
        first_solution_seconds=elapsed,
        best_solution_seconds=elapsed,
        stats=stats,
    )
