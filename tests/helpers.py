"""Builders of tiny clinic weeks and timetables, and the one checked way to solve them."""

from __future__ import annotations

import copy
from typing import Any

from iop_scheduler import Instance, Result, Status, Timetable, score, solve, validate

#: The relaxed rules of the base week: each test tightens exactly the rule it is about.
RELAXED_RULES: dict[str, Any] = {
    "min_days_per_client_week": 1,
    "min_hours_per_client_week": 1,
    "max_hours_per_client_week": None,
    "min_hours_per_client_day": 1,
    "max_hours_per_client_day": None,
    "min_group_sessions_per_client_day": 0,
    "max_same_type_per_client_day": 1,
    "min_disciplines_per_client_week": 1,
    "min_disciplines_per_day": 1,
}

#: One Monday morning (09:00-12:00 on a 30-minute grid), one counselor, a group room and an
#: office, a 60-minute group "grp" and a 60-minute individual session "ind", and one client
#: who requires one "grp". Its optimum is a single group session: 60 staff minutes.
BASE: dict[str, Any] = {
    "format": "iop-instance/1",
    "name": "base",
    "days": ["mon"],
    "slot_minutes": 30,
    "open": "09:00",
    "close": "12:00",
    "rules": RELAXED_RULES,
    "session_types": [
        {
            "id": "grp",
            "kind": "group",
            "duration_minutes": 60,
            "min_size": 1,
            "max_size": 4,
            "disciplines": ["counselor", "psychologist"],
            "room_kinds": ["group_room"],
        },
        {
            "id": "ind",
            "kind": "individual",
            "duration_minutes": 60,
            "disciplines": ["counselor", "psychologist"],
            "room_kinds": ["office"],
        },
    ],
    "clinicians": [{"id": "cl1", "discipline": "counselor"}],
    "rooms": [
        {"id": "r1", "kind": "group_room", "capacity": 4},
        {"id": "r2", "kind": "office", "capacity": 1},
    ],
    "clients": [{"id": "c1", "requires": {"grp": 1}}],
}


def base_dict(**overrides: Any) -> dict[str, Any]:
    """The base week as JSON data; ``rules`` and ``weights`` overrides merge, others replace."""
    data = copy.deepcopy(BASE)
    for key, value in overrides.items():
        if key in ("rules", "weights"):
            data.setdefault(key, {}).update(copy.deepcopy(value))
        else:
            data[key] = copy.deepcopy(value)
    return data


def base_instance(**overrides: Any) -> Instance:
    """The base week as a validated `Instance` (see `base_dict`)."""
    return Instance.model_validate(base_dict(**overrides))


def client(cid: str, **fields: Any) -> dict[str, Any]:
    """A client entry."""
    return {"id": cid, **fields}


def clinician(cid: str, discipline: str = "counselor", **fields: Any) -> dict[str, Any]:
    """A clinician entry."""
    return {"id": cid, "discipline": discipline, **fields}


def session(
    sid: str,
    stype: str,
    start: str,
    end: str,
    clinician: str | None = "cl1",
    room: str | None = "r1",
    clients: list[str] | None = None,
    day: str = "mon",
) -> dict[str, Any]:
    """A session entry of a hand-written timetable."""
    return {
        "id": sid,
        "type": stype,
        "day": day,
        "start": start,
        "end": end,
        "clinician": clinician,
        "room": room,
        "clients": ["c1"] if clients is None else clients,
    }


def timetable(*sessions: dict[str, Any], **fields: Any) -> Timetable:
    """A hand-written feasible timetable (penalty 0, no bound) holding these sessions."""
    data: dict[str, Any] = {
        "format": "iop-schedule/1",
        "instance": "base",
        "status": "feasible",
        "penalty": 0,
        "bound": None,
        "sessions": list(sessions),
    }
    data.update(fields)
    return Timetable.model_validate(data)


def check_timetable(
    instance: Instance, table: Timetable, *, previous: Timetable | None = None
) -> int:
    """Assert that a solver's timetable breaks no rule and declares the validator's penalty.

    Returns the penalty, as the independent scorer computes it.
    """
    assert validate(instance, table) == []
    penalty = sum(t.cost for t in score(instance, table, previous=previous).values())
    assert table.penalty == penalty
    assert table.bound is None or table.bound <= penalty
    return penalty


def solve_checked(
    instance: Instance,
    *,
    time_limit: float = 5.0,
    workers: int = 2,
    previous: Timetable | None = None,
    **kwargs: Any,
) -> Result:
    """Solve, then check any timetable with the independent validator and scorer.

    Every solve of the suite goes through here: a returned timetable must break no rule,
    and the solver's penalty must equal the validator's, term by term. Without a timetable,
    the file fields must be empty (SPEC 9.14), and an infeasible week must say why (SPEC 7).
    """
    assert time_limit <= 10 and workers <= 2  # the suite shares a small machine
    result = solve(instance, time_limit=time_limit, workers=workers, previous=previous, **kwargs)
    if kwargs.get("method", "cpsat") == "cpsat":
        # The limit bounds the whole run (greedy hint, diagnosis and model building included).
        assert result.total_seconds <= time_limit + 2, result.total_seconds
    table = result.timetable
    if result.status.has_timetable:
        assert result.penalty == check_timetable(instance, table, previous=previous)
        terms = score(instance, table, previous=previous)
        assert {n: t.cost for n, t in result.terms.items()} == {
            n: t.cost for n, t in terms.items()
        }
        assert result.bound == table.bound
        if kwargs.get("method", "cpsat") == "cpsat":
            assert result.bound is not None  # CP-SAT always proves some lower bound
    else:
        assert table.sessions == [] and table.shortfalls == []
        assert table.penalty is None and table.bound is None
        assert result.penalty is None
    if result.status is Status.INFEASIBLE:
        assert table.explanation, "an infeasible week must come with its reasons"
    return result


def two_clients_one_hour() -> Instance:
    """c1 and c2 must each see cl2, free 09:00-11:00, but both can come 10:00-11:00 only.

    One hour, one session: infeasible, and no quick check of diagnose fires.
    """
    both = {"mon": [["10:00", "11:00"]]}
    return base_instance(
        clinicians=[clinician("cl1"), clinician("cl2", availability={"mon": [["09:00", "11:00"]]})],
        clients=[client("c1", requires={"ind": 1}, assigned_clinicians={"ind": "cl2"},
                        availability=both),
                 client("c2", requires={"ind": 1}, assigned_clinicians={"ind": "cl2"},
                        availability=both)],
    )  # fmt: skip


#: Two "sud" clients who each need one 60-minute group, one counselor, a 09:00-12:00 Monday.
TWO_SUD_CLIENTS: dict[str, Any] = base_dict(
    clients=[
        client("c1", track="sud", requires={"grp": 1}),
        client("c2", track="sud", requires={"grp": 1}),
    ]
)
