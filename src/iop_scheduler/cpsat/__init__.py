"""The CP-SAT model: the only subpackage that imports OR-Tools."""

from .solve import solve_cpsat

__all__ = ["solve_cpsat"]
