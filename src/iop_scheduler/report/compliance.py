"""The compliance and KPI report coordinators are asked for, computed from the timetable.

Per client: hours, days, disciplines, required sessions and each day's hours and group
sessions against the rules (OK or short). Per clinician: hours led against hours available
in program hours. Per room: hours used against hours open. Group fill: attendees against the
seats a session could hold (the smaller of the type's ``max_size`` and the room's capacity).
And the penalty, term by term and by whom: which clients wait idle and how long, whose
preferences are missed, which sessions cost the most staff time.

Everything is recomputed from the sessions; only the term totals come from
`iop_scheduler.validator.score`, and the breakdowns add up to them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from ..domain import Availability, Instance, ScheduledSession, Timetable
from ..escaping import escape_markdown
from ..io import as_instance, as_timetable
from ..result import TERM_NAMES, PenaltyTerm, total_penalty
from ..times import format_hhmm, monday_of
from ..validator import score, shortfalls_allowed, validate, week_shortfalls
from ..validator.penalty import day_idle_minutes

#: How many of the costliest sessions the staff-time breakdown lists.
TOP_SESSIONS = 10


@dataclass
class ClientDay:
    """One day a client attends."""

    day: str
    minutes: int
    sessions: int
    group_sessions: int
    idle_minutes: int
    ok: bool


@dataclass
class ClientCompliance:
    """A client's week against the rules."""

    id: str
    name: str
    track: str | None
    minutes: int
    sessions: int
    days: list[ClientDay]
    disciplines: list[str]
    requires: dict[str, list[int]]  # type -> [required, attended]
    problems: list[str]

    @property
    def status(self) -> str:
        """``OK``, ``broken``, ``short`` or ``over``.

        ``broken`` when a session of theirs breaks a rule (track, availability, overlap,
        assigned clinician); else ``short`` / ``over`` for their day and week rules.
        """
        if not self.problems:
            return "OK"
        if any(p.startswith("[") for p in self.problems):
            return "broken"
        shortfall = ("short of", "below", "required session(s)")
        return "short" if any(w in p for p in self.problems for w in shortfall) else "over"


#: Rules that `_client` states in its own words (hours, days, groups, disciplines, required
#: sessions); any other violation naming a client is added to their problems as it is.
_CLIENT_WEEK_RULES = frozenset(
    {
        "min_days_per_client_week",
        "min_hours_per_client_week",
        "max_hours_per_client_week",
        "min_disciplines_per_client_week",
        "min_hours_per_client_day",
        "max_hours_per_client_day",
        "min_group_sessions_per_client_day",
        "max_same_type_per_client_day",
        "shortfalls",
    }
)


@dataclass
class ClinicianLoad:
    """Hours a clinician leads against the hours they are available in program hours."""

    id: str
    name: str
    discipline: str
    sessions: int
    led_minutes: int
    available_minutes: int
    minutes_by_day: dict[str, int]
    max_hours_per_week: float | None

    @property
    def utilisation(self) -> float | None:
        """Share of the available time spent leading sessions."""
        return self.led_minutes / self.available_minutes if self.available_minutes else None


@dataclass
class RoomUse:
    """Hours a room holds sessions against the hours it is open, and how full it is."""

    id: str
    name: str
    kind: str
    capacity: int
    sessions: int
    used_minutes: int
    available_minutes: int
    attendees: int

    @property
    def utilisation(self) -> float | None:
        """Share of the open time holding sessions."""
        return self.used_minutes / self.available_minutes if self.available_minutes else None

    @property
    def seat_fill(self) -> float | None:
        """Attendees per session over capacity."""
        seats = self.sessions * self.capacity
        return self.attendees / seats if seats else None


@dataclass
class TypeFill:
    """How full the sessions of a group or course type are."""

    type: str
    name: str
    kind: str
    sessions: int
    attendees: int
    seats: int

    @property
    def fill_rate(self) -> float | None:
        """Attendees over seats (seats: the smaller of max_size and room capacity)."""
        return self.attendees / self.seats if self.seats else None


