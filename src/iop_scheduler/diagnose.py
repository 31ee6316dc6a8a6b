"""Pre-solve diagnosis: common reasons a clinic week cannot be scheduled, in plain words.

Every check here is a short proof: when it reports a problem, no valid timetable exists,
so `solve` can say "infeasible" and why in well under a second, before building a model.
When no check fires the week may still be infeasible; the model then explains it
(`cpsat.explain`). Nothing here imports OR-Tools.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from .candidates import (
    Candidates,
    build_candidates,
    can_lead,
    covers,
    free_windows,
    hours_to_minutes_ceil,
    hours_to_minutes_floor,
    merge_intervals,
    overlaps,
)
from .domain import Instance, Room, SessionType
from .times import DAY_NAMES, Day, day_index, format_hhmm, format_minutes
from .wording import plural


@dataclass(frozen=True)
class Finding:
    """One reason the week cannot be scheduled, naming the rule and who is involved."""

    rule: str
    message: str
    clients: tuple[str, ...] = ()
    clinicians: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()
    days: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        return self.message


def _hours(minutes: float) -> str:
    return format_minutes(minutes)


def _day_list(days: Sequence[str]) -> str:
    return ", ".join(DAY_NAMES[d] for d in days) if days else "no day"


def diagnose(
    instance: Instance, candidates: Candidates | None = None, *, allow_shortfalls: bool = False
) -> list[Finding]:
    """Every common reason this week is infeasible (empty: none found, not proof of feasibility).

    With ``allow_shortfalls`` only what shortfalls cannot absorb is reported: bookings that
    conflict or alone exceed their leader's hours (every week minimum may fall short, but
    fixed sessions must still run, within the clinicians' hours).
    """
    cands = candidates or build_candidates(instance)
    booked = _booked(instance)
    findings: list[Finding] = list(_fixed_conflicts(instance))
    findings += _booked_hours(instance, booked)
    if allow_shortfalls:
        return findings
    findings += _rule_contradictions(instance)
    reach = _reachable_minutes(cands)
    findings += _client_reach(instance, cands, reach)
    findings += _required_types(instance, cands, reach)
    findings += _client_disciplines(instance, cands)
    findings += _caseloads(instance, booked)
    findings += _program_days(instance, cands)
    findings += _group_seats(instance, cands)
    if not any(f.rule == "group_seats" for f in findings):
        findings += _weekly_group_seats(instance, cands)
    if findings:
        # Not a reason alone (a type nobody needs may never run), but where one is the
        # cause of the findings above it comes first: an operations walk-through saw 86
        # lines of "0 day(s)" and never the rooms smaller than the groups' min_size.
        findings[:0] = _rooms_too_small(instance)
    return _clients_alike_together(findings)


#: A finding's verb after "client ID", and its plural for several clients.
_PLURAL_VERBS = {"is": "are", "has": "have", "requires": "require"}
#: Names listed before "..." when many clients share a finding.
_NAMES_SHOWN = 10


def _clients_alike_together(findings: list[Finding]) -> list[Finding]:
    """One finding for the clients whose findings differ only in their id.

    A closed room or a psychiatrist's lost day strands many clients for one reason; one
    line per client buried the other reasons (40 alike lines on a 300-client clinic).
    The merged line sits where its first client's was.
    """
    alike: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        rest = _after_client(finding)
        if rest is not None:
            alike.setdefault((finding.rule, rest), []).append(finding)
    merged: list[Finding] = []
    for finding in findings:
        rest = _after_client(finding)
        if rest is None:
            merged.append(finding)
            continue
        group = alike.get((finding.rule, rest))
        if group is None:
            continue  # merged into the line of the group's first client
        del alike[(finding.rule, rest)]
        if len(group) == 1:
            merged.append(finding)
            continue
        verb, _, tail = rest.partition(" ")
        tail = tail.replace("the client's ", "the clients' ")
        ids = [f.clients[0] for f in group]
        names = ", ".join(ids[:_NAMES_SHOWN]) + ("..." if len(ids) > _NAMES_SHOWN else "")
        message = f"{len(ids)} clients ({names}) {_PLURAL_VERBS.get(verb, verb)} {tail}"
        merged.append(replace(finding, message=message, clients=tuple(ids)))
    return merged


def _after_client(finding: Finding) -> str | None:
    """A one-client finding's message after "client ID " (None: not of that shape)."""
    if len(finding.clients) != 1:
        return None
    prefix = f"client {finding.clients[0]} "
    if not finding.message.startswith(prefix):
        return None
    return finding.message[len(prefix) :]


