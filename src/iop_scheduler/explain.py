"""Why a week cannot be scheduled: the pre-solve diagnosis, then the model's conflict set."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .candidates import build_candidates
from .diagnose import Finding, diagnose
from .domain import Instance
from .io import as_instance


@dataclass
class Explanation:
    """The outcome of `explain`: whether the week is infeasible, and why."""

    infeasible: bool | None
    reasons: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    source: str = "diagnosis"


def explain(instance: Instance, *, time_limit: float = 30.0) -> Explanation:
    """Explain why the week cannot be scheduled (``infeasible`` None: not decided in time).

    ``time_limit`` bounds the whole call, the models' building included.
    """
    started = time.monotonic()
    instance = as_instance(instance)  # a path, a dict, or an instance edited in Python
    candidates = build_candidates(instance)
    findings = diagnose(instance, candidates)
    if findings:
        return Explanation(True, [str(f) for f in findings], findings)
    from .cpsat.explain import conflicting_families, describe_conflict

    left = time_limit - (time.monotonic() - started)
    conflict = conflicting_families(instance, left, candidates)
    # Never an empty explanation of a proven-infeasible week: at worst it says so.
    return Explanation(conflict.infeasible, describe_conflict(instance, conflict), source="model")
