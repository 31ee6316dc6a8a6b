"""Changes to a clinic week (``iop-changes/1``) and what-if scenarios (``iop-scenarios/1``).

A change file lists what happened since a timetable was published; `apply_changes` turns the
instance into the week as it now is. Every id must resolve: a bad change is an input error
naming the change and the id, like any other bad input.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError, field_validator

from .candidates import can_lead, longest_overlap
from .domain import Client, Clinician, Instance, Number, Room, StrictModel, Window
from .errors import InputError
from .io import describe_validation_error, load_model
from .times import Day, format_hhmm


class ClinicianUnavailable(StrictModel):
    """A clinician cannot work on a day (or in a window of it)."""

    kind: Literal["clinician_unavailable"]
    clinician: str
    day: Day
    window: Window | None = None


class ClinicianRemoved(StrictModel):
    """A clinician leaves: they lead nothing this week."""

    kind: Literal["clinician_removed"]
    clinician: str


class ClinicianAdded(StrictModel):
    """A clinician joins the staff."""

    kind: Literal["clinician_added"]
    clinician: Clinician


class ClientDischarged(StrictModel):
    """A client leaves the program."""

    kind: Literal["client_discharged"]
    client: str


class ClientAdmitted(StrictModel):
    """A client joins the program."""

    kind: Literal["client_admitted"]
    client: Client


class ClientUnavailable(StrictModel):
    """A client cannot come on a day (or in a window of it)."""

    kind: Literal["client_unavailable"]
    client: str
    day: Day
    window: Window | None = None


class RoomClosed(StrictModel):
    """A room cannot be used on a day (or in a window of it)."""

    kind: Literal["room_closed"]
    room: str
    day: Day
    window: Window | None = None


class RoomAdded(StrictModel):
    """A room becomes available."""

    kind: Literal["room_added"]
    room: Room


class SetRule(StrictModel):
    """A rule of SPEC section 4 takes a new value."""

    kind: Literal["set_rule"]
    rule: str
    value: Annotated[float | int | None, Number]  # "2" or true: not a number (review)


class SetWeight(StrictModel):
    """A penalty weight takes a new value."""

    kind: Literal["set_weight"]
    weight: str
    value: Annotated[int, Number]


class SetSessionType(StrictModel):
    """A field of a session type takes a new value (``max_size``, ``duration_minutes``...)."""

    kind: Literal["set_session_type"]
    type: str
    field: str
    value: Any


class SetClinician(StrictModel):
    """A field of a clinician takes a new value (``max_hours_per_week``, ``availability``...)."""

    kind: Literal["set_clinician"]
    clinician: str
    field: str
    value: Any


class SetClient(StrictModel):
    """A field of a client takes a new value (``availability``, ``requires``...)."""

    kind: Literal["set_client"]
    client: str
    field: str
    value: Any


Change = Annotated[
    ClinicianUnavailable
    | ClinicianRemoved
    | ClinicianAdded
    | ClientDischarged
    | ClientAdmitted
    | ClientUnavailable
    | RoomClosed
    | RoomAdded
    | SetRule
    | SetWeight
    | SetSessionType
    | SetClinician
    | SetClient,
    Field(discriminator="kind"),
]


class Changes(StrictModel):
    """An ``iop-changes/1`` file."""

    format: Literal["iop-changes/1"]
    changes: list[Change]


class AddClients(StrictModel):
    """Generate ``count`` clients of a track, with availability like its existing clients."""

    track: str
    #: A what-if adds tens or hundreds of clients; the bound keeps a typo from hanging it.
    count: int = Field(ge=0, le=10_000)
    seed: int = 0


class Scenario(StrictModel):
    """A named alternative to compare against the unchanged week."""

    name: str = Field(min_length=1)
    changes: list[Change] = Field(default_factory=list)
    add_clients: AddClients | list[AddClients] | None = None


class Scenarios(StrictModel):
    """An ``iop-scenarios/1`` file."""

    format: Literal["iop-scenarios/1"]
    scenarios: list[Scenario]

    @field_validator("scenarios")
    @classmethod
    def _at_least_one(cls, scenarios: list[Scenario]) -> list[Scenario]:
        # An empty list solved the base alone and printed a comparison of one column.
        if not scenarios:
            raise ValueError("the list is empty: give at least one scenario to compare")
        return scenarios


def as_changes(value: Changes | Iterable[Any]) -> list[Any]:
    """The changes of a change file, or of a list of changes given as objects or dicts.

    A notebook may write ``[{"kind": "clinician_removed", "clinician": "cl5"}]``; each dict
    is checked as a change file's entry would be (one-line `InputError`).
    """
    if isinstance(value, Changes):
        return list(value.changes)
    if isinstance(value, dict | str):
        raise TypeError("changes: expected a Changes object or a list of changes")
    adapter: TypeAdapter[Any] = TypeAdapter(Change)
    found = []
    for index, item in enumerate(value):
        if isinstance(item, dict):
            try:
                item = adapter.validate_python(item)
            except ValidationError as err:
                detail = describe_validation_error(err, item)
                raise InputError(f"changes[{index}].{detail}") from None
        found.append(item)
    return found


def as_scenario(value: Scenario | dict[str, Any], index: int = 0) -> Scenario:
    """A scenario given as an object or as a dict of a scenarios file (checked likewise)."""
    if isinstance(value, Scenario):
        return value
    if not isinstance(value, dict):
        raise TypeError(f"scenarios[{index}]: expected a Scenario or a dict")
    try:
        return Scenario.model_validate(value)
    except ValidationError as err:
        raise InputError(f"scenarios[{index}].{describe_validation_error(err, value)}") from None


def load_changes(path: str) -> Changes:
    """Load a change file; bad input raises `InputError`."""
    return load_model(path, Changes)


def load_scenarios(path: str | os.PathLike[str]) -> Scenarios:
    """Load a scenarios file; bad input raises `InputError`."""
    return load_model(path, Scenarios)


def _cut(windows: list[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    """Windows minus ``[cut_start, cut_end)``."""
    lo, hi = cut
    kept: list[tuple[int, int]] = []
    for start, end in windows:
        if end <= lo or start >= hi:
            kept.append((start, end))
            continue
        if start < lo:
            kept.append((start, lo))
        if end > hi:
            kept.append((hi, end))
    return kept


def _without(inst: Instance, availability: Any, day: Day, window: Any) -> dict[Day, Any]:
    """An availability with a day (or a window of it) taken out."""
    if availability is None:
        availability = {d: [(inst.open, inst.close)] for d in inst.days}
    result = {d: list(w) for d, w in availability.items()}
    if window is None:
        result[day] = []
    else:
        result[day] = _cut(result.get(day, []), tuple(window))
    return result


def apply_changes(
    instance: Instance,
    changes: Changes | Iterable[Any],
    *,
    where: str = "changes",
    file: str | None = None,
) -> Instance:
    """The week after the changes, checked like any instance; bad ids raise `InputError`.

    ``changes`` as `replan` takes them: a `Changes` (``load_changes(path)``) or a list of
    changes, as objects or as the dicts of a change file.
    """
    data = instance.model_dump(mode="json", warnings=False)
    current = Instance.model_validate(data)
    for index, change in enumerate(as_changes(changes)):
        here = f"{where}[{index}]"
        data = _apply_one(current, change, here, file)
        try:
            current = Instance.model_validate(data)
        except ValidationError as err:
            raise InputError(
                f"{here}: the change makes the week invalid: "
                f"{describe_validation_error(err, data)}",
                file=file,
            ) from None
    return current


def _need(mapping: dict[str, Any], ident: str, what: str, here: str, file: str | None) -> Any:
    if ident not in mapping:
        field = what if what != "session type" else "type"
        raise InputError(f"{here}.{field.split()[-1]}: unknown {what} '{ident}'", file=file)
    return mapping[ident]


def _apply_one(inst: Instance, change: Any, here: str, file: str | None) -> dict[str, Any]:
    """The instance data after one change."""
    data = inst.model_dump(mode="json")
    kind = change.kind
    day = getattr(change, "day", None)
    if day is not None and day not in inst.days:
        # As strict as an unknown id: a change that does nothing is most likely a typo or
        # a change file meant for another week (found by a coordinator walk-through).
        raise InputError(
            f"{here}.day: {day} is not a program day of this week ({', '.join(inst.days)})",
            file=file,
        )

    window = getattr(change, "window", None)
    if window is not None:
        for time in window:
            if time % inst.slot_minutes:
                # The instance's own windows must lie on the grid; a change's too (a fuzz
                # run's window [7, "12:00"] was taken as 00:07).
                raise InputError(
                    f"{here}.window: {format_hhmm(time)} is off the "
                    f"{inst.slot_minutes}-minute grid",
                    file=file,
                )

    def index_of(items: list[dict[str, Any]], ident: str) -> int:
        return next(i for i, item in enumerate(items) if item["id"] == ident)

    if kind in ("clinician_unavailable", "clinician_removed", "set_clinician"):
        _need(inst.clinician_by_id, change.clinician, "clinician", here, file)
        i = index_of(data["clinicians"], change.clinician)
        if kind == "clinician_unavailable":
            clin = inst.clinician_by_id[change.clinician]
            avail = _without(inst, clin.availability, change.day, change.window)
            data["clinicians"][i]["availability"] = _dump_availability(avail)
        elif kind == "clinician_removed":
            if any(change.clinician in c.assigned_clinicians.values() for c in inst.clients):
                # Their clients lose the assignment: anyone qualified may see them now.
                for client in data["clients"]:
                    client["assigned_clinicians"] = {
                        t: k
                        for t, k in client["assigned_clinicians"].items()
                        if k != change.clinician
                    }
            if any(f.clinician == change.clinician for f in inst.fixed_sessions):
                data["fixed_sessions"] = [
                    f for f in data["fixed_sessions"] if f["clinician"] != change.clinician
                ]
            del data["clinicians"][i]
        else:
            data["clinicians"][i][change.field] = change.value
    elif kind == "clinician_added":
        if change.clinician.id in inst.clinician_by_id:
            raise InputError(
                f"{here}.clinician.id: clinician '{change.clinician.id}' already exists", file=file
            )
        data["clinicians"].append(change.clinician.model_dump(mode="json"))
    elif kind in ("client_discharged", "client_unavailable", "set_client"):
        _need(inst.client_by_id, change.client, "client", here, file)
        i = index_of(data["clients"], change.client)
        if kind == "client_discharged":
            del data["clients"][i]
            for booked in data["fixed_sessions"]:
                booked["clients"] = [c for c in booked["clients"] if c != change.client]
            # Their individual bookings are cancelled: nobody else can take them over.
            data["fixed_sessions"] = [
                booked
                for booked in data["fixed_sessions"]
                if booked["clients"] or inst.type_by_id[booked["type"]].kind != "individual"
            ]
        elif kind == "client_unavailable":
            client = inst.client_by_id[change.client]
            avail = _without(inst, client.availability, change.day, change.window)
            data["clients"][i]["availability"] = _dump_availability(avail)
        else:
            data["clients"][i][change.field] = change.value
    elif kind == "client_admitted":
        if change.client.id in inst.client_by_id:
            raise InputError(
                f"{here}.client.id: client '{change.client.id}' already exists", file=file
            )
        data["clients"].append(change.client.model_dump(mode="json"))
    elif kind == "room_closed":
        room = _need(inst.room_by_id, change.room, "room", here, file)
        i = index_of(data["rooms"], change.room)
        avail = _without(inst, room.availability, change.day, change.window)
        data["rooms"][i]["availability"] = _dump_availability(avail)
    elif kind == "room_added":
        if change.room.id in inst.room_by_id:
            raise InputError(f"{here}.room.id: room '{change.room.id}' already exists", file=file)
        data["rooms"].append(change.room.model_dump(mode="json"))
    elif kind == "set_rule":
        if change.rule not in type(inst.rules).model_fields:
            raise InputError(f"{here}.rule: unknown rule '{change.rule}'", file=file)
        data["rules"][change.rule] = change.value
    elif kind == "set_weight":
        if change.weight not in type(inst.weights).model_fields:
            raise InputError(f"{here}.weight: unknown weight '{change.weight}'", file=file)
        data["weights"][change.weight] = change.value
    elif kind == "set_session_type":
        _need(inst.type_by_id, change.type, "session type", here, file)
        i = index_of(data["session_types"], change.type)
        if change.field == "id" or change.field not in type(inst.session_types[0]).model_fields:
            raise InputError(
                f"{here}.field: '{change.field}' is not a session type field that can change",
                file=file,
            )
        data["session_types"][i][change.field] = change.value
    if kind in ("set_clinician", "set_client"):
        model = Clinician if kind == "set_clinician" else Client
        if change.field == "id" or change.field not in model.model_fields:
            raise InputError(
                f"{here}.field: '{change.field}' is not a {kind[4:]} field that can change",
                file=file,
            )
    return data


def _dump_availability(avail: dict[Day, Any]) -> dict[str, list[list[str]]]:
    return {
        d: [[format_hhmm(s), format_hhmm(e)] for s, e in windows] for d, windows in avail.items()
    }


def caseload(clients: Iterable[Client]) -> dict[tuple[str, str], int]:
    """(type, clinician) -> how many of these clients have that clinician assigned."""
    load: dict[tuple[str, str], int] = {}
    for client in clients:
        for type_id, clin_id in client.assigned_clinicians.items():
            load[(type_id, clin_id)] = load.get((type_id, clin_id), 0) + 1
    return load


def choose_clinician(
    instance: Instance,
    type_id: str,
    availability: Any,
    load: dict[tuple[str, str], int],
    fallback: str,
) -> str:
    """The clinician to assign a new client for a type: free with them, least loaded.

    Among clinicians who can lead the type and share a whole session's worth of time with
    the client, those already carrying a caseload of the type (a key in ``load``) come
    first, then the least loaded, then by id. ``fallback`` when nobody qualifies.
    """
    duration = instance.type_by_id[type_id].duration_minutes
    able = [
        k
        for k in sorted(instance.clinician_by_id)
        if can_lead(instance, k, instance.type_by_id[type_id])
        and longest_overlap(instance, availability, instance.clinician_by_id[k].availability)
        >= duration
    ]
    carrying = [k for k in able if (type_id, k) in load]
    pool = carrying or able or [fallback]
    return min(pool, key=lambda k: (load.get((type_id, k), 0), k))


def add_clients(
    instance: Instance, track: str, count: int, seed: int = 0, *, where: str = "add_clients"
) -> Instance:
    """The week with ``count`` new clients of a track, modelled on its existing clients.

    Each new client copies the availability, required sessions and preferences of an
    existing client of the track (drawn with the seed). Each assigned clinician is the least
    loaded of those who can lead the type and are free with the client for a whole session,
    preferring clinicians who already carry a caseload of that type.
    """
    templates = [c for c in instance.clients if c.track == track]
    if not templates:
        known = sorted({c.track for c in instance.clients if c.track})
        raise InputError(
            f"{where}.track: no existing client of track '{track}' to model new "
            f"clients on (tracks here: {', '.join(known)})"
        )
    rng = random.Random(seed)
    data = instance.model_dump(mode="json")
    load = caseload(instance.clients)
    taken = {c.id for c in instance.clients}
    number = 1
    for _ in range(count):
        template = templates[rng.randrange(len(templates))]
        while f"new{number}" in taken:
            number += 1
        ident = f"new{number}"
        taken.add(ident)
        new = template.model_dump(mode="json")
        new["id"] = ident
        new["name"] = f"New client {number}"
        assigned = {}
        for type_id, current in template.assigned_clinicians.items():
            chosen = choose_clinician(instance, type_id, template.availability, load, current)
            load[(type_id, chosen)] = load.get((type_id, chosen), 0) + 1
            assigned[type_id] = chosen
        new["assigned_clinicians"] = assigned
        data["clients"].append(new)
    return Instance.model_validate(data)


def apply_scenario(
    instance: Instance, scenario: Scenario, *, where: str, file: str | None = None
) -> Instance:
    """The week of a scenario: its changes, then its generated clients."""
    week = apply_changes(instance, scenario.changes, where=f"{where}.changes", file=file)
    batches = scenario.add_clients
    if batches is None:
        return week
    for batch in batches if isinstance(batches, list) else [batches]:
        try:
            week = add_clients(
                week, batch.track, batch.count, batch.seed, where=f"{where}.add_clients"
            )
        except InputError as err:
            raise err.naming(file) from None
    return week


def parse_changes(data: Any, *, file: str | None = None) -> Changes:
    """Validate already-parsed change data (for callers building changes in Python)."""
    from .io import parse_model

    return parse_model(data, Changes, file=file)
