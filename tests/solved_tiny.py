"""The bundled tiny week, solved once per test session and shared by the export tests."""

from __future__ import annotations

import functools
from pathlib import Path

from iop_scheduler import Instance, Timetable, load_instance, solve, validate
from iop_scheduler.io import dump_timetable, write_json_atomic

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "instances" / "tiny.json"


@functools.cache
def solved_tiny() -> tuple[Instance, Timetable]:
    """instances/tiny.json and a valid timetable of it (10 s, 2 workers, once per session).

    Callers must not change what this returns: copy first (``model_copy(deep=True)``).
    """
    instance = load_instance(TINY)
    result = solve(instance, time_limit=10, workers=2)
    assert result.status.has_timetable, result.status
    assert validate(instance, result.timetable) == []
    return instance, result.timetable


def tiny_files(folder: Path) -> tuple[Path, Path]:
    """Write the solved tiny timetable into ``folder``; return (instance path, timetable path)."""
    _, table = solved_tiny()
    path = folder / "week.json"
    write_json_atomic(path, dump_timetable(table))
    return TINY, path