def _rooms_too_small(inst: Instance) -> Iterator[Finding]:
    """Session types that can never run for want of a room, where that matters.

    A type with no room of its kinds, or none that seats its min_size, is named when a
    client requires it, or, for group types, when no group type can run at all while the
    rules want group sessions every day. A type nobody needs may well never run: naming
    it would only mislead (found by review).
    """
    roomless: dict[tuple[str, ...], list[str]] = defaultdict(list)  # kinds -> types
    too_small: list[tuple[str, Finding]] = []  # (type id, finding)
    cannot_run: set[str] = set()
    for stype in inst.session_types:
        if not stype.needs_room:
            continue
        rooms = [r for r in inst.rooms if r.kind in stype.room_kinds]
        if not rooms:
            roomless[tuple(stype.room_kinds)].append(stype.id)
            cannot_run.add(stype.id)
            continue
        reason = _rooms_below_min_size(stype, rooms)
        if reason:
            cannot_run.add(stype.id)
            finding = Finding(
                "room",
                f"no {stype.id} session can run: {reason}",
                rooms=tuple(r.id for r in rooms),
            )
            too_small.append((stype.id, finding))
    required = {t for c in inst.clients for t, count in c.requires.items() if count > 0}
    groups = {t.id for t in inst.session_types if t.kind == "group"}
    if inst.rules.min_group_sessions_per_client_day > 0 and groups <= cannot_run:
        required |= groups  # no group can run, and every day wants some
    yield from (finding for type_id, finding in too_small if type_id in required)
    for kinds, every_type in roomless.items():
        type_ids = [t for t in every_type if t in required]
        if not type_ids:
            continue
        types = " or ".join([", ".join(type_ids[:-1]), type_ids[-1]] if len(type_ids) > 1
                            else type_ids)  # fmt: skip
        they = "they need" if len(type_ids) > 1 else "it needs"
        yield Finding(
            "room",
            f"no {types} session can run: {they} a room of kind {' or '.join(kinds)} and "
            "the clinic has none",
        )


def _rooms_below_min_size(stype: SessionType, rooms: Sequence[Room]) -> str:
    """Why no room of ``rooms`` (not empty) holds a session of ``stype``, or ``""``."""
    largest = max(rooms, key=lambda r: r.capacity)
    if largest.capacity >= stype.size_min:
        return ""
    return (
        f"it needs at least {stype.size_min} clients (min_size), but its largest room "
        f"({largest.id}, {largest.kind}) seats {largest.capacity}"
    )


def _rule_contradictions(inst: Instance) -> Iterator[Finding]:
    """Rules that contradict each other for the clients enrolled."""
    rules = inst.rules
    if not inst.clients:
        return
    if rules.max_hours_per_client_week is not None and (
        hours_to_minutes_floor(rules.max_hours_per_client_week)
        < hours_to_minutes_ceil(rules.min_hours_per_client_week)
    ):
        yield Finding(
            "max_hours_per_client_week",
            (
                f"the rules ask for at least {rules.min_hours_per_client_week:g} h a week "
                f"but allow at most {rules.max_hours_per_client_week:g} h"
            ),
        )
    # A client must attend some day when any week minimum or required session asks for it.
    must_attend = [
        c.id
        for c in inst.clients
        if rules.min_days_per_client_week > 0
        or hours_to_minutes_ceil(rules.min_hours_per_client_week) > 0
        or rules.min_disciplines_per_client_week > 0
        or any(n > 0 for n in c.requires.values())
    ]
    if (
        must_attend
        and rules.max_hours_per_client_day is not None
        and (
            hours_to_minutes_floor(rules.max_hours_per_client_day)
            < hours_to_minutes_ceil(rules.min_hours_per_client_day)
        )
    ):
        yield Finding(
            "max_hours_per_client_day",
            (
                f"the rules ask for at least {rules.min_hours_per_client_day:g} h on each day "
                f"a client attends but allow at most {rules.max_hours_per_client_day:g} h, "
                f"and clients must attend ({', '.join(must_attend[:8])}"
                f"{'...' if len(must_attend) > 8 else ''})"
            ),
            clients=tuple(must_attend),
        )
    if rules.max_hours_per_client_week is not None:
        most = hours_to_minutes_floor(rules.max_hours_per_client_week)
        for client in inst.clients:
            required = sum(
                n * inst.type_by_id[t].duration_minutes
                for t, n in client.requires.items()
                if t in inst.type_by_id
            )
            if required > most:
                yield Finding(
                    "max_hours_per_client_week",
                    (
                        f"client {client.id}'s required sessions take {_hours(required)} "
                        f"but a client attends at most {rules.max_hours_per_client_week:g} h "
                        f"a week"
                    ),
                    clients=(client.id,),
                )
    if rules.min_days_per_client_week > len(inst.days):
        yield Finding(
            "min_days_per_client_week",
            (
                f"the program runs on {len(inst.days)} day(s) but each client must attend "
                f"{rules.min_days_per_client_week}"
            ),
        )


