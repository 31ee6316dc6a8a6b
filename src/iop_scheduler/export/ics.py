"""iCalendar files: one calendar per clinician, per client and per room (``export`` extra)."""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..domain import Instance, ScheduledSession, Timetable
from ..errors import InputError
from ..io import as_instance, as_timetable, write_files_atomic
from ..wording import plural
from .common import (
    WeekDates,
    clinician_name,
    require_extra,
    room_name,
    safe_filename,
    sorted_sessions,
)

PRODID = f"-//iop-scheduler//iop-scheduler {__version__}//EN"
#: The name of every calendar file `export_ics` writes: ``<kind>-<safe_filename(id)>.ics``.
CALENDAR_FILE = re.compile(r"(?:clinician|client|room)-[A-Za-z0-9._-]+\.ics")


@dataclass
class IcsExport:
    """What `export_ics` wrote, whose calendar it left out, and what else is in the folder.

    ``empty``: the ``kind id`` of each clinician, client and room without a session, so
    without a calendar. ``stale``: calendar files in the folder, named as this export names
    them, that it did not write (left from an earlier export: a client gone, a room now
    empty); they are left as they were, never deleted.
    """

    written: list[Path] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)

    @property
    def stale_note(self) -> str:
        """A line for stderr naming the `stale` calendars, else an empty string."""
        if not self.stale:
            return ""
        folder = self.stale[0].parent
        many = len(self.stale) != 1
        return (
            f"note: {folder} also holds {plural(len(self.stale), 'calendar file')} "
            f"this export did not write, left as {'they were' if many else 'it was'}: "
            f"{', '.join(p.name for p in self.stale)}"
        )


def stale_calendars(folder: str | os.PathLike[str], written: list[Path]) -> list[Path]:
    """The files in ``folder`` named like the export's calendars but not in ``written``."""
    root = Path(folder)
    if not root.is_dir():
        return []
    mine = {p.name for p in written}
    try:  # only a note: a folder that can be written but not listed gets none
        found = [p for p in root.iterdir() if CALENDAR_FILE.fullmatch(p.name) and p.is_file()]
    except OSError:
        return []
    return sorted(p for p in found if p.name not in mine)


def parse_timezone(name: str | None) -> dt.tzinfo | None:
    """The time zone of an IANA name (``Europe/Paris``); None (floating local times) for None."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"--timezone: unknown time zone {name!r} (use an IANA name such as America/New_York)"
        ) from None


def calendars(
    instance: Instance, timetable: Timetable
) -> list[tuple[str, str, str, list[ScheduledSession]]]:
    """Each calendar as ``(kind, id, title, sessions)``: clinicians, then clients, then rooms."""
    led: dict[str, list[ScheduledSession]] = defaultdict(list)
    attended: dict[str, list[ScheduledSession]] = defaultdict(list)
    held: dict[str, list[ScheduledSession]] = defaultdict(list)
    for s in sorted_sessions(timetable.sessions):
        if s.clinician:
            led[s.clinician].append(s)
        for c in dict.fromkeys(s.clients):
            attended[c].append(s)
        if s.room:
            held[s.room].append(s)
    found = []
    for clin in instance.clinicians:
        found.append(("clinician", clin.id, clin.name or clin.id, led[clin.id]))
    for client in instance.clients:
        found.append(("client", client.id, client.name or client.id, attended[client.id]))
    for room in instance.rooms:
        found.append(("room", room.id, room.name or room.id, held[room.id]))
    return found


def export_ics(
    instance: Instance,
    timetable: Timetable,
    folder: str | os.PathLike[str],
    week: WeekDates,
    *,
    timezone: str | None = None,
    stamp: dt.datetime | None = None,
) -> IcsExport:
    """Write ``clinician-<id>.ics``, ``client-<id>.ics`` and ``room-<id>.ics`` into ``folder``.

    Times are floating local times unless ``timezone`` (an IANA name) is given; then they
    carry that TZID and each file holds the matching VTIMEZONE. A clinician, client or room
    with no session this week gets no file (RFC 5545 wants at least one event); their
    ``kind id`` is listed in `IcsExport.empty`. Every file is built, and every target
    checked, before any is replaced (`write_files_atomic`): an error leaves the folder as it
    was. Calendar files of the folder that this export did not write are listed in
    `IcsExport.stale`, and left alone.
    """
    instance, timetable = as_instance(instance), as_timetable(timetable)
    icalendar = require_extra("icalendar", "the iCalendar export")
    tz = parse_timezone(timezone)
    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    result = IcsExport()
    files: dict[str, bytes] = {}
    for kind, entity_id, title, sessions in calendars(instance, timetable):
        if not sessions:
            result.empty.append(f"{kind} {entity_id}")
            continue
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        # An X- property is not known to be text: say so, so that ; , and \ are escaped.
        calname = f"{title} - {instance.name or 'IOP'} week of {week.monday}"
        cal.add("x-wr-calname", icalendar.vText(calname))
        if timezone:
            cal.add("x-wr-timezone", timezone)
        for s in sessions:
            cal.add_component(_event(icalendar, instance, s, kind, entity_id, week, tz, stamp))
        _add_timezones(cal, week)
        name = f"{kind}-{safe_filename(entity_id)}"
        while f"{name}.ics" in files:
            name += "_"
        files[f"{name}.ics"] = cal.to_ical()
    result.written = write_files_atomic(folder, files)
    result.stale = stale_calendars(folder, result.written)
    return result


def _add_timezones(cal: Any, week: WeekDates) -> None:
    """Add the VTIMEZONE of every TZID used, with the rules of the years around the week."""
    add = getattr(cal, "add_missing_timezones", None)  # icalendar 6.1 and later
    if add is not None:
        year = week.monday.year
        add(first_date=dt.date(year - 1, 1, 1), last_date=dt.date(year + 2, 1, 1))


def _event(
    icalendar: Any,
    instance: Instance,
    s: ScheduledSession,
    kind: str,
    entity_id: str,
    week: WeekDates,
    tz: dt.tzinfo | None,
    stamp: dt.datetime,
) -> Any:
    """One VEVENT: SUMMARY the type name, LOCATION the room, DESCRIPTION leader and size."""
    stype = instance.type_by_id[s.type]
    start, end = week.start_of(s), week.end_of(s)
    if tz is not None:
        start, end = start.replace(tzinfo=tz), end.replace(tzinfo=tz)
        if not hasattr(icalendar.Calendar, "add_missing_timezones"):
            # Without VTIMEZONE support a TZID would be unresolved: give UTC instead.
            start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    event = icalendar.Event()
    # Ids are quoted, not cleaned: the ids "a b" and "a_b" must not share a UID.
    event.add(
        "uid",
        f"{safe_filename(instance.name or 'iop')}-{week.monday:%Y%m%d}-{quote(s.id, safe='')}-"
        f"{kind}-{quote(entity_id, safe='')}@iop-scheduler",
    )
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", stype.title)
    event.add("location", room_name(instance, s.room))
    event.add("categories", [stype.kind])
    clin = instance.clinician_by_id.get(s.clinician or "")
    leader = clinician_name(instance, s.clinician) or "no leader"
    if clin is not None:
        leader += f" ({clin.discipline.replace('_', ' ')})"
    size = len(s.clients)
    lines = [f"Led by {leader}", f"Attendees: {plural(size, 'client')}"]
    if kind != "client" and s.clients:
        lines.append(f"Clients: {', '.join(s.clients)}")
    lines.append(f"Session {s.id} ({s.type}, {stype.kind})")
    event.add("description", "\n".join(lines))
    event.add("transp", "OPAQUE")
    return event