@dataclass
class IdleWait:
    """Minutes a client spends between sessions on one day."""

    client: str
    day: str
    idle_minutes: int
    cost: int


@dataclass
class PreferenceMiss:
    """A client session outside the client's preferred days or window."""

    client: str
    session: str
    type: str
    day: str
    start: str
    end: str
    reason: str
    cost: int


@dataclass
class SessionCost:
    """The staff time a session costs, and how many clients share it."""

    session: str
    type: str
    kind: str
    day: str
    start: str
    end: str
    clinician: str | None
    clients: int
    staff_minutes: int
    cost: int

    @property
    def minutes_per_client(self) -> float:
        """Staff minutes per attending client."""
        return self.staff_minutes / self.clients if self.clients else float(self.staff_minutes)


@dataclass
class TypeCost:
    """Staff time of all the sessions of one type."""

    type: str
    name: str
    sessions: int
    staff_minutes: int
    attendances: int
    cost: int


@dataclass
class Compliance:
    """The whole report."""

    instance: str
    week_of: str | None
    status: str
    violations: list[str]
    terms: dict[str, PenaltyTerm]
    rules: dict[str, Any]
    clients: list[ClientCompliance]
    clinicians: list[ClinicianLoad]
    rooms: list[RoomUse]
    fill: list[TypeFill]
    idle: list[IdleWait]
    preference_misses: list[PreferenceMiss]
    session_costs: list[SessionCost]
    type_costs: list[TypeCost]
    changes: list[dict[str, str]] = field(default_factory=list)
    shortfalls: list[dict[str, Any]] = field(default_factory=list)
    days: list[str] = field(default_factory=list)
    sessions: int = 0
    attendances: int = 0
    staff_minutes: int = 0

    @property
    def penalty(self) -> int:
        """The total penalty (from the validator's terms)."""
        return total_penalty(self.terms)

    @property
    def fill_rate(self) -> float | None:
        """Attendees over seats across every group and course session."""
        seats = sum(f.seats for f in self.fill)
        return sum(f.attendees for f in self.fill) / seats if seats else None

    @property
    def clients_ok(self) -> int:
        """How many clients meet every rule."""
        return sum(1 for c in self.clients if c.status == "OK")


# -- computing -------------------------------------------------------------------------------


def _need_minutes(hours: float) -> int:
    """A minimum in hours as whole minutes, rounded up (docs/spec-notes.md)."""
    return math.ceil(Fraction(str(hours)) * 60)


def _cap_minutes(hours: float) -> int:
    """A maximum in hours as whole minutes, rounded down."""
    return math.floor(Fraction(str(hours)) * 60)


def available_minutes(avail: Availability | None, instance: Instance) -> int:
    """Minutes of an availability inside program hours on program days (windows merged)."""
    total = 0
    for day in instance.days:
        whole_day = [(instance.open, instance.close)]
        windows = whole_day if avail is None else sorted(avail.get(day, []))
        reach: tuple[int, int] | None = None
        for start, end in windows:
            start, end = max(start, instance.open), min(end, instance.close)
            if end <= start:
                continue
            if reach is not None and start <= reach[1]:
                reach = (reach[0], max(reach[1], end))
                continue
            if reach is not None:
                total += reach[1] - reach[0]
            reach = (start, end)
        if reach is not None:
            total += reach[1] - reach[0]
    return total


def seats(instance: Instance, s: ScheduledSession) -> int | None:
    """Clients a session could hold: the smaller of max_size and room capacity (None: no bound)."""
    bounds = []
    size_max = instance.type_by_id[s.type].size_max
    if size_max is not None:
        bounds.append(size_max)
    room = instance.room_by_id.get(s.room or "")
    if room is not None:
        bounds.append(room.capacity)
    return min(bounds) if bounds else None


def _miss_reason(instance: Instance, client_id: str, s: ScheduledSession) -> str:
    client = instance.client_by_id[client_id]
    off_day = bool(client.preferred_days) and s.day not in client.preferred_days
    window = client.preferred_window
    off_window = window is not None and (s.start < window[0] or s.end > window[1])
    if off_day and off_window:
        return "day and window"
    if off_day:
        return "day"
    return "window" if off_window else ""


