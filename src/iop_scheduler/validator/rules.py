"""The rules of SPEC section 4, checked on a finished timetable.

Written apart from the CP-SAT model on purpose: it imports only the domain model, so a bug in
the model cannot hide itself here. Each rule family is one function that yields
`Violation`s naming the rule and who is involved.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction

from ..domain import Availability, Instance, ScheduledSession, Shortfall, Timetable
from ..errors import InputError
from ..times import format_hhmm


@dataclass(frozen=True)
class Violation:
    """One broken rule, naming the sessions, clients, clinicians, rooms or days involved."""

    rule: str
    message: str
    sessions: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    clinicians: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()
    days: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


@dataclass
class _Week:
    """Indexes of a timetable used by several rules."""

    instance: Instance
    sessions: list[ScheduledSession]
    by_client: dict[str, list[ScheduledSession]] = field(default_factory=dict)


def check_references(instance: Instance, timetable: Timetable, *, file: str | None = None) -> None:
    """Raise `InputError` when a session names a type, clinician, room or client not in the week."""
    for index, s in enumerate(timetable.sessions):
        where = f"sessions[{index}] ({s.id})"
        if s.type not in instance.type_by_id:
            raise InputError(f"{where}.type: unknown session type '{s.type}'", file=file)
        if s.clinician is not None and s.clinician not in instance.clinician_by_id:
            raise InputError(f"{where}.clinician: unknown clinician '{s.clinician}'", file=file)
        if s.room is not None and s.room not in instance.room_by_id:
            raise InputError(f"{where}.room: unknown room '{s.room}'", file=file)
        for c in s.clients:
            if c not in instance.client_by_id:
                raise InputError(f"{where}.clients: unknown client '{c}'", file=file)
    for index, entry in enumerate(timetable.shortfalls):
        if entry.client not in instance.client_by_id:
            raise InputError(
                f"shortfalls[{index}].client: unknown client '{entry.client}'", file=file
            )


def _minutes(hours: float) -> Fraction:
    return Fraction(str(hours)) * 60


def _available(avail: Availability | None, instance: Instance, s: ScheduledSession) -> bool:
    """Whether an availability covers the whole session (touching windows merge).

    Every availability lies within program hours on program days (SPEC 2: a missing one
    means exactly that), so a session outside them is nobody's available time.
    """
    if s.day not in instance.days or s.start < instance.open or s.end > instance.close:
        return False
    if avail is None:
        return True
    windows = sorted(avail.get(s.day, []))
    reach = None
    for start, end in windows:
        if reach is not None and start <= reach[1]:
            reach = (reach[0], max(reach[1], end))
        else:
            reach = (start, end)
        if reach[0] <= s.start and s.end <= reach[1]:
            return True
    return False


def _overlapping(
    items: list[ScheduledSession],
) -> Iterator[tuple[ScheduledSession, ScheduledSession]]:
    ordered = sorted(items, key=lambda s: (s.day, s.start, s.end, s.id))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.day != a.day or b.start >= a.end:
                break
            yield a, b


def check_grid(week: _Week) -> Iterator[Violation]:
    """Rule 1: on the grid, inside program hours on a program day, of the type's length."""
    inst = week.instance
    for s in week.sessions:
        stype = inst.type_by_id[s.type]
        if s.day not in inst.days:
            yield Violation(
                "grid",
                f"session {s.id} is on {s.day}, not a program day",
                sessions=(s.id,),
                days=(s.day,),
            )
        if s.start % inst.slot_minutes or s.end % inst.slot_minutes:
            yield Violation(
                "grid",
                f"session {s.id} ({format_hhmm(s.start)}-{format_hhmm(s.end)}) "
                f"is off the {inst.slot_minutes}-minute grid",
                sessions=(s.id,),
            )
        if s.start < inst.open or s.end > inst.close:
            yield Violation(
                "grid",
                f"session {s.id} ({format_hhmm(s.start)}-{format_hhmm(s.end)}) "
                f"is outside program hours {format_hhmm(inst.open)}-"
                f"{format_hhmm(inst.close)}",
                sessions=(s.id,),
            )
        if s.end - s.start != stype.duration_minutes:
            yield Violation(
                "grid",
                f"session {s.id} lasts {s.end - s.start} minutes, "
                f"{s.type} lasts {stype.duration_minutes}",
                sessions=(s.id,),
            )


