"""Settings of a solve, shared by every method and by the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .domain import Timetable
from .result import ProgressPoint

#: How many deterministic work units (CP-SAT's "dtime") reproducible mode allows per second
#: of time limit. Measured on the tiny sample with 2 interleaved workers on a 2-core machine
#: under heavy load (load average 5): 0.56 units per wall second. A quarter unit per second
#: keeps the deterministic limit well inside the wall-clock limit on a busy machine.
DTIME_PER_SECOND = 0.25


@dataclass
class ModelSettings:
    """Model features and CP-SAT parameters, switchable so the benchmark can measure them."""

    #: The seat-demand lower bounds on staff minutes and preference misses: reported as a
    #: bound, and stated in the model when the max-LP worker searches the whole run (one
    #: phase; see `TimetableModel.state_objective_bounds`).
    objective_bounds: bool = True
    #: attend <= copies for every attendee (the strong facility-location link). Off by
    #: default: with the seat-demand bounds it no longer moved the penalty on the samples,
    #: proved no more (benchmarks/levers) and it adds a constraint per attendance option.
    copy_link: bool = False
    #: Prove the per-client lower bound on the penalty (cpsat/client_bound.py) before the
    #: search and report it when CP-SAT proves less (not when explaining infeasibility).
    client_bound: bool = True
    #: Once the bound stops moving, go on with local search on every worker (the bound
    #: reported is the first phase's). Not in reproducible mode.
    lns_after_bound: bool = True
    #: CP-SAT parameters set after the default portfolio, e.g. {"linearization_level": 2}.
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class SolveOptions:
    """How to solve: limits, parallelism, reproducibility, and what to start from."""

    #: Seconds for the whole run, model building included.
    time_limit: float = 60.0
    #: CP-SAT search workers; 0 means one per core.
    workers: int = 0
    seed: int = 0
    #: Print CP-SAT's search log.
    log: bool = False
    #: Same input, seed and workers give the same timetable (stops on deterministic time).
    reproducible: bool = False
    #: Week minimums may fall short, at the shortfall weight (SPEC section 6).
    allow_shortfalls: bool = False
    #: A previous timetable: its attendances are kept where possible (change_from_previous).
    previous: Timetable | None = None
    #: A timetable to start the search from (CP-SAT solution hint).
    hint: Timetable | None = None
    #: Start from the greedy baseline's week when no hint is given.
    greedy_hint: bool = True
    #: Called with each new best timetable or bound during the search.
    on_progress: Callable[[ProgressPoint], None] | None = None
    #: Receives CP-SAT's log lines when ``log`` is set (default: standard error).
    log_callback: Callable[[str], None] | None = None
    #: Model features and CP-SAT parameter overrides (defaults chosen by measurement).
    model: ModelSettings = field(default_factory=ModelSettings)
    #: With ``previous``: clients whose attendances stay exactly as they were (re-planning).
    keep_clients: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Checked here so that a notebook gets a clear message, not an error from deep
        # inside the search.
        limit = self.time_limit
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0:
            raise ValueError(f"time_limit must be a positive number of seconds, not {limit!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 0:
            raise ValueError(f"workers must be 0 (one per core) or more, not {self.workers!r}")