def _fixed_conflicts(inst: Instance) -> Iterator[Finding]:
    """Fixed sessions that overlap each other or fall outside someone's availability."""
    spans = []
    for index, booked in enumerate(inst.fixed_sessions):
        end = booked.start + inst.type_by_id[booked.type].duration_minutes
        spans.append((index, booked, end))
        when = f"{DAY_NAMES[booked.day]} {format_hhmm(booked.start)}-{format_hhmm(end)}"
        label = f"fixed session {index} ({booked.type}, {when})"
        clin = inst.clinician_by_id[booked.clinician]
        if not covers(
            free_windows(clin.availability, booked.day, inst.open, inst.close), booked.start, end
        ):
            yield Finding(
                "fixed",
                f"{label} is led by {clin.id}, who is not available then",
                clinicians=(clin.id,),
                days=(booked.day,),
            )
        if booked.room is not None:
            room = inst.room_by_id[booked.room]
            if not covers(
                free_windows(room.availability, booked.day, inst.open, inst.close),
                booked.start,
                end,
            ):
                yield Finding(
                    "fixed",
                    f"{label} is booked in room {room.id}, which is not available then",
                    rooms=(room.id,),
                    days=(booked.day,),
                )
            if room.capacity < len(booked.clients):
                yield Finding(
                    "fixed",
                    f"{label} lists {len(booked.clients)} clients but room "
                    f"{room.id} holds {room.capacity}",
                    rooms=(room.id,),
                )
        for c in booked.clients:
            client = inst.client_by_id[c]
            if not covers(
                free_windows(client.availability, booked.day, inst.open, inst.close),
                booked.start,
                end,
            ):
                yield Finding(
                    "fixed",
                    f"{label} lists client {c}, who is not available then",
                    clients=(c,),
                    days=(booked.day,),
                )
            assigned = client.assigned_clinicians.get(booked.type)
            if assigned is not None and assigned != booked.clinician:
                yield Finding(
                    "fixed",
                    f"{label} is led by {booked.clinician}, but client {c} "
                    f"must see {assigned} for {booked.type}",
                    clients=(c,),
                    clinicians=(assigned, booked.clinician),
                )
    for i, (index_a, a, end_a) in enumerate(spans):
        for index_b, b, end_b in spans[i + 1 :]:
            if a.day != b.day or not overlaps(a.start, end_a, b.start, end_b):
                continue
            shared = []
            if a.clinician == b.clinician:
                shared.append(f"clinician {a.clinician}")
            if a.room is not None and a.room == b.room:
                shared.append(f"room {a.room}")
            both = sorted(set(a.clients) & set(b.clients))
            shared += [f"client {c}" for c in both]
            if shared:
                yield Finding(
                    "fixed",
                    (
                        f"fixed sessions {index_a} ({a.type}) and {index_b} ({b.type}) overlap on "
                        f"{DAY_NAMES[a.day]} and share {', '.join(shared)}"
                    ),
                    clients=tuple(both),
                    days=(a.day,),
                )


def _client_reach(
    inst: Instance, cands: Candidates, reach: dict[str, dict[Day, int]]
) -> Iterator[Finding]:
    """Clients who cannot reach the required days or hours with any sessions at all."""
    rules = inst.rules
    need_days = rules.min_days_per_client_week
    need_week = hours_to_minutes_ceil(rules.min_hours_per_client_week)
    max_day = (
        None
        if rules.max_hours_per_client_day is None
        else hours_to_minutes_floor(rules.max_hours_per_client_day)
    )
    for client in inst.clients:
        usable = [d for d in inst.days if reach[client.id].get(d, 0) > 0]
        available = [d for d in inst.days if cands.client_windows[client.id][d]]
        if len(usable) < need_days:
            lost = cands.dropped_days.get(client.id, {})
            # Days with the same reason share one clause (five alike made a line of 600
            # characters per client; found by an operations walk-through).
            by_reason: dict[str, list[Day]] = {}
            for day, reason in lost.items():
                by_reason.setdefault(reason, []).append(day)
            why = "; ".join(f"on {_day_list(ds)} {reason}" for reason, ds in by_reason.items())
            detail = f" ({why})" if why else ""
            if len(available) < need_days:
                text = (
                    f"client {client.id} is available on {len(available)} program day(s) "
                    f"({_day_list(available)}) but the program requires {need_days}"
                )
            else:
                text = (
                    f"client {client.id} can attend sessions on only {len(usable)} day(s) "
                    f"({_day_list(usable)}) but the program requires {need_days}{detail}"
                )
            yield Finding("min_days_per_client_week", text, clients=(client.id,))
            continue
        week = sum(
            min(reach[client.id][d], max_day) if max_day is not None else reach[client.id][d]
            for d in usable
        )
        if week < need_week:
            uncapped = sum(reach[client.id][d] for d in usable)
            # Name what binds: the daily maximum, when their availability alone would do.
            why = (
                f"max_hours_per_client_day allows {rules.max_hours_per_client_day:g} h a day "
                f"on their {len(usable)} day(s)"
                if uncapped >= need_week
                else "within their availability"
            )
            yield Finding(
                "min_hours_per_client_week",
                (
                    f"client {client.id} can attend at most {_hours(week)} of sessions this week "
                    f"({why}) but the program requires "
                    f"{rules.min_hours_per_client_week:g} h"
                ),
                clients=(client.id,),
            )


