"""The domain model: a clinic week (``iop-instance/1``) and a timetable (``iop-schedule/1``).

One set of pydantic models shared by loading, solving, validating and reporting. Single
fields are checked where they are declared; cross-references and the time grid are checked
in one ``model_validator`` per file format, whose messages start with the field path and the
offending id so that the CLI can print them as one line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from .times import (
    ALLOWED_SLOT_MINUTES,
    WEEK_DAYS,
    Day,
    day_index,
    format_hhmm,
    monday_of,
    parse_hhmm,
)

INSTANCE_FORMAT = "iop-instance/1"
SCHEDULE_FORMAT: Literal["iop-schedule/1"] = "iop-schedule/1"


def _to_minutes(value: Any) -> Any:
    if isinstance(value, str):
        return parse_hhmm(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f'time {value!r} is not an "HH:MM" string')
    return value


#: A time of day: "HH:MM" in JSON, minutes since midnight in Python.
TimeOfDay = Annotated[
    int,
    BeforeValidator(_to_minutes),
    # A time assigned in Python as "HH:MM" (not yet checked) is written back as it is.
    PlainSerializer(lambda v: v if isinstance(v, str) else format_hhmm(v), return_type=str),
    Field(ge=0, le=24 * 60),
]


def _check_window(window: tuple[int, int]) -> tuple[int, int]:
    start, end = window
    if end <= start:
        raise ValueError(
            f"window end {format_hhmm(end)} is not after its start {format_hhmm(start)}"
        )
    return window


#: A half-open window ``[start, end)``.
Window = Annotated[tuple[TimeOfDay, TimeOfDay], AfterValidator(_check_window)]
#: ``{day: [[start, end], ...]}``; a missing day is unavailable that day.
Availability = dict[Day, list[Window]]


def _no_control_characters(text: str) -> str:
    """Refuse characters no calendar, workbook or table can show (NUL, ESC, BEL...)."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            raise ValueError(f"{text!r} contains the control character U+{ord(char):04X}")
    return text


def display_name(text: str) -> str:
    """A name as people read it: runs of whitespace are one space.

    A line break (Alt+Enter in a spreadsheet cell) or a tab reads as a space.
    """
    return _no_control_characters(" ".join(text.split()))


#: An id, or a label matched exactly (track, discipline, room kind): not empty, and no
#: control character (a carriage return in a track would split its roster CSV row).
Id = Annotated[str, Field(min_length=1), AfterValidator(_no_control_characters)]
#: The years a week may fall in: calendars and workbooks count the days around the week,
#: and year 1 or 9999 left them no year to count in (a fuzz run's ICS export crashed).
WEEK_YEARS = (1900, 2999)


def check_week_date(date: dt.date) -> dt.date:
    """Refuse a date outside `WEEK_YEARS` (with the message an input error shows)."""
    first, last = WEEK_YEARS
    if not first <= date.year <= last:
        raise ValueError(f"{date.isoformat()}: a week must fall in the years {first}-{last}")
    return date


WeekOf = Annotated[dt.date, AfterValidator(check_week_date)]
#: A display name: whitespace (line breaks included) collapsed to single spaces.
Name = Annotated[str, AfterValidator(display_name)]


def _a_number(value: Any) -> Any:
    """Refuse text and true/false where a number is wanted (pydantic would convert them).

    Found by a fuzz run: ``"slot_minutes": "30"`` and ``true`` for a count were accepted.
    """
    if isinstance(value, bool | str):
        raise ValueError(f"must be a number, not {json.dumps(value)}")
    return value


#: A number as JSON writes one (``3`` or ``3.0``, never ``"3"`` or ``true``).
Number = BeforeValidator(_a_number)
#: Hours in a week or a day: finite, and no more than the week or the day holds.
WeekHours = Annotated[float, Field(ge=0, le=7 * 24, allow_inf_nan=False), Number]
DayHours = Annotated[float, Field(ge=0, le=24, allow_inf_nan=False), Number]
Kind = Literal["group", "individual", "course"]


