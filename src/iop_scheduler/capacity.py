"""How many more clients of a track the current staff and rooms can serve, and what binds.

`find_capacity` adds N clients of a track to the week (generated with
`changes.add_clients`, the same seed for every N, so the clients of N are those of N - 1
plus one) and solves in shortfall mode. N is *served* when the timetable lists no
shortfall; a solve that ends without a timetable (``unknown``) counts as not served, and
the report says so, since a longer time limit might have found one.

The search solves the week as it is (N = 0), then doubles N (1, 2, 4, ..., with
``max_added`` as the last step) until a week is not served, then halves the gap
between the last served and the first unserved N. It assumes monotonicity: if N clients
cannot be served, neither can N + 1. That holds for the staff and room hours the clients
compete for, but not always: a group whose ``min_size`` no client reached may open once
one more client needs it, so a small N can fail where a larger one would pass. The search
then reports the last served N below the first failure it met.

At the first unserved N, each resource is relaxed once: one more clinician of each
discipline (a copy of the clinician of that discipline with the most spare time) and one
more room of each kind (a copy of the room with the most spare time). The report lists the
relaxations that make that week fully served, and the utilisation of every clinician and
room at the largest served N: a clinician's hours led over their cap (availability capped
by their daily and weekly maximums, unlike `report`, which divides by availability alone),
a room's hours used over its open hours.

Example::

    from iop_scheduler import load_instance
    from iop_scheduler.capacity import find_capacity, render_report

    report = find_capacity(load_instance("instances/small.json"), "substance_use",
                           max_added=20, time_limit=10)
    print(render_report(report))
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .api import solve_with
from .candidates import free_windows, longest_overlap
from .changes import add_clients, caseload, choose_clinician
from .diagnose import diagnose
from .domain import Availability, Instance, Timetable
from .errors import InputError
from .interrupt import ctrl_c_ends_the_run, stopped_early
from .io import as_instance
from .options import ModelSettings, SolveOptions
from .result import Status
from .validator import validate
from .wording import plural


@dataclass(frozen=True)
class Probe:
    """One solve of the search: N added clients, and whether everyone was served."""

    added: int
    status: Status
    #: A valid timetable with no shortfall.
    served: bool
    clients_under_served: int
    #: Clients short, by rule (``requires:individual``: 2 ...).
    short_rules: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: Whether the independent validator accepts the timetable (None: no timetable).
    valid: bool | None = None
    #: Why no week can serve everyone, proven before any solve (`diagnose`); then no
    #: solve runs (status infeasible).
    reasons: tuple[str, ...] = ()

    @property
    def unknown(self) -> bool:
        """Whether the solve ended without a timetable (counted as not served)."""
        return not self.reasons and not self.status.has_timetable

    @property
    def proven_short(self) -> bool:
        """Whether the shortfall is settled: the solve ended optimal with it.

        No week serving everyone costs less at these weights. A week found short but not
        proven optimal may be servable: a longer solve can find it (an operations
        walk-through found +18 "short" that `explain` scheduled).
        """
        return not self.served and (bool(self.reasons) or self.status is Status.OPTIMAL)


@dataclass(frozen=True)
class Relaxation:
    """One more clinician of a discipline, or one more room of a kind, at the first failure."""

    resource: str  # "clinician" or "room"
    kind: str  # the discipline or the room kind
    copy_of: str
    added_id: str
    probe: Probe

    @property
    def served(self) -> bool:
        """Whether the week with this resource added is fully served."""
        return self.probe.served


@dataclass(frozen=True)
class Utilisation:
    """Minutes a clinician leads (or a room holds sessions) against what is available."""

    id: str
    name: str
    kind: str
    used_minutes: int
    #: Clinicians: availability capped by the daily and weekly maximums (their cap; not
    #: `report`'s hours available, which ignores the maximums). Rooms: open time.
    available_minutes: int

    @property
    def share(self) -> float | None:
        """Used over available (None when nothing is available)."""
        return self.used_minutes / self.available_minutes if self.available_minutes else None


@dataclass
class CapacityReport:
    """What `find_capacity` found."""

    instance: str
    track: str
    #: Clients of the track enrolled now.
    track_clients: int
    max_added: int
    time_limit: float
    seed: int
    #: The largest N served (None: the week as it is already falls short).
    added: int | None
    #: The first N found not served (None: every N up to ``max_added`` was served).
    first_unserved: int | None
    probes: list[Probe] = field(default_factory=list)
    relaxations: list[Relaxation] = field(default_factory=list)
    clinicians: list[Utilisation] = field(default_factory=list)
    rooms: list[Utilisation] = field(default_factory=list)
    #: Generated clients at the first unserved N who cannot meet their assigned clinician.
    unreachable: list[str] = field(default_factory=list)
    #: Ctrl-C ended the search: the last probe was cut short and no further one ran.
    stopped: bool = False

    @property
    def reached_max(self) -> bool:
        """Whether every N up to ``max_added`` was served (the capacity may be larger)."""
        return self.first_unserved is None

    @property
    def first_unserved_probe(self) -> Probe | None:
        """The solve of the first unserved N (None: every N was served)."""
        return next((p for p in self.probes if p.added == self.first_unserved), None)

    @property
    def first_unserved_proven(self) -> bool:
        """Whether the first unserved N was proven short (see `Probe.proven_short`)."""
        probe = self.first_unserved_probe
        return probe is not None and probe.proven_short

    @property
    def unknown_probes(self) -> list[Probe]:
        """Solves that ended without a timetable, counted as not served."""
        return [p for p in self.probes if p.unknown]


def open_minutes(avail: Availability | None, instance: Instance) -> int:
    """Minutes of an availability within program hours on program days."""
    return sum(
        e - s
        for day in instance.days
        for s, e in free_windows(avail, day, instance.open, instance.close)
    )


def clinician_cap_minutes(instance: Instance, clinician_id: str) -> int:
    """Minutes a clinician could lead: availability, capped per day and per week."""
    clin = instance.clinician_by_id[clinician_id]
    total = 0
    for day in instance.days:
        windows = free_windows(clin.availability, day, instance.open, instance.close)
        minutes = sum(e - s for s, e in windows)
        if clin.max_hours_per_day is not None:
            minutes = min(minutes, int(clin.max_hours_per_day * 60))
        total += minutes
    if clin.max_hours_per_week is not None:
        total = min(total, int(clin.max_hours_per_week * 60))
    return total


def utilisation(
    instance: Instance, timetable: Timetable
) -> tuple[list[Utilisation], list[Utilisation]]:
    """Clinicians' led minutes and rooms' used minutes against what each has available."""
    led: Counter[str] = Counter()
    used: Counter[str] = Counter()
    for s in timetable.sessions:
        if s.clinician:
            led[s.clinician] += s.end - s.start
        if s.room:
            used[s.room] += s.end - s.start
    clinicians = [
        Utilisation(c.id, c.name, c.discipline, led[c.id], clinician_cap_minutes(instance, c.id))
        for c in instance.clinicians
    ]
    rooms = [
        Utilisation(r.id, r.name, r.kind, used[r.id], open_minutes(r.availability, instance))
        for r in instance.rooms
    ]
    return clinicians, rooms


def unreachable_assignments(week: Instance, existing: set[str]) -> list[str]:
    """New clients (not in ``existing``) whose assigned clinician is never free with them.

    Such a client falls short whatever the staffing. `changes.add_clients` and
    `with_clinician_copy` assign only clinicians free with the client when one exists, so
    this names the clients for whom none does.
    """
    found = []
    for client in week.clients:
        if client.id in existing:
            continue
        for type_id, clin_id in client.assigned_clinicians.items():
            clin = week.clinician_by_id[clin_id]
            need = week.type_by_id[type_id].duration_minutes
            if longest_overlap(week, client.availability, clin.availability) < need:
                found.append(
                    f"{client.id} is assigned {clin_id} for {type_id}, but they are never "
                    f"available together for {need} minutes"
                )
    return found


def _fresh_id(taken: set[str], base: str) -> str:
    ident, number = f"{base}-extra", 2
    while ident in taken:
        ident, number = f"{base}-extra{number}", number + 1
    return ident


def _share_caseload(week: Instance, existing: set[str], original: str, copy: str) -> Instance:
    """The week with the new clients' assigned clinicians spread again, the copy included.

    The same rule as `changes.add_clients` (free with the client, least loaded, caseload
    carriers first), counting the caseload of the clients in ``existing``; the copy carries
    the types the original carries.
    """
    load = caseload(c for c in week.clients if c.id in existing)
    for type_id, clin_id in list(load):
        if clin_id == original:
            load.setdefault((type_id, copy), 0)
    data = week.model_dump(mode="json")
    for client, dumped in zip(week.clients, data["clients"], strict=True):
        if client.id in existing:
            continue
        for type_id, current in client.assigned_clinicians.items():
            chosen = choose_clinician(week, type_id, client.availability, load, current)
            load[(type_id, chosen)] = load.get((type_id, chosen), 0) + 1
            dumped["assigned_clinicians"][type_id] = chosen
    return Instance.model_validate(data)


def with_clinician_copy(
    week: Instance, clinician_id: str, existing: set[str]
) -> tuple[Instance, str]:
    """The week with a copy of a clinician, sharing the caseload of clients not in ``existing``."""
    data = week.model_dump(mode="json")
    original = next(c for c in data["clinicians"] if c["id"] == clinician_id)
    ident = _fresh_id(set(week.clinician_by_id), clinician_id)
    copy = {**original, "id": ident, "name": f"{original['name'] or clinician_id} (extra)"}
    data["clinicians"].append(copy)
    staffed = _share_caseload(Instance.model_validate(data), existing, clinician_id, ident)
    return staffed, ident


def with_room_copy(week: Instance, room_id: str) -> tuple[Instance, str]:
    """The week with a copy of a room."""
    data = week.model_dump(mode="json")
    original = next(r for r in data["rooms"] if r["id"] == room_id)
    ident = _fresh_id(set(week.room_by_id), room_id)
    data["rooms"].append(
        {**original, "id": ident, "name": f"{original['name'] or room_id} (extra)"}
    )
    return Instance.model_validate(data), ident


def _most_spare(items: list[Utilisation]) -> dict[str, Utilisation]:
    """By kind, the item with the most spare minutes (the first listed on a tie)."""
    best: dict[str, Utilisation] = {}
    for item in items:
        spare = item.available_minutes - item.used_minutes
        current = best.get(item.kind)
        if current is None or spare > current.available_minutes - current.used_minutes:
            best[item.kind] = item
    return best


def check_track(instance: Instance, track: str) -> None:
    """Raise `InputError` unless some client of the track exists to model new clients on."""
    if not any(c.track == track for c in instance.clients):
        known = sorted({c.track for c in instance.clients if c.track})
        raise InputError(
            f"--track: no client of track '{track}' to model new clients on "
            f"(tracks here: {', '.join(known) or 'none'})"
        )


@ctrl_c_ends_the_run()
def find_capacity(
    instance: Instance,
    track: str,
    *,
    max_added: int = 50,
    time_limit: float = 10.0,
    workers: int = 0,
    seed: int = 0,
    relax: bool = True,
    on_probe: Callable[[str, Probe], None] | None = None,
) -> CapacityReport:
    """The largest number of added clients of ``track`` served with no shortfall (see module).

    ``time_limit`` and ``workers`` apply to each solve; ``seed`` both generates the clients
    and seeds the search. ``on_probe(label, probe)`` is called after each solve. Ctrl-C
    ends the probe that runs and the search: the report says what was found so far.
    """
    instance = as_instance(instance)  # a path, a dict, or an instance edited in Python
    check_track(instance, track)
    if max_added < 0:
        raise ValueError("max_added must be at least 0")
    existing = {c.id for c in instance.clients}
    weeks: dict[int, Instance] = {}
    tables: dict[int, Timetable] = {}
    probes: dict[int, Probe] = {}
    order: list[Probe] = []

    def week_of(n: int) -> Instance:
        if n not in weeks:
            weeks[n] = add_clients(instance, track, n, seed) if n else instance
        return weeks[n]

    def run(week: Instance, n: int) -> tuple[Probe, Timetable | None]:
        started = time.monotonic()
        # A proof that nobody can serve this week needs no solve: a client available on
        # two days made every probe and relaxation run out its time limit and say "not
        # proven" (found by an operations walk-through).
        findings = diagnose(week)
        if findings:
            return Probe(
                added=n,
                status=Status.INFEASIBLE,
                served=False,
                clients_under_served=len({c for f in findings for c in f.clients}),
                short_rules=dict(Counter(f.rule for f in findings)),
                seconds=time.monotonic() - started,
                reasons=tuple(str(f) for f in findings),
            ), None
        # A probe reports whether everyone is served, never a bound: the time the
        # per-client bound would take goes to the search.
        options = SolveOptions(
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            allow_shortfalls=True,
            model=ModelSettings(client_bound=False),
        )
        result = solve_with(week, options)
        if not result.status.has_timetable:
            return Probe(n, result.status, False, 0, seconds=result.total_seconds), None
        table = result.timetable
        valid = validate(week, table, allow_shortfalls=True) == []
        probe = Probe(
            added=n,
            status=result.status,
            served=valid and not table.shortfalls,
            clients_under_served=len({s.client for s in table.shortfalls}),
            short_rules=dict(Counter(s.rule for s in table.shortfalls)),
            seconds=result.total_seconds,
            valid=valid,
        )
        return probe, table

    def served(n: int) -> bool:
        if n not in probes:
            probe, table = run(week_of(n), n)
            probes[n] = probe
            order.append(probe)
            if table is not None:
                tables[n] = table
            if on_probe is not None:
                on_probe(f"+{n}", probe)
            if stopped_early():
                raise _Stopped
        return probes[n].served

    added: int | None
    first_unserved: int | None
    try:
        added, first_unserved = _bracket(served, max_added)
    except _Stopped:
        # The cut-short probe proves a week served but not one unserved.
        done = order if order[-1].served else order[:-1]
        found = [p.added for p in done if p.served]
        added = max(found) if found else None
        above = [p.added for p in done if not p.served and p.added > (added or 0)]
        first_unserved = min(above) if above else None
    report = CapacityReport(
        instance=instance.name,
        track=track,
        track_clients=sum(1 for c in instance.clients if c.track == track),
        max_added=max_added,
        time_limit=time_limit,
        seed=seed,
        added=added,
        first_unserved=first_unserved,
        probes=order,
    )
    if added is not None and added in tables:
        report.clinicians, report.rooms = utilisation(week_of(added), tables[added])
    if first_unserved is not None:
        report.unreachable = unreachable_assignments(week_of(first_unserved), existing)
    # A probe that ran out of time proves no shortfall: nothing to relax (its note says so).
    timed_out = first_unserved is not None and probes[first_unserved].unknown
    if relax and first_unserved is not None and not timed_out and not stopped_early():
        failing = week_of(first_unserved)
        reference = tables.get(first_unserved) or tables.get(added if added is not None else -1)
        reference = reference or Timetable(instance=failing.name, status="feasible")
        clinicians, rooms = utilisation(failing, reference)
        extras = [("clinician", kind, u.id) for kind, u in _most_spare(clinicians).items()]
        extras += [("room", kind, u.id) for kind, u in _most_spare(rooms).items()]
        for resource, kind, copy_of in extras:
            if stopped_early():
                break
            if resource == "clinician":
                relaxed, ident = with_clinician_copy(failing, copy_of, existing)
            else:
                relaxed, ident = with_room_copy(failing, copy_of)
            probe, _ = run(relaxed, first_unserved)
            report.relaxations.append(Relaxation(resource, kind, copy_of, ident, probe))
            if on_probe is not None:
                on_probe(f"+{first_unserved} with {ident}", probe)
    report.stopped = stopped_early()
    return report


class _Stopped(Exception):
    """Ctrl-C was pressed during a probe: no further probe runs."""


def _bracket(served: Callable[[int], bool], max_added: int) -> tuple[int | None, int | None]:
    """The largest N served and the first N not served (doubling, then bisection)."""
    if not served(0):
        return None, 0
    low, step = 0, 1
    first_unserved = None
    while low < max_added:
        n = min(step, max_added)
        if not served(n):
            first_unserved = n
            break
        low, step = n, step * 2
    if first_unserved is None:
        return low, None
    high = first_unserved
    while high - low > 1:
        middle = (low + high) // 2
        if served(middle):
            low = middle
        else:
            high = middle
    return low, high


# -- the report ----------------------------------------------------------------------------


def probe_text(probe: Probe) -> str:
    """``served (optimal, 0.4 s)`` or ``not served: 2 clients short (requires:ind 2)``."""
    timing = f"{probe.status.value}, {probe.seconds:.1f} s"
    if probe.reasons:
        more = len(probe.reasons) - 1
        also = f" (and {plural(more, 'more reason')})" if more else ""
        return f"not served, whatever the search: {probe.reasons[0]}{also}"
    if probe.served:
        return f"served ({timing})"
    if probe.unknown:
        return f"not served: no timetable in the time limit ({timing})"
    if probe.valid is False:
        return f"not served: the validator rejects the timetable ({timing})"
    rules = ", ".join(f"{rule} {count}" for rule, count in sorted(probe.short_rules.items()))
    short = f"{plural(probe.clients_under_served, 'client')} short ({rules}; {timing})"
    if probe.proven_short:
        return f"not served: {short}"
    return f"not served in the time limit: {short}, not proven"


def _unproven_outcome(report: CapacityReport) -> str:
    """What the first unserved probe, not proven short, came to (found by review)."""
    probe = report.first_unserved_probe
    if probe is not None and probe.unknown:
        return "found no timetable in the time limit"
    if probe is not None and probe.valid is False:
        return "had a week the validator rejects"
    return "fell short in the time limit, not proven"


def _share(item: Utilisation) -> str:
    return "-" if item.share is None else f"{item.share:.0%}"


def _with_article(noun: str) -> str:
    """``a counselor``, ``an office``."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