def check_leaders(week: _Week) -> Iterator[Violation]:
    """Rule 2: one allowed, available leader; no double booking; hours within bounds."""
    inst = week.instance
    led: dict[str, list[ScheduledSession]] = defaultdict(list)
    for s in week.sessions:
        if s.clinician is None:
            yield Violation("leader", f"session {s.id} has no leader", sessions=(s.id,))
            continue
        stype = inst.type_by_id[s.type]
        clin = inst.clinician_by_id[s.clinician]
        led[clin.id].append(s)
        if clin.discipline not in stype.disciplines:
            yield Violation(
                "leader",
                f"{clin.id} ({clin.discipline}) may not lead {s.type} session {s.id}",
                sessions=(s.id,),
                clinicians=(clin.id,),
            )
        if clin.qualified_for is not None and s.type not in clin.qualified_for:
            yield Violation(
                "leader",
                f"{clin.id} is not qualified for {s.type} (session {s.id})",
                sessions=(s.id,),
                clinicians=(clin.id,),
            )
        if not _available(clin.availability, inst, s):
            yield Violation(
                "leader",
                f"{clin.id} is not available for session {s.id} on {s.day} "
                f"{format_hhmm(s.start)}-{format_hhmm(s.end)}",
                sessions=(s.id,),
                clinicians=(clin.id,),
                days=(s.day,),
            )
    for clin_id, items in led.items():
        for a, b in _overlapping(items):
            yield Violation(
                "leader_overlap",
                f"{clin_id} leads overlapping sessions {a.id} and {b.id} on {a.day}",
                sessions=(a.id, b.id),
                clinicians=(clin_id,),
                days=(a.day,),
            )
        clin = inst.clinician_by_id[clin_id]
        per_day: dict[str, int] = defaultdict(int)
        for s in items:
            per_day[s.day] += s.end - s.start
        if clin.max_hours_per_day is not None:
            for day, minutes in per_day.items():
                if minutes > _minutes(clin.max_hours_per_day):
                    yield Violation(
                        "clinician_hours",
                        f"{clin_id} leads {minutes / 60:g} h on "
                        f"{day}, above max_hours_per_day {clin.max_hours_per_day:g}",
                        clinicians=(clin_id,),
                        days=(day,),
                    )
        total = sum(per_day.values())
        if clin.max_hours_per_week is not None and total > _minutes(clin.max_hours_per_week):
            yield Violation(
                "clinician_hours",
                f"{clin_id} leads {total / 60:g} h this week, above "
                f"max_hours_per_week {clin.max_hours_per_week:g}",
                clinicians=(clin_id,),
            )


def check_rooms(week: _Week) -> Iterator[Violation]:
    """Rule 3: a room of an allowed kind, available, large enough, never double-booked."""
    inst = week.instance
    held: dict[str, list[ScheduledSession]] = defaultdict(list)
    for s in week.sessions:
        stype = inst.type_by_id[s.type]
        if not stype.room_kinds:
            if s.room is not None:
                yield Violation(
                    "room",
                    f"session {s.id} ({s.type}) takes no room but is in {s.room}",
                    sessions=(s.id,),
                    rooms=(s.room,),
                )
                # Where it is put, it takes the room from another session all the same.
                held[s.room].append(s)
            continue
        if s.room is None:
            yield Violation("room", f"session {s.id} ({s.type}) has no room", sessions=(s.id,))
            continue
        room = inst.room_by_id[s.room]
        held[room.id].append(s)
        if room.kind not in stype.room_kinds:
            yield Violation(
                "room",
                f"session {s.id} ({s.type}) is in {room.id}, a {room.kind}; "
                f"it needs {', '.join(stype.room_kinds)}",
                sessions=(s.id,),
                rooms=(room.id,),
            )
        if not _available(room.availability, inst, s):
            yield Violation(
                "room",
                f"room {room.id} is not available for session {s.id} on "
                f"{s.day} {format_hhmm(s.start)}-{format_hhmm(s.end)}",
                sessions=(s.id,),
                rooms=(room.id,),
                days=(s.day,),
            )
        if len(s.clients) > room.capacity:
            yield Violation(
                "capacity",
                f"session {s.id} has {len(s.clients)} clients in {room.id} "
                f"(capacity {room.capacity})",
                sessions=(s.id,),
                rooms=(room.id,),
            )
    for room_id, items in held.items():
        for a, b in _overlapping(items):
            yield Violation(
                "room_overlap",
                f"room {room_id} holds overlapping sessions {a.id} and {b.id} on {a.day}",
                sessions=(a.id, b.id),
                rooms=(room_id,),
                days=(a.day,),
            )