class StrictModel(BaseModel):
    """A model that rejects unknown fields."""

    model_config = ConfigDict(extra="forbid")


#: The largest count accepted (sessions, days, disciplines, seats): far above any week,
#: and small enough that the shortfalls it allows stay within CP-SAT's integer range
#: (a fuzz run's 10**15 days made the model invalid and 2**63 crashed building it).
MAX_COUNT = 1000
Count = Annotated[int, Field(ge=0, le=MAX_COUNT), Number]
PositiveCount = Annotated[int, Field(ge=1, le=MAX_COUNT), Number]


class Rules(StrictModel):
    """The week rules of SPEC section 4, with their defaults."""

    min_days_per_client_week: Count = 3
    min_hours_per_client_week: WeekHours = 10
    max_hours_per_client_week: WeekHours | None = 19
    min_hours_per_client_day: DayHours = 3
    max_hours_per_client_day: DayHours | None = None
    min_group_sessions_per_client_day: Count = 2
    max_same_type_per_client_day: PositiveCount = 1
    min_disciplines_per_client_week: Count = 2
    min_disciplines_per_day: Count = 2


#: The largest penalty weight accepted: far above any sensible weight, and low enough that
#: weight x minutes x the re-plan tie-break scale stays within CP-SAT's 64-bit objective.
MAX_WEIGHT = 1_000_000
Weight = Annotated[int, Field(ge=0, le=MAX_WEIGHT), Number]


class Weights(StrictModel):
    """The penalty weights of SPEC section 5, with their defaults."""

    staff_minute: Weight = 1
    client_idle_minute: Weight = 2
    preference_miss: Weight = 60
    change_from_previous: Weight = 120
    shortfall_minute: Weight = 1000


class SessionType(StrictModel):
    """A kind of session the program runs: a group, an individual session or a course."""

    id: Id
    name: Name = ""
    kind: Kind
    duration_minutes: Annotated[int, Field(ge=1, le=24 * 60), Number]
    min_size: PositiveCount | None = None
    max_size: PositiveCount | None = None
    disciplines: list[Id] = Field(min_length=1)
    room_kinds: list[Id] = Field(default_factory=list)
    tracks: list[Id] = Field(default_factory=list)

    @property
    def title(self) -> str:
        """The name, or the id when the type has no name."""
        return self.name or self.id

    @property
    def size_min(self) -> int:
        """Fewest clients a session of this type may hold."""
        if self.kind == "individual":
            return 1
        return self.min_size if self.min_size is not None else 1

    @property
    def size_max(self) -> int | None:
        """Most clients a session of this type may hold (None: only the room bounds it)."""
        if self.kind == "individual":
            return 1
        return self.max_size

    @property
    def needs_room(self) -> bool:
        """Whether sessions of this type take a room (an empty list means telehealth)."""
        return bool(self.room_kinds)

    def admits_track(self, track: str | None) -> bool:
        """Whether a client of this track may attend this type."""
        return not self.tracks or track in self.tracks


class Clinician(StrictModel):
    """A member of staff who leads sessions."""

    id: Id
    name: Name = ""
    discipline: Id
    availability: Availability | None = None
    max_hours_per_day: DayHours | None = None
    max_hours_per_week: WeekHours | None = None
    qualified_for: list[Id] | None = None


class Room(StrictModel):
    """A room sessions can be held in; capacity counts clients only."""

    id: Id
    name: Name = ""
    kind: Id
    capacity: Count
    availability: Availability | None = None


class Client(StrictModel):
    """An enrolled client and what their week must hold."""

    id: Id
    name: Name = ""
    track: Id | None = None
    availability: Availability | None = None
    requires: dict[str, Count] = Field(default_factory=dict)
    assigned_clinicians: dict[str, str] = Field(default_factory=dict)
    preferred_days: list[Day] = Field(default_factory=list)
    preferred_window: Window | None = None


