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


@dataclass
class Result:
    """What a solve returns: the timetable and everything known about how good it is."""

    status: Status
    timetable: Timetable
    terms: dict[str, PenaltyTerm] = field(default_factory=dict)
    bound: int | None = None
    method: str = "cpsat"
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    total_seconds: float = 0.0
    first_solution_seconds: float | None = None
    best_solution_seconds: float | None = None
    stats: ModelStats = field(default_factory=ModelStats)
    history: list[ProgressPoint] = field(default_factory=list)
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