def _client(instance: Instance, client_id: str, items: list[ScheduledSession]) -> ClientCompliance:
    rules = instance.rules
    client = instance.client_by_id[client_id]
    problems: list[str] = []
    per_day: dict[str, list[ScheduledSession]] = defaultdict(list)
    for s in items:
        per_day[s.day].append(s)
    days = []
    for day in instance.days:
        day_items = per_day.get(day)
        if not day_items:
            continue
        minutes = sum(s.end - s.start for s in day_items)
        groups = sum(1 for s in day_items if instance.type_by_id[s.type].kind == "group")
        idle = day_idle_minutes([(s.start, s.end) for s in day_items])
        ok = True
        if minutes < _need_minutes(rules.min_hours_per_client_day):
            problems.append(
                f"{day}: {minutes / 60:g} h, short of {rules.min_hours_per_client_day:g} h"
            )
            ok = False
        if rules.max_hours_per_client_day is not None and minutes > _cap_minutes(
            rules.max_hours_per_client_day
        ):
            problems.append(f"{day}: {minutes / 60:g} h, over {rules.max_hours_per_client_day:g} h")
            ok = False
        if groups < rules.min_group_sessions_per_client_day:
            problems.append(
                f"{day}: {groups} group session(s), short of "
                f"{rules.min_group_sessions_per_client_day}"
            )
            ok = False
        per_type: dict[str, int] = defaultdict(int)
        for s in day_items:
            per_type[s.type] += 1
        for type_id, count in per_type.items():
            if count > rules.max_same_type_per_client_day:
                problems.append(f"{day}: {count} {type_id} sessions, over "
                                f"{rules.max_same_type_per_client_day}")  # fmt: skip
                ok = False
        days.append(ClientDay(day, minutes, len(day_items), groups, idle, ok))
    minutes = sum(s.end - s.start for s in items)
    if len(days) < rules.min_days_per_client_week:
        problems.append(f"{len(days)} day(s), short of {rules.min_days_per_client_week}")
    if minutes < _need_minutes(rules.min_hours_per_client_week):
        problems.append(f"{minutes / 60:g} h, short of {rules.min_hours_per_client_week:g} h")
    if rules.max_hours_per_client_week is not None and minutes > _cap_minutes(
        rules.max_hours_per_client_week
    ):
        problems.append(f"{minutes / 60:g} h, over {rules.max_hours_per_client_week:g} h")
    disciplines = sorted(
        {
            instance.clinician_by_id[s.clinician].discipline
            for s in items
            if s.clinician in instance.clinician_by_id
        }
    )
    if len(disciplines) < rules.min_disciplines_per_client_week:
        problems.append(
            f"{len(disciplines)} discipline(s), short of {rules.min_disciplines_per_client_week}"
        )
    requires = {}
    for type_id, need in client.requires.items():
        got = sum(1 for s in items if s.type == type_id)
        requires[type_id] = [need, got]
        if got < need:
            problems.append(f"{type_id}: {got} of {need} required session(s)")
    return ClientCompliance(
        id=client.id,
        name=client.name or client.id,
        track=client.track,
        minutes=minutes,
        sessions=len(items),
        days=days,
        disciplines=disciplines,
        requires=requires,
        problems=problems,
    )