def check_attendees(week: _Week) -> Iterator[Violation]:
    """Rule 4: sizes, tracks, availability, no overlaps, nobody listed twice."""
    inst = week.instance
    for s in week.sessions:
        stype = inst.type_by_id[s.type]
        size = len(s.clients)
        if len(set(s.clients)) != size:
            twice = sorted({c for c in s.clients if s.clients.count(c) > 1})
            yield Violation(
                "attendees",
                f"session {s.id} lists {', '.join(twice)} twice",
                sessions=(s.id,),
                clients=tuple(twice),
            )
        if stype.kind == "individual":
            if size != 1:
                yield Violation(
                    "attendees",
                    f"individual session {s.id} has {size} clients, not exactly one",
                    sessions=(s.id,),
                    clients=tuple(s.clients),
                )
        else:
            least = stype.min_size if stype.min_size is not None else 1
            if size < least:
                yield Violation(
                    "attendees",
                    f"session {s.id} ({s.type}) has {size} clients, fewer than min_size {least}",
                    sessions=(s.id,),
                )
            if stype.max_size is not None and size > stype.max_size:
                yield Violation(
                    "attendees",
                    f"session {s.id} ({s.type}) has {size} clients, "
                    f"more than max_size {stype.max_size}",
                    sessions=(s.id,),
                )
        unavailable: list[str] = []
        for c in dict.fromkeys(s.clients):
            client = inst.client_by_id[c]
            if stype.tracks and client.track not in stype.tracks:
                yield Violation(
                    "attendees",
                    f"{c} (track {client.track}) may not attend {s.type} session {s.id}",
                    sessions=(s.id,),
                    clients=(c,),
                )
            if not _available(client.availability, inst, s):
                unavailable.append(c)
        if unavailable:
            # One entry per session: a session moved out of hours would list every attendee.
            who = (
                f"{unavailable[0]} is"
                if len(unavailable) == 1
                else f"{len(unavailable)} clients ({', '.join(unavailable)}) are"
            )
            yield Violation(
                "attendees",
                f"{who} not available for session {s.id} on {s.day} "
                f"{format_hhmm(s.start)}-{format_hhmm(s.end)}",
                sessions=(s.id,),
                clients=tuple(unavailable),
                days=(s.day,),
            )
    for c, items in week.by_client.items():
        for a, b in _overlapping(items):
            yield Violation(
                "client_overlap",
                f"{c} attends overlapping sessions {a.id} and {b.id} on {a.day}",
                sessions=(a.id, b.id),
                clients=(c,),
                days=(a.day,),
            )


def check_assignments(week: _Week) -> Iterator[Violation]:
    """Rule 5: a client's assigned clinician leads every session of that type they attend."""
    inst = week.instance
    for c, items in week.by_client.items():
        assigned = inst.client_by_id[c].assigned_clinicians
        for s in items:
            wanted = assigned.get(s.type)
            if wanted is not None and s.clinician != wanted:
                yield Violation(
                    "assignment",
                    f"{c} must see {wanted} for {s.type}, but session "
                    f"{s.id} is led by {s.clinician}",
                    sessions=(s.id,),
                    clients=(c,),
                    clinicians=(wanted,),
                )


def real_shortfalls(week: _Week) -> list[tuple[str, str, float, float]]:
    """Every unmet client week minimum as (client, rule, required, scheduled)."""
    inst = week.instance
    rules = inst.rules
    found: list[tuple[str, str, float, float]] = []
    for client in inst.clients:
        items = week.by_client.get(client.id, [])
        days = {s.day for s in items}
        minutes = sum(s.end - s.start for s in items)
        disciplines = {inst.clinician_by_id[s.clinician].discipline for s in items if s.clinician}
        if len(days) < rules.min_days_per_client_week:
            found.append(
                (client.id, "min_days_per_client_week", rules.min_days_per_client_week, len(days))
            )
        if minutes < _minutes(rules.min_hours_per_client_week):
            found.append(
                (
                    client.id,
                    "min_hours_per_client_week",
                    rules.min_hours_per_client_week,
                    minutes / 60,
                )
            )
        if len(disciplines) < rules.min_disciplines_per_client_week:
            found.append(
                (
                    client.id,
                    "min_disciplines_per_client_week",
                    rules.min_disciplines_per_client_week,
                    len(disciplines),
                )
            )
        for type_id, count in client.requires.items():
            got = sum(1 for s in items if s.type == type_id)
            if got < count:
                found.append((client.id, f"requires:{type_id}", count, got))
    return found


