"""The hand-scheduling baseline: a deterministic greedy "coordinator".

It does what a careful person does with a spreadsheet:

1. take clients cohort by cohort (same track and availability first), hardest first;
2. give each client day blocks of back-to-back sessions inside their availability, joining
   a session already on the grid at that time when it has a seat (so a cohort shares one
   weekly grid of groups), and otherwise opening one with the first free qualified leader
   and the first free suitable room;
3. repeat until the client's week is met (days, hours, required sessions);
4. fill groups left below their minimum size with clients who are already in that day, or
   dissolve them and re-plan their clients.

The result goes through the same independent validator as every other timetable; a week
the greedy cannot complete is reported as ``unknown`` (or with shortfalls when allowed).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

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
from .result import ModelStats, Result, Status, total_penalty
from .scoring import penalty_terms, week_shortfalls
from .times import Day, day_index

#: Rounds of "fill or dissolve the groups below minimum size, then re-plan".
REPAIR_ROUNDS = 6


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

    def __init__(self, instance: Instance, candidates: Candidates) -> None:
        self.inst = instance
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
        self.banned: set[int] = set()
        self._place_fixed()

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
        session.clients.append(client_id)
        self.client_sessions[client_id].append(session)
        self.busy[(f"c:{client_id}", session.day)].append((session.start, session.end))

    def _leave(self, session: _Session, client_id: str) -> None:
        session.clients.remove(client_id)
        self.client_sessions[client_id].remove(session)
        self.busy[(f"c:{client_id}", session.day)].remove((session.start, session.end))

    def _leader_fits(self, clinician_id: str, day: Day, minutes: int) -> bool:
        clin = self.inst.clinician_by_id[clinician_id]
        if clin.max_hours_per_day is not None and (
            self.lead_minutes[(clinician_id, day)] + minutes
            > hours_to_minutes_floor(clin.max_hours_per_day)
        ):
            return False
        return clin.max_hours_per_week is None or (
            self.lead_minutes[(clinician_id, None)] + minutes
            <= hours_to_minutes_floor(clin.max_hours_per_week)
        )

    def _staff(self, pool: Pool, client: Client) -> tuple[str, str | None] | None:
        """First free qualified leader (the assigned one if any) and first free suitable room."""
        assigned = client.assigned_clinicians.get(pool.type_id)
        leaders = [assigned] if assigned is not None else list(pool.leaders)
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
        # Smallest room that holds a full session first, so big rooms stay free for big groups.
        size_max = self.inst.type_by_id[pool.type_id].size_max
        rooms = sorted(
            pool.rooms,
            key=lambda r: (
                self.inst.room_by_id[r].capacity < (size_max or 0),
                -self.inst.room_by_id[r].capacity
                if size_max is None
                else self.inst.room_by_id[r].capacity,
                r,
            ),
        )
        room = next(
            (r for r in rooms if self._free(f"r:{r}", pool.day, pool.start, pool.end)), None
        )
        return None if room is None else (leader, room)

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

    def _rank(self, step: _Step, need_types: dict[str, int], groups: int) -> tuple:
        """Lower is better: required types, then joining over opening, then groups."""
        required = need_types.get(step.type_id, 0) > 0
        return (
            not required,
            step.session is None,
            not (step.is_group and groups < self.inst.rules.min_group_sessions_per_client_day),
            -(len(step.session.clients) if step.session else 0),
            step.end - step.start,
            step.type_id,
        )

    def _plan_day(
        self, client: Client, day: Day, target: int, need_types: dict[str, int]
    ) -> list[_Step] | None:
        """The best block of back-to-back sessions on one day, or None."""
        windows = self.cands.client_windows[client.id][day]
        slot = self.inst.slot_minutes
        min_groups = self.inst.rules.min_group_sessions_per_client_day
        best: tuple[tuple, list[_Step]] | None = None
        for win_start, win_end in windows:
            for start in range(win_start, win_end, slot):
                plan: list[_Step] = []
                used: set[str] = set()
                needs = dict(need_types)
                minutes = groups = idle = 0
                t = start
                while t < win_end:
                    if minutes >= target and groups >= min_groups:
                        break
                    if self.max_day is not None and minutes >= self.max_day:
                        break
                    if not self._free(f"c:{client.id}", day, t, t + slot):
                        break
                    options = self._options_at(client, day, t, win_end, used, needs)
                    if self.max_day is not None:
                        options = [o for o in options if minutes + o.end - o.start <= self.max_day]
                    options = [
                        o for o in options if self._free(f"c:{client.id}", day, o.start, o.end)
                    ]
                    if not options:
                        if not plan:
                            break  # a block starts with a session
                        t += slot
                        idle += slot
                        if idle > 2 * slot:
                            break
                        continue
                    step = min(options, key=lambda o: self._rank(o, needs, groups))
                    plan.append(step)
                    used.add(step.type_id)
                    needs[step.type_id] = needs.get(step.type_id, 0) - 1
                    minutes += step.end - step.start
                    groups += step.is_group
                    t = step.end
                if minutes < self.min_day or groups < min_groups or not plan:
                    continue
                opened = sum(1 for s in plan if s.session is None)
                met = sum(1 for s in plan if need_types.get(s.type_id, 0) > 0)
                key = (-met, minutes < target, opened, idle, start)
                if best is None or key < best[0]:
                    best = (key, plan)
        return best[1] if best else None

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
        """Give a client day blocks until their week is met; False if it cannot be."""
        rules = self.inst.rules
        fixed_days = {s.day for s in self.client_sessions[client.id]}
        days = sorted(
            (d for d in self.inst.days if self.cands.client_windows[client.id][d]),
            key=lambda d: (
                d not in fixed_days,
                bool(client.preferred_days) and d not in client.preferred_days,
                day_index(d),
            ),
        )
        need_types = dict(client.requires)
        for s in self.client_sessions[client.id]:
            need_types[s.type_id] = need_types.get(s.type_id, 0) - 1
        attended = set(fixed_days)
        for day in days:
            minutes = self._client_minutes(client.id)
            days_left = max(rules.min_days_per_client_week - len(attended), 1)
            still = max(self.min_week - minutes, 0)
            if (
                len(attended) >= rules.min_days_per_client_week
                and still == 0
                and all(v <= 0 for v in need_types.values())
            ):
                break
            if day in attended:
                continue
            target = max(self.min_day, -(-still // days_left))
            if self.max_week is not None:
                target = min(target, self.max_week - minutes)
            plan = self._plan_day(client, day, target, need_types)
            if plan is None:
                continue
            self._commit(client, plan)
            attended.add(day)
            for step in plan:
                need_types[step.type_id] = need_types.get(step.type_id, 0) - 1
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

    def repair(self) -> list[str]:
        """Fill or dissolve groups below minimum size; returns clients left unmet."""
        unmet: list[str] = []
        for _ in range(REPAIR_ROUNDS):
            small = [
                s
                for s in self.sessions
                if not s.fixed and len(s.clients) < self.inst.type_by_id[s.type_id].size_min
            ]
            if not small:
                break
            replan: set[str] = set()
            for session in small:
                stype = self.inst.type_by_id[session.type_id]
                for c in sorted(self.inst.client_by_id):
                    if len(session.clients) >= stype.size_min:
                        break
                    if self._can_add(c, session):
                        self._join(session, c)
                if len(session.clients) < stype.size_min:
                    assert session.pool is not None
                    self.banned.add(session.pool.index)
                    replan.update(session.clients)
                    for c in list(session.clients):
                        self._leave(session, c)
                    self._close(session)
            for c in sorted(replan):
                self.unplan_client(c)
            for c in sorted(replan):
                self.plan_client(self.inst.client_by_id[c])
        unmet = [c.id for c in self.inst.clients if not self.client_met(c)]
        return unmet

    def build(self) -> list[str]:
        """Plan every client, then repair; returns the clients whose week is not met."""
        order = sorted(self.inst.clients, key=self._cohort_key)
        for client in order:
            self.plan_client(client)
        return self.repair()

    def _cohort_key(self, client: Client) -> tuple:
        """Hardest cohorts first: least available time, then by track and availability."""
        windows = self.cands.client_windows[client.id]
        available = sum(e - s for spans in windows.values() for s, e in spans)
        pattern = tuple((d, tuple(windows[d])) for d in self.inst.days)
        return (available, client.track or "", pattern, client.id)

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


def solve_greedy(
    instance: Instance, options: SolveOptions, *, started: float | None = None
) -> Result:
    """Run the greedy coordinator; the week is ``feasible`` only if every rule holds."""
    from .validator import validate  # the independent validator decides, as for any method

    started = time.monotonic() if started is None else started
    candidates = build_candidates(instance)
    coordinator = GreedyCoordinator(instance, candidates)
    unmet = coordinator.build()
    sessions = coordinator.scheduled()
    elapsed = time.monotonic() - started
    stats = ModelStats(pools=len(candidates.pools))
    timetable = Timetable(
        instance=instance.name,
        status="feasible",
        sessions=sessions,
        shortfalls=week_shortfalls(instance, sessions) if options.allow_shortfalls else [],
    )
    violations = validate(instance, timetable, allow_shortfalls=options.allow_shortfalls)
    if violations or (unmet and not options.allow_shortfalls):
        empty = Timetable(
            instance=instance.name,
            status="unknown",
            solve_seconds=round(elapsed, 3),
            explanation=[
                f"the greedy baseline could not complete the week: "
                f"{len(violations)} rule(s) broken, "
                f"{len(unmet)} client(s) unmet"
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
    terms = penalty_terms(
        instance, sessions, previous=options.previous, allow_shortfalls=options.allow_shortfalls
    )
    timetable.penalty = total_penalty(terms)
    timetable.solve_seconds = round(elapsed, 3)
    timetable.penalty_terms = {n: t.cost for n, t in terms.items()}  # type: ignore[attr-defined]
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