class FixedSession(StrictModel):
    """A session already booked: it must appear as given, with at least these clients."""

    type: str
    day: Day
    start: TimeOfDay
    clinician: str
    room: str | None = None
    clients: list[str] = Field(default_factory=list)


class Instance(StrictModel):
    """A clinic week: who is enrolled, who is on staff, which rooms and session types exist."""

    format: Literal["iop-instance/1"]
    name: Name = ""
    week_of: WeekOf | None = None
    days: list[Day] = Field(min_length=1)
    slot_minutes: Annotated[int, Number]
    open: TimeOfDay = 8 * 60
    close: TimeOfDay = 21 * 60
    rules: Rules = Field(default_factory=Rules)
    weights: Weights = Field(default_factory=Weights)
    session_types: list[SessionType]
    clinicians: list[Clinician]
    rooms: list[Room]
    clients: list[Client]
    fixed_sessions: list[FixedSession] = Field(default_factory=list)

    def __repr__(self) -> str:
        # A notebook shows this: the week in a line, not 14,000 characters of data.
        week = f", week_of={self.week_of.isoformat()!r}" if self.week_of else ""
        return (
            f"Instance(name={self.name!r}{week}, days={self.days!r}, "
            f"clients={len(self.clients)}, clinicians={len(self.clinicians)}, "
            f"rooms={len(self.rooms)}, session_types={len(self.session_types)}, "
            f"fixed_sessions={len(self.fixed_sessions)})"
        )

    __str__ = __repr__

    # -- lookups -------------------------------------------------------------------------

    @cached_property
    def type_by_id(self) -> dict[str, SessionType]:
        """Session types by id."""
        return {t.id: t for t in self.session_types}

    @cached_property
    def clinician_by_id(self) -> dict[str, Clinician]:
        """Clinicians by id."""
        return {c.id: c for c in self.clinicians}

    @cached_property
    def room_by_id(self) -> dict[str, Room]:
        """Rooms by id."""
        return {r.id: r for r in self.rooms}

    @cached_property
    def client_by_id(self) -> dict[str, Client]:
        """Clients by id."""
        return {c.id: c for c in self.clients}

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, as pydantic's, whose lookups (``type_by_id``...) follow ``update``.

        pydantic copies the instance's ``__dict__``, cached lookups included, so a copy with
        other rooms would still find the old ones by id.
        """
        copy = super().model_copy(update=update, deep=deep)
        for name in _LOOKUPS:
            copy.__dict__.pop(name, None)
        return copy

    # -- cross-references ----------------------------------------------------------------

    @model_validator(mode="after")
    def _check_cross_references(self) -> Instance:
        """Check the grid, unique ids and that every reference resolves."""
        _check_instance(self)
        return self


#: The cached lookups of an `Instance`, which a copy must build again.
_LOOKUPS = tuple(name for name, attr in vars(Instance).items() if isinstance(attr, cached_property))


def _unique(items: list[Any], field: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            raise ValueError(f"{field}[{index}].id: duplicate id '{item.id}'")
        seen.add(item.id)


def _on_grid(minutes: int, slot: int, where: str) -> None:
    if minutes % slot:
        raise ValueError(f"{where}: time {format_hhmm(minutes)} is not on the {slot}-minute grid")


def _check_availability(avail: Availability | None, slot: int, where: str) -> None:
    for day, windows in (avail or {}).items():
        for index, (start, end) in enumerate(windows):
            _on_grid(start, slot, f"{where}.availability.{day}[{index}]")
            _on_grid(end, slot, f"{where}.availability.{day}[{index}]")


def _check_instance(inst: Instance) -> None:
    slot = inst.slot_minutes
    if slot not in ALLOWED_SLOT_MINUTES:
        raise ValueError(
            f"slot_minutes: {slot} is not one of {', '.join(map(str, ALLOWED_SLOT_MINUTES))}"
        )
    if len(set(inst.days)) != len(inst.days):
        raise ValueError("days: a day is listed twice")
    # Days are kept in week order whatever order the file gives them in.
    inst.days.sort(key=WEEK_DAYS.index)
    _on_grid(inst.open, slot, "open")
    _on_grid(inst.close, slot, "close")
    if inst.close <= inst.open:
        raise ValueError(
            f"close: {format_hhmm(inst.close)} is not after open {format_hhmm(inst.open)}"
        )
    for field in ("session_types", "clinicians", "rooms", "clients"):
        _unique(getattr(inst, field), field)
    types = inst.type_by_id
    for index, stype in enumerate(inst.session_types):
        where = f"session_types[{index}] ({stype.id})"
        if stype.duration_minutes % slot:
            raise ValueError(
                f"{where}.duration_minutes: {stype.duration_minutes} is not a multiple of "
                f"the {slot}-minute grid"
            )
        if stype.kind == "individual":
            for bound in ("min_size", "max_size"):
                if getattr(stype, bound) not in (None, 1):
                    raise ValueError(
                        f"{where}.{bound}: an individual session has exactly one client, "
                        f"not {getattr(stype, bound)}"
                    )
        if (
            stype.min_size is not None
            and stype.max_size is not None
            and stype.min_size > stype.max_size
        ):
            raise ValueError(
                f"{where}.min_size: {stype.min_size} is larger than max_size {stype.max_size}"
            )
    for index, clin in enumerate(inst.clinicians):
        where = f"clinicians[{index}] ({clin.id})"
        _check_availability(clin.availability, slot, where)
        for type_id in clin.qualified_for or []:
            if type_id not in types:
                raise ValueError(f"{where}.qualified_for: unknown session type '{type_id}'")
    for index, room in enumerate(inst.rooms):
        _check_availability(room.availability, slot, f"rooms[{index}] ({room.id})")
    for index, client in enumerate(inst.clients):
        where = f"clients[{index}] ({client.id})"
        _check_availability(client.availability, slot, where)
        for type_id in client.requires:
            if type_id not in types:
                raise ValueError(f"{where}.requires: unknown session type '{type_id}'")
        for type_id, clin_id in client.assigned_clinicians.items():
            if type_id not in types:
                raise ValueError(f"{where}.assigned_clinicians: unknown session type '{type_id}'")
            if clin_id not in inst.clinician_by_id:
                raise ValueError(
                    f"{where}.assigned_clinicians.{type_id}: unknown clinician '{clin_id}'"
                )
        if client.preferred_window is not None:
            for minutes in client.preferred_window:
                _on_grid(minutes, slot, f"{where}.preferred_window")
    for index, fixed in enumerate(inst.fixed_sessions):
        _check_fixed(inst, index, fixed)


def _check_fixed(inst: Instance, index: int, fixed: FixedSession) -> None:
    where = f"fixed_sessions[{index}]"
    stype = inst.type_by_id.get(fixed.type)
    if stype is None:
        raise ValueError(f"{where}.type: unknown session type '{fixed.type}'")
    if fixed.day not in inst.days:
        raise ValueError(f"{where}.day: '{fixed.day}' is not a program day")
    _on_grid(fixed.start, inst.slot_minutes, f"{where}.start")
    end = fixed.start + stype.duration_minutes
    if fixed.start < inst.open or end > inst.close:
        raise ValueError(
            f"{where}.start: a {stype.id} session at {format_hhmm(fixed.start)} ends at "
            f"{format_hhmm(end)}, outside program hours "
            f"{format_hhmm(inst.open)}-{format_hhmm(inst.close)}"
        )
    clin = inst.clinician_by_id.get(fixed.clinician)
    if clin is None:
        raise ValueError(f"{where}.clinician: unknown clinician '{fixed.clinician}'")
    if clin.discipline not in stype.disciplines:
        raise ValueError(
            f"{where}.clinician: '{clin.id}' is a {clin.discipline}, and {stype.id} is led by "
            f"{', '.join(stype.disciplines)}"
        )
    if clin.qualified_for is not None and stype.id not in clin.qualified_for:
        raise ValueError(f"{where}.clinician: '{clin.id}' is not qualified for {stype.id}")
    if stype.needs_room:
        if fixed.room is None:
            raise ValueError(
                f"{where}.room: {stype.id} needs a room of kind {', '.join(stype.room_kinds)}"
            )
        room = inst.room_by_id.get(fixed.room)
        if room is None:
            raise ValueError(f"{where}.room: unknown room '{fixed.room}'")
        if room.kind not in stype.room_kinds:
            raise ValueError(
                f"{where}.room: '{room.id}' is a {room.kind}, and {stype.id} needs "
                f"{', '.join(stype.room_kinds)}"
            )
    elif fixed.room is not None:
        raise ValueError(f"{where}.room: {stype.id} takes no room, but '{fixed.room}' is given")
    if len(set(fixed.clients)) != len(fixed.clients):
        raise ValueError(f"{where}.clients: a client is listed twice")
    for client_id in fixed.clients:
        client = inst.client_by_id.get(client_id)
        if client is None:
            raise ValueError(f"{where}.clients: unknown client '{client_id}'")
        if not stype.admits_track(client.track):
            raise ValueError(
                f"{where}.clients: '{client_id}' is on track {client.track}, which "
                f"{stype.id} does not admit"
            )
    if stype.kind == "individual" and len(fixed.clients) != 1:
        raise ValueError(
            f"{where}.clients: an individual session has exactly one client, "
            f"not {len(fixed.clients)}"
        )
    if stype.size_max is not None and len(fixed.clients) > stype.size_max:
        raise ValueError(
            f"{where}.clients: {len(fixed.clients)} clients exceed {stype.id}'s max_size "
            f"{stype.size_max}"
        )


# -- timetable ---------------------------------------------------------------------------

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


class ScheduledSession(StrictModel):
    """One session of a timetable: what, when, who leads, where, and who attends."""

    # No control characters: the exports show it (a fuzz run's NUL crashed the workbook).
    id: Annotated[str, AfterValidator(_no_control_characters)]
    type: str
    day: Day
    start: TimeOfDay
    end: TimeOfDay
    clinician: str | None
    room: str | None = None
    clients: list[str] = Field(default_factory=list)

    def __repr__(self) -> str:
        # Times as the file writes them, not minutes since midnight (540, 600).
        return (
            f"ScheduledSession(id={self.id!r}, type={self.type!r}, day={self.day!r}, "
            f"start={format_hhmm(self.start)!r}, end={format_hhmm(self.end)!r}, "
            f"clinician={self.clinician!r}, room={self.room!r}, clients={self.clients!r})"
        )

    __str__ = __repr__

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> ScheduledSession:
        # Not a grid violation to list: with a negative length every hour count of the
        # week would be nonsense (as a window whose end is not after its start).
        if self.end <= self.start:
            raise ValueError(
                f"end {format_hhmm(self.end)} is not after its start {format_hhmm(self.start)}"
            )
        return self


class Shortfall(StrictModel):
    """A week minimum that a client falls short of (only when shortfalls are allowed)."""

    client: str
    rule: str
    #: Hours for min_hours_per_client_week (fractions allowed); counts for the others.
    required: int | float
    scheduled: int | float


class Timetable(BaseModel):
    """A timetable file; extra fields (such as the penalty by term) are kept."""

    model_config = ConfigDict(extra="allow")

    format: Literal["iop-schedule/1"] = SCHEDULE_FORMAT
    instance: str
    status: Status
    penalty: int | None = None
    bound: int | None = None
    solve_seconds: float | None = None
    sessions: list[ScheduledSession] = Field(default_factory=list)
    shortfalls: list[Shortfall] = Field(default_factory=list)
    explanation: list[str] = Field(default_factory=list)

    def __repr__(self) -> str:
        # A notebook shows this: what the file holds, not 12,000 characters of sessions.
        return (
            f"Timetable(instance={self.instance!r}, status={self.status!r}, "
            f"penalty={self.penalty!r}, bound={self.bound!r}, sessions={len(self.sessions)}, "
            f"shortfalls={len(self.shortfalls)})"
        )

    __str__ = __repr__


def record_planned_week(timetable: Timetable, instance: Instance) -> Timetable:
    """Write into ``timetable`` the Monday of the week it was planned for (``week_of``).

    An extra field (SPEC 9.15) that every timetable the tool writes carries when its
    instance names a week: a timetable names only its clinic, so last week's file could be
    exported under this week's dates (coordinator walk-through). `planned_monday` reads it.
    """
    if instance.week_of is not None:
        timetable.week_of = monday_of(instance.week_of).isoformat()  # type: ignore[attr-defined]
    return timetable


def planned_monday(timetable: Timetable) -> dt.date | None:
    """The Monday of the week a timetable records it was planned for (None: not said)."""
    planned = (timetable.model_extra or {}).get("week_of")
    try:
        return monday_of(dt.date.fromisoformat(planned)) if isinstance(planned, str) else None
    except ValueError:
        return None  # an extra field a person wrote: not ours to judge


def carry_session_ids(
    previous: Timetable, sessions: list[ScheduledSession]
) -> list[ScheduledSession]:
    """Give each session that ``previous`` also ran its previous id; new ones the next free.

    A re-planned week keeps the ids of the sessions that did not move, so calendar events
    (whose UIDs hold the id) update in place instead of being duplicated, and ``s2`` does
    not come to mean another session. A session matches a previous one of the same type,
    day and start: the same leader and room first, then the same leader, then any.
    """
    keys: tuple[Callable[[ScheduledSession], tuple[object, ...]], ...] = (
        lambda s: (s.type, s.day, s.start, s.clinician, s.room),
        lambda s: (s.type, s.day, s.start, s.clinician),
        lambda s: (s.type, s.day, s.start),
    )
    uses = Counter(s.id for s in previous.sessions)
    taken = set(uses)
    # An id the previous week uses twice (a hand-edited file) is nobody's to keep: handed
    # on, it would make the new week break the unique-id rule (found by review).
    unique = {i for i, count in uses.items() if count == 1}
    ids: dict[int, str] = {}  # position in ``sessions`` -> the previous id it keeps
    for key in keys:
        kept = set(ids.values())
        by_key: dict[tuple[object, ...], list[str]] = defaultdict(list)
        for old in previous.sessions:
            if old.id in unique and old.id not in kept:
                by_key[key(old)].append(old.id)
        for position, session in enumerate(sessions):
            if position not in ids and by_key.get(key(session)):
                ids[position] = by_key[key(session)].pop(0)
    numbers = (re.fullmatch(r"s([0-9]{1,9})", i) for i in taken)  # ASCII digits only
    number = max((int(m.group(1)) for m in numbers if m), default=0)
    for position, session in enumerate(sessions):
        if position in ids:
            session.id = ids[position]
            continue
        number += 1
        while f"s{number}" in taken:
            number += 1
        session.id = f"s{number}"
    return sessions


def number_sessions(sessions: list[ScheduledSession]) -> list[ScheduledSession]:
    """Sort sessions by day, start, type and leader, and number them s1, s2, ..."""
    sessions.sort(key=lambda s: (day_index(s.day), s.start, s.type, s.clinician or ""))
    for number, session in enumerate(sessions, start=1):
        session.id = f"s{number}"
    return sessions
