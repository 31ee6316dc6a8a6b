"""iop-scheduler: weekly timetables for intensive outpatient programs, built with CP-SAT.

The public API::

    from iop_scheduler import load_instance, save_timetable, solve, validate
    week = load_instance("instances/small.json")
    result = solve(week, time_limit=30)
    assert validate(week, result.timetable) == []
    save_timetable(result.timetable, "week.json")
"""

from .api import METHODS, score, solve, solve_with, validate
from .domain import Instance, ScheduledSession, Shortfall, Timetable
from .errors import InputError
from .frames import attendances_frame, sessions_frame
from .io import load_instance, load_timetable, save_timetable, write_json_atomic
from .options import SolveOptions
from .result import PenaltyTerm, ProgressPoint, Result, Status
from .validator import Violation

__version__ = "0.1.0"

__all__ = [
    "METHODS",
    "InputError",
    "Instance",
    "PenaltyTerm",
    "ProgressPoint",
    "Result",
    "ScheduledSession",
    "Shortfall",
    "SolveOptions",
    "Status",
    "Timetable",
    "Violation",
    "__version__",
    "attendances_frame",
    "load_instance",
    "load_timetable",
    "save_timetable",
    "score",
    "sessions_frame",
    "solve",
    "solve_with",
    "validate",
    "write_json_atomic",
]
