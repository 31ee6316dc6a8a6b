"""Typed containers for the CP-SAT variables, so that no constraint reads a loose tuple."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ortools.sat.python import cp_model

from ..candidates import FixedCopy, Pool
from ..domain import SessionType
from ..times import Day

BoolVar = cp_model.IntVar
PoolMode = Literal["aggregate", "per_leader"]


@dataclass
class PoolVars:
    """One pool: how many copies run, who leads them, which rooms, which clients attend.

    ``aggregate`` pools count copies and seats; the clients are placed into copies after the
    solve. ``per_leader`` pools (groups with clients pinned to a leader, or clients whose
    discipline rule depends on the leader) carry each leader's copy size explicitly.
    """

    pool: Pool
    stype: SessionType
    mode: PoolMode
    leaders: dict[str, BoolVar]
    rooms: dict[str, BoolVar]
    clients: dict[str, BoolVar]
    #: Room id -> seats one copy may hold there: min(capacity, max_size).
    room_seats: dict[str, int] = field(default_factory=dict)
    #: per_leader only: clients in each leader's copy.
    leader_sizes: dict[str, cp_model.IntVar] = field(default_factory=dict)
    #: per_leader only: (client, leader) -> client attends that leader's copy.
    client_leader: dict[tuple[str, str], BoolVar] = field(default_factory=dict)
    #: individual pools only: (client, discipline) -> client's copy is led by that discipline.
    client_discipline: dict[tuple[str, str], BoolVar] = field(default_factory=dict)

    def copies(self) -> cp_model.LinearExprT:
        """Number of copies that run (one per leader who leads)."""
        return sum(self.leaders.values())

    @property
    def most_seats(self) -> int:
        """Most clients one copy can seat: its largest room's seats, else the type's size."""
        if self.rooms:
            return max(self.room_seats.values())
        return self.stype.size_max or len(self.clients)

    @property
    def most_attendees(self) -> int:
        """Most clients one copy can hold: its seats, or every eligible client if fewer."""
        return max(1, min(self.most_seats, len(self.clients)))


@dataclass
class FixedVars:
    """A fixed session: its listed clients attend; each eligible joiner may also attend."""

    copy: FixedCopy
    stype: SessionType
    joiners: dict[str, BoolVar]
    #: The booking is kept (the constant true, or an assumption when explaining).
    runs: BoolVar


@dataclass(frozen=True)
class Attendance:
    """One way a client could spend time: a pool or a fixed session, and its literal."""

    client: str
    type_id: str
    day: Day
    start: int
    end: int
    literal: BoolVar
    is_group: bool
    #: Discipline of the leader when it is known before solving, else None.
    discipline: str | None
    pool: int | None = None
    fixed: int | None = None

    @property
    def minutes(self) -> int:
        """Minutes the attendance lasts."""
        return self.end - self.start


@dataclass
class ClientDayVars:
    """Whether a client attends on a day, and what that day holds."""

    attends: BoolVar
    minutes: cp_model.LinearExprT
    idle: cp_model.IntVar | None = None


@dataclass
class ShortfallVars:
    """Slack on a client's week minimums (only when shortfalls are allowed)."""

    days: cp_model.IntVar | None = None
    minutes: cp_model.IntVar | None = None
    disciplines: cp_model.IntVar | None = None
    requires: dict[str, cp_model.IntVar] = field(default_factory=dict)


@dataclass
class ModelVars:
    """Every variable of the timetable model."""

    true: BoolVar
    pools: list[PoolVars] = field(default_factory=list)
    fixed: list[FixedVars] = field(default_factory=list)
    attendances: dict[str, list[Attendance]] = field(default_factory=dict)
    client_days: dict[tuple[str, Day], ClientDayVars] = field(default_factory=dict)
    #: (client, discipline) -> client has a session led by that discipline this week.
    client_disciplines: dict[tuple[str, str], BoolVar] = field(default_factory=dict)
    shortfalls: dict[str, ShortfallVars] = field(default_factory=dict)