def _reachable_minutes(cands: Candidates) -> dict[str, dict[Day, int]]:
    """Per client and day, the minutes covered by sessions they could attend."""
    spans: dict[tuple[str, Day], list[tuple[int, int]]] = defaultdict(list)
    for pool in cands.pools:
        for c in pool.clients:
            spans[(c, pool.day)].append((pool.start, pool.end))
    for copy in cands.fixed:
        for c in copy.listed + copy.joiners:
            spans[(c, copy.day)].append((copy.start, copy.end))
    reach: dict[str, dict[Day, int]] = defaultdict(dict)
    for (c, day), items in spans.items():
        total, current = 0, None
        for start, end in sorted(items):
            if current is None or start > current[1]:
                if current is not None:
                    total += current[1] - current[0]
                current = [start, end]
            else:
                current[1] = max(current[1], end)
        if current is not None:
            total += current[1] - current[0]
        reach[c][day] = total
    return reach


def _required_types(
    inst: Instance, cands: Candidates, reach: dict[str, dict[Day, int]]
) -> Iterator[Finding]:
    """Required sessions that no candidate session can give the client."""
    per_client_type: dict[tuple[str, str], set[Day]] = defaultdict(set)
    for pool in cands.pools:
        for c in pool.clients:
            per_client_type[(c, pool.type_id)].add(pool.day)
    for copy in cands.fixed:
        for c in copy.listed + copy.joiners:
            per_client_type[(c, copy.type_id)].add(copy.day)
    max_same = inst.rules.max_same_type_per_client_day
    common: dict[tuple[str, str], list[str]] = defaultdict(list)
    # A client who can attend no day at all is named by `_client_reach`, with each day's
    # reason; the catch-all reasons below then only blamed leaders and rooms that were
    # free (found by an operations walk-through), so they are left out for such a client.
    stranded = {
        c.id
        for c in inst.clients
        if inst.rules.min_days_per_client_week > 0
        and not any(minutes > 0 for minutes in reach.get(c.id, {}).values())
    }
    for client in inst.clients:
        for type_id, count in client.requires.items():
            if count <= 0:
                continue
            days = per_client_type.get((client.id, type_id), set())
            if len(days) * max_same >= count:
                continue
            stype = inst.type_by_id[type_id]
            if not stype.admits_track(client.track):
                yield Finding(
                    f"requires:{type_id}",
                    (
                        f"client {client.id} requires {type_id}, which clients of track "
                        f"{client.track} may not attend (it admits {', '.join(stype.tracks)})"
                    ),
                    clients=(client.id,),
                )
                continue
            if days:
                yield Finding(
                    f"requires:{type_id}",
                    (
                        f"client {client.id} requires {count} {type_id} session(s) but can "
                        f"attend it on only {len(days)} day(s) "
                        f"({_day_list(sorted(days, key=day_index))}), "
                        f"at most {max_same} a day"
                    ),
                    clients=(client.id,),
                )
                continue
            text, shared = _why_no_session(inst, cands, client.id, type_id)
            if client.id in stranded and text.endswith(_CATCH_ALL_ENDINGS):
                continue
            if shared:
                common[(type_id, text)].append(client.id)
            else:
                yield Finding(f"requires:{type_id}", text, clients=(client.id,))
    for (type_id, text), clients in sorted(common.items()):
        names = ", ".join(clients[:10]) + ("..." if len(clients) > 10 else "")
        who = (
            f"client {names} requires"
            if len(clients) == 1
            else (f"{len(clients)} clients ({names}) require")
        )
        yield Finding(f"requires:{type_id}", f"{who} {type_id}, but {text}", clients=tuple(clients))


#: How `_why_no_session` ends when it finds nothing more specific.
_CATCH_ALL_ENDINGS = (
    "attend it with a qualified leader and a room",
    "no qualified leader and room are free together during their hours",
)


