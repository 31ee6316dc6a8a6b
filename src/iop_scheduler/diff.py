"""The difference between two timetables of one clinic, in human terms.

Sessions are matched old to new: same type, day, start, leader, room and clients is
unchanged; same type, day and start with most clients in common is the same session with a
new leader, room or roster; same type and leader at another time is a moved session; the
rest were cancelled or added. Each client's lost and new attendances are paired by type
into moves ("c12: process Tue 17:00 → Wed 17:00").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .domain import ScheduledSession, Timetable
from .times import DAY_NAMES, day_index, format_hhmm
from .wording import plural

Attendance = tuple[str, str, int]  # (type, day, start)


def _when(day: str, start: int) -> str:
    return f"{DAY_NAMES[day][:3]} {format_hhmm(start)}"


def _label(s: ScheduledSession) -> str:
    return f"{s.type} {_when(s.day, s.start)} ({s.clinician}{', ' + s.room if s.room else ''})"


def _who(s: ScheduledSession) -> str:
    """A session before its change: its time, leader and, for a one-client session, client.

    Several sessions of a type can start at once (three individuals at Mon 12:00): the
    leader, and for an individual session the client, say which one changed.
    """
    client = f" with {s.clients[0]}" if len(s.clients) == 1 else ""
    return f"{s.type} {_when(s.day, s.start)} ({s.clinician}{client})"


@dataclass
class SessionChange:
    """A session cancelled, added, moved, or given a new leader, room or roster."""

    kind: str  # "cancelled", "added", "moved", "changed"
    old: ScheduledSession | None
    new: ScheduledSession | None
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.kind == "cancelled" and self.old is not None:
            return f"cancelled {_label(self.old)}, {plural(len(self.old.clients), 'client')}"
        if self.kind == "added" and self.new is not None:
            return f"added {_label(self.new)}, {plural(len(self.new.clients), 'client')}"
        assert self.old is not None and self.new is not None
        return f"{_who(self.old)}: " + "; ".join(self.details)


@dataclass
class ClientChange:
    """What changes for one client: moves between sessions, lost and new attendances."""

    client: str
    moves: list[tuple[Attendance, Attendance]] = field(default_factory=list)
    lost: list[Attendance] = field(default_factory=list)
    gained: list[Attendance] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"{a[0]} {_when(a[1], a[2])} → {_when(b[1], b[2])}" for a, b in self.moves]
        parts += [f"no longer {t} {_when(d, s)}" for t, d, s in self.lost]
        parts += [f"now also {t} {_when(d, s)}" for t, d, s in self.gained]
        return f"{self.client}: " + "; ".join(parts)


@dataclass
class TimetableDiff:
    """Everything that differs between an old and a new timetable."""

    sessions: list[SessionChange]
    clients: list[ClientChange]
    attendances_kept: int
    attendances_removed: int
    attendances_added: int
    sessions_unchanged: int

    def __repr__(self) -> str:
        return (
            f"TimetableDiff(sessions_changed={len(self.sessions)}, "
            f"sessions_unchanged={self.sessions_unchanged}, "
            f"attendances_kept={self.attendances_kept}, "
            f"attendances_removed={self.attendances_removed}, "
            f"attendances_added={self.attendances_added}, clients={len(self.clients)})"
        )

    def __str__(self) -> str:
        # print(diff) reads as the CLI's "What changed" (it printed the dataclass).
        return "\n".join(self.lines())

    @property
    def changed_attendances(self) -> int:
        """Old (client, type, day, start) attendances that the new timetable does not have."""
        return self.attendances_removed

    def to_json(self) -> dict[str, Any]:
        """The difference as JSON: sessions in timetable form, attendances as objects."""

        def attendance(a: Attendance) -> dict[str, str]:
            return {"type": a[0], "day": a[1], "start": format_hhmm(a[2])}

        def session(s: ScheduledSession | None) -> dict[str, Any] | None:
            return None if s is None else s.model_dump(mode="json")

        return {
            "sessions_unchanged": self.sessions_unchanged,
            "attendances_kept": self.attendances_kept,
            "attendances_removed": self.attendances_removed,
            "attendances_added": self.attendances_added,
            "sessions": [
                {
                    "kind": c.kind,
                    "old": session(c.old),
                    "new": session(c.new),
                    "details": c.details,
                }
                for c in self.sessions
            ],
            "clients": [
                {
                    "client": c.client,
                    "moves": [{"from": attendance(a), "to": attendance(b)} for a, b in c.moves],
                    "lost": [attendance(a) for a in c.lost],
                    "gained": [attendance(a) for a in c.gained],
                }
                for c in self.clients
            ],
        }

    def lines(self) -> list[str]:
        """The difference as readable lines."""
        out = [
            f"{self.sessions_unchanged} session(s) unchanged, {len(self.sessions)} changed; "
            f"{self.attendances_kept} attendance(s) kept, {self.attendances_removed} removed, "
            f"{self.attendances_added} added; {len(self.clients)} client(s) affected"
        ]
        if self.sessions:
            out.append("Sessions:")
            out += [f"  {change}" for change in self.sessions]
        if self.clients:
            out.append("Clients:")
            out += [f"  {change}" for change in self.clients]
        return out


def _attendances(timetable: Timetable) -> dict[str, set[Attendance]]:
    found: dict[str, set[Attendance]] = defaultdict(set)
    for s in timetable.sessions:
        for c in s.clients:
            found[c].add((s.type, s.day, s.start))
    return found


def _order(a: Attendance) -> tuple[int, int, str]:
    return (day_index(a[1]), a[2], a[0])


def _change_order(change: SessionChange) -> tuple[int, int, str]:
    session = change.old or change.new
    assert session is not None
    return (day_index(session.day), session.start, session.type)


def diff_timetables(old: Timetable, new: Timetable) -> TimetableDiff:
    """Compare two timetables of one clinic."""
    old_left = list(old.sessions)
    new_left = list(new.sessions)
    unchanged = 0

    def same(a: ScheduledSession, b: ScheduledSession) -> bool:
        return (a.type, a.day, a.start, a.clinician, a.room, sorted(a.clients)) == (
            b.type,
            b.day,
            b.start,
            b.clinician,
            b.room,
            sorted(b.clients),
        )

    for a in list(old_left):
        match = next((b for b in new_left if same(a, b)), None)
        if match is not None:
            old_left.remove(a)
            new_left.remove(match)
            unchanged += 1
    changes: list[SessionChange] = []

    def pair(key_same: bool) -> None:
        for a in list(old_left):
            candidates = [
                b
                for b in new_left
                if b.type == a.type
                and (
                    (b.day, b.start) == (a.day, a.start) if key_same else b.clinician == a.clinician
                )
            ]
            if not candidates:
                continue
            b = max(
                candidates,
                key=lambda s: (
                    len(set(s.clients) & set(a.clients)),
                    s.clinician == a.clinician,
                    s.room == a.room,
                ),
            )
            if not key_same and not set(b.clients) & set(a.clients):
                continue
            old_left.remove(a)
            new_left.remove(b)
            details = []
            if (a.day, a.start) != (b.day, b.start):
                details.append(f"moved to {_when(b.day, b.start)}")
            if a.clinician != b.clinician:
                details.append(f"leader {a.clinician} → {b.clinician}")
            if a.room != b.room:
                details.append(f"room {a.room} → {b.room}")
            left = sorted(set(a.clients) - set(b.clients))
            joined = sorted(set(b.clients) - set(a.clients))
            if left:
                details.append(f"{', '.join(left)} left")
            if joined:
                details.append(f"{', '.join(joined)} joined")
            changes.append(SessionChange("changed" if key_same else "moved", a, b, details))

    pair(key_same=True)
    pair(key_same=False)
    changes += [SessionChange("cancelled", a, None) for a in old_left]
    changes += [SessionChange("added", None, b) for b in new_left]
    changes.sort(key=_change_order)

    before, after = _attendances(old), _attendances(new)
    clients: list[ClientChange] = []
    kept = removed = added = 0
    for c in sorted(before.keys() | after.keys()):
        lost = sorted(before[c] - after[c], key=_order)
        gained = sorted(after[c] - before[c], key=_order)
        kept += len(before[c] & after[c])
        removed += len(lost)
        added += len(gained)
        if not lost and not gained:
            continue
        change = ClientChange(c)
        for attendance in list(lost):
            twin = next((g for g in gained if g[0] == attendance[0]), None)
            if twin is not None:
                change.moves.append((attendance, twin))
                lost.remove(attendance)
                gained.remove(twin)
        change.lost, change.gained = lost, gained
        clients.append(change)
    return TimetableDiff(changes, clients, kept, removed, added, unchanged)