def compliance(
    instance: Instance, timetable: Timetable, *, previous: Timetable | None = None
) -> Compliance:
    """The report of a timetable of ``instance`` (``previous`` adds changes from it).

    Each may be an object, a dict or a file path, checked again here (an instance edited
    in Python is reported as it is now).
    """
    instance, timetable = as_instance(instance), as_timetable(timetable)
    previous = None if previous is None else as_timetable(previous)
    sessions = list(timetable.sessions)
    weights = instance.weights
    terms = score(instance, timetable, previous=previous)
    by_client: dict[str, list[ScheduledSession]] = defaultdict(list)
    for s in sessions:
        for c in dict.fromkeys(s.clients):
            by_client[c].append(s)
    clients = [_client(instance, c.id, by_client.get(c.id, [])) for c in instance.clients]
    violations = validate(instance, timetable)
    for row in clients:
        row.problems += [
            str(v)
            for v in violations
            if row.id in v.clients
            and v.rule not in _CLIENT_WEEK_RULES
            and not v.rule.startswith("requires:")
        ]

    led: dict[str, list[ScheduledSession]] = defaultdict(list)
    held: dict[str, list[ScheduledSession]] = defaultdict(list)
    for s in sessions:
        if s.clinician:
            led[s.clinician].append(s)
        if s.room:
            held[s.room].append(s)
    clinicians = []
    for clin in instance.clinicians:
        by_day: dict[str, int] = dict.fromkeys(instance.days, 0)
        for s in led[clin.id]:
            by_day[s.day] = by_day.get(s.day, 0) + s.end - s.start
        clinicians.append(
            ClinicianLoad(
                id=clin.id,
                name=clin.name or clin.id,
                discipline=clin.discipline,
                sessions=len(led[clin.id]),
                led_minutes=sum(by_day.values()),
                available_minutes=available_minutes(clin.availability, instance),
                minutes_by_day=by_day,
                max_hours_per_week=clin.max_hours_per_week,
            )
        )
    rooms = [
        RoomUse(
            id=room.id,
            name=room.name or room.id,
            kind=room.kind,
            capacity=room.capacity,
            sessions=len(held[room.id]),
            used_minutes=sum(s.end - s.start for s in held[room.id]),
            available_minutes=available_minutes(room.availability, instance),
            attendees=sum(len(s.clients) for s in held[room.id]),
        )
        for room in instance.rooms
    ]

    fill = []
    for stype in instance.session_types:
        if stype.kind == "individual":
            continue
        bounded = [
            (s, cap)
            for s in sessions
            if s.type == stype.id and (cap := seats(instance, s)) is not None
        ]
        if not bounded:
            continue
        fill.append(
            TypeFill(
                type=stype.id,
                name=stype.title,
                kind=stype.kind,
                sessions=len(bounded),
                attendees=sum(len(s.clients) for s, _ in bounded),
                seats=sum(cap for _, cap in bounded),
            )
        )

    idle = [
        IdleWait(c.id, d.day, d.idle_minutes, d.idle_minutes * weights.client_idle_minute)
        for c in clients
        for d in c.days
        if d.idle_minutes
    ]
    idle.sort(key=lambda w: (-w.idle_minutes, w.client, w.day))

    misses = []
    for person in instance.clients:
        for s in by_client.get(person.id, []):
            reason = _miss_reason(instance, person.id, s)
            if reason:
                misses.append(
                    PreferenceMiss(
                        client=person.id, session=s.id, type=s.type, day=s.day,
                        start=format_hhmm(s.start), end=format_hhmm(s.end), reason=reason,
                        cost=weights.preference_miss,
                    )
                )  # fmt: skip

    costs = [
        SessionCost(
            session=s.id, type=s.type, kind=instance.type_by_id[s.type].kind, day=s.day,
            start=format_hhmm(s.start),
            end=format_hhmm(s.end), clinician=s.clinician, clients=len(s.clients),
            staff_minutes=s.end - s.start, cost=(s.end - s.start) * weights.staff_minute,
        )
        for s in sessions
    ]  # fmt: skip
    costs.sort(key=lambda c: (-c.minutes_per_client, -c.staff_minutes, c.session))
    type_costs = []
    for stype in instance.session_types:
        of_type = [s for s in sessions if s.type == stype.id]
        if of_type:
            minutes = sum(s.end - s.start for s in of_type)
            type_costs.append(
                TypeCost(
                    type=stype.id, name=stype.title, sessions=len(of_type),
                    staff_minutes=minutes, attendances=sum(len(s.clients) for s in of_type),
                    cost=minutes * weights.staff_minute,
                )
            )  # fmt: skip
    type_costs.sort(key=lambda t: -t.staff_minutes)

    changes = []
    if previous is not None:
        kept = {(c, s.type, s.day, s.start) for s in sessions for c in s.clients}
        lost = {(c, s.type, s.day, s.start) for s in previous.sessions for c in s.clients} - kept
        changes = [
            {"client": c, "type": t, "day": d, "start": format_hhmm(start)}
            for c, t, d, start in sorted(lost)
        ]
    return Compliance(
        instance=instance.name,
        # Named by its Monday, as every other view names it (any day names its week).
        week_of=monday_of(instance.week_of).isoformat() if instance.week_of else None,
        status=timetable.status,
        violations=[str(v) for v in violations],
        terms=terms,
        rules=instance.rules.model_dump(),
        clients=clients,
        clinicians=clinicians,
        rooms=rooms,
        fill=fill,
        idle=idle,
        preference_misses=misses,
        session_costs=costs,
        type_costs=type_costs,
        changes=changes,
        # The week's own, computed from its sessions: a hand-edited file's list is stale.
        shortfalls=(
            [s.model_dump() for s in week_shortfalls(instance, timetable)]
            if shortfalls_allowed(timetable)
            else []
        ),
        days=list(instance.days),
        sessions=len(sessions),
        attendances=sum(len(s.clients) for s in sessions),
        staff_minutes=sum(s.end - s.start for s in sessions),
    )


