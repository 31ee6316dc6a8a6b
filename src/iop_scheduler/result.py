"""A solver-neutral result: status, penalty by term, bound, timetable, timings and model size."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .domain import Timetable

#: The penalty terms of SPEC section 5, named after their weights, in report order.
TERM_NAMES: dict[str, str] = {
    "staff_minute": "staff minutes",
    "client_idle_minute": "client idle minutes",
    "preference_miss": "preference misses",
    "change_from_previous": "changes from previous",
    "shortfall_minute": "shortfall",
}


class Status(StrEnum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"

    @property
    def has_timetable(self) -> bool:
        """Whether a valid timetable comes with this status."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass(frozen=True)
class PenaltyTerm:
    """One named term of the penalty: ``weight × amount``."""

    name: str
    amount: int
    weight: int

    @property
    def cost(self) -> int:
        """The term's share of the penalty."""
        return self.amount * self.weight


def total_penalty(terms: dict[str, PenaltyTerm]) -> int:
    """Sum of every term's cost."""
    return sum(term.cost for term in terms.values())


@dataclass(frozen=True)
class ProgressPoint:
    """A moment of the search: a new best timetable or a better bound."""

    seconds: float
    penalty: int | None
    bound: int | None


@dataclass
class ModelStats:
    """Size of the optimisation model."""

    variables: int = 0
    constraints: int = 0
    pools: int = 0
    attendance_options: int = 0


@dataclass(repr=False)
class Result:
    """What a solve returns: the timetable and everything known about how good it is.

    ``penalty`` and ``gap`` are properties computed from ``terms`` and ``bound``.
    """

    #: optimal (proven), feasible (valid, not proven best), infeasible or unknown.
    status: Status
    #: The timetable (``iop-schedule/1``); ``save_timetable`` writes it to a file.
    timetable: Timetable
    #: The penalty term by term (SPEC section 5), as the validator computes it.
    terms: dict[str, PenaltyTerm] = field(default_factory=dict)
    #: A proven lower bound on the penalty of every valid timetable (None: none proven).
    bound: int | None = None
    #: "cpsat" or "greedy".
    method: str = "cpsat"
    #: Seconds spent building the model (and the starting week), searching, and in all.
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    total_seconds: float = 0.0
    #: Seconds from the start to the first valid and to the best timetable found.
    first_solution_seconds: float | None = None
    best_solution_seconds: float | None = None
    #: Size of the CP-SAT model.
    stats: ModelStats = field(default_factory=ModelStats)
    #: Each new best timetable or bound during the search, with its time.
    history: list[ProgressPoint] = field(default_factory=list)
    #: Ctrl-C ended the run early (the best timetable found so far is returned).
    interrupted: bool = False
    #: Reproducible mode only: False when the wall clock stopped the search before the
    #: deterministic limit (the timetable is then not guaranteed to repeat).
    reproducible: bool | None = None

    @property
    def penalty(self) -> int | None:
        """The total penalty, or None without a timetable."""
        return total_penalty(self.terms) if self.status.has_timetable else None

    @property
    def gap(self) -> float | None:
        """Relative gap between penalty and bound (0 when proven optimal)."""
        penalty = self.penalty
        if penalty is None or self.bound is None:
            return None
        if penalty == 0:
            return 0.0
        return max(0.0, (penalty - self.bound) / penalty)

    def __repr__(self) -> str:
        # A notebook shows this: the verdict first, not thousands of characters of sessions.
        gap = f"{self.gap:.1%}" if self.gap is not None else None
        return (
            f"Result(status={self.status.value!r}, penalty={self.penalty!r}, "
            f"bound={self.bound!r}, gap={gap!r}, sessions={len(self.timetable.sessions)}, "
            f"method={self.method!r}, total_seconds={self.total_seconds:.1f})"
        )