_WEEK_WORDS = {
    "min_days_per_client_week": "attends on {got:g} day(s), the program requires {need:g}",
    "min_hours_per_client_week": "attends {got:g} h, the program requires {need:g} h",
    "min_disciplines_per_client_week": "sees {got:g} discipline(s), the program requires {need:g}",
}


def check_client_weeks(week: _Week, allow_shortfalls: bool) -> Iterator[Violation]:
    """Rule 6: required sessions, days, hours and disciplines of each client's week."""
    inst = week.instance
    rules = inst.rules
    if not allow_shortfalls:
        for c, rule, need, got in real_shortfalls(week):
            if rule.startswith("requires:"):
                message = f"{c} attends {got:g} {rule[9:]} session(s), requires {need:g}"
            else:
                message = f"{c} {_WEEK_WORDS[rule].format(got=got, need=need)}"
            yield Violation(rule, message, clients=(c,))
    if rules.max_hours_per_client_week is not None:
        for c, items in week.by_client.items():
            minutes = sum(s.end - s.start for s in items)
            if minutes > _minutes(rules.max_hours_per_client_week):
                yield Violation(
                    "max_hours_per_client_week",
                    f"{c} attends {minutes / 60:g} h, "
                    f"above the {rules.max_hours_per_client_week:g} h maximum",
                    clients=(c,),
                )


def check_client_days(week: _Week) -> Iterator[Violation]:
    """Rule 7: hours, group sessions and distinct types on each day a client attends."""
    inst = week.instance
    rules = inst.rules
    for c, items in week.by_client.items():
        per_day: dict[str, list[ScheduledSession]] = defaultdict(list)
        for s in items:
            per_day[s.day].append(s)
        for day, day_items in per_day.items():
            minutes = sum(s.end - s.start for s in day_items)
            if minutes < _minutes(rules.min_hours_per_client_day):
                yield Violation(
                    "min_hours_per_client_day",
                    f"{c} attends {minutes / 60:g} h on "
                    f"{day}, below the {rules.min_hours_per_client_day:g} h minimum",
                    clients=(c,),
                    days=(day,),
                )
            if rules.max_hours_per_client_day is not None and minutes > _minutes(
                rules.max_hours_per_client_day
            ):
                yield Violation(
                    "max_hours_per_client_day",
                    f"{c} attends {minutes / 60:g} h on "
                    f"{day}, above the {rules.max_hours_per_client_day:g} h maximum",
                    clients=(c,),
                    days=(day,),
                )
            groups = sum(1 for s in day_items if inst.type_by_id[s.type].kind == "group")
            if groups < rules.min_group_sessions_per_client_day:
                yield Violation(
                    "min_group_sessions_per_client_day",
                    f"{c} has {groups} group "
                    f"session(s) on {day}, the program requires "
                    f"{rules.min_group_sessions_per_client_day}",
                    clients=(c,),
                    days=(day,),
                )
            per_type: dict[str, int] = defaultdict(int)
            for s in day_items:
                per_type[s.type] += 1
            for type_id, count in per_type.items():
                if count > rules.max_same_type_per_client_day:
                    yield Violation(
                        "max_same_type_per_client_day",
                        f"{c} attends {count} {type_id} "
                        f"sessions on {day}, at most "
                        f"{rules.max_same_type_per_client_day} allowed",
                        clients=(c,),
                        days=(day,),
                    )


def check_program_days(week: _Week) -> Iterator[Violation]:
    """Rule 8: on each day with sessions, enough disciplines lead."""
    inst = week.instance
    need = inst.rules.min_disciplines_per_day
    per_day: dict[str, set[str]] = defaultdict(set)
    for s in week.sessions:
        per_day.setdefault(s.day, set())
        if s.clinician is not None:
            per_day[s.day].add(inst.clinician_by_id[s.clinician].discipline)
    for day, disciplines in per_day.items():
        if len(disciplines) < need:
            yield Violation(
                "min_disciplines_per_day",
                f"on {day} sessions are led by "
                f"{len(disciplines)} discipline(s) ({', '.join(sorted(disciplines))}), "
                f"the program requires {need}",
                days=(day,),
            )