# -- rendering -------------------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _hours(minutes: float) -> str:
    return f"{minutes / 60:g}"


def to_json(report: Compliance) -> dict[str, Any]:
    """The report as JSON-ready data (hours as numbers, ratios as fractions)."""
    return {
        "instance": report.instance,
        "week_of": report.week_of,
        "status": report.status,
        "valid": not report.violations,
        "violations": report.violations,
        "penalty": report.penalty,
        "terms": {
            name: {"amount": t.amount, "weight": t.weight, "cost": t.cost}
            for name, t in report.terms.items()
        },
        "totals": {
            "sessions": report.sessions,
            "attendances": report.attendances,
            "staff_hours": report.staff_minutes / 60,
            "clients": len(report.clients),
            "clients_ok": report.clients_ok,
            "fill_rate": report.fill_rate,
        },
        "rules": report.rules,
        "clients": [
            {
                **{k: v for k, v in asdict(c).items() if k not in ("minutes", "days")},
                # Named, not [required, attended]: the text prints attended/required.
                "requires": {
                    t: {"required": need, "attended": got} for t, (need, got) in c.requires.items()
                },
                "hours": c.minutes / 60,
                "days": [{**asdict(d), "hours": d.minutes / 60} for d in c.days],
                "status": c.status,
            }
            for c in report.clients
        ],
        "clinicians": [
            {
                **asdict(c),
                "hours_led": c.led_minutes / 60,
                "hours_available": c.available_minutes / 60,
                "utilisation": c.utilisation,
            }
            for c in report.clinicians
        ],
        "rooms": [
            {
                **asdict(r),
                "hours_used": r.used_minutes / 60,
                "hours_available": r.available_minutes / 60,
                "utilisation": r.utilisation,
                "seat_fill": r.seat_fill,
            }
            for r in report.rooms
        ],
        "fill": [{**asdict(f), "fill_rate": f.fill_rate} for f in report.fill],
        "idle": [asdict(w) for w in report.idle],
        "preference_misses": [asdict(m) for m in report.preference_misses],
        "staff_time": {
            "by_type": [asdict(t) for t in report.type_costs],
            "sessions": [
                {**asdict(s), "minutes_per_client": s.minutes_per_client}
                for s in report.session_costs
            ],
        },
        "changes_from_previous": report.changes,
        "shortfalls": report.shortfalls,
    }


