"""The readable week in `solve`'s summary: a legend for the grid cells, room names."""

from __future__ import annotations

from iop_scheduler.domain import Instance, Room, ScheduledSession, Timetable
from iop_scheduler.export.common import TELEHEALTH, room_name, roomless_label
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
    # The day says why it is a list (found by a coordinator walk-through: beside grids,
    # a listed day read as another format with nothing to explain it).
    assert lines[0].endswith(f"({MAX_GRID_COLUMNS + 1} rooms in use: one session a line)")


def _with_room_called(name: str, *, as_id: bool) -> tuple[Instance, Timetable]:
    """The tiny clinic with one more room, whose id or name is ``name``; one session in it
    and one session without a room, at the same time."""
    instance, _ = solved_tiny()
    ident, label = (name, "") if as_id else ("booth", name)
    extra = Room(id=ident, name=label, kind="office", capacity=1)
    instance = instance.model_copy(update={"rooms": [*instance.rooms, extra]})
    sessions = [_session("s1", extra.id, ["c1"]), _session("s2", None, ["c2"])]
    return instance, Timetable(instance=instance.name, status="feasible", sessions=sessions)


def test_a_room_with_the_id_telehealth_keeps_its_own_grid_column() -> None:
    instance, week = _with_room_called(TELEHEALTH, as_id=True)
    lines = week_grid(instance, week)
    header = lines[lines.index(next(x for x in lines if x.startswith("Monday"))) + 1]
    assert roomless_label(instance) == f"{TELEHEALTH} (no room)"
    assert header.split() == [TELEHEALTH, TELEHEALTH, "(no", "room)"]  # two columns
    assert sum(line.count("individual/") for line in lines) == 2


def test_a_room_named_telehealth_is_not_the_roomless_location() -> None:
    instance, _ = _with_room_called(TELEHEALTH, as_id=False)
    assert room_name(instance, "booth") == TELEHEALTH
    assert room_name(instance, None) == f"{TELEHEALTH} (no room)"


def test_without_such_a_room_roomless_sessions_are_telehealth() -> None:
    instance, _ = solved_tiny()
    assert room_name(instance, None) == roomless_label(instance) == TELEHEALTH


def test_a_room_named_telehealth_in_other_letters_is_not_the_roomless_location() -> None:
    instance, _ = _with_room_called(TELEHEALTH.lower(), as_id=True)
    assert roomless_label(instance) == f"{TELEHEALTH} (no room)"
    instance, _ = _with_room_called(f"{TELEHEALTH.upper()} 2", as_id=False)
    assert roomless_label(instance) == f"{TELEHEALTH} (no room)"


def test_a_room_named_like_a_second_telehealth_lane_is_not_one() -> None:
    instance, _ = _with_room_called(f"{TELEHEALTH} 2", as_id=False)
    assert roomless_label(instance) == f"{TELEHEALTH} (no room)"