#: Reasons listed under a week that cannot be served; `explain` gives them all.
_REASONS_SHOWN = 5


def render_report(report: CapacityReport) -> str:
    """The capacity report as text: probes, the answer, what binds, utilisation."""
    lines = [
        f"Capacity of {report.instance or 'the week'} for more {report.track} clients "
        f"({report.track_clients} now; {report.time_limit:g} s per solve, seed {report.seed})",
        "",
        "Probes (added clients: outcome):",
    ]
    for probe in report.probes:
        lines.append(f"  +{probe.added:<4} {probe_text(probe)}")
    lines.append("")
    track = report.track
    if report.stopped:
        lines.append("Stopped by Ctrl-C: the last probe was cut short and counts only if served.")
        if report.added is None:
            lines.append("Capacity: unknown (no week was found served before the stop).")
        else:
            upper = (
                f"; +{report.first_unserved} "
                + ("falls short" if report.first_unserved_proven else _unproven_outcome(report))
                if report.first_unserved is not None
                else ""
            )
            lines.append(
                f"Capacity so far: at least {plural(report.added, f'more {track} client')}{upper}."
            )
    elif report.added is None and any(p.added == 0 for p in report.unknown_probes):
        lines.append(
            "Capacity: unknown (the week as it is found no timetable in the time limit)."
        )
    elif report.added is None and report.first_unserved_proven:
        lines.append(
            "The week as it is already falls short: no client can be added without a shortfall."
        )
    elif report.added is None:
        lines.append(
            "The week as it is fell short in the time limit, not proven: a longer "
            "--time-limit may serve it (`iop-scheduler explain` says whether it can be)."
        )
    elif report.reached_max:
        lines.append(
            f"Capacity: at least {plural(report.added, f'more {track} client')} "
            f"(every N up to --max {report.max_added} was served; raise --max to look further)."
        )
    elif report.first_unserved_proven:
        lines.append(
            f"Capacity: {plural(report.added, f'more {track} client')} with no shortfall; "
            f"+{report.first_unserved} falls short."
        )
    else:
        lines.append(
            f"Capacity: at least {plural(report.added, f'more {track} client')} with no "
            f"shortfall; +{report.first_unserved} {_unproven_outcome(report)} (a longer "
            f"--time-limit may serve it)."
        )
    if report.unknown_probes:
        ns = ", ".join(f"+{p.added}" for p in report.unknown_probes)
        lines.append(
            f"Note: {ns} ended with no timetable in the time limit and counted as not served; "
            f"a longer --time-limit may raise the capacity."
        )
    failing = report.first_unserved_probe
    if failing is not None and failing.reasons:
        lines.append(f"Why +{failing.added} cannot be served (found before any solve):")
        lines += [f"  - {reason}" for reason in failing.reasons[:_REASONS_SHOWN]]
        if len(failing.reasons) > _REASONS_SHOWN:
            lines.append(
                f"  ... and {plural(len(failing.reasons) - _REASONS_SHOWN, 'more reason')} "
                "(`iop-scheduler explain` lists them all)"
            )
    if report.unreachable:
        lines.append(
            f"Note: at +{report.first_unserved}, generated clients cannot meet their "
            f"assigned clinician whatever the staffing (no clinician who leads that type "
            f"is free with them):"
        )
        lines += [f"  {text}" for text in report.unreachable]
    unchanged = failing is not None and all(
        r.probe.reasons == failing.reasons != () for r in report.relaxations
    )
    if report.relaxations and unchanged:
        # A table of eight "same reasons" rows said less than this line.
        lines += [
            "",
            "No single added clinician or room (a copy of one of each discipline and kind, "
            "with the same hours) removes these reasons.",
        ]
    elif report.first_unserved is not None and report.relaxations:
        lines += ["", f"What binds first: one more resource at +{report.first_unserved}:"]
        if not report.first_unserved_proven:
            lines.append(
                f"  (+{report.first_unserved} was not proven short, so these are what the "
                "time limit found, not proofs)"
            )
        for relax in report.relaxations:
            what = f"one more {relax.kind.replace('_', ' ')} (copy of {relax.copy_of})"
            same = failing is not None and relax.probe.reasons == failing.reasons != ()
            outcome = "not served: the same reasons" if same else probe_text(relax.probe)
            lines.append(f"  {what:<44} {outcome}")
        enough = [r for r in report.relaxations if r.served]
        if enough:
            names = [_with_article(r.kind.replace("_", " ")) for r in enough]
            if len(names) == 1:
                lines.append(f"Adding {names[0]} is enough to serve +{report.first_unserved}.")
            else:
                either = ", ".join(names[:-1]) + f" or {names[-1]}"
                lines.append(
                    f"Adding any one of {either} is enough to serve +{report.first_unserved}."
                )
        else:
            lines.append(
                f"No single added clinician or room is enough to serve +{report.first_unserved}."
            )
    if report.clinicians or report.rooms:
        lines += [
            "",
            f"Utilisation at +{report.added}: clinicians' hours led over their cap, rooms' "
            f"hours used over their open hours",
        ]
        lines.append(f"  {'clinician':<16}{'discipline':<18}{'led h':>7}{'cap h':>7}{'of cap':>8}")
        for item in sorted(report.clinicians, key=lambda u: -(u.share or 0)):
            lines.append(
                f"  {item.id:<16}{item.kind:<18}{item.used_minutes / 60:>7.1f}"
                f"{item.available_minutes / 60:>7.1f}{_share(item):>8}"
            )
        lines.append(f"  {'room':<16}{'kind':<18}{'used h':>7}{'open h':>7}{'of open':>8}")
        for item in sorted(report.rooms, key=lambda u: -(u.share or 0)):
            lines.append(
                f"  {item.id:<16}{item.kind:<18}{item.used_minutes / 60:>7.1f}"
                f"{item.available_minutes / 60:>7.1f}{_share(item):>8}"
            )
        lines += [
            "  (cap h: the most hours a clinician could lead: availability in program hours,",
            "  capped by their daily and weekly maximums. `report`'s utilisation divides by",
            "  availability alone, so it reads lower wherever a maximum binds.)",
        ]
    return "\n".join(lines)