def _match_bookings(week: _Week) -> dict[int, ScheduledSession]:
    """Pair each fixed booking with its own session, as many as possible.

    A session answers a booking of its type, day, start, leader and room; one session
    answers one booking, even of two alike. Bookings whose listed clients all attend are
    matched first, so that a missing client is reported only when no pairing avoids it.
    """
    bookings = week.instance.fixed_sessions
    alike = {
        index: [
            s
            for s in week.sessions
            if (s.type, s.day, s.start, s.clinician, s.room)
            == (b.type, b.day, b.start, b.clinician, b.room)
        ]
        for index, b in enumerate(bookings)
    }
    owner: dict[int, int] = {}  # id(session) -> booking index

    def assign(index: int, loose: int | None, seen: set[int]) -> bool:
        # Kuhn's augmenting path: take a free session, or move its owner to another. Every
        # booking but ``loose`` takes only sessions holding all its listed clients.
        for s in alike[index]:
            fits = index == loose or set(bookings[index].clients) <= set(s.clients)
            if id(s) in seen or not fits:
                continue
            seen.add(id(s))
            if id(s) not in owner or assign(owner[id(s)], loose, seen):
                owner[id(s)] = index
                return True
        return False

    for index in alike:
        assign(index, None, set())
    matched = set(owner.values())
    for index in alike:
        if index not in matched:
            # It may take any alike session; the others keep holding their clients.
            assign(index, index, set())
    by_id = {id(s): s for s in week.sessions}
    return {index: by_id[sid] for sid, index in owner.items()}


def check_fixed(week: _Week) -> Iterator[Violation]:
    """Rule 9: every fixed session is present as booked, with its listed clients."""
    inst = week.instance
    matched = _match_bookings(week)
    for index, booked in enumerate(inst.fixed_sessions):
        session = matched.get(index)
        if session is None:
            yield Violation(
                "fixed",
                f"fixed session {index} ({booked.type} {booked.day} "
                f"{format_hhmm(booked.start)} with {booked.clinician}) is missing",
                clinicians=(booked.clinician,),
                days=(booked.day,),
            )
            continue
        missing = [c for c in booked.clients if c not in session.clients]
        if missing:
            yield Violation(
                "fixed",
                f"fixed session {index} ({session.id}) is missing its booked "
                f"client(s) {', '.join(missing)}",
                sessions=(session.id,),
                clients=tuple(missing),
            )


def check_status(week: _Week, timetable: Timetable) -> Iterator[Violation]:
    """SPEC 9.14: fields consistent with the status."""
    if timetable.status in ("infeasible", "unknown"):
        if timetable.sessions or timetable.shortfalls:
            yield Violation(
                "status", f"status {timetable.status} but sessions or shortfalls are listed"
            )
        if timetable.penalty is not None or timetable.bound is not None:
            yield Violation("status", f"status {timetable.status} but penalty or bound is set")
        return
    # A feasible file may leave its penalty out (a hand-made week: the validator computes
    # it, docs/spec-notes.md); "optimal" is a claim that needs both numbers to hold.
    if (
        timetable.bound is not None
        and timetable.penalty is not None
        and timetable.bound > timetable.penalty
    ):
        yield Violation("status", f"bound {timetable.bound} is above penalty {timetable.penalty}")
    if timetable.status == "optimal" and (
        timetable.bound is None or timetable.bound != timetable.penalty
    ):
        yield Violation(
            "status",
            f"status optimal but the bound ({_declared(timetable.bound)}) is not "
            f"the penalty ({_declared(timetable.penalty)})",
        )


def _declared(value: int | None) -> str:
    return "not given" if value is None else str(value)


def check_session_ids(week: _Week, timetable: Timetable) -> Iterator[Violation]:
    """Each session's id names one session (a pasted copy keeps its original's id)."""
    ids = Counter(s.id for s in timetable.sessions)
    for session_id in sorted(i for i, n in ids.items() if n > 1):
        yield Violation(
            "session_ids",
            f"session id {session_id} is used by {ids[session_id]} sessions",
            sessions=(session_id,),
        )


