"""The readable week in `solve`'s summary: a legend for the grid cells, one room name."""

from __future__ import annotations

from iop_scheduler.domain import ScheduledSession, Timetable
from iop_scheduler.export.common import TELEHEALTH
from iop_scheduler.report.summary import GRID_LEGEND, MAX_GRID_COLUMNS, week_grid
from iop_scheduler.times import parse_hhmm
from solved_tiny import solved_tiny


def test_the_grid_says_how_to_read_a_cell() -> None:
    instance, timetable = solved_tiny()
    lines = week_grid(instance, timetable)
    assert lines[0] == GRID_LEGEND
    assert lines.count(GRID_LEGEND) == 1


def test_no_legend_without_sessions() -> None:
    instance, timetable = solved_tiny()
    empty = timetable.model_copy(update={"sessions": []})
    assert week_grid(instance, empty) == []


def _session(ident: str, room: str | None, clients: list[str]) -> ScheduledSession:
    return ScheduledSession(
        id=ident,
        type="individual",
        day="mon",
        start=parse_hhmm("09:00"),
        end=parse_hhmm("10:00"),
        clinician="cl1",
        room=room,
        clients=clients,
    )


def test_a_session_without_a_room_is_telehealth_as_in_the_exports() -> None:
    instance, _ = solved_tiny()
    sessions = [_session("s1", None, ["c1"])]
    week = Timetable(instance=instance.name, status="feasible", sessions=sessions)
    text = "\n".join(week_grid(instance, week))
    assert TELEHEALTH in text and "(no room)" not in text


def test_a_listed_day_counts_one_client_in_the_singular() -> None:
    instance, _ = solved_tiny()
    rooms = [f"x{i}" for i in range(MAX_GRID_COLUMNS + 1)]  # too many rooms: a list, no grid
    sessions = [_session(f"s{i}", room, ["c1"]) for i, room in enumerate(rooms)]
    sessions[0] = _session("s0", rooms[0], ["c1", "c2"])
    week = Timetable(instance=instance.name, status="feasible", sessions=sessions)
    lines = week_grid(instance, week)
    assert GRID_LEGEND not in lines
    assert any(line.endswith(" 1 client") for line in lines)
    assert any(line.endswith(" 2 clients") for line in lines)
