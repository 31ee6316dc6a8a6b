"""The CP-SAT model of a clinic week: variables, constraint families and objective terms.

Sessions of one type at one time are interchangeable, so each candidate (type, day, start)
is a *pool*: a Boolean per possible leader and room says whether that leader leads (that room
hosts) one copy, and a Boolean per eligible client says whether the client attends one of the
copies. Seat counts make sure the clients can be split into copies that respect the size and
room capacity bounds; `placement` does that split after the solve.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ortools.sat.python import cp_model

from ..candidates import (
    Candidates,
    covers,
    free_windows,
    hours_to_minutes_ceil,
    hours_to_minutes_floor,
)
from ..domain import Instance, Timetable
from ..options import ModelSettings
from ..times import Day
from .variables import (
    Attendance,
    BoolVar,
    ClientDayVars,
    FixedVars,
    ModelVars,
    PoolVars,
    ShortfallVars,
)

T = TypeVar("T")

#: Shortfall amount per missing day, required session or discipline (SPEC section 5).
SHORTFALL_UNIT = 60


class BuildStopped(Exception):
    """Building the model was stopped (its ``stop`` said so) before it was done, or when done.

    A 300-client model takes about 3 s to build, in steps of at most a second, so a time
    limit shorter than that is overrun by at most one step, not by the whole build.
    """


def deadline_passed(deadline: float) -> Callable[[], bool]:
    """A model build's ``stop``: whether ``deadline`` (a `time.monotonic()` value) passed."""
    return lambda: time.monotonic() >= deadline


@dataclass
class Objective:
    """The penalty terms as linear expressions of the model, by weight name."""

    amounts: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    weights: dict[str, int] = field(default_factory=dict)


