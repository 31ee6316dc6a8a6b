"""What every export shares: the real dates of the week, rows, labels, colours, extras."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ..domain import Instance, ScheduledSession, Timetable
from ..errors import InputError
from ..times import DAY_NAMES, WEEK_DAYS, format_hhmm, monday_of

#: How to install the optional libraries of the exports.
EXPORT_EXTRA = 'pip install "iop-scheduler[export]"'
#: Where a session without a room takes place.
TELEHEALTH = "Telehealth"

#: Colours for session types, in the order the instance lists them (tab10, then tab20's pale).
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip


def require_extra(module: str, purpose: str) -> ModuleType:
    """Import an optional library, or raise a one-line `InputError` saying what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"{purpose} needs the optional package {module}: {EXPORT_EXTRA}") from None


def ensure_timetable(instance: Instance, timetable: Timetable, *, file: str | None = None) -> None:
    """Raise `InputError` unless the file holds a timetable of this clinic week."""
    from ..validator import check_references

    if timetable.status not in ("optimal", "feasible"):
        raise InputError(
            f"status {timetable.status}: the file holds no timetable to export or report on",
            file=file,
        )
    check_references(instance, timetable, file=file)


@dataclass(frozen=True)
class WeekDates:
    """The calendar dates of a program week: its Monday, and whether that date was assumed."""

    monday: dt.date
    assumed: bool = False

    def date_of(self, day: str) -> dt.date:
        """The date of a program day (``"wed"`` is Monday + 2)."""
        return self.monday + dt.timedelta(days=WEEK_DAYS.index(day))

    def start_of(self, session: ScheduledSession) -> dt.datetime:
        """When a session starts, as a local (naive) date and time."""
        return _at(self.date_of(session.day), session.start)

    def end_of(self, session: ScheduledSession) -> dt.datetime:
        """When a session ends, as a local (naive) date and time ("24:00" is next midnight)."""
        return _at(self.date_of(session.day), session.end)

    @property
    def note(self) -> str:
        """A line for stderr when the week's date was assumed, else an empty string."""
        if not self.assumed:
            return ""
        return (
            f"note: the instance has no week_of; dates are for the week of Monday "
            f"{self.monday.isoformat()} (give --week-of to choose)"
        )


def _at(day: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)


def resolve_week(
    instance: Instance, week_of: dt.date | None = None, *, today: dt.date | None = None
) -> WeekDates:
    """The week's Monday: from ``week_of`` (argument, else the instance's), else the next Monday.

    Any date of the week may be given; its Monday is used. Without one, the week is the one
    starting on the first Monday after ``today`` and `WeekDates.assumed` is true.
    """
    given = week_of or instance.week_of
    if given is not None:
        return WeekDates(monday_of(given))
    today = today or dt.date.today()
    return WeekDates(today + dt.timedelta(days=7 - today.weekday()), assumed=True)


def type_colours(instance: Instance) -> dict[str, str]:
    """A distinct ``#rrggbb`` colour for each session type, stable for one instance."""
    return {t.id: PALETTE[i % len(PALETTE)] for i, t in enumerate(instance.session_types)}


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on a ``#rrggbb`` background."""
    red, green, blue = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#ffffff"


def sorted_sessions(sessions: list[ScheduledSession]) -> list[ScheduledSession]:
    """Sessions in week order: day, start, room, id."""
    return sorted(sessions, key=lambda s: (WEEK_DAYS.index(s.day), s.start, s.room or "", s.id))


def clinician_name(instance: Instance, clinician_id: str | None) -> str:
    """A clinician's name, or their id when they have none."""
    if clinician_id is None:
        return ""
    clin = instance.clinician_by_id.get(clinician_id)
    return (clin.name or clin.id) if clin else clinician_id


def roomless_label(instance: Instance) -> str:
    """What a session without a room is shown as: "Telehealth", unless a room is so called.

    A clinic may well have a room whose id or name is "Telehealth" (a video booth) or
    "Telehealth 2" (the heading of a second roomless lane, `lane_label`); its sessions and
    the roomless ones must not share a grid column or a calendar location.
    """
    # Case aside: a room called "telehealth" beside roomless "Telehealth" reads as one place.
    taken = {r.id.casefold() for r in instance.rooms}
    taken |= {r.name.casefold() for r in instance.rooms if r.name}

    def clashes(label: str) -> bool:  # with a room, or as the lane "label 2", "label 3"...
        folded = label.casefold()
        return any(
            place == folded
            or (place.startswith(f"{folded} ") and place[len(folded) + 1 :].isdigit())
            for place in taken
        )

    label = TELEHEALTH
    while clashes(label):
        label = f"{label} (no room)"
    return label


def room_name(instance: Instance, room_id: str | None) -> str:
    """A room's name (its id when unnamed), or `roomless_label` for a session without one."""
    if room_id is None:
        return roomless_label(instance)
    room = instance.room_by_id.get(room_id)
    return (room.name or room.id) if room else room_id


def client_name(instance: Instance, client_id: str) -> str:
    """A client's name, or their id when they have none."""
    client = instance.client_by_id.get(client_id)
    return (client.name or client.id) if client else client_id


