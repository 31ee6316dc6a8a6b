"""The readable summary printed by ``solve`` and ``validate``: status, penalty, grid per day."""

from __future__ import annotations

from collections import defaultdict

from ..domain import Instance, ScheduledSession, Timetable
from ..export.common import roomless_label
from ..result import TERM_NAMES, PenaltyTerm, Result
from ..times import DAY_NAMES, format_hhmm, format_minutes, monday_of
from ..wording import plural

#: Above this many rooms in use on a day, the day is printed as a list instead of a grid.
MAX_GRID_COLUMNS = 6
#: How to read a grid cell such as ``process/cl2 6 -10:00``.
GRID_LEGEND = "A cell is type/leader, number of clients, -end time; a column is a room."


def _thousands(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def penalty_table(terms: dict[str, PenaltyTerm]) -> list[str]:
    """The penalty, term by term: amount, weight and cost, then the total."""
    lines = [f"  {'term':<24}{'amount':>10}{'weight':>9}{'cost':>12}"]
    for name, term in terms.items():
        label = TERM_NAMES.get(name, name)
        lines.append(f"  {label:<24}{term.amount:>10,}{term.weight:>9,}{term.cost:>12,}")
    lines.append(f"  {'total':<24}{'':>10}{'':>9}{sum(t.cost for t in terms.values()):>12,}")
    return lines


def headline(instance: Instance) -> str:
    """One line naming the clinic week and its size."""
    # Any date of the week may be given; the week is named by its Monday, as in the exports.
    week = f", week of {monday_of(instance.week_of)}" if instance.week_of else ""
    return (
        f"{instance.name}{week}: {len(instance.clients)} clients, "
        f"{len(instance.clinicians)} clinicians, {len(instance.rooms)} rooms, "
        f"{len(instance.days)} days"
    )


def result_summary(instance: Instance, result: Result, *, grid: bool = True) -> str:
    """The summary of a solve: status, penalty by term, bound and gap, time, grid per day."""
    lines = [headline(instance), ""]
    status = result.status.value
    proven = {
        "optimal": "proven best timetable",
        "feasible": "valid timetable, not proven best",
        "infeasible": "proven: no valid timetable exists",
        # Not always the clock: the greedy baseline also gives up on weeks it cannot
        # complete. "Why none was found" below says which.
        "unknown": "no valid timetable found",
    }[status]
    stopped = " (stopped early)" if result.interrupted else ""
    lines.append(f"Status   {status}: {proven}{stopped}")
    if result.status.has_timetable:
        gap = result.gap
        gap_text = f"gap {gap:.1%}" if gap is not None else "no bound"
        lines.append(f"Penalty  {_thousands(result.penalty)}")
        lines.append(f"Bound    {_thousands(result.bound)} ({gap_text})")
    lines.append(
        f"Time     {result.total_seconds:.1f} s (model {result.build_seconds:.1f} s, "
        f"search {result.solve_seconds:.1f} s; method {result.method})"
    )
    if result.reproducible is False:
        lines.append(
            "Note     the wall clock stopped this reproducible run before its deterministic "
            "limit: a rerun may differ (raise --time-limit)"
        )
    if result.stats.variables:
        lines.append(
            f"Model    {result.stats.variables:,} variables, {result.stats.constraints:,} "
            f"constraints, {result.stats.pools:,} candidate sessions"
        )
    if result.terms:
        lines += ["", "Penalty by term", *penalty_table(result.terms)]
    timetable = result.timetable
    if timetable.shortfalls:
        lines += ["", *shortfall_lines(timetable)]
    if timetable.explanation:
        heading = "Why no timetable exists:" if status == "infeasible" else "Why none was found:"
        lines += ["", heading]
        # A reason indented already is a detail of the one above it: no second bullet.
        lines += [
            f"  {reason}" if reason.startswith("  ") else f"  - {reason}"
            for reason in timetable.explanation
        ]
    if grid and timetable.sessions:
        lines += ["", *week_grid(instance, timetable)]
    return "\n".join(lines)


def shortfall_lines(timetable: Timetable) -> list[str]:
    """How many clients are under-served, and by how much."""
    clients = sorted({s.client for s in timetable.shortfalls})
    hours = sum(
        s.required - s.scheduled
        for s in timetable.shortfalls
        if s.rule == "min_hours_per_client_week"
    )
    lines = [
        f"Under-served: {len(clients)} client(s), {hours:g} h short of the weekly minimum in all"
    ]
    for entry in timetable.shortfalls:
        lines.append(
            f"  {entry.client:<10} {entry.rule:<34} required {entry.required:g}, "
            f"scheduled {entry.scheduled:g}"
        )
    return lines


def week_grid(instance: Instance, timetable: Timetable) -> list[str]:
    """A compact grid per day: rows are start times, columns rooms; a cell is a session."""
    by_day: dict[str, list[ScheduledSession]] = defaultdict(list)
    for session in timetable.sessions:
        by_day[session.day].append(session)
    lines: list[str] = []
    gridded = False
    roomless = roomless_label(instance)  # the column of sessions without a room
    for day in instance.days:
        sessions = sorted(by_day.get(day, []), key=lambda s: (s.start, s.room or "", s.id))
        if not sessions:
            continue
        minutes = sum(s.end - s.start for s in sessions)
        attendances = sum(len(s.clients) for s in sessions)
        headline = (
            f"{DAY_NAMES[day]}: {len(sessions)} sessions, {format_minutes(minutes)} of staff "
            f"time, {attendances} attendances"
        )
        rooms = sorted({s.room or roomless for s in sessions})
        if len(rooms) <= MAX_GRID_COLUMNS:
            lines += [headline, *_grid(instance, sessions, rooms, roomless)]
            gridded = True
        else:
            # Say why this day reads differently from the grids around it.
            lines.append(f"{headline} ({len(rooms)} rooms in use: one session a line)")
            lines += _list(instance, sessions, roomless)
        lines.append("")
    if gridded:  # the cells are terse: say once how to read them
        lines[:0] = [GRID_LEGEND, ""]
    return lines[:-1] if lines else lines


def _cell(instance: Instance, s: ScheduledSession) -> str:
    """``type/leader n`` — short enough for a grid column."""
    return f"{s.type}/{s.clinician} {len(s.clients)}"


def _grid(
    instance: Instance, sessions: list[ScheduledSession], rooms: list[str], roomless: str
) -> list[str]:
    cells: dict[tuple[int, str], list[str]] = defaultdict(list)
    for s in sessions:
        cells[(s.start, s.room or roomless)].append(
            f"{_cell(instance, s)} -{format_hhmm(s.end)}"
        )
    width = max([len(r) for r in rooms] + [len(c) for v in cells.values() for c in v]) + 2
    header = "  " + " " * 7 + "".join(f"{r:<{width}}" for r in rooms)
    lines = [header.rstrip()]
    for start in sorted({s.start for s in sessions}):
        depth = max(len(cells.get((start, r), [])) for r in rooms)
        for row in range(depth):
            label = format_hhmm(start) if row == 0 else ""
            cols = []
            for r in rooms:
                here = cells.get((start, r), [])
                cols.append(f"{here[row] if row < len(here) else '':<{width}}")
            lines.append(f"  {label:<7}{''.join(cols)}".rstrip())
    return lines


def _list(instance: Instance, sessions: list[ScheduledSession], roomless: str) -> list[str]:
    lines = []
    for s in sessions:
        title = instance.type_by_id[s.type].title
        lines.append(
            f"  {format_hhmm(s.start)}-{format_hhmm(s.end)}  {title:<26} "
            f"{s.room or roomless:<10} {s.clinician or '-':<8} "
            f"{plural(len(s.clients), 'client', width=3)}"
        )
    return lines