class TimetableModel:
    """Builds the CP-SAT model of one clinic week from its candidates."""

    def __init__(
        self,
        candidates: Candidates,
        *,
        allow_shortfalls: bool = False,
        previous: Timetable | None = None,
        explain: bool = False,
        settings: ModelSettings | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        """Build the whole model; ``stop`` is asked between build steps (see `BuildStopped`)."""
        self.candidates = candidates
        self.settings = settings or ModelSettings()
        #: Put each rule family behind an assumption literal (to explain infeasibility).
        self.explain = explain
        self.assumptions: dict[str, BoolVar] = {}
        self.instance: Instance = candidates.instance
        self.allow_shortfalls = allow_shortfalls
        self.previous = previous
        self.model = cp_model.CpModel()
        true = self.model.new_bool_var("true")
        self.model.add(true == 1)
        self.vars = ModelVars(true=true)
        self.objective = Objective()
        #: The model minimises scale × penalty + tie-break; penalty = objective // scale.
        self.objective_scale = 1
        #: Redundant lower bounds stated on the objective terms (see objective_lower_bounds).
        self.staff_lower_bound = 0
        self.miss_lower_bound = 0
        self.infeasible_reasons: list[str] = []
        self._stop = stop or (lambda: False)
        self._needy = self._clients_needing_discipline_tracking()
        self._check_stop()
        self._add_variables()
        self.add_constraints()
        self._check_stop()
        self._add_objective()
        self._check_stop()  # done, but past the caller's limit: no time left to use it

    def keep_attendances(self, clients: frozenset[str]) -> None:
        """Fix these clients' attendances to the previous timetable's (a local re-plan)."""
        if self.previous is None or not clients:
            return
        before = previous_attendances(self.previous)
        for client_id in sorted(clients):
            wanted = {k for k in before if k[0] == client_id}
            found = set()
            for a in self.vars.attendances.get(client_id, []):
                key = (client_id, a.type_id, a.day, a.start)
                self.model.add(a.literal == int(key in wanted))
                found.add(key)
            if wanted - found:
                self.model.add_bool_or([])  # a kept attendance is no longer possible

    def _guard(self, family: str) -> list[BoolVar]:
        """Enforcement literals of a rule family: none, or one assumption when explaining."""
        if not self.explain:
            return []
        literal = self.assumptions.get(family)
        if literal is None:
            literal = self.model.new_bool_var(f"assume[{family}]")
            self.assumptions[family] = literal
        return [literal]

    # -- variables -----------------------------------------------------------------------

    def _clients_needing_discipline_tracking(self) -> set[str]:
        """Clients whose discipline rule is not already met by their required sessions.

        A required type led by one known discipline (an assigned clinician, or only one
        discipline can lead it) guarantees that discipline. Only the other clients need to
        know which discipline leads each of their sessions.
        """
        inst = self.instance
        need = inst.rules.min_disciplines_per_client_week
        if need <= 0:
            return set()
        type_disciplines = {
            t.id: self.candidates.leader_disciplines(t.id) for t in inst.session_types
        }
        needy: set[str] = set()
        for client in inst.clients:
            sure: set[str] = set()
            for type_id, count in client.requires.items():
                if count <= 0:
                    continue
                assigned = client.assigned_clinicians.get(type_id)
                if assigned is not None:
                    sure.add(inst.clinician_by_id[assigned].discipline)
                elif len(type_disciplines[type_id]) == 1:
                    sure |= type_disciplines[type_id]
            for copy in self.candidates.fixed:
                if client.id in copy.listed:
                    sure.add(inst.clinician_by_id[copy.clinician].discipline)
            if len(sure) < need:
                needy.add(client.id)
        return needy

    def _add_variables(self) -> None:
        """Create pool, fixed-session and attendance variables."""
        inst = self.instance
        model = self.model
        clinicians = inst.clinician_by_id
        attendances: dict[str, list[Attendance]] = defaultdict(list)
        for pool in self.candidates.pools:
            stype = inst.type_by_id[pool.type_id]
            tag = f"{pool.type_id}@{pool.day}{pool.start}"
            leaders = {k: model.new_bool_var(f"lead[{k},{tag}]") for k in pool.leaders}
            rooms = {r: model.new_bool_var(f"room[{r},{tag}]") for r in pool.rooms}
            clients = {c: model.new_bool_var(f"attend[{c},{tag}]") for c in pool.clients}
            seat_cap = stype.size_max
            room_seats = {
                r: min(inst.room_by_id[r].capacity, seat_cap or inst.room_by_id[r].capacity)
                for r in pool.rooms
            }
            pool_disciplines = {clinicians[k].discipline for k in pool.leaders}
            pinned = {
                c: inst.client_by_id[c].assigned_clinicians.get(stype.id) for c in pool.clients
            }
            tracked_needy = [
                c
                for c in pool.clients
                if c in self._needy and pinned[c] is None and len(pool_disciplines) > 1
            ]
            per_leader = stype.kind != "individual" and (
                any(pinned.values()) or bool(tracked_needy)
            )
            pvars = PoolVars(
                pool,
                stype,
                "per_leader" if per_leader else "aggregate",
                leaders,
                rooms,
                clients,
                room_seats,
            )
            if per_leader:
                for c in tracked_needy:
                    for k in pool.leaders:
                        pvars.client_leader[(c, k)] = model.new_bool_var(f"in[{c},{k},{tag}]")
            elif stype.kind == "individual":
                for c in tracked_needy:
                    for q in sorted(pool_disciplines):
                        pvars.client_discipline[(c, q)] = model.new_bool_var(f"by[{c},{q},{tag}]")
            self.vars.pools.append(pvars)
            for c, literal in clients.items():
                if pinned[c] is not None:
                    discipline: str | None = clinicians[pinned[c]].discipline  # type: ignore[index]
                elif len(pool_disciplines) == 1:
                    discipline = next(iter(pool_disciplines))
                else:
                    discipline = None
                attendances[c].append(
                    Attendance(
                        c,
                        pool.type_id,
                        pool.day,
                        pool.start,
                        pool.end,
                        literal,
                        stype.kind == "group",
                        discipline,
                        pool=pool.index,
                    )
                )
        for copy in self.candidates.fixed:
            stype = inst.type_by_id[copy.type_id]
            tag = f"fixed{copy.index}"
            joiners = {c: model.new_bool_var(f"join[{c},{tag}]") for c in copy.joiners}
            guard = self._guard(f"fixed:{copy.index}")
            runs = guard[0] if guard else self.vars.true
            self.vars.fixed.append(FixedVars(copy, stype, joiners, runs))
            discipline = clinicians[copy.clinician].discipline
            members: list[tuple[str, BoolVar]] = [(c, runs) for c in copy.listed]
            members += list(joiners.items())
            for c, literal in members:
                attendances[c].append(
                    Attendance(
                        c,
                        copy.type_id,
                        copy.day,
                        copy.start,
                        copy.end,
                        literal,
                        stype.kind == "group",
                        discipline,
                        fixed=copy.index,
                    )
                )
        self.vars.attendances = dict(attendances)

    # -- constraints ---------------------------------------------------------------------

    def add_constraints(self) -> None:
        """Add every constraint family, in one ordered place."""
        for family in (
            self._pool_sizes,
            self._fixed_sessions,
            self._no_overlap_clinicians,
            self._no_overlap_rooms,
            self._no_overlap_clients,
            self._clinician_hours,
            self._client_days,
            self._client_weeks,
            self._client_disciplines,
            self._program_day_disciplines,
        ):
            self._check_stop()
            family()

    def _check_stop(self) -> None:
        """Raise `BuildStopped` when the caller's ``stop`` says so (between build steps)."""
        if self._stop():
            raise BuildStopped

    def _pool_sizes(self) -> None:
        """Rules 2-5 inside a pool: one leader and one room per copy, sizes within bounds."""
        for pvars in self.vars.pools:
            # Redundant, but it makes the LP relaxation run a whole copy for any attendee
            # instead of a twelfth of one (the strong facility-location link).
            copies = pvars.copies()
            if self.settings.copy_link:
                for literal in pvars.clients.values():
                    self.model.add(literal <= copies)
            if pvars.mode == "per_leader":
                self._per_leader_pool(pvars)
            else:
                self._aggregate_pool(pvars)

    def _aggregate_pool(self, pv: PoolVars) -> None:
        """Count copies and seats; clients are split into copies after the solve."""
        model = self.model
        stype = pv.stype
        copies = pv.copies()
        attendees = sum(pv.clients.values())
        if pv.rooms:
            model.add(sum(pv.rooms.values()) == copies)
        if stype.kind == "individual":
            model.add(attendees == copies)
            pinned: dict[str, list[BoolVar]] = defaultdict(list)
            for c, literal in pv.clients.items():
                leader = self.instance.client_by_id[c].assigned_clinicians.get(stype.id)
                if leader is not None:
                    pinned[leader].append(literal)
            # A leader's copy holds at most one of the clients pinned to them.
            for leader, literals in pinned.items():
                model.add(sum(literals) <= pv.leaders[leader])
            self._individual_disciplines(pv, pinned)
            return
        model.add(attendees >= stype.size_min * copies).only_enforce_if(
            self._guard(f"size:{stype.id}")
        )
        if pv.rooms:
            model.add(attendees <= sum(pv.room_seats[r] * z for r, z in pv.rooms.items()))
        else:
            most = stype.size_max or len(pv.clients)
            model.add(attendees <= most * copies)

    def _individual_disciplines(self, pv: PoolVars, pinned: dict[str, list[BoolVar]]) -> None:
        """Tracked clients of an individual pool need a free leader of their discipline."""
        if not pv.client_discipline:
            return
        model = self.model
        clinicians = self.instance.clinician_by_id
        by_discipline: dict[str, list[BoolVar]] = defaultdict(list)
        for (_, q), literal in pv.client_discipline.items():
            by_discipline[q].append(literal)
        for c in sorted({c for c, _ in pv.client_discipline}):
            model.add(
                sum(v for (cc, _), v in pv.client_discipline.items() if cc == c) == pv.clients[c]
            )
        for q, literals in by_discipline.items():
            leaders_q = [k for k in pv.leaders if clinicians[k].discipline == q]
            taken = [lit for k in leaders_q for lit in pinned.get(k, [])]
            model.add(sum(literals) + sum(taken) <= sum(pv.leaders[k] for k in leaders_q))

    def _per_leader_pool(self, pv: PoolVars) -> None:
        """Each leader's copy has an explicit size; pinned and tracked clients go to theirs."""
        model = self.model
        stype = pv.stype
        inst = self.instance
        tag = f"{pv.pool.type_id}@{pv.pool.day}{pv.pool.start}"
        cap = min(stype.size_max or len(pv.clients), pv.most_seats)
        free_clients: list[BoolVar] = []
        pinned_to: dict[str, list[BoolVar]] = defaultdict(list)
        tracked_to: dict[str, list[BoolVar]] = defaultdict(list)
        tracked = {c for c, _ in pv.client_leader}
        for c, literal in pv.clients.items():
            leader = inst.client_by_id[c].assigned_clinicians.get(stype.id)
            if leader is not None:
                pinned_to[leader].append(literal)
            elif c in tracked:
                model.add(sum(pv.client_leader[(c, k)] for k in pv.leaders) == literal)
            else:
                free_clients.append(literal)
        for (_, k), literal in pv.client_leader.items():
            tracked_to[k].append(literal)
        free_sizes = []
        for k, leads in pv.leaders.items():
            size = model.new_int_var(0, cap, f"size[{k},{tag}]")
            free = model.new_int_var(0, cap, f"free[{k},{tag}]")
            pv.leader_sizes[k] = size
            free_sizes.append(free)
            model.add(size == sum(pinned_to[k]) + sum(tracked_to[k]) + free)
            model.add(size >= stype.size_min * leads).only_enforce_if(
                self._guard(f"size:{stype.id}")
            )
            model.add(size <= cap * leads)
        model.add(sum(free_sizes) == sum(free_clients))
        if not pv.rooms:
            return
        model.add(sum(pv.rooms.values()) == pv.copies())
        # Copies must fit the rooms they get. Rooms nest by seats, so it is enough that for
        # each seat count, copies larger than it are no more than rooms larger than it.
        for seats in sorted(set(pv.room_seats.values()))[:-1]:
            larger_rooms = [z for r, z in pv.rooms.items() if pv.room_seats[r] > seats]
            is_larger = []
            for k, size in pv.leader_sizes.items():
                big = model.new_bool_var(f"over{seats}[{k},{tag}]")
                model.add(size <= seats).only_enforce_if(big.Not())
                is_larger.append(big)
            model.add(sum(is_larger) <= sum(larger_rooms))

    def _fixed_sessions(self) -> None:
        """Rule 9: fixed sessions run as booked, with room for their listed clients."""
        inst = self.instance
        model = self.model
        for fv in self.vars.fixed:
            copy = fv.copy
            stype = fv.stype
            for literal in fv.joiners.values():
                model.add_implication(literal, fv.runs)
            size = len(copy.listed) * fv.runs + sum(fv.joiners.values())
            model.add(size >= stype.size_min * fv.runs).only_enforce_if(
                self._guard(f"size:{stype.id}")
            )
            most = stype.size_max
            if copy.room is not None:
                capacity = inst.room_by_id[copy.room].capacity
                most = capacity if most is None else min(most, capacity)
            if most is not None:
                model.add(size <= most)
            problems = []
            clinician = inst.clinician_by_id[copy.clinician]
            if not covers(
                free_windows(clinician.availability, copy.day, inst.open, inst.close),
                copy.start,
                copy.end,
            ):
                problems.append(f"clinician {clinician.id} is not available")
            if copy.room is not None:
                room = inst.room_by_id[copy.room]
                if not covers(
                    free_windows(room.availability, copy.day, inst.open, inst.close),
                    copy.start,
                    copy.end,
                ):
                    problems.append(f"room {room.id} is not available")
            for c in copy.listed:
                client = inst.client_by_id[c]
                if not covers(
                    free_windows(client.availability, copy.day, inst.open, inst.close),
                    copy.start,
                    copy.end,
                ):
                    problems.append(f"client {c} is not available")
                assigned = client.assigned_clinicians.get(copy.type_id)
                if assigned is not None and assigned != copy.clinician:
                    problems.append(f"client {c} must see {assigned} for {copy.type_id}")
            if problems:
                self.infeasible_reasons.append(
                    f"fixed session {copy.index} ({copy.type_id} {copy.day}): "
                    + "; ".join(problems)
                )
                model.add_bool_or([]).only_enforce_if(fv.runs)  # no valid week keeps it

    def _no_overlap(self, items: Iterable[tuple[Day, int, int, BoolVar]]) -> None:
        """At most one of the overlapping items per maximal clique of a day's intervals."""
        for clique in overlap_cliques(items):
            self.model.add_at_most_one(clique)

    def _no_overlap_clinicians(self) -> None:
        """Rule 2: no clinician leads two overlapping sessions."""
        items: dict[str, list[tuple[Day, int, int, BoolVar]]] = defaultdict(list)
        for pv in self.vars.pools:
            for k, literal in pv.leaders.items():
                items[k].append((pv.pool.day, pv.pool.start, pv.pool.end, literal))
        for fv in self.vars.fixed:
            c = fv.copy
            items[c.clinician].append((c.day, c.start, c.end, fv.runs))
        for clinician_items in items.values():
            self._no_overlap(clinician_items)

    def _no_overlap_rooms(self) -> None:
        """Rule 3: no room holds two overlapping sessions."""
        items: dict[str, list[tuple[Day, int, int, BoolVar]]] = defaultdict(list)
        for pv in self.vars.pools:
            for r, literal in pv.rooms.items():
                items[r].append((pv.pool.day, pv.pool.start, pv.pool.end, literal))
        for fv in self.vars.fixed:
            c = fv.copy
            if c.room is not None:
                items[c.room].append((c.day, c.start, c.end, fv.runs))
        for room_items in items.values():
            self._no_overlap(room_items)

    def _no_overlap_clients(self) -> None:
        """Rule 4: no client attends two overlapping sessions."""
        for options in self.vars.attendances.values():
            self._no_overlap((a.day, a.start, a.end, a.literal) for a in options)

    def _clinician_hours(self) -> None:
        """Rule 2: clinicians stay within their daily and weekly hours."""
        inst = self.instance
        minutes: dict[tuple[str, Day], list[cp_model.LinearExprT]] = defaultdict(list)
        for pv in self.vars.pools:
            for k, literal in pv.leaders.items():
                minutes[(k, pv.pool.day)].append(pv.pool.duration * literal)
        for fv in self.vars.fixed:
            minutes[(fv.copy.clinician, fv.copy.day)].append(fv.copy.duration * fv.runs)
        for clinician in inst.clinicians:
            day_bound = clinician.max_hours_per_day
            week_bound = clinician.max_hours_per_week
            week_terms: list[cp_model.LinearExprT] = []
            for day in inst.days:
                terms = minutes.get((clinician.id, day), [])
                week_terms += terms
                if day_bound is not None and terms:
                    self.model.add(sum(terms) <= hours_to_minutes_floor(day_bound)).only_enforce_if(
                        self._guard(f"clinician_hours:{clinician.id}")
                    )
            if week_bound is not None and week_terms:
                self.model.add(
                    sum(week_terms) <= hours_to_minutes_floor(week_bound)
                ).only_enforce_if(self._guard(f"clinician_hours:{clinician.id}"))

    def _client_days(self) -> None:
        """Rule 7: hours, group sessions and distinct types on every day a client attends."""
        rules = self.instance.rules
        model = self.model
        min_day = hours_to_minutes_ceil(rules.min_hours_per_client_day)
        max_day = (
            None
            if rules.max_hours_per_client_day is None
            else hours_to_minutes_floor(rules.max_hours_per_client_day)
        )
        for client_id, options in self.vars.attendances.items():
            by_day: dict[Day, list[Attendance]] = defaultdict(list)
            for option in options:
                by_day[option.day].append(option)
            guard = self._guard(f"client_day:{client_id}")
            for day, day_options in by_day.items():
                attends = model.new_bool_var(f"day[{client_id},{day}]")
                minutes = sum(a.minutes * a.literal for a in day_options)
                self.vars.client_days[(client_id, day)] = ClientDayVars(attends, minutes)
                for option in day_options:
                    model.add_implication(option.literal, attends)
                model.add_bool_or([a.literal for a in day_options]).only_enforce_if(attends)
                if min_day > 0:
                    model.add(minutes >= min_day).only_enforce_if([attends, *guard])
                if max_day is not None:
                    model.add(minutes <= max_day).only_enforce_if(guard)
                groups = [a.literal for a in day_options if a.is_group]
                if rules.min_group_sessions_per_client_day > 0:
                    model.add(
                        sum(groups) >= rules.min_group_sessions_per_client_day
                    ).only_enforce_if([attends, *guard])
                by_type: dict[str, list[BoolVar]] = defaultdict(list)
                for option in day_options:
                    by_type[option.type_id].append(option.literal)
                for literals in by_type.values():
                    if len(literals) > rules.max_same_type_per_client_day:
                        model.add(
                            sum(literals) <= rules.max_same_type_per_client_day
                        ).only_enforce_if(guard)

    def _client_weeks(self) -> None:
        """Rule 6: required sessions, days and hours of each client's week."""
        inst = self.instance
        rules = inst.rules
        model = self.model
        min_week = hours_to_minutes_ceil(rules.min_hours_per_client_week)
        max_week = (
            None
            if rules.max_hours_per_client_week is None
            else hours_to_minutes_floor(rules.max_hours_per_client_week)
        )
        for client in inst.clients:
            options = self.vars.attendances.get(client.id, [])
            slack = ShortfallVars()
            if self.allow_shortfalls:
                self.vars.shortfalls[client.id] = slack
            day_literals = [
                v.attends for (c, _), v in self.vars.client_days.items() if c == client.id
            ]
            week_minutes = sum(a.minutes * a.literal for a in options)
            guard = self._guard(f"client_week:{client.id}")
            if self.allow_shortfalls:
                slack.days = model.new_int_var(
                    0, rules.min_days_per_client_week, f"short_days[{client.id}]"
                )
                slack.minutes = model.new_int_var(0, min_week, f"short_min[{client.id}]")
                model.add(sum(day_literals) + slack.days >= rules.min_days_per_client_week)
                model.add(week_minutes + slack.minutes >= min_week)
            else:
                model.add(sum(day_literals) >= rules.min_days_per_client_week).only_enforce_if(
                    guard
                )
                model.add(week_minutes >= min_week).only_enforce_if(guard)
            if max_week is not None:
                model.add(week_minutes <= max_week).only_enforce_if(guard)
            for type_id, count in client.requires.items():
                if count <= 0:
                    continue
                attended = sum(a.literal for a in options if a.type_id == type_id)
                if self.allow_shortfalls:
                    missing = model.new_int_var(0, count, f"short_req[{client.id},{type_id}]")
                    slack.requires[type_id] = missing
                    model.add(attended + missing >= count)
                else:
                    model.add(attended >= count).only_enforce_if(guard)

    def _client_disciplines(self) -> None:
        """Rule 6: each client's sessions are led by enough distinct disciplines."""
        need = self.instance.rules.min_disciplines_per_client_week
        if need <= 0:
            return
        model = self.model
        tracked = set(self._needy)
        if self.allow_shortfalls:
            tracked = {c.id for c in self.instance.clients}
        pools = self.vars.pools
        for client_id in sorted(tracked):
            sources: dict[str, list[BoolVar]] = defaultdict(list)
            for option in self.vars.attendances.get(client_id, []):
                if option.discipline is not None:
                    sources[option.discipline].append(option.literal)
                    continue
                pv = pools[option.pool]  # type: ignore[index]
                if pv.client_discipline:
                    for (c, q), literal in pv.client_discipline.items():
                        if c == client_id:
                            sources[q].append(literal)
                elif pv.client_leader and any(c == client_id for c, _ in pv.client_leader):
                    clinicians = self.instance.clinician_by_id
                    for (c, k), literal in pv.client_leader.items():
                        if c == client_id:
                            sources[clinicians[k].discipline].append(literal)
                else:
                    # Not tracked in this pool (shortfall mode only): counting the discipline
                    # of any possible leader keeps the model's shortfall a lower bound.
                    disciplines = {self.instance.clinician_by_id[k].discipline for k in pv.leaders}
                    for q in sorted(disciplines):
                        sources[q].append(option.literal)
            has = []
            for q, literals in sorted(sources.items()):
                literal = model.new_bool_var(f"disc[{client_id},{q}]")
                model.add_bool_or(literals).only_enforce_if(literal)
                self.vars.client_disciplines[(client_id, q)] = literal
                has.append(literal)
            if self.allow_shortfalls:
                slack = self.vars.shortfalls[client_id]
                slack.disciplines = model.new_int_var(0, need, f"short_disc[{client_id}]")
                model.add(sum(has) + slack.disciplines >= need)
            else:
                model.add(sum(has) >= need).only_enforce_if(self._guard(f"client_week:{client_id}"))

    def _program_day_disciplines(self) -> None:
        """Rule 8: on each day with sessions, enough disciplines lead."""
        inst = self.instance
        need = inst.rules.min_disciplines_per_day
        if need <= 1:
            return  # any session has a leader, so one discipline always leads
        model = self.model
        clinicians = inst.clinician_by_id
        for day in inst.days:
            leads: dict[str, list[BoolVar]] = defaultdict(list)
            for pv in self.vars.pools:
                if pv.pool.day == day:
                    for k, literal in pv.leaders.items():
                        leads[clinicians[k].discipline].append(literal)
            fixed_here = [fv for fv in self.vars.fixed if fv.copy.day == day]
            for fv in fixed_here:
                leads[clinicians[fv.copy.clinician].discipline].append(fv.runs)
            attends = [v.attends for (_, d), v in self.vars.client_days.items() if d == day]
            if not attends and not fixed_here:
                continue
            active = model.new_bool_var(f"active[{day}]")
            for literal in attends:
                model.add_implication(literal, active)
            for fv in fixed_here:
                model.add_implication(fv.runs, active)
            has = []
            for q, literals in sorted(leads.items()):
                literal = model.new_bool_var(f"day_disc[{day},{q}]")
                model.add_bool_or(literals).only_enforce_if(literal)
                has.append(literal)
            model.add(sum(has) >= need).only_enforce_if(
                [active, *self._guard(f"program_day:{day}")]
            )

    # -- objective -----------------------------------------------------------------------

    def _add_objective(self) -> None:
        """Minimise the weighted sum of the named penalty terms of SPEC section 5."""
        weights = self.instance.weights
        amounts = self.objective.amounts
        amounts["staff_minute"] = self._staff_minutes()
        amounts["client_idle_minute"] = self._idle_minutes(weights.client_idle_minute > 0)
        self._check_stop()  # the idle spans are the longest step of the build
        amounts["preference_miss"] = self._preference_misses()
        if self.previous is not None:
            amounts["change_from_previous"] = self._changes_from_previous()
        if self.allow_shortfalls:
            amounts["shortfall_minute"] = self._shortfall_amount()
        self.objective.weights = {name: getattr(weights, name) for name in amounts}
        self._objective_lower_bounds()
        # Any: OR-Tools' stubs cannot add sums of mixed expressions (numpy integer overloads).
        penalty: Any = sum(self.objective.weights[name] * expr for name, expr in amounts.items())
        stability, most = self._previous_bookings_lost()
        if most:
            # Lexicographic: the penalty first; among equal penalties, keep last week's
            # leaders and rooms (the SPEC term counts attendances only, so leader and room
            # swaps would otherwise be free and make re-plans noisy).
            self.objective_scale = most + 1
            self.model.minimize(self.objective_scale * penalty + stability)
        else:
            self.model.minimize(penalty)

    def _objective_lower_bounds(self) -> None:
        """Redundant bounds on staff minutes and preference misses, from seat demand.

        Valid for every timetable in which each client meets their week minimums (not in
        shortfall mode): a required individual session costs its minutes of staff time; each
        client needs min_days x min_groups group sessions, and a group copy seats at most
        its largest room's worth of clients, and no more than could attend it; the rest of
        the weekly hours go at best into the largest copies the client may attend. A
        client with fewer preferred days than required days misses at least min_groups
        sessions on each extra day. Computed here; `state_objective_bounds` adds them to
        the model, and `seat_demand_floor` is the penalty they prove.
        """
        if self.allow_shortfalls or self.explain or not self.settings.objective_bounds:
            return  # week minimums may fall short there, so these bounds do not hold
        self.staff_lower_bound, self.miss_lower_bound = objective_lower_bounds(self)

    @property
    def seat_demand_floor(self) -> int:
        """The lower bound on the penalty that the seat-demand bounds prove (0: none)."""
        weights = self.objective.weights
        staff = weights["staff_minute"] * self.staff_lower_bound
        misses = weights["preference_miss"] * self.miss_lower_bound
        return staff + misses

    def state_objective_bounds(self) -> None:
        """Add the seat-demand bounds to the model as constraints.

        The LP of a large model reaches them slowly, so stated they give the search a bound
        at once, and on the small sample they let the max-LP worker's branching raise it
        (4,394 -> 5,022). But they are two dense rows on the objective's terms, and the
        local search does better without them (benchmarks/stated_bounds.toml), so the
        solver states them only when the max-LP worker searches the whole run.
        """
        if self.staff_lower_bound > 0:
            self.model.add(self.objective.amounts["staff_minute"] >= self.staff_lower_bound)
        if self.miss_lower_bound > 0:
            self.model.add(self.objective.amounts["preference_miss"] >= self.miss_lower_bound)

    def _previous_bookings_lost(self) -> tuple[cp_model.LinearExprT, int]:
        """Previous (session, leader) and (session, room) bookings not kept, and their count."""
        if self.previous is None:
            return 0, 0
        by_key = {(pv.pool.type_id, pv.pool.day, pv.pool.start): pv for pv in self.vars.pools}
        lost: list[cp_model.LinearExprT] = []
        for session in self.previous.sessions:
            pv = by_key.get((session.type, session.day, session.start))
            if pv is None:
                continue
            if session.clinician in pv.leaders:
                lost.append(1 - pv.leaders[session.clinician])
            if session.room in pv.rooms:
                lost.append(1 - pv.rooms[session.room])
        return sum(lost), len(lost)

    def _staff_minutes(self) -> cp_model.LinearExprT:
        """Minutes of every session that runs."""
        pooled: Any = sum(pv.pool.duration * pv.copies() for pv in self.vars.pools)
        return pooled + sum(fv.copy.duration * fv.runs for fv in self.vars.fixed)

    def _idle_minutes(self, needed: bool) -> cp_model.LinearExprT:
        """Minutes between a client's first start and last end of a day spent in no session."""
        if not needed:
            return 0
        model = self.model
        total = []
        for client_id, options in self.vars.attendances.items():
            by_day: dict[Day, list[Attendance]] = defaultdict(list)
            for option in options:
                by_day[option.day].append(option)
            for day, day_options in by_day.items():
                starts = [a.start for a in day_options]
                ends = [a.end for a in day_options]
                longest = max(ends) - min(starts)
                if longest <= min(a.minutes for a in day_options):
                    continue  # every choice of sessions leaves no gap
                day_vars = self.vars.client_days[(client_id, day)]
                tag = f"{client_id},{day}"
                first = model.new_int_var(min(starts), max(starts), f"first[{tag}]")
                last = model.new_int_var(min(ends), max(ends), f"last[{tag}]")
                for option in day_options:
                    model.add(first <= option.start).only_enforce_if(option.literal)
                    model.add(last >= option.end).only_enforce_if(option.literal)
                idle = model.new_int_var(0, longest, f"idle[{tag}]")
                span: Any = last - first
                model.add(idle >= span - day_vars.minutes).only_enforce_if(day_vars.attends)
                day_vars.idle = idle
                total.append(idle)
        return sum(total)

    def _preference_misses(self) -> cp_model.LinearExprT:
        """Client sessions outside the preferred days or window (one miss per session)."""
        total: list[cp_model.LinearExprT] = []
        for client in self.instance.clients:
            for option in self.vars.attendances.get(client.id, []):
                if preference_missed(
                    client.preferred_days,
                    client.preferred_window,
                    option.day,
                    option.start,
                    option.end,
                ):
                    total.append(option.literal)
        return sum(total)

    def _changes_from_previous(self) -> cp_model.LinearExprT:
        """Attendances (client, type, day, start) of the previous timetable not kept."""
        assert self.previous is not None
        kept: dict[tuple[str, str, str, int], list[BoolVar]] = defaultdict(list)
        for client_id, options in self.vars.attendances.items():
            for a in options:
                kept[(client_id, a.type_id, a.day, a.start)].append(a.literal)
        total: list[cp_model.LinearExprT] = []
        for key in previous_attendances(self.previous):
            total.append(1 - sum(kept.get(key, [])))
        return sum(total)

    def _shortfall_amount(self) -> cp_model.LinearExprT:
        """Minutes short of the weekly hours, plus 60 per missing day, session, discipline."""
        total: list[cp_model.LinearExprT] = []
        for slack in self.vars.shortfalls.values():
            if slack.minutes is not None:
                total.append(slack.minutes)
            units = [v for v in (slack.days, slack.disciplines) if v is not None]
            units += list(slack.requires.values())
            total.append(SHORTFALL_UNIT * sum(units))
        return sum(total)

    # -- hints ---------------------------------------------------------------------------

    def hint_values(self, timetable: Timetable) -> dict[int, int]:
        """Values of the leader, room and attendance variables that spell out a timetable.

        Keyed by variable index. Sessions that match no pool (another week's timetable, say)
        are skipped; every other pool, leader, room and client gets 0.
        """
        by_key = {(pv.pool.type_id, pv.pool.day, pv.pool.start): pv for pv in self.vars.pools}
        used: dict[int, tuple[set[str], set[str], set[str]]] = {}
        for session in timetable.sessions:
            pv = by_key.get((session.type, session.day, session.start))
            if pv is None:
                continue
            leaders, rooms, clients = used.setdefault(pv.pool.index, (set(), set(), set()))
            if session.clinician in pv.leaders:
                leaders.add(session.clinician)
            if session.room in pv.rooms:
                rooms.add(session.room)
            clients.update(c for c in session.clients if c in pv.clients)
        values: dict[int, int] = {}
        for pv in self.vars.pools:
            leaders, rooms, clients = used.get(pv.pool.index, (set(), set(), set()))
            for k, literal in pv.leaders.items():
                values[literal.index] = int(k in leaders)
            for r, literal in pv.rooms.items():
                values[literal.index] = int(r in rooms)
            for c, literal in pv.clients.items():
                values[literal.index] = int(c in clients)
        joined = {(s.type, s.day, s.start, c) for s in timetable.sessions for c in s.clients}
        for fv in self.vars.fixed:
            for c, literal in fv.joiners.items():
                key = (fv.copy.type_id, fv.copy.day, fv.copy.start, c)
                values[literal.index] = int(key in joined)
        return values

    def add_hint(
        self, timetable: Timetable, *, complete_seconds: float = 0.0, deterministic: bool = False
    ) -> bool:
        """Hint the search with a timetable; returns whether the hint is a complete solution.

        With ``complete_seconds``, the other variables (days attended, idle spans,
        disciplines, per-leader sizes) are filled in by a quick solve of a copy of the model
        with the timetable's choices fixed, so that CP-SAT starts from a whole solution
        rather than an incomplete hint it may not follow.
        """
        values = self.hint_values(timetable)
        if complete_seconds > 0:
            completed = self._complete(values, complete_seconds, deterministic)
            if completed is not None:
                values = completed
        self.set_hint(values)
        return len(values) == len(self.model.proto.variables)

    def set_hint(self, values: dict[int, int]) -> None:
        """Replace the solution hint by these values, keyed by variable index."""
        self.model.clear_hints()
        hint = self.model.proto.solution_hint
        hint.vars.extend(list(values))
        hint.values.extend(list(values.values()))

    def _complete(
        self, values: dict[int, int], seconds: float, deterministic: bool = False
    ) -> dict[int, int] | None:
        """Every variable's value in a solution that keeps the given values, if one is found."""
        copy = self.model.clone()
        copy.clear_hints()
        for index, value in values.items():
            var = copy.get_int_var_from_proto_index(index)
            copy.add(var == value)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        if deterministic:  # stop on work done, not on the clock
            solver.parameters.max_time_in_seconds = 10 * seconds
            solver.parameters.max_deterministic_time = seconds
        solver.parameters.num_workers = 1
        solver.parameters.stop_after_first_solution = True
        # Ctrl-C here is for the caller (solve.py) to see, not for this helper solve.
        solver.parameters.catch_sigint_signal = False
        code = solver.solve(copy)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return {
            index: solver.value(copy.get_int_var_from_proto_index(index))
            for index in range(len(self.model.proto.variables))
        }


def objective_lower_bounds(tm: TimetableModel) -> tuple[int, int]:
    """Lower bounds on staff minutes and preference misses (see `_objective_lower_bounds`)."""
    from fractions import Fraction
    from math import ceil

    inst = tm.instance
    rules = inst.rules
    min_week = hours_to_minutes_ceil(rules.min_hours_per_client_week)
    group_days = rules.min_days_per_client_week * rules.min_group_sessions_per_client_day
    staff = Fraction(0)
    misses = 0
    seats_of = {pv.pool.index: pv.most_attendees for pv in tm.vars.pools}
    fixed_seats: dict[int, int] = {}
    for fv in tm.vars.fixed:
        most = len(fv.copy.listed) + len(fv.copy.joiners)
        if fv.stype.size_max is not None:
            most = min(most, fv.stype.size_max)
        if fv.copy.room is not None:
            most = min(most, inst.room_by_id[fv.copy.room].capacity)
        fixed_seats[fv.copy.index] = max(most, 1)

    def seats(option: Attendance) -> int:
        """Most clients one copy of this option can seat (a pool's or a booked session's)."""
        if option.pool is not None:
            return seats_of[option.pool]
        return fixed_seats[option.fixed]  # type: ignore[index]

    for client in inst.clients:
        options = tm.vars.attendances.get(client.id, [])
        if not options:
            continue
        individual = sum(
            count * inst.type_by_id[t].duration_minutes
            for t, count in client.requires.items()
            if inst.type_by_id[t].kind == "individual" and count > 0
        )
        group_seats = [seats(a) for a in options if a.is_group]
        group_minutes = [a.minutes for a in options if a.is_group]
        shared_seats = [
            seats(a) for a in options if inst.type_by_id[a.type_id].kind != "individual"
        ]
        need_groups = group_days * min(group_minutes) if group_minutes else 0
        staff += individual
        if group_seats:
            staff += Fraction(need_groups, max(group_seats))
        rest = max(0, min_week - individual - need_groups)
        if rest and shared_seats:
            staff += Fraction(rest, max(max(shared_seats), 1))
        elif rest:
            staff += rest  # only individual sessions left: one staff minute per client minute
        if client.preferred_days and rules.min_days_per_client_week > 0:
            usable_preferred = {a.day for a in options if a.day in client.preferred_days}
            extra_days = rules.min_days_per_client_week - len(usable_preferred)
            if extra_days > 0:
                misses += extra_days * max(1, rules.min_group_sessions_per_client_day)
    return ceil(staff), misses


def preference_missed(
    preferred_days: list[Day],
    preferred_window: tuple[int, int] | None,
    day: Day,
    start: int,
    end: int,
) -> bool:
    """Whether a session misses a client's preferred days or window (SPEC 9.10)."""
    if preferred_days and day not in preferred_days:
        return True
    if preferred_window is not None:
        lo, hi = preferred_window
        return not (lo <= start and end <= hi)
    return False


def previous_attendances(previous: Timetable) -> set[tuple[str, str, str, int]]:
    """Every (client, type, day, start) attendance of a previous timetable."""
    return {(c, s.type, s.day, s.start) for s in previous.sessions for c in s.clients}


def overlap_cliques(items: Iterable[tuple[Day, int, int, T]]) -> Iterator[list[T]]:
    """The maximal cliques of more than one item among each day's overlapping intervals."""
    by_day: dict[Day, list[tuple[int, int, T]]] = defaultdict(list)
    for day, start, end, item in items:
        by_day[day].append((start, end, item))
    for day_items in by_day.values():
        for clique in _interval_cliques(day_items):
            if len(clique) > 1:
                yield clique


def _interval_cliques(items: list[tuple[int, int, T]]) -> list[list[T]]:
    """Maximal sets of mutually overlapping intervals (interval graphs: one per start point).

    The set active at a start point is maximal unless the next start point comes before the
    first of its intervals ends, in which case the next set contains it.
    """
    starts = sorted({start for start, _, _ in items})
    cliques: list[list[T]] = []
    for position, point in enumerate(starts):
        active = [(s, e, lit) for s, e, lit in items if s <= point < e]
        if not active:
            continue
        next_start = starts[position + 1] if position + 1 < len(starts) else None
        if next_start is not None and next_start < min(e for _, e, _ in active):
            continue
        cliques.append([lit for _, _, lit in active])
    return cliques