#: Columns of ``sessions.csv`` and of the sessions sheet, in order.
SESSION_COLUMNS = (
    "session", "type", "type_name", "kind", "day", "date", "start", "end", "minutes",
    "clinician", "clinician_name", "discipline", "room", "room_name", "size", "clients",
)  # fmt: skip
#: Columns of ``attendances.csv`` and of the attendances sheet, in order.
ATTENDANCE_COLUMNS = (
    "session", "client", "client_name", "track", "type", "type_name", "kind", "day", "date",
    "start", "end", "minutes", "clinician", "clinician_name", "room", "room_name",
)  # fmt: skip


def session_rows(instance: Instance, timetable: Timetable, week: WeekDates) -> list[dict[str, Any]]:
    """One row per session, in week order, with names beside ids (clients joined by "; ")."""
    rows = []
    for s in sorted_sessions(timetable.sessions):
        stype = instance.type_by_id[s.type]
        clin = instance.clinician_by_id.get(s.clinician or "")
        rows.append(
            {
                "session": s.id,
                "type": s.type,
                "type_name": stype.title,
                "kind": stype.kind,
                "day": s.day,
                "date": week.date_of(s.day).isoformat(),
                "start": format_hhmm(s.start),
                "end": format_hhmm(s.end),
                "minutes": s.end - s.start,
                "clinician": s.clinician or "",
                "clinician_name": clinician_name(instance, s.clinician),
                "discipline": clin.discipline if clin else "",
                "room": s.room or "",
                "room_name": room_name(instance, s.room),
                "size": len(s.clients),
                "clients": "; ".join(s.clients),
            }
        )
    return rows


def attendance_rows(
    instance: Instance, timetable: Timetable, week: WeekDates
) -> list[dict[str, Any]]:
    """One row per client attendance, in week order, then by client."""
    rows = []
    for s in sorted_sessions(timetable.sessions):
        stype = instance.type_by_id[s.type]
        for c in s.clients:
            client = instance.client_by_id.get(c)
            rows.append(
                {
                    "session": s.id,
                    "client": c,
                    "client_name": client_name(instance, c),
                    "track": (client.track or "") if client else "",
                    "type": s.type,
                    "type_name": stype.title,
                    "kind": stype.kind,
                    "day": s.day,
                    "date": week.date_of(s.day).isoformat(),
                    "start": format_hhmm(s.start),
                    "end": format_hhmm(s.end),
                    "minutes": s.end - s.start,
                    "clinician": s.clinician or "",
                    "clinician_name": clinician_name(instance, s.clinician),
                    "room": s.room or "",
                    "room_name": room_name(instance, s.room),
                }
            )
    return rows


def day_label(day: str, week: WeekDates) -> str:
    """``"Monday 30 Nov"``."""
    date = week.date_of(day)
    return f"{DAY_NAMES[day]} {date.day} {date.strftime('%b')}"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(text: str) -> str:
    """An id made safe to use in a file name (unsafe characters become ``_``)."""
    return _UNSAFE.sub("_", text).strip("._") or "_"


def roomless_lanes(sessions: Iterable[ScheduledSession]) -> dict[str, int]:
    """The lane (0, 1, ...) of each session without a room, so that no two at once share one.

    Sessions of a type that needs no room (telehealth) may legitimately run at the same time,
    with different clinicians and clients. Each day's are taken by start time, and each goes
    into the first lane whose last session has ended by its start (interval partitioning):
    a day uses exactly as many lanes as it has such sessions at once, one when none overlap.
    Sessions with a room have no entry.
    """
    return overlap_lanes(s for s in sessions if s.room is None)


def overlap_lanes(sessions: Iterable[ScheduledSession]) -> dict[str, int]:
    """The lane (0, 1, ...) of each session, so that no two at the same time share one.

    Each day's sessions are taken by start time, and each goes into the first lane whose
    last session has ended by its start (interval partitioning): a day uses exactly as
    many lanes as it has sessions at once, one when none overlap.
    """
    lanes: dict[str, int] = {}
    ends: dict[str, list[int]] = defaultdict(list)  # day -> end of each lane's last session
    for s in sorted(sessions, key=lambda s: (s.start, s.id)):
        day = ends[s.day]
        lane = next((i for i, end in enumerate(day) if end <= s.start), len(day))
        if lane == len(day):
            day.append(s.end)
        else:
            day[lane] = s.end
        lanes[s.id] = lane
    return lanes


def lane_counts(sessions: Iterable[ScheduledSession], lanes: dict[str, int]) -> dict[str, int]:
    """How many lanes each day's sessions of `roomless_lanes` take (days without one: none)."""
    counts: dict[str, int] = {}
    for s in sessions:
        if s.id in lanes:
            counts[s.day] = max(counts.get(s.day, 0), lanes[s.id] + 1)
    return counts


def telehealth_lanes(
    sessions: list[ScheduledSession], days: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Each roomless session's lane, and how many telehealth lanes each day shows.

    A week grid shows telehealth on every day once any session of the week has no room
    (at least one lane a day, more where sessions run at once), and not at all otherwise.
    """
    lanes = roomless_lanes(sessions)
    counts = lane_counts(sessions, lanes)
    return lanes, {day: max(1, counts.get(day, 1)) if lanes else 0 for day in days}


def lane_label(name: str, lane: int) -> str:
    """The heading of a lane: ``name`` for the first, then ``name 2``, ``name 3``, ..."""
    return name if lane == 0 else f"{name} {lane + 1}"