def check_shortfalls(
    week: _Week, timetable: Timetable, allow_shortfalls: bool
) -> Iterator[Violation]:
    """SPEC section 6: listed shortfalls are exactly the real ones, and only when allowed."""
    listed = {(e.client, e.rule): (e.required, e.scheduled) for e in timetable.shortfalls}
    counted = Counter((e.client, e.rule) for e in timetable.shortfalls)
    for (client, rule), times in sorted(counted.items()):
        if times > 1:  # one entry per client and minimum: a second one would go unchecked
            yield Violation(
                "shortfalls",
                f"the shortfall of {rule} for {client} is listed {times} times",
                clients=(client,),
            )
    if not allow_shortfalls:
        if listed:
            yield Violation("shortfalls", "shortfalls are listed but were not allowed")
        return
    real = {(c, rule): (need, got) for c, rule, need, got in real_shortfalls(week)}
    for key in sorted(real.keys() - listed.keys()):
        need, got = real[key]
        yield Violation(
            "shortfalls",
            f"{key[0]} falls short of {key[1]} ({got:g} of {need:g}) but no shortfall is listed",
            clients=(key[0],),
        )
    for key in sorted(listed.keys() - real.keys()):
        yield Violation(
            "shortfalls",
            f"a shortfall of {key[1]} is listed for {key[0]}, who meets it",
            clients=(key[0],),
        )
    for key in sorted(listed.keys() & real.keys()):
        (need_l, got_l), (need_r, got_r) = listed[key], real[key]
        if abs(need_l - need_r) > 1e-6 or abs(got_l - got_r) > 1e-3:
            yield Violation(
                "shortfalls",
                f"the shortfall of {key[1]} for {key[0]} is listed as "
                f"{got_l:g} of {need_l:g}, it is {got_r:g} of {need_r:g}",
                clients=(key[0],),
            )


def shortfalls_allowed(timetable: Timetable) -> bool:
    """Whether a timetable was made in shortfall mode (its flag, else any listed shortfall)."""
    flag = (timetable.model_extra or {}).get("allow_shortfalls")
    return bool(flag) if flag is not None else bool(timetable.shortfalls)


def _week(instance: Instance, timetable: Timetable) -> _Week:
    """The sessions of the timetable, and each client's (a client listed twice, once)."""
    by_client: dict[str, list[ScheduledSession]] = defaultdict(list)
    for s in timetable.sessions:
        for c in dict.fromkeys(s.clients):
            by_client[c].append(s)
    return _Week(instance, list(timetable.sessions), dict(by_client))


def week_shortfalls(instance: Instance, timetable: Timetable) -> list[Shortfall]:
    """Every client week minimum the timetable's sessions fall short of, in client order.

    What the week's sessions come to, whatever the file lists (`report` printed the
    file's list, stale after a hand edit). Unknown ids raise `InputError`.
    """
    check_references(instance, timetable)
    return [
        Shortfall(client=client, rule=rule, required=need, scheduled=got)
        for client, rule, need, got in real_shortfalls(_week(instance, timetable))
    ]


#: The rules about a timetable file's header and lists, not about its sessions.
FILE_RULES = ("status", "shortfalls", "session_ids")


def sessions_fit(
    instance: Instance, timetable: Timetable, *, allow_shortfalls: bool | None = None
) -> bool:
    """Whether the timetable's sessions break no rule of ``instance`` (ids included).

    The file's own header and lists (`FILE_RULES`) do not count: a week to start a search
    from is judged by its sessions (a stale shortfall list set aside a valid one: review).
    """
    try:
        found = validate(instance, timetable, allow_shortfalls=allow_shortfalls)
    except InputError:
        return False  # it names a client, clinician, room or type the week does not have
    return all(v.rule in FILE_RULES for v in found)


def validate(
    instance: Instance, timetable: Timetable, *, allow_shortfalls: bool | None = None
) -> list[Violation]:
    """Every rule the timetable breaks; an empty list means it is valid.

    Sessions that name unknown types, clinicians, rooms or clients raise `InputError`.
    """
    check_references(instance, timetable)
    if allow_shortfalls is None:
        allow_shortfalls = shortfalls_allowed(timetable)
    week = _week(instance, timetable)
    found: list[Violation] = []
    found += check_status(week, timetable)
    if timetable.status in ("infeasible", "unknown"):
        return found
    found += check_session_ids(week, timetable)
    found += check_grid(week)
    found += check_leaders(week)
    found += check_rooms(week)
    found += check_attendees(week)
    found += check_assignments(week)
    found += check_client_weeks(week, allow_shortfalls)
    found += check_client_days(week)
    found += check_program_days(week)
    found += check_fixed(week)
    found += check_shortfalls(week, timetable, allow_shortfalls)
    return found