def _why_no_session(
    inst: Instance, cands: Candidates, client_id: str, type_id: str
) -> tuple[str, bool]:
    """The most specific reason a client can never attend a type.

    Returns the reason and whether it is shared by every client (so that one line can name
    them all); client-specific reasons name the client themselves.
    """
    client = inst.client_by_id[client_id]
    stype = inst.type_by_id[type_id]
    windows = cands.client_windows[client_id]
    days = [d for d in inst.days if windows[d]]
    assigned = client.assigned_clinicians.get(type_id)
    duration = stype.duration_minutes

    def free_for(availability: object, day: Day) -> list[tuple[int, int]]:
        spans = free_windows(availability, day, inst.open, inst.close)  # type: ignore[arg-type]
        return [
            (max(s, a), min(e, b))
            for s, e in spans
            for a, b in windows[day]
            if min(e, b) - max(s, a) >= duration
        ]

    def too_busy(clin_id: str) -> bool:
        clin = inst.clinician_by_id[clin_id]
        return any(
            bound is not None and hours_to_minutes_floor(bound) < duration
            for bound in (clin.max_hours_per_day, clin.max_hours_per_week)
        )

    # Time itself first: otherwise the leaders' availability would take the blame.
    if duration > inst.close - inst.open:
        return (
            f"{type_id} lasts {duration} minutes, longer than the program's day "
            f"({format_hhmm(inst.open)}-{format_hhmm(inst.close)})"
        ), True
    if not any(e - s >= duration for d in days for s, e in windows[d]):
        return (
            f"client {client_id} requires {type_id} ({duration} minutes), but they are never "
            f"available that long at a stretch ({_day_list(days)})"
        ), False
    if assigned is not None:
        clin = inst.clinician_by_id[assigned]
        if not can_lead(inst, assigned, stype):
            return (
                f"client {client_id} must see {assigned} for {type_id}, but {assigned} "
                f"({clin.discipline}) may not lead {type_id}"
            ), False
        if too_busy(assigned):
            return (
                f"client {client_id} must see {assigned} for {type_id}, but {assigned}'s "
                f"hour limits are shorter than one {duration}-minute session"
            ), False
        if not any(free_for(clin.availability, d) for d in days):
            return (
                f"client {client_id} must see {assigned} for {type_id}, but {assigned}'s "
                f"availability never overlaps the client's ({_day_list(days)}) for "
                f"{duration} minutes"
            ), False
    leaders = [c.id for c in inst.clinicians if can_lead(inst, c.id, stype)]
    if not leaders:
        return f"no clinician is qualified to lead {type_id}", True
    if all(too_busy(k) for k in leaders):
        return (
            f"every clinician qualified for it ({', '.join(leaders)}) works fewer hours "
            f"than one {duration}-minute session"
        ), True
    if not any(free_for(inst.clinician_by_id[k].availability, d) for k in leaders for d in days):
        return (
            f"client {client_id} requires {type_id}, but no clinician qualified for it is "
            f"available on the client's days and hours ({_day_list(days)})"
        ), False
    if stype.needs_room:
        rooms = [r for r in inst.rooms if r.kind in stype.room_kinds]
        if not rooms:
            return (
                f"it needs a room of kind {', '.join(stype.room_kinds)} and the clinic has none",
                True,
            )
        too_small = _rooms_below_min_size(stype, rooms)
        if too_small:
            return too_small, True
        if not any(free_for(r.availability, d) for r in rooms for d in days):
            return (
                f"client {client_id} requires {type_id}, but no "
                f"{'/'.join(stype.room_kinds)} room is free during their hours"
            ), False
    if stype.size_min > 1:
        return (
            f"client {client_id} requires {type_id}, but at no time when they are available "
            f"can {stype.size_min} clients (its min_size) attend it with a qualified leader "
            "and a room"
        ), False
    return (
        f"client {client_id} requires {type_id}, but no qualified leader and room are free "
        "together during their hours"
    ), False


def _client_disciplines(inst: Instance, cands: Candidates) -> Iterator[Finding]:
    """Clients who cannot see enough distinct disciplines whatever they attend."""
    need = inst.rules.min_disciplines_per_client_week
    possible: dict[str, set[str]] = defaultdict(set)
    for pool in cands.pools:
        disciplines = {inst.clinician_by_id[k].discipline for k in pool.leaders}
        for c in pool.clients:
            assigned = inst.client_by_id[c].assigned_clinicians.get(pool.type_id)
            if assigned is not None:
                possible[c].add(inst.clinician_by_id[assigned].discipline)
            else:
                possible[c] |= disciplines
    for copy in cands.fixed:
        for c in copy.listed + copy.joiners:
            possible[c].add(inst.clinician_by_id[copy.clinician].discipline)
    for client in inst.clients:
        found = possible.get(client.id, set())
        if 0 < len(found) < need:
            yield Finding(
                "min_disciplines_per_client_week",
                (
                    f"client {client.id} can only attend sessions led by "
                    f"{', '.join(sorted(found))} but the program requires {need} disciplines a week"
                ),
                clients=(client.id,),
            )


