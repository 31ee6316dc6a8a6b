"""The independent validator: SPEC section 4 rules and section 5 penalty, model-free."""

from .penalty import score
from .rules import (
    Violation,
    check_references,
    sessions_fit,
    shortfalls_allowed,
    validate,
    week_shortfalls,
)

__all__ = [
    "Violation",
    "check_references",
    "score",
    "sessions_fit",
    "shortfalls_allowed",
    "validate",
    "week_shortfalls",
]