@dataclass
class Section:
    """One titled table of the readable report."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def sections(report: Compliance) -> list[Section]:
    """The readable report as titled tables (rendered as text or Markdown)."""
    rules = report.rules
    days = report.days
    out = []
    valid = "valid" if not report.violations else f"{len(report.violations)} broken rule(s)"
    summary = [
        ["timetable", f"{report.status}, {valid}"],
        ["penalty", f"{report.penalty:,}"],
        ["sessions", f"{report.sessions}"],
        ["attendances", f"{report.attendances}"],
        ["staff hours", _hours(report.staff_minutes)],
        ["clients meeting every rule", f"{report.clients_ok} of {len(report.clients)}"],
        ["group fill rate", _ratio(report.fill_rate)],
    ]
    week = f", week of {report.week_of}" if report.week_of else ""
    notes = [f"  {v}" for v in report.violations[:10]]
    if len(report.violations) > 10:
        notes.append(f"  ... and {len(report.violations) - 10} more (iop-scheduler validate)")
    out.append(Section(f"{report.instance}{week}", ["", ""], summary, notes))

    day_rule = (
        f"a day: at least {rules['min_hours_per_client_day']:g} h and "
        f"{rules['min_group_sessions_per_client_day']} group session(s)"
    )
    rows = []
    for c in report.clients:
        cells = {d.day: f"{_hours(d.minutes)}h {d.group_sessions}g{'' if d.ok else '*'}"
                 for d in c.days}  # fmt: skip
        required = ", ".join(f"{t} {got}/{need}" for t, (need, got) in c.requires.items())
        status = c.status if not c.problems else f"{c.status}: {'; '.join(c.problems)}"
        rows.append(
            [c.id, c.track or "-", _hours(c.minutes), str(len(c.days)), str(len(c.disciplines)),
             *[cells.get(d, "-") for d in days], required or "-", status]
        )  # fmt: skip
    max_week = rules["max_hours_per_client_week"]
    out.append(
        Section(
            "Clients",
            ["client", "track", "hours", "days", "disc.", *days, "required", "status"],
            rows,
            [
                f"Rules: {rules['min_hours_per_client_week']:g}"
                + (f"-{max_week:g}" if max_week is not None else "+")
                + f" h and at least {rules['min_days_per_client_week']} days and "
                f"{rules['min_disciplines_per_client_week']} disciplines a week; {day_rule}.",
                "Day cells: hours and group sessions (g); * marks a day below the day rules.",
            ],
        )
    )
    out.append(
        Section(
            "Clinicians",
            ["clinician", "name", "discipline", "sessions", "hours led", "available",
             "utilisation", *days, "max/week"],
            [
                [c.id, c.name, c.discipline, str(c.sessions), _hours(c.led_minutes),
                 _hours(c.available_minutes), _ratio(c.utilisation),
                 *[_hours(c.minutes_by_day.get(d, 0)) for d in days],
                 "-" if c.max_hours_per_week is None else f"{c.max_hours_per_week:g}"]
                for c in report.clinicians
            ],
            ["Utilisation: hours led over hours available within program hours."],
        )
    )  # fmt: skip
    out.append(
        Section(
            "Rooms",
            ["room", "name", "kind", "capacity", "sessions", "hours used", "open",
             "utilisation", "seat fill"],
            [
                [r.id, r.name, r.kind, str(r.capacity), str(r.sessions), _hours(r.used_minutes),
                 _hours(r.available_minutes), _ratio(r.utilisation), _ratio(r.seat_fill)]
                for r in report.rooms
            ],
            ["Seat fill: attendees over capacity, across the room's sessions."],
        )
    )  # fmt: skip
    out.append(
        Section(
            "Group fill",
            ["type", "kind", "sessions", "attendees", "seats", "fill rate", "mean size"],
            [
                [f.type, f.kind, str(f.sessions), str(f.attendees), str(f.seats),
                 _ratio(f.fill_rate), f"{f.attendees / f.sessions:.1f}"]
                for f in report.fill
            ],
            ["Seats: the smaller of the type's max_size and the room's capacity."],
        )
    )  # fmt: skip
    out.append(
        Section(
            "Penalty by term",
            ["term", "amount", "weight", "cost"],
            [
                [TERM_NAMES.get(n, n), f"{t.amount:,}", f"{t.weight:,}", f"{t.cost:,}"]
                for n, t in report.terms.items()
            ]
            + [["total", "", "", f"{report.penalty:,}"]],
        )
    )
    out.append(
        Section(
            "Client idle time (who waits between sessions)",
            ["client", "day", "idle min", "cost"],
            [[w.client, w.day, str(w.idle_minutes), f"{w.cost:,}"] for w in report.idle],
            [] if report.idle else ["No client waits between sessions."],
        )
    )
    out.append(
        Section(
            "Preference misses (whose wishes are missed)",
            ["client", "session", "type", "when", "outside preferred", "cost"],
            [
                [m.client, m.session, m.type, f"{m.day} {m.start}-{m.end}", m.reason,
                 f"{m.cost:,}"]
                for m in report.preference_misses
            ],
            [] if report.preference_misses else ["Every preference is met."],
        )
    )  # fmt: skip
    out.append(
        Section(
            "Staff time by session type",
            ["type", "sessions", "staff min", "attendances", "min per attendance", "cost"],
            [
                [t.type, str(t.sessions), f"{t.staff_minutes:,}", str(t.attendances),
                 f"{t.staff_minutes / t.attendances:.0f}" if t.attendances else "-",
                 f"{t.cost:,}"]
                for t in report.type_costs
            ],
        )
    )  # fmt: skip
    shared = [s for s in report.session_costs if s.kind != "individual"][:TOP_SESSIONS]
    out.append(
        Section(
            f"Costliest group and course sessions (staff minutes per client, top {TOP_SESSIONS})",
            ["session", "type", "when", "leader", "clients", "staff min", "min per client"],
            [
                [s.session, s.type, f"{s.day} {s.start}-{s.end}", s.clinician or "-",
                 str(s.clients), str(s.staff_minutes), f"{s.minutes_per_client:.0f}"]
                for s in shared
            ],
            ["Emptier groups cost more staff time per client; merging them saves staff minutes."],
        )
    )  # fmt: skip
    if report.changes:
        out.append(
            Section(
                "Changes from the previous timetable (attendances not kept)",
                ["client", "type", "day", "start"],
                [[c["client"], c["type"], c["day"], c["start"]] for c in report.changes],
            )
        )
    if report.shortfalls:
        out.append(
            Section(
                "Shortfalls",
                ["client", "rule", "required", "scheduled"],
                [[s["client"], s["rule"], f"{s['required']:g}", f"{s['scheduled']:g}"]
                 for s in report.shortfalls],
            )
        )  # fmt: skip
    return out


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("%", "").replace(".", "", 1)
    return stripped.isdigit()


def render_table(report: Compliance) -> str:
    """The report as aligned plain-text tables."""
    lines: list[str] = []
    for section in sections(report):
        lines += [section.title, "=" * len(section.title)]
        headed = any(section.columns)
        table = ([section.columns] if headed else []) + section.rows
        if section.rows:
            widths = [max(len(row[i]) for row in table) for i in range(len(section.columns))]
            right = [
                all(_numeric(row[i]) or row[i] in ("", "-") for row in section.rows)
                for i in range(len(section.columns))
            ]
            for row in table:
                cells = [
                    cell.rjust(width) if align else cell.ljust(width)
                    for cell, width, align in zip(row, widths, right, strict=True)
                ]
                lines.append("  " + "  ".join(cells).rstrip())
        lines += section.notes
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(cell: str) -> str:
    """A table cell: names and ids are user text, escaped (`escape_markdown`)."""
    return escape_markdown(cell) or " "


def render_markdown(report: Compliance) -> str:
    """The report as Markdown: one heading and one table per section."""
    lines = ["# Compliance and KPI report", ""]
    for section in sections(report):
        lines += [f"## {escape_markdown(section.title)}", ""]
        if section.rows:
            columns = section.columns if any(section.columns) else ["item", "value"]
            lines.append("| " + " | ".join(_md(c) for c in columns) + " |")
            lines.append(
                "|"
                + "|".join("---:" if _right(section, i) else "---" for i in range(len(columns)))
                + "|"
            )
            for row in section.rows:
                lines.append("| " + " | ".join(_md(c) for c in row) + " |")
            lines.append("")
        for note in section.notes:
            text = escape_markdown(note.strip())
            lines.append(f"- {text}" if note.startswith("  ") else text)
        if section.notes:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _right(section: Section, index: int) -> bool:
    return bool(section.rows) and all(
        _numeric(row[index]) or row[index] in ("", "-") for row in section.rows
    )