@dataclass
class _Booked:
    """One clinician's fixed sessions: each day's booked time, and which sessions."""

    spans: dict[Day, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    indices: dict[Day, list[int]] = field(default_factory=lambda: defaultdict(list))
    #: (client, type) -> booked sessions of that individual type the client is listed in.
    listed: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def minutes(self, day: Day) -> int:
        """Booked minutes on a day (overlapping bookings counted once)."""
        return sum(e - s for s, e in merge_intervals(self.spans.get(day, [])))

    def minutes_within(self, day: Day, windows: Sequence[tuple[int, int]]) -> int:
        """Booked minutes on a day that fall inside ``windows`` (merged, disjoint)."""
        return sum(
            max(0, min(e, b) - max(s, a))
            for s, e in merge_intervals(self.spans.get(day, []))
            for a, b in windows
        )

    @property
    def week(self) -> int:
        """Booked minutes in the week."""
        return sum(self.minutes(day) for day in self.spans)

    def label(self, days: Sequence[Day] | None = None) -> str:
        """``fixed session 3`` / ``fixed sessions 0, 4``: the bookings of these days."""
        chosen = sorted(i for d in (self.spans if days is None else days) for i in self.indices[d])
        return f"fixed session{'s' if len(chosen) > 1 else ''} {', '.join(map(str, chosen))}"


def _booked(inst: Instance) -> dict[str, _Booked]:
    """Per clinician, the fixed sessions they lead: they must run, so they use their hours."""
    booked: dict[str, _Booked] = defaultdict(_Booked)
    for index, session in enumerate(inst.fixed_sessions):
        stype = inst.type_by_id[session.type]
        entry = booked[session.clinician]
        entry.spans[session.day].append((session.start, session.start + stype.duration_minutes))
        entry.indices[session.day].append(index)
        if stype.kind == "individual":
            for c in session.clients:
                entry.listed[(c, stype.id)] += 1
    return booked


def _booked_hours(inst: Instance, booked: dict[str, _Booked]) -> Iterator[Finding]:
    """Clinicians whose booked sessions alone exceed their daily or weekly hours.

    Fixed sessions must run even when shortfalls are allowed, so this holds in both modes.
    """
    for clin_id, entry in sorted(booked.items()):
        clin = inst.clinician_by_id[clin_id]
        if clin.max_hours_per_day is not None:
            most = hours_to_minutes_floor(clin.max_hours_per_day)
            for day in inst.days:
                if entry.minutes(day) > most:
                    yield Finding(
                        "clinician_hours",
                        (
                            f"clinician {clin_id}'s booked sessions on {DAY_NAMES[day]} "
                            f"({entry.label([day])}) take {_hours(entry.minutes(day))}, but "
                            f"{clin_id} works at most {clin.max_hours_per_day:g} h a day"
                        ),
                        clinicians=(clin_id,),
                        days=(day,),
                    )
        if clin.max_hours_per_week is not None and entry.week > hours_to_minutes_floor(
            clin.max_hours_per_week
        ):
            yield Finding(
                "clinician_hours",
                (
                    f"clinician {clin_id}'s booked sessions ({entry.label()}) take "
                    f"{_hours(entry.week)}, but {clin_id} works at most "
                    f"{clin.max_hours_per_week:g} h a week"
                ),
                clinicians=(clin_id,),
            )


def _booked_too_long(inst: Instance, clin_id: str, entry: _Booked) -> bool:
    """Whether `_booked_hours` reports this clinician (then the caseload adds nothing)."""
    return next(_booked_hours(inst, {clin_id: entry}), None) is not None


def _caseloads(inst: Instance, booked: dict[str, _Booked]) -> Iterator[Finding]:
    """Assigned clinicians whose caseload, with what they are booked for, exceeds their hours.

    Only individual sessions count from the caseload: clients assigned to one clinician may
    share a group. The clinician's fixed sessions must run too, and no clinician leads two
    sessions at once, so they take their minutes out of the week, out of their day's hours
    and out of their availability. A booked individual session of a client with their
    assigned clinician is one of the sessions the client requires: it counts once.
    """
    owed: dict[str, int] = defaultdict(int)
    who: dict[str, list[str]] = defaultdict(list)
    none = _Booked()
    for client in inst.clients:
        for type_id, clin_id in client.assigned_clinicians.items():
            count = client.requires.get(type_id, 0)
            stype = inst.type_by_id[type_id]
            if stype.kind != "individual":
                continue
            # Sessions already booked with this clinician for this client count toward it.
            left = count - booked.get(clin_id, none).listed.get((client.id, type_id), 0)
            if left > 0:
                owed[clin_id] += left * stype.duration_minutes
                who[clin_id].append(client.id)
    for clin_id, minutes in sorted(owed.items()):
        clin = inst.clinician_by_id[clin_id]
        entry = booked.get(clin_id, none)
        if _booked_too_long(inst, clin_id, entry):
            continue  # the bookings alone are reported
        windows = {
            day: free_windows(clin.availability, day, inst.open, inst.close) for day in inst.days
        }
        by_day = {day: sum(end - start for start, end in windows[day]) for day in inst.days}
        available = sum(by_day.values())
        # Around the bookings: the available time they leave, and each day's hours left.
        free = {day: by_day[day] - entry.minutes_within(day, windows[day]) for day in inst.days}
        free_total = sum(free.values())
        day_cap = clin.max_hours_per_day
        per_day_cap = (
            None
            if day_cap is None
            else sum(min(m, hours_to_minutes_floor(day_cap)) for m in by_day.values())
        )
        # The daily maximum caps each day they are available: say so when it is what binds.
        per_day = (
            free_total
            if day_cap is None
            else sum(
                max(0, min(free[d], hours_to_minutes_floor(day_cap) - entry.minutes(d)))
                for d in inst.days
            )
        )
        bound = clin.max_hours_per_week
        week_left = None if bound is None else hours_to_minutes_floor(bound) - entry.week
        limit = per_day if week_left is None else min(per_day, week_left)
        if minutes <= limit:
            continue
        days_on = sum(1 for m in by_day.values() if m > 0)
        if bound is not None and week_left is not None and week_left <= per_day:
            why = f"works at most {bound:g} h a week"
        elif day_cap is not None and per_day_cap is not None and per_day < free_total:
            why = (
                f"works at most {day_cap:g} h a day on the {days_on} day(s) they are "
                f"available ({_hours(per_day_cap)} a week)"
            )
            if entry.week:
                why += f", which leaves {_hours(per_day)} around the bookings"
        else:
            why = f"is available only {_hours(available)} in program hours"
            if entry.week:
                why += f", {_hours(free_total)} of it outside the bookings"
        names = who[clin_id]
        clients = (
            f"{plural(len(names), 'client')} ({', '.join(names[:10])}"
            f"{'...' if len(names) > 10 else ''})"
        )
        if entry.week:
            text = (
                f"clinician {clin_id} leads {_hours(entry.week)} of booked sessions "
                f"({entry.label()}) and is the assigned clinician of {clients} whose required "
                f"sessions with them need another {_hours(minutes)} "
                f"({_hours(entry.week + minutes)} in all), but {clin_id} {why}"
            )
        else:
            text = (
                f"clinician {clin_id} is the assigned clinician of {clients} whose required "
                f"sessions with them alone take {_hours(minutes)}, but {clin_id} {why}"
            )
        yield Finding("clinician_hours", text, clients=tuple(who[clin_id]), clinicians=(clin_id,))


def _forced_days(inst: Instance, cands: Candidates) -> dict[Day, list[str]]:
    """Clients who must attend a day because they can attend no more days than required."""
    reach = _reachable_minutes(cands)
    need = inst.rules.min_days_per_client_week
    forced: dict[Day, list[str]] = defaultdict(list)
    for client in inst.clients:
        usable = [d for d in inst.days if reach[client.id].get(d, 0) > 0]
        if len(usable) == need:
            for d in usable:
                forced[d].append(client.id)
    for copy in cands.fixed:
        for c in copy.listed:
            if c not in forced[copy.day]:
                forced[copy.day].append(c)
    return forced


def _program_days(inst: Instance, cands: Candidates) -> Iterator[Finding]:
    """Days that must run but cannot have enough disciplines leading."""
    need = inst.rules.min_disciplines_per_day
    if need <= 1:
        return
    forced = _forced_days(inst, cands)
    for day in inst.days:
        if not forced.get(day) and not any(f.day == day for f in cands.fixed):
            continue
        leading = {
            inst.clinician_by_id[k].discipline
            for p in cands.pools
            if p.day == day
            for k in p.leaders
        }
        leading |= {
            inst.clinician_by_id[f.clinician].discipline for f in cands.fixed if f.day == day
        }
        if len(leading) < need:
            clients = forced.get(day, [])
            yield Finding(
                "min_disciplines_per_day",
                (
                    f"on {DAY_NAMES[day]} only {len(leading)} discipline(s) can lead sessions "
                    f"({', '.join(sorted(leading)) or 'none'}) but the program requires {need} "
                    f"a day, "
                    f"and sessions must run that day (clients {', '.join(clients[:8])}"
                    f"{'...' if len(clients) > 8 else ''} cannot attend on enough other days)"
                ),
                clients=tuple(clients),
                days=(day,),
            )


def _group_seats(inst: Instance, cands: Candidates) -> Iterator[Finding]:
    """Group-seat demand in a window beyond what the rooms and leaders there can hold."""
    need_groups = inst.rules.min_group_sessions_per_client_day
    if need_groups <= 0:
        return
    forced = _forced_days(inst, cands)
    group_types = [t for t in inst.session_types if t.kind == "group"]
    if not group_types:
        return
    shortest = min(t.duration_minutes for t in group_types)
    for day in inst.days:
        by_window: dict[tuple[int, int], list[str]] = defaultdict(list)
        for c in forced.get(day, []):
            spans = cands.client_windows[c][day]
            if spans:
                by_window[(spans[0][0], spans[-1][1])].append(c)
        for (lo, hi), _ in sorted(by_window.items()):
            # Every forced client whose whole day lies inside [lo, hi) needs its groups there.
            inside = [c for (a, b), cs in by_window.items() if lo <= a and b <= hi for c in cs]
            demand = len(inside) * need_groups
            pools = [
                p
                for p in cands.pools
                if p.day == day
                and lo <= p.start
                and p.end <= hi
                and inst.type_by_id[p.type_id].kind == "group"
            ]
            # Booked group sessions in the window hold seats too (their leader and room are
            # taken out of the pools that overlap them).
            fixed_seats = sum(
                min(
                    inst.type_by_id[f.type_id].size_max or 10**6,
                    inst.room_by_id[f.room].capacity if f.room is not None else 10**6,
                )
                for f in cands.fixed
                if f.day == day
                and lo <= f.start
                and f.end <= hi
                and inst.type_by_id[f.type_id].kind == "group"
            )
            if not pools and not fixed_seats:
                continue
            most_per_session = max(
                (
                    min(
                        inst.type_by_id[p.type_id].size_max or 10**6,
                        max((inst.room_by_id[r].capacity for r in p.rooms), default=10**6),
                    )
                    for p in pools
                ),
                default=0,
            )
            slots_per_track = (hi - lo) // shortest
            leaders = {k for p in pools for k in p.leaders}
            rooms = {r for p in pools for r in p.rooms}
            parallel = len(leaders)
            if all(inst.type_by_id[p.type_id].needs_room for p in pools):
                parallel = min(parallel, len(rooms))
            supply = parallel * slots_per_track * most_per_session + fixed_seats
            if demand > supply:
                yield Finding(
                    "group_seats",
                    (
                        f"on {DAY_NAMES[day]} between {format_hhmm(lo)} and {format_hhmm(hi)}, "
                        f"{len(inside)} clients must attend (it is one of the only days they can "
                        f"come) and need {need_groups} group sessions each ({demand} seats), but "
                        f"{parallel} group(s) at a time of at most {most_per_session} clients "
                        f"({len(leaders)} leader(s), {len(rooms)} room(s))"
                        + (f" and booked groups ({fixed_seats} seats)" if fixed_seats else "")
                        + f" hold at most {supply} seats then"
                    ),
                    clients=tuple(sorted(inside)),
                    days=(day,),
                )


def _weekly_group_seats(inst: Instance, cands: Candidates) -> Iterator[Finding]:
    """More group attendances needed in the week than the group rooms can seat.

    Every client attends at least ``min_days`` days with ``min_groups`` group sessions on
    each. A group session needs a room of its type for at least the shortest group's
    minutes, inside the room's hours and some client's window, so each room holds at most
    (usable minutes / shortest group) sessions a day of at most its seats. Skipped when a
    group type needs no room (telehealth): rooms then do not bound groups.
    """
    rules = inst.rules
    per_client = rules.min_days_per_client_week * rules.min_group_sessions_per_client_day
    group_types = [t for t in inst.session_types if t.kind == "group"]
    if per_client <= 0 or not group_types or not all(t.needs_room for t in group_types):
        return
    clients = [c.id for c in inst.clients]
    demand = len(clients) * per_client
    supply = 0
    held: list[str] = []
    # A session needs some client there: the union of their windows, each day.
    wanted = {
        day: merge_intervals([w for c in clients for w in cands.client_windows[c].get(day, [])])
        for day in inst.days
    }
    for room in inst.rooms:
        usable = [t for t in group_types if room.kind in t.room_kinds]
        if not usable or room.capacity <= 0:
            continue
        largest = max((t.size_max or room.capacity) for t in usable)
        seats = min(room.capacity, largest)
        shortest = min(t.duration_minutes for t in usable)
        sessions = 0
        for day in inst.days:
            for a, b in free_windows(room.availability, day, inst.open, inst.close):
                sessions += sum(max(0, min(b, e) - max(a, s)) // shortest for s, e in wanted[day])
        if sessions:
            supply += sessions * seats
            held.append(f"{room.id}: {sessions} sessions of {seats} seats")
    if demand > supply:
        yield Finding(
            "group_seats",
            (
                f"the {len(clients)} clients need at least {demand} group-session seats this "
                f"week ({rules.min_days_per_client_week} days with "
                f"{rules.min_group_sessions_per_client_day} group sessions each), but the "
                f"group rooms can hold at most {supply} during the clients' hours "
                f"({'; '.join(held) or 'no room fits a group'})"
            ),
            clients=tuple(clients),
            rooms=tuple(h.split(":")[0] for h in held),
        )
