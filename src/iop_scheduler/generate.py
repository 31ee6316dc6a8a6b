"""A seeded generator of realistic IOP clinic weeks (``iop-instance/1``).

`generate_week` builds a clinic week from `GeneratorSettings` (or a named preset from
`PRESETS`): clients in a morning, evening and/or Saturday program, a multidisciplinary staff
with realistic shifts, rooms, and the session types of an intensive outpatient program.
`generate_instance` returns just the `Instance`.

Every week is feasible by construction. The generator first plans a *witness* timetable the
way a coordinator would by hand — clients move through the week in cohorts of 4 to 12 that
share three program days and a block plan (a 90-minute process group, a 60-minute skills
group, a 60-minute course or second group, and a free half hour), with each client pulled out
of one group or course for individual counseling and, where required, one half hour for
medication management — and then hires the staff and furnishes the rooms that plan needs,
with slack on top. The witness is returned with the week (`GeneratedWeek.witness`), so that
feasibility can be checked by the independent validator instead of by a solver, and it can be
handed to the solver as a hint. Clients' `requires` are chosen so that each client's
discipline rule is met by their required sessions alone.

Determinism: one seed gives one week. All randomness comes from `random.Random` instances
seeded with strings derived from the seed (stable across Python runs and platforms), and
every loop runs over lists or sorted keys, never over set order.

The module does not import OR-Tools.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from .domain import Instance, ScheduledSession, Timetable, number_sessions, record_planned_week
from .errors import InputError
from .times import DAY_NAMES, WEEK_DAYS, format_hhmm
from .wording import plural

# -- vocabulary ---------------------------------------------------------------------------

#: Client tracks the generator knows, in report order.
TRACKS: tuple[str, ...] = ("substance_use", "mental_health", "co_occurring")
#: The default client mix (shares of substance use, mental health and co-occurring clients).
DEFAULT_TRACK_MIX: tuple[tuple[str, float], ...] = (
    ("substance_use", 0.5),
    ("mental_health", 0.2),
    ("co_occurring", 0.3),
)
#: Programs a clinic can run.
PROGRAMS: tuple[str, ...] = ("morning", "evening", "saturday")
#: Deliberate defects `GeneratorSettings.breaks` can introduce (each makes the week infeasible).
BREAKS: dict[str, str] = {
    "client-days": "one client is available on only 2 days (the program requires 3)",
    "psychiatrist": "one client's assigned psychiatrist is never available while the client is",
    "group-rooms": "every group room is closed on one day that some clients must attend",
}
DEFAULT_WEEK_OF = dt.date(2026, 11, 30)
SLOT_MINUTES = 30
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")

#: Service windows: (start, end) in minutes. ``am`` and ``pm`` run Monday to Friday,
#: ``sat`` on Saturday morning.
WINDOWS: dict[str, tuple[int, int]] = {"am": (540, 780), "pm": (1020, 1260), "sat": (540, 780)}
WINDOW_NAMES = {"am": "weekday mornings", "pm": "weekday evenings", "sat": "Saturday mornings"}

#: Share of clients per program, before normalising over the programs that run.
PROGRAM_SHARE = {"morning": 0.55, "evening": 0.30, "saturday": 0.15}
MIN_CLIENTS_PER_PROGRAM = 4
#: Cohorts hold at most this many clients (the group therapy cap) and aim for COHORT_TARGET.
COHORT_MAX = 12
COHORT_TARGET = 10


@dataclass(frozen=True)
class Preset:
    """A named clinic size."""

    clients: int
    programs: tuple[str, ...]
    description: str


#: The ladder of clinic sizes.
PRESETS: dict[str, Preset] = {
    "tiny": Preset(6, ("morning",), "one morning cohort, for tests and demos"),
    "small": Preset(25, ("morning", "evening"), "a small clinic with morning and evening"),
    "medium": Preset(60, ("morning", "evening"), "a typical community IOP"),
    "large": Preset(150, ("morning", "evening"), "a large clinic, several cohorts per shift"),
    "xlarge": Preset(
        300, ("morning", "evening", "saturday"), "a multi-team site with a Saturday program"
    ),
}


@dataclass(frozen=True)
class GeneratorSettings:
    """What to generate. Equal settings always give the same week.

    ``clinicians`` and ``rooms`` are totals; ``None`` derives them from the demand with
    slack. Explicit totals below what the week needs are an input error.
    """

    clients: int = 25
    clinicians: int | None = None
    rooms: int | None = None
    tracks: tuple[tuple[str, float], ...] = DEFAULT_TRACK_MIX
    programs: tuple[str, ...] = ("morning", "evening")
    seed: int = 0
    name: str | None = None
    preset: str | None = None
    week_of: dt.date = DEFAULT_WEEK_OF
    breaks: tuple[str, ...] = ()

    @classmethod
    def from_preset(cls, preset: str, **overrides: Any) -> GeneratorSettings:
        """The settings of a named preset, with some fields overridden."""
        if preset not in PRESETS:
            raise InputError(
                f"--preset: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}"
            )
        spec = PRESETS[preset]
        values: dict[str, Any] = {"clients": spec.clients, "programs": spec.programs}
        values["preset"] = preset
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass
class GeneratedWeek:
    """A generated clinic week, its JSON form, and the witness timetable that proves it feasible.

    ``witness`` is ``None`` when the week was broken on purpose (``breaks``).
    """

    instance: Instance
    data: dict[str, Any]
    witness: Timetable | None
    summary: str
    notes: list[str] = field(default_factory=list)


# -- session types ------------------------------------------------------------------------

THERAPISTS = ("psychologist", "social_worker", "counselor")
GROUP_SIZE = (3, 12)
COURSE_SIZE = (2, 16)

#: (id, name, kind, minutes, disciplines, room kinds, tracks)
SESSION_TYPES: tuple[
    tuple[str, str, str, int, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...
] = (
    ("process", "Process group", "group", 90, THERAPISTS, ("group_room",), ()),
    (
        "cbt_skills",
        "CBT skills group",
        "group",
        60,
        ("psychologist", "counselor"),
        ("group_room",),
        (),
    ),
    (
        "dbt_skills",
        "DBT skills group",
        "group",
        60,
        ("psychologist", "social_worker"),
        ("group_room",),
        (),
    ),
    (
        "peer_support",
        "Peer support group",
        "group",
        60,
        ("peer_specialist",),
        ("group_room", "classroom"),
        (),
    ),
    (
        "relapse_prevention",
        "Relapse prevention",
        "course",
        60,
        ("counselor",),
        ("classroom", "group_room"),
        ("substance_use", "co_occurring"),
    ),
    (
        "trauma_education",
        "Trauma education",
        "course",
        60,
        ("psychologist", "social_worker"),
        ("classroom", "group_room"),
        (),
    ),
    (
        "emotional_regulation",
        "Emotional regulation",
        "course",
        60,
        THERAPISTS,
        ("classroom", "group_room"),
        (),
    ),
    (
        "vocational_skills",
        "Vocational skills",
        "course",
        60,
        ("counselor", "social_worker"),
        ("classroom", "group_room"),
        (),
    ),
    (
        "family_community",
        "Family and community",
        "course",
        60,
        ("social_worker", "counselor"),
        ("classroom", "group_room"),
        (),
    ),
    (
        "self_discovery",
        "Self-discovery",
        "course",
        60,
        ("counselor", "psychologist"),
        ("classroom", "group_room"),
        (),
    ),
    ("individual", "Individual counseling", "individual", 60, THERAPISTS, ("office",), ()),
    (
        "med_management",
        "Medication management",
        "individual",
        30,
        ("psychiatrist",),
        (),
        ("mental_health", "co_occurring"),
    ),
)
TYPE = {t[0]: t for t in SESSION_TYPES}
#: Courses open to every track, offered as the cohort's course of the week.
GENERAL_COURSES = (
    "trauma_education",
    "vocational_skills",
    "family_community",
    "self_discovery",
    "emotional_regulation",
)
#: The course mental-health clients take while the rest of their cohort is in relapse
#: prevention.
MH_ALTERNATIVE = "emotional_regulation"

#: Block lengths of a cohort day: A process group, B and C a group or course, G a free half
#: hour (used for medication management).
BLOCK_LEN = {"A": 90, "B": 60, "C": 60, "G": 30}
#: Four layouts of the 4-hour window, so that cohorts sharing a day are staggered.
LAYOUTS: tuple[dict[str, int], ...] = (
    {"C": 0, "A": 60, "B": 150, "G": 210},
    {"B": 0, "C": 60, "A": 120, "G": 210},
    {"G": 0, "A": 30, "C": 120, "B": 180},
    {"A": 0, "B": 90, "G": 150, "C": 180},
)

# -- names --------------------------------------------------------------------------------

SURNAMES = (
    "Okafor",
    "Chen",
    "Alvarez",
    "Brooks",
    "Haddad",
    "Patel",
    "Kim",
    "Flores",
    "Singh",
    "Nguyen",
    "Johnson",
    "Garcia",
    "Williams",
    "Rossi",
    "Novak",
    "Mensah",
    "Ibrahim",
    "Cohen",
    "Murphy",
    "Silva",
    "Tanaka",
    "Kowalski",
    "Ortiz",
    "Hughes",
    "Bauer",
    "Dubois",
    "Yilmaz",
    "Reyes",
    "Foster",
    "Moreau",
    "Lindqvist",
    "Adeyemi",
    "Park",
    "Ramos",
    "Walsh",
    "Schmidt",
    "Greene",
    "Castillo",
    "Morgan",
    "Jensen",
    "Ahmed",
    "Costa",
    "Bennett",
    "Kaur",
    "Price",
    "Sato",
    "Horvat",
    "Nakamura",
    "Fischer",
    "Osei",
    "Delgado",
    "Carter",
    "Popescu",
    "Ward",
    "Vargas",
    "Holm",
    "Mwangi",
    "Russo",
    "Turner",
    "Lopez",
)
INITIALS = "ABCDEFGHJKLMNPRSTVW"
CREDENTIALS = {
    "psychologist": ("PhD", "PsyD"),
    "social_worker": ("LCSW", "LICSW"),
    "counselor": ("LADC", "CADC", "LPC"),
    "psychiatrist": ("MD", "DO", "PMHNP"),
    "peer_specialist": ("CPS", "CPRS"),
}
ID_PREFIX = {
    "psychologist": "psy",
    "social_worker": "sw",
    "counselor": "co",
    "psychiatrist": "md",
    "peer_specialist": "peer",
}
DISCIPLINE_ORDER = ("psychologist", "social_worker", "counselor", "psychiatrist", "peer_specialist")
#: The therapist discipline of the i-th therapist hired for a window: 3 counselors, 3 social
#: workers and 2 psychologists in every 8.
THERAPIST_CYCLE = (
    "counselor",
    "social_worker",
    "psychologist",
    "counselor",
    "social_worker",
    "counselor",
    "psychologist",
    "social_worker",
)


# -- settings -----------------------------------------------------------------------------


def parse_track_mix(text: str) -> tuple[tuple[str, float], ...]:
    """Parse ``substance_use=0.5,mental_health=0.2,co_occurring=0.3`` (shares adding to 1)."""
    shares: dict[str, float] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep:
            raise InputError(f"--tracks: {part!r} is not TRACK=SHARE")
        if name not in TRACKS:
            raise InputError(f"--tracks: unknown track {name!r}; choose from {', '.join(TRACKS)}")
        if name in shares:
            raise InputError(f"--tracks: track {name!r} is given twice")
        try:
            share = float(value)
        except ValueError:
            raise InputError(
                f"--tracks: share {value.strip()!r} of {name} is not a number"
            ) from None
        if not math.isfinite(share):
            raise InputError(f"--tracks: share {value.strip()!r} of {name} is not a finite number")
        if share < 0:
            raise InputError(f"--tracks: share {value.strip()!r} of {name} is negative")
        shares[name] = share
    mix = tuple((t, shares.get(t, 0.0)) for t in TRACKS)
    _check_mix(mix)
    return mix


def _check_mix(mix: tuple[tuple[str, float], ...]) -> None:
    names = [t for t, _ in mix]
    for name, share in mix:
        if name not in TRACKS:
            raise InputError(f"--tracks: unknown track {name!r}; choose from {', '.join(TRACKS)}")
        if not math.isfinite(share) or share < 0:
            raise InputError(f"--tracks: share {share!r} of {name} is negative")
    if len(set(names)) != len(names):
        raise InputError("--tracks: a track is given twice")
    total = sum(share for _, share in mix)
    if abs(total - 1.0) > 0.01:
        raise InputError(f"--tracks: the shares add up to {total:g}, not 1")


def parse_programs(text: str) -> tuple[str, ...]:
    """Parse ``morning,evening,saturday`` (in any order, each at most once)."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    programs = _check_programs(tuple(names))
    return programs


def _check_programs(names: tuple[str, ...]) -> tuple[str, ...]:
    if not names:
        raise InputError("--programs: name at least one program (morning, evening, saturday)")
    for name in names:
        if name not in PROGRAMS:
            raise InputError(
                f"--programs: unknown program {name!r}; choose from {', '.join(PROGRAMS)}"
            )
    if len(set(names)) != len(names):
        raise InputError("--programs: a program is given twice")
    return tuple(p for p in PROGRAMS if p in names)


def check_settings(settings: GeneratorSettings) -> GeneratorSettings:
    """Check settings, returning them with programs in canonical order; `InputError` if bad."""
    programs = _check_programs(tuple(settings.programs))
    _check_mix(tuple(settings.tracks))
    if settings.clients < 0:
        raise InputError(f"--clients: {settings.clients} is negative")
    least = MIN_CLIENTS_PER_PROGRAM * len(programs)
    if settings.clients < least:
        raise InputError(
            f"--clients: {settings.clients} is too few for {len(programs)} program(s); "
            f"each program needs at least {MIN_CLIENTS_PER_PROGRAM} clients to form groups"
        )
    if settings.clinicians is not None and settings.clinicians < 0:
        raise InputError(f"--clinicians: {settings.clinicians} is negative")
    if settings.rooms is not None and settings.rooms < 0:
        raise InputError(f"--rooms: {settings.rooms} is negative")
    for name in settings.breaks:
        if name not in BREAKS:
            raise InputError(f"--break: unknown defect {name!r}; choose from {', '.join(BREAKS)}")
    if len(set(settings.breaks)) != len(settings.breaks):
        raise InputError("--break: a defect is given twice")
    if settings.name is not None and not settings.name.strip():
        raise InputError("--name: the name is empty")
    return GeneratorSettings(
        clients=settings.clients,
        clinicians=settings.clinicians,
        rooms=settings.rooms,
        tracks=tuple(settings.tracks),
        programs=programs,
        seed=settings.seed,
        name=settings.name,
        preset=settings.preset,
        week_of=settings.week_of,
        breaks=tuple(settings.breaks),
    )


def _rng(seed: int, *parts: object) -> random.Random:
    """A random stream for one purpose, independent of how much other streams are used."""
    return random.Random(":".join(["iop-generate", str(seed), *map(str, parts)]))


def _apportion(total: int, shares: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``shares`` (largest remainder, ties to the first)."""
    weight = sum(shares)
    if total == 0 or weight <= 0:
        return [0] * len(shares)
    exact = [total * s / weight for s in shares]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


# -- planning clients and cohorts ---------------------------------------------------------

Avail = dict[str, list[tuple[int, int]]]


@dataclass
class _Client:
    key: int
    program: str
    track: str
    cohort: int = -1
    avail: Avail = field(default_factory=dict)
    preferred_days: list[str] = field(default_factory=list)
    preferred_window: tuple[int, int] | None = None
    course_wish: bool = False
    id: str = ""


@dataclass
class _Cohort:
    index: int
    program: str
    members: list[int]
    days: list[tuple[str, str]] = field(default_factory=list)  # (day, window), k order
    layout: int = 0
    course: str = ""
    late_group: str = ""


def _program_windows(program: str, programs: tuple[str, ...]) -> tuple[str, str]:
    """(window of the Saturday / weekday days) of a program's cohorts."""
    if program == "morning":
        return ("am", "am")
    if program == "evening":
        return ("pm", "pm")
    return ("sat", "pm" if "evening" in programs else "am")


def _cohort_days(
    program: str,
    programs: tuple[str, ...],
    size: int,
    load: dict[str, Counter[str]],
    rng: random.Random,
) -> list[tuple[str, str]]:
    """The three (day, window) of a new cohort, evening out the clients per day and window.

    Returned in the order of the cohort's plan: the first day holds relapse prevention, the
    second peer support, the third the course of the week.
    """
    sat_window, week_window = _program_windows(program, programs)

    def window_of(day: str) -> str:
        return sat_window if day == "sat" else week_window

    if program == "saturday":
        options = [("sat", *pair) for pair in combinations(WEEKDAYS, 2)]
    else:
        options = list(combinations(WEEKDAYS, 3))
    rng.shuffle(options)

    def cost(days: tuple[str, ...]) -> tuple[int, int]:
        after = [load[window_of(d)][d] + size for d in days]
        return (max(after), sum(a * a for a in after))

    best = min(options, key=cost)
    for day in best:
        load[window_of(day)][day] += size
    days = [(day, window_of(day)) for day in best]
    rng.shuffle(days)
    return days


def _plan_clients(settings: GeneratorSettings) -> tuple[list[_Client], list[_Cohort]]:
    rng = _rng(settings.seed, "clients")
    programs = settings.programs
    counts = _apportion(settings.clients, [PROGRAM_SHARE[p] for p in programs])
    # Every program gets enough clients to form a cohort.
    for i in range(len(counts)):
        while counts[i] < MIN_CLIENTS_PER_PROGRAM:
            donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
            counts[donor] -= 1
            counts[i] += 1
    clients: list[_Client] = []
    cohorts: list[_Cohort] = []
    shares = [share for _, share in settings.tracks]
    names = [t for t, _ in settings.tracks]
    load: dict[str, Counter[str]] = defaultdict(Counter)  # window -> day -> clients
    layout_use: dict[str, Counter[tuple[str, int]]] = defaultdict(Counter)
    for program, count in zip(programs, counts, strict=True):
        tracks: list[str] = []
        for name, n in zip(names, _apportion(count, shares), strict=True):
            tracks += [name] * n
        rng.shuffle(tracks)
        members = []
        for track in tracks:
            client = _Client(key=len(clients), program=program, track=track)
            clients.append(client)
            members.append(client)
        # Deal clients into cohorts so that each cohort gets a balanced track mix: mental
        # health first, then co-occurring, then substance use, dealt round robin.
        order = {"mental_health": 0, "co_occurring": 1, "substance_use": 2}
        members.sort(key=lambda c: (order[c.track], c.key))
        n_cohorts = max(1, math.ceil(count / COHORT_TARGET))
        groups: list[list[int]] = [[] for _ in range(n_cohorts)]
        for position, client in enumerate(members):
            groups[position % n_cohorts].append(client.key)
        for group in groups:
            cohort = _Cohort(index=len(cohorts), program=program, members=sorted(group))
            cohort.days = _cohort_days(program, programs, len(group), load, rng)

            def layout_key(lay: int, cohort: _Cohort = cohort) -> tuple[int, int]:
                return (
                    sum(layout_use[w][(d, lay)] for d, w in cohort.days),
                    (lay - cohort.index) % len(LAYOUTS),
                )

            cohort.layout = min(
                range(len(LAYOUTS)),
                key=layout_key,
            )
            for d, w in cohort.days:
                layout_use[w][(d, cohort.layout)] += 1
            cohort.course = GENERAL_COURSES[(cohort.index + settings.seed) % len(GENERAL_COURSES)]
            cohort.late_group = ("cbt_skills", "dbt_skills")[cohort.index % 2]
            cohorts.append(cohort)
            for key in group:
                clients[key].cohort = cohort.index
    for client in clients:
        _client_availability(client, cohorts[client.cohort], programs, rng)
    return clients, cohorts


def _client_availability(
    client: _Client, cohort: _Cohort, programs: tuple[str, ...], rng: random.Random
) -> None:
    """3-5 days: the cohort's days, plus 0-2 more, with some variation in the hours.

    Many clients can come early or stay after the group program on some days (morning
    clients until 13:30 or 14:00, evening clients from 16:00 or 16:30): that is when most
    individual appointments happen in practice.
    """
    core = {day: window for day, window in cohort.days}
    week_window = _program_windows(client.program, programs)[1]
    spare = [d for d in WEEKDAYS if d not in core]
    extra = rng.choices([0, 1, 2], weights=[25, 40, 35])[0]
    extra_days = sorted(rng.sample(spare, min(extra, len(spare))), key=WEEK_DAYS.index)
    # How much longer than the group program the client can usually stay (minutes), and on
    # what share of days.
    stretch = rng.choices([0, 30, 60], weights=[30, 25, 45])[0]
    stretch_days = rng.choice([0.4, 0.7, 1.0])
    early = rng.random() < 0.15  # can come half an hour before a morning program
    avail: Avail = {}
    for day in sorted([*core, *extra_days], key=WEEK_DAYS.index):
        window = core.get(day, week_window)
        start, end = WINDOWS[window]
        longer = stretch if rng.random() < stretch_days else 0
        if window == "pm":
            start -= longer
        else:
            end += longer
            if early:
                start -= 30
        if day not in core and rng.random() < 0.3:
            # Another commitment shortens a non-program day by half an hour.
            if window == "pm":
                end -= 30
            else:
                start += 30
        avail[day] = [(start, end)]
    client.avail = avail
    days = list(avail)
    if len(days) > 3 and rng.random() < 0.25:
        client.preferred_days = sorted(rng.sample(days, 3), key=WEEK_DAYS.index)
    if rng.random() < 0.15:
        start = WINDOWS[week_window][0]
        client.preferred_window = (start, start + 180)
    client.course_wish = rng.random() < 0.3


# -- staff --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StaffSpec:
    """One member of staff to hire: role, discipline, service window and full/part time."""

    discipline: str
    window: str
    full_time: bool
    serial: int


@dataclass
class _Staff:
    spec: _StaffSpec
    avail: Avail
    max_day: float | None
    max_week: float | None
    qualified_for: list[str] | None
    busy: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    day_minutes: Counter[str] = field(default_factory=Counter)
    week_minutes: int = 0
    caseload: int = 0
    index: int = 0

    @property
    def discipline(self) -> str:
        return self.spec.discipline

    def free(self, day: str, start: int, end: int) -> bool:
        """Available, not booked, and within the hour caps for ``[start, end)`` on ``day``."""
        if not any(s <= start and end <= e for s, e in self.avail.get(day, [])):
            return False
        if any(start < e and s < end for s, e in self.busy[day]):
            return False
        minutes = end - start
        if self.max_day is not None and self.day_minutes[day] + minutes > self.max_day * 60:
            return False
        return self.max_week is None or self.week_minutes + minutes <= self.max_week * 60

    def book(self, day: str, start: int, end: int) -> None:
        self.busy[day].append((start, end))
        self.day_minutes[day] += end - start
        self.week_minutes += end - start


def _hhmm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _staff_from_spec(spec: _StaffSpec, seed: int, has_pm: bool, med_caps: dict[str, int]) -> _Staff:
    """A member of staff with a realistic shift for their role and window."""
    rng = _rng(seed, "staff", spec.serial)
    d = spec.discipline
    avail: Avail = {}
    qualified: list[str] | None = None
    max_day: float | None
    max_week: float | None

    def span(days: list[str] | tuple[str, ...], start: str, end: str) -> None:
        for day in days:
            avail[day] = [(_hhmm(start), _hhmm(end))]

    def some_weekdays(n: int) -> list[str]:
        return sorted(rng.sample(WEEKDAYS, n), key=WEEK_DAYS.index)

    if d == "psychiatrist":
        # Limited hours: four program days a week, around the program's hours (telehealth).
        days = some_weekdays(4)
        if spec.window == "pm":
            span(days, "16:00", "21:00")
        else:
            span(days, "08:30", "14:00")
        max_day, max_week = 4, med_caps.get(spec.window, 8)
    elif d == "peer_specialist":
        qualified = ["peer_support"]
        if spec.window == "sat":
            span(["sat"], "08:30", "13:30")
            span(["tue", "thu"], *(("16:30", "21:00") if has_pm else ("08:30", "13:30")))
            max_day, max_week = 4, 12
        elif spec.full_time:
            if spec.window == "pm":
                span(WEEKDAYS, "15:00", "21:00")
            else:
                span(WEEKDAYS, "08:30", "14:30")
            max_day, max_week = 5, 20
        else:
            hours = ("16:30", "21:00") if spec.window == "pm" else ("09:00", "13:00")
            span(some_weekdays(3), *hours)
            max_day, max_week = 4, 12
    elif spec.window == "sat":
        # A four-day week: Saturday plus three weekdays.
        span(["sat"], "08:00", "14:00")
        if has_pm:
            span(["tue", "wed", "thu"], "12:30", "21:00")
        else:
            span(["tue", "wed", "thu"], "08:00", "16:30")
        max_day, max_week = 6, 28
    elif spec.full_time:
        if spec.window == "pm":
            span(WEEKDAYS, *rng.choice([("12:30", "21:00"), ("13:00", "21:00")]))
        else:
            span(WEEKDAYS, *rng.choice([("08:00", "16:30"), ("08:30", "17:00")]))
        max_day, max_week = 6, rng.choice([28, 30, 32])
    else:
        days = some_weekdays(rng.choice([3, 4]))
        if spec.window == "pm":
            span(days, *rng.choice([("16:00", "21:00"), ("16:30", "21:00")]))
        else:
            span(days, *rng.choice([("08:30", "13:30"), ("08:00", "14:00")]))
        max_day, max_week = 4, 4 * len(days)
    avail = {day: avail[day] for day in sorted(avail, key=WEEK_DAYS.index)}
    return _Staff(spec, avail, max_day, max_week, qualified)


class _Shortage(Exception):
    """The witness plan needs one more member of staff of ``disciplines`` in ``window``."""

    def __init__(self, disciplines: tuple[str, ...], window: str, what: str) -> None:
        super().__init__(what)
        self.disciplines = disciplines
        self.window = window


# -- the witness plan ---------------------------------------------------------------------


@dataclass(eq=False)
class _Sess:
    type: str
    day: str
    window: str
    start: int
    members: list[int]
    leader: int | None = None
    room: int | None = None

    @property
    def kind(self) -> str:
        return TYPE[self.type][2]

    @property
    def end(self) -> int:
        return self.start + TYPE[self.type][3]

    @property
    def min_size(self) -> int:
        kind = self.kind
        return GROUP_SIZE[0] if kind == "group" else COURSE_SIZE[0] if kind == "course" else 1


class _Witness:
    """Plans the week's sessions for the given staff; raises `_Shortage` when staff run out."""

    def __init__(self, clients: list[_Client], cohorts: list[_Cohort], staff: list[_Staff]) -> None:
        self.clients = clients
        self.cohorts = cohorts
        self.staff = staff
        self.sessions: list[_Sess] = []
        self.attend: dict[int, dict[str, list[_Sess]]] = {c.key: defaultdict(list) for c in clients}
        self.therapist: dict[int, int] = {}
        self.psychiatrist: dict[int, int] = {}
        self.required: dict[int, set[int]] = defaultdict(set)  # client -> ids of sessions
        self.forced: list[tuple[int, _Sess]] = []  # lone mental-health clients at relapse prev.

    # -- building blocks -----------------------------------------------------------------

    def _add(self, stype: str, day: str, window: str, start: int, members: list[int]) -> _Sess:
        session = _Sess(stype, day, window, start, list(members))
        self.sessions.append(session)
        for key in members:
            self.attend[key][day].append(session)
        return session

    def cohort_sessions(self) -> None:
        """The cohort sessions: process group, skills groups, courses (SPEC section 1)."""
        for cohort in self.cohorts:
            layout = LAYOUTS[cohort.layout]
            members = cohort.members
            recovery = [k for k in members if self.clients[k].track != "mental_health"]
            mental = [k for k in members if self.clients[k].track == "mental_health"]
            for k, (day, window) in enumerate(cohort.days):
                base = WINDOWS[window][0]
                self._add("process", day, window, base + layout["A"], members)
                b_type = ("cbt_skills", "dbt_skills", cohort.course)[k]
                self._add(b_type, day, window, base + layout["B"], members)
                c_start = base + layout["C"]
                if k == 1:
                    peer = self._add("peer_support", day, window, c_start, members)
                    for key in members:
                        if self.clients[key].track == "substance_use":
                            self.required[key].add(id(peer))
                elif k == 2:
                    self._add(cohort.late_group, day, window, c_start, members)
                elif len(recovery) >= COURSE_SIZE[0]:
                    rp = self._add("relapse_prevention", day, window, c_start, recovery)
                    for key in recovery:
                        self.required[key].add(id(rp))
                    if len(mental) >= COURSE_SIZE[0]:
                        self._add(MH_ALTERNATIVE, day, window, c_start, mental)
                    elif mental:
                        self.forced.append(
                            (mental[0], _Sess("individual", day, window, c_start, []))
                        )
                else:
                    self._add(MH_ALTERNATIVE, day, window, c_start, members)

    def eligible(self, stype: str, day: str, start: int, end: int) -> list[_Staff]:
        """Staff who may lead ``stype`` at that time, now."""
        disciplines = TYPE[stype][4]
        return [
            s
            for s in self.staff
            if s.discipline in disciplines
            and (s.qualified_for is None or stype in s.qualified_for)
            and s.free(day, start, end)
        ]

    def lead(self) -> None:
        """Give every cohort session a leader, the most constrained sessions first."""

        def static(session: _Sess) -> int:
            return len(self.eligible(session.type, session.day, session.start, session.end))

        order = sorted(
            self.sessions,
            key=lambda s: (static(s), WEEK_DAYS.index(s.day), s.start, s.type),
        )
        for session in order:
            options = self.eligible(session.type, session.day, session.start, session.end)
            if not options:
                raise _Shortage(TYPE[session.type][4], session.window, f"lead {session.type}")
            best = min(options, key=lambda s: (s.day_minutes[session.day], s.week_minutes, s.index))
            best.book(session.day, session.start, session.end)
            session.leader = best.index

    # -- client days ---------------------------------------------------------------------

    def day_ok(self, key: int, day: str, drop: _Sess | None, add: tuple[str, int, int]) -> bool:
        """Whether the client's day and week still meet the rules after the change."""
        today = [s for s in self.attend[key][day] if s is not drop]
        stype, start, end = add
        if any(start < s.end and s.start < end for s in today):
            return False
        if any(s.type == stype for s in today):
            return False
        minutes = sum(s.end - s.start for s in today) + end - start
        groups = sum(1 for s in today if s.kind == "group") + (TYPE[stype][2] == "group")
        if minutes < 180 or groups < 2:
            return False
        week = sum(s.end - s.start for ss in self.attend[key].values() for s in ss)
        week += end - start - (drop.end - drop.start if drop is not None else 0)
        return 600 <= week <= 19 * 60

    def pullable(self, key: int, session: _Sess) -> bool:
        """Whether the client may leave this cohort session for an individual appointment."""
        return (
            session.kind in ("group", "course")
            and id(session) not in self.required[key]
            and len(session.members) - 1 >= session.min_size
        )

    def _place(
        self,
        key: int,
        stype: str,
        day: str,
        window: str,
        start: int,
        drop: _Sess | None,
        staff: _Staff,
    ) -> None:
        if drop is not None:
            drop.members.remove(key)
            self.attend[key][day].remove(drop)
        session = self._add(stype, day, window, start, [key])
        staff.book(day, start, session.end)
        session.leader = staff.index
        staff.caseload += 1

    def options(self, key: int, stype: str) -> list[tuple[str, str, int, _Sess | None]]:
        """Where the client could have an individual session of ``stype``.

        Each opening is (day, window, start, the cohort session the client leaves or None).
        """
        cohort = self.cohorts[self.clients[key].cohort]
        minutes = TYPE[stype][3]
        found: list[tuple[str, str, int, _Sess | None]] = []
        for day, window in cohort.days:
            today = self.attend[key][day]
            for first, last in self.clients[key].avail[day]:
                for start in range(first, last - minutes + 1, SLOT_MINUTES):
                    end = start + minutes
                    if any(start < s.end and s.start < end for s in today):
                        continue
                    if self.day_ok(key, day, None, (stype, start, end)):
                        found.append((day, window, start, None))
            for session in today:
                if not self.pullable(key, session):
                    continue
                for start in range(session.start, session.end - minutes + 1, SLOT_MINUTES):
                    if self.day_ok(key, day, session, (stype, start, start + minutes)):
                        found.append((day, window, start, session))
        return found

    def appoint(
        self, key: int, stype: str, choices: list[tuple[str, str, int, _Sess | None]]
    ) -> int:
        """Book one individual session of ``stype`` for the client; return the leader."""
        best: tuple[tuple[int, ...], tuple[str, str, int, _Sess | None], _Staff] | None = None
        for choice in choices:
            day, window, start, drop = choice
            end = start + TYPE[stype][3]
            free = self.eligible(stype, day, start, end)
            for staff in free:
                rank = (
                    drop is not None,  # an appointment outside group hours keeps the group
                    staff.caseload,  # balanced caseloads
                    staff.week_minutes,
                    WEEK_DAYS.index(day),
                    start,
                    staff.index,
                )
                if best is None or rank < best[0]:
                    best = (rank, choice, staff)
        if best is None:
            cohort = self.cohorts[self.clients[key].cohort]
            weekday = next(w for d, w in cohort.days if d != "sat")
            window = choices[0][1] if choices and stype == "individual" else weekday
            raise _Shortage(TYPE[stype][4], window, f"{stype} for client {key}")
        _, (day, window, start, drop), staff = best
        self._place(key, stype, day, window, start, drop, staff)
        return staff.index

    def appointments(self) -> None:
        """Individual counseling for every client, medication management where required."""
        for key, slot in self.forced:
            stype = "individual"
            self.therapist[key] = self.appoint(
                key, stype, [(slot.day, slot.window, slot.start, None)]
            )
        for client in self.clients:
            if client.track in ("mental_health", "co_occurring"):
                self.psychiatrist[client.key] = self.appoint(
                    client.key, "med_management", self.options(client.key, "med_management")
                )
        # The clients with the fewest openings first.
        waiting = [c.key for c in self.clients if c.key not in self.therapist]
        openings = {k: len(self.options(k, "individual")) for k in waiting}
        waiting.sort(key=lambda k: (openings[k], k))
        for key in waiting:
            self.therapist[key] = self.appoint(key, "individual", self.options(key, "individual"))

    def day_disciplines(self) -> None:
        """Make sure at least two disciplines lead on every day with sessions."""
        by_day: dict[str, list[_Sess]] = defaultdict(list)
        for s in self.sessions:
            by_day[s.day].append(s)
        for day in sorted(by_day, key=WEEK_DAYS.index):
            sessions = by_day[day]
            found = {self.staff[s.leader].discipline for s in sessions if s.leader is not None}
            if len(found) >= 2:
                continue
            for session in sessions:
                if session.type in ("individual", "med_management"):
                    continue
                old = self.staff[session.leader]  # type: ignore[index]
                others = [
                    s
                    for s in self.eligible(session.type, day, session.start, session.end)
                    if s.discipline != old.discipline
                ]
                if others:
                    new = min(others, key=lambda s: (s.week_minutes, s.index))
                    old.busy[day].remove((session.start, session.end))
                    old.day_minutes[day] -= session.end - session.start
                    old.week_minutes -= session.end - session.start
                    new.book(day, session.start, session.end)
                    session.leader = new.index
                    break
            else:
                window = sessions[0].window
                missing = tuple(d for d in THERAPISTS if d not in found)
                raise _Shortage(missing, window, f"a second discipline on {day}")

    def build(self) -> None:
        self.cohort_sessions()
        self.lead()
        self.appointments()
        self.day_disciplines()


# -- rooms --------------------------------------------------------------------------------


@dataclass
class _Room:
    kind: str
    capacity: int
    avail: Avail | None = None
    busy: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))

    def free(self, day: str, start: int, end: int) -> bool:
        if self.avail is not None and not any(
            s <= start and end <= e for s, e in self.avail.get(day, [])
        ):
            return False
        return not any(start < e and s < end for s, e in self.busy[day])


ROOM_CAPACITY = {"group_room": (12, 12, 14), "classroom": (16, 18, 20), "office": (1, 1, 1, 2)}


def _furnish(sessions: list[_Sess], seed: int) -> list[_Room]:
    """Rooms for the witness sessions: reuse a free room of an allowed kind, else add one."""
    rng = _rng(seed, "rooms")
    rooms: list[_Room] = []
    order = sorted(sessions, key=lambda s: (WEEK_DAYS.index(s.day), s.start, s.type, s.leader or 0))
    for session in order:
        kinds = TYPE[session.type][5]
        if not kinds:
            continue
        chosen = None
        for kind in kinds:
            for index, room in enumerate(rooms):
                if room.kind == kind and room.free(session.day, session.start, session.end):
                    chosen = index
                    break
            if chosen is not None:
                break
        if chosen is None:
            rooms.append(_Room(kinds[0], rng.choice(ROOM_CAPACITY[kinds[0]])))
            chosen = len(rooms) - 1
        rooms[chosen].busy[session.day].append((session.start, session.end))
        session.room = chosen
    return rooms


# -- the whole week -----------------------------------------------------------------------


def generate_instance(settings: GeneratorSettings) -> Instance:
    """Generate a clinic week (see the module docstring); bad settings raise `InputError`."""
    return generate_week(settings).instance


def generate_week(settings: GeneratorSettings) -> GeneratedWeek:
    """Generate a clinic week with its JSON form and the witness timetable proving it feasible."""
    settings = check_settings(settings)
    seed = settings.seed
    clients, cohorts = _plan_clients(settings)
    windows = sorted({w for c in cohorts for _, w in c.days}, key=list(WINDOWS).index)
    has_pm = "pm" in windows
    # Demand per window, to size the first roster.
    client_windows: dict[str, set[int]] = defaultdict(set)
    med_minutes: Counter[str] = Counter()
    for cohort in cohorts:
        weekday_window = next(w for d, w in cohort.days if d != "sat")
        for _day, window in cohort.days:
            client_windows[window].update(cohort.members)
        for key in cohort.members:
            if clients[key].track in ("mental_health", "co_occurring"):
                med_minutes[weekday_window] += 30
    specs: list[_StaffSpec] = []

    def hire(discipline: str, window: str, full_time: bool) -> None:
        specs.append(_StaffSpec(discipline, window, full_time, len(specs)))

    for window in windows:
        n = len(client_windows[window])
        therapists = max(2, math.ceil(n / 9)) if window != "sat" else max(1, math.ceil(n / 12))
        for i in range(therapists):
            discipline = THERAPIST_CYCLE[i % len(THERAPIST_CYCLE)]
            hire(discipline, window, window == "sat" or i % 3 != 2)
    for window in windows:
        if window != "sat" and med_minutes[window]:
            for _ in range(max(1, math.ceil(med_minutes[window] / 60 / 10))):
                hire("psychiatrist", window, False)
    for window in windows:
        cohort_count = sum(1 for c in cohorts if any(w == window for _, w in c.days))
        for i in range(max(1, math.ceil(cohort_count / 6))):
            hire("peer_specialist", window, window == "sat" or i % 2 == 0)

    witness: _Witness | None = None
    staff: list[_Staff] = []
    for _attempt in range(400):
        med_caps = {}
        for window in ("am", "pm"):
            count = sum(1 for s in specs if s.discipline == "psychiatrist" and s.window == window)
            if count:
                hours = med_minutes[window] / 60 / count
                med_caps[window] = max(6, 2 * math.ceil(0.75 * hours + 1))
        staff = [_staff_from_spec(spec, seed, has_pm, med_caps) for spec in specs]
        for index, member in enumerate(staff):
            member.index = index
        witness = _Witness(clients, cohorts, staff)
        try:
            witness.build()
            break
        except _Shortage as shortage:
            # Hire one more full-timer of the scarcest discipline that could have helped.
            needed, window = shortage.disciplines, shortage.window
            here = Counter(s.discipline for s in specs if s.window == window)
            discipline = min(needed, key=lambda d: (here[d], needed.index(d)))
            hire(discipline, window, True)
    else:  # pragma: no cover - a bug, not a user error
        raise RuntimeError("the generator could not staff the week; please report this")
    assert witness is not None
    minimum_staff = len(specs)
    # Slack: about 15% more therapists than the witness needs, part time.
    slack = 0
    if settings.clinicians is None:
        for window in windows:
            therapists = sum(1 for s in specs if s.window == window and s.discipline in THERAPISTS)
            slack += math.ceil(0.15 * therapists)
    else:
        if settings.clinicians < minimum_staff:
            raise InputError(
                f"--clinicians: {settings.clinicians} is too few for this week; "
                f"it needs at least {minimum_staff} ({_staff_mix(specs)})"
            )
        slack = settings.clinicians - minimum_staff
    weights = [len(client_windows[w]) for w in windows]
    extra_per_window = _apportion(slack, weights)
    for window, added in zip(windows, extra_per_window, strict=True):
        hired = sum(1 for s in specs if s.window == window and s.discipline in THERAPISTS)
        for i in range(added):
            discipline = THERAPIST_CYCLE[(hired + i) % len(THERAPIST_CYCLE)]
            hire(discipline, window, window == "sat")
    for spec in specs[len(staff) :]:
        member = _staff_from_spec(spec, seed, has_pm, med_caps)
        member.index = len(staff)
        staff.append(member)

    rooms = _furnish(witness.sessions, seed)
    minimum_rooms = len(rooms)
    room_rng = _rng(seed, "spare-rooms")
    if settings.rooms is None:
        spare_kinds = ["group_room", "classroom"]
        offices = sum(1 for r in rooms if r.kind == "office")
        spare_kinds += ["office"] * max(1, math.ceil(0.2 * offices))
    else:
        if settings.rooms < minimum_rooms:
            raise InputError(
                f"--rooms: {settings.rooms} is too few for this week; it needs at least "
                f"{minimum_rooms} ({_room_mix(rooms)})"
            )
        cycle = ["group_room", "office", "classroom", "office"]
        spare_kinds = [cycle[i % len(cycle)] for i in range(settings.rooms - minimum_rooms)]
    for i, kind in enumerate(spare_kinds):
        room = _Room(kind, room_rng.choice(ROOM_CAPACITY[kind]))
        if i % 3 == 1:
            # A shared room, bookable on three days only.
            days = sorted(room_rng.sample(WEEKDAYS, 3), key=WEEK_DAYS.index)
            room.avail = {d: [(8 * 60, 21 * 60 if has_pm else 17 * 60)] for d in days}
        rooms.append(room)

    return _assemble(settings, clients, cohorts, staff, rooms, witness, has_pm)


def _staff_mix(specs: list[_StaffSpec]) -> str:
    therapists = sum(1 for s in specs if s.discipline in THERAPISTS)
    psychiatrists = sum(1 for s in specs if s.discipline == "psychiatrist")
    peers = sum(1 for s in specs if s.discipline == "peer_specialist")
    mix = [(therapists, "therapist"), (psychiatrists, "psychiatrist"), (peers, "peer specialist")]
    return ", ".join(plural(n, word) for n, word in mix if n)


def _room_mix(rooms: list[_Room]) -> str:
    counts = Counter(r.kind for r in rooms)
    kinds = ("group_room", "classroom", "office")
    return ", ".join(plural(counts[k], k.replace("_", " ")) for k in kinds if counts[k])


def _windows_json(avail: Avail) -> dict[str, list[list[str]]]:
    return {
        day: [[format_hhmm(s), format_hhmm(e)] for s, e in windows]
        for day, windows in avail.items()
    }


def _assemble(
    settings: GeneratorSettings,
    clients: list[_Client],
    cohorts: list[_Cohort],
    staff: list[_Staff],
    rooms: list[_Room],
    witness: _Witness,
    has_pm: bool,
) -> GeneratedWeek:
    seed = settings.seed
    name = settings.name or settings.preset or f"generated-{settings.clients}"
    if settings.seed and not settings.name:
        name += f"-s{seed}"
    days = list(WEEKDAYS) + (["sat"] if "saturday" in settings.programs else [])
    close = 21 * 60 if has_pm else 17 * 60

    # Client ids: shuffled so that the roster does not list programs in blocks.
    order = list(range(len(clients)))
    _rng(seed, "ids").shuffle(order)
    width = max(2, len(str(len(clients))))
    for number, key in enumerate(order, start=1):
        clients[key].id = f"c{number:0{width}d}"

    # Staff ids by discipline, in hiring order; names from a shuffled surname list.
    name_rng = _rng(seed, "names")
    surnames = list(SURNAMES)
    name_rng.shuffle(surnames)
    staff_ids: dict[int, str] = {}
    staff_order = sorted(staff, key=lambda s: (DISCIPLINE_ORDER.index(s.discipline), s.index))
    per_discipline: Counter[str] = Counter()
    clinicians_json = []
    for position, member in enumerate(staff_order):
        per_discipline[member.discipline] += 1
        cid = f"{ID_PREFIX[member.discipline]}{per_discipline[member.discipline]}"
        staff_ids[member.index] = cid
        surname = surnames[position % len(surnames)]
        if position >= len(surnames):
            surname += f"-{surnames[(position // len(surnames)) % len(surnames)]}"
        initial = INITIALS[name_rng.randrange(len(INITIALS))]
        credential = name_rng.choice(CREDENTIALS[member.discipline])
        doctor = member.discipline == "psychologist" or credential in ("MD", "DO")
        if doctor:
            title = f"Dr. {initial}. {surname}, {credential}"
        else:
            title = f"{initial}. {surname}, {credential}"
        entry: dict[str, Any] = {
            "id": cid,
            "name": title,
            "discipline": member.discipline,
            "availability": _windows_json(member.avail),
        }
        if member.max_day is not None:
            entry["max_hours_per_day"] = member.max_day
        if member.max_week is not None:
            entry["max_hours_per_week"] = member.max_week
        if member.qualified_for is not None:
            entry["qualified_for"] = list(member.qualified_for)
        clinicians_json.append(entry)

    room_ids: dict[int, str] = {}
    rooms_json = []
    per_kind: Counter[str] = Counter()
    room_order = sorted(
        range(len(rooms)),
        key=lambda i: (("group_room", "classroom", "office").index(rooms[i].kind), i),
    )
    for index in room_order:
        room = rooms[index]
        per_kind[room.kind] += 1
        n = per_kind[room.kind]
        rid, title = {
            "group_room": (f"grp{n}", f"Group room {chr(64 + n) if n <= 26 else n}"),
            "classroom": (f"class{n}", f"Classroom {n}"),
            "office": (f"off{n}", f"Office {n}"),
        }[room.kind]
        room_ids[index] = rid
        entry = {"id": rid, "name": title, "kind": room.kind, "capacity": room.capacity}
        if room.avail is not None:
            entry["availability"] = _windows_json(room.avail)
        rooms_json.append(entry)

    types_json = []
    for tid, tname, kind, minutes, disciplines, room_kinds, tracks in SESSION_TYPES:
        entry = {"id": tid, "name": tname, "kind": kind, "duration_minutes": minutes}
        if kind == "group":
            entry["min_size"], entry["max_size"] = GROUP_SIZE
        elif kind == "course":
            entry["min_size"], entry["max_size"] = COURSE_SIZE
        entry["disciplines"] = list(disciplines)
        entry["room_kinds"] = list(room_kinds)
        if tracks:
            entry["tracks"] = list(tracks)
        types_json.append(entry)

    # What each client attends in the witness, to choose requirements it meets.
    attended: dict[int, list[_Sess]] = defaultdict(list)
    for session in witness.sessions:
        for key in session.members:
            attended[key].append(session)
    req_rng = _rng(seed, "requires")
    clients_json = []
    for key in sorted(range(len(clients)), key=lambda k: clients[k].id):
        client = clients[key]
        types = {s.type for s in attended[key]}
        requires: dict[str, int] = {"individual": 1}
        assigned = {"individual": staff_ids[witness.therapist[key]]}
        if client.track in ("mental_health", "co_occurring"):
            requires["med_management"] = 1
            assigned["med_management"] = staff_ids[witness.psychiatrist[key]]
        if client.track != "mental_health" and "relapse_prevention" in types:
            requires["relapse_prevention"] = 1
        if client.track == "substance_use":
            requires["peer_support"] = 1
        courses = sorted(t for t in types if t in GENERAL_COURSES)
        if client.course_wish and courses:
            requires[req_rng.choice(courses)] = 1
        entry = {
            "id": client.id,
            "name": f"Client {client.id[1:].lstrip('0') or '0'}",
            "track": client.track,
            "availability": _windows_json(client.avail),
            "requires": requires,
            "assigned_clinicians": assigned,
        }
        if client.preferred_days:
            entry["preferred_days"] = list(client.preferred_days)
        if client.preferred_window is not None:
            entry["preferred_window"] = [format_hhmm(t) for t in client.preferred_window]
        clients_json.append(entry)

    data: dict[str, Any] = {
        "format": "iop-instance/1",
        "name": name,
        "week_of": settings.week_of.isoformat(),
        "days": days,
        "slot_minutes": SLOT_MINUTES,
        "open": "08:00",
        "close": format_hhmm(close),
        "session_types": types_json,
        "clinicians": clinicians_json,
        "rooms": rooms_json,
        "clients": clients_json,
    }

    notes: list[str] = []
    broken = bool(settings.breaks)
    for defect in settings.breaks:
        notes.append(_break(defect, data, clients, cohorts, witness, settings))

    instance = Instance.model_validate(data)
    timetable: Timetable | None = None
    if not broken:
        sessions = [
            ScheduledSession(
                id="",
                type=s.type,
                day=s.day,  # type: ignore[arg-type]
                start=s.start,
                end=s.end,
                clinician=staff_ids[s.leader],  # type: ignore[index]
                room=room_ids[s.room] if s.room is not None else None,
                clients=sorted(clients[k].id for k in s.members),
            )
            for s in witness.sessions
        ]
        number_sessions(sessions)
        timetable = Timetable.model_validate(
            {
                "instance": name,
                "status": "feasible",
                "sessions": sessions,
                "generated_by": "iop-scheduler generate (witness timetable: feasible by "
                "construction)",
            }
        )
        from .result import total_penalty
        from .validator import score

        timetable.penalty = total_penalty(score(instance, timetable))
        record_planned_week(timetable, instance)
    summary = _summary(settings, data, clients, timetable, notes)
    return GeneratedWeek(instance, data, timetable, summary, notes)


def _summary(
    settings: GeneratorSettings,
    data: dict[str, Any],
    clients: list[_Client],
    witness: Timetable | None,
    notes: list[str],
) -> str:
    programs = Counter(c.program for c in clients)
    tracks = Counter(c.track for c in clients)
    disciplines = Counter(c["discipline"] for c in data["clinicians"])
    therapists = sum(disciplines[d] for d in THERAPISTS)
    rooms = Counter(r["kind"] for r in data["rooms"])
    text = (
        f"{data['name']}: {len(clients)} clients ("
        + ", ".join(f"{programs[p]} {p}" for p in settings.programs)
        + "; "
        + ", ".join(f"{tracks[t]} {t}" for t in TRACKS if tracks[t])
        + f"), {len(data['clinicians'])} clinicians ({therapists} therapists, "
        f"{disciplines['psychiatrist']} psychiatrist(s), {disciplines['peer_specialist']} peer "
        f"specialist(s)), {len(data['rooms'])} rooms ({rooms['group_room']} group, "
        f"{rooms['classroom']} class, {rooms['office']} office), {len(data['days'])} days"
    )
    if witness is not None:
        text += (
            f"; feasible by construction (witness: {len(witness.sessions)} sessions, "
            f"penalty {witness.penalty:,})"
        )
    else:
        text += "; infeasible on purpose: " + "; ".join(notes)
    return text


# -- deliberate defects -------------------------------------------------------------------


def _client_entry(data: dict[str, Any], client_id: str) -> dict[str, Any]:
    return next(c for c in data["clients"] if c["id"] == client_id)


def _break(
    defect: str,
    data: dict[str, Any],
    clients: list[_Client],
    cohorts: list[_Cohort],
    witness: _Witness,
    settings: GeneratorSettings,
) -> str:
    """Apply one defect to the JSON data; return what was done, in one sentence."""
    by_id = sorted(clients, key=lambda c: c.id)
    if defect == "client-days":
        target = next((c for c in by_id if len(c.avail) == 3), by_id[0])
        entry = _client_entry(data, target.id)
        keep = [d for d, _ in cohorts[target.cohort].days]
        keep = sorted(keep, key=WEEK_DAYS.index)[:2]
        entry["availability"] = {d: w for d, w in entry["availability"].items() if d in keep}
        entry.pop("preferred_days", None)
        shown = ", ".join(DAY_NAMES[d] for d in keep)
        return f"client {target.id} is available on 2 days only ({shown}); the program requires 3"
    if defect == "psychiatrist":
        medicated = [c for c in by_id if c.track in ("mental_health", "co_occurring")]
        if not medicated:
            raise InputError(
                "--break psychiatrist: no client requires medication management "
                "(give --tracks some mental_health or co_occurring share)"
            )
        target = medicated[0]
        entry = _client_entry(data, target.id)
        number = sum(1 for c in data["clinicians"] if c["discipline"] == "psychiatrist") + 1
        morning = all(e <= 14 * 60 for ws in target.avail.values() for _, e in ws)
        hours = ["15:00", "17:00"] if morning else ["08:00", "12:00"]
        if not morning and any(s < 12 * 60 for ws in target.avail.values() for s, _ in ws):
            hours = ["13:30", "16:00"]  # a Saturday-program client: mornings and evenings
        psychiatrist = {
            "id": f"md{number}",
            "name": "Dr. R. Locum, MD",
            "discipline": "psychiatrist",
            "availability": {d: [list(hours)] for d in data["days"]},
            "max_hours_per_day": 2,
            "max_hours_per_week": 6,
        }
        data["clinicians"].append(psychiatrist)
        entry["assigned_clinicians"]["med_management"] = psychiatrist["id"]
        return (
            f"client {target.id} must see psychiatrist md{number} for medication management, "
            f"and md{number} works only {hours[0]}-{hours[1]}, when {target.id} is never available"
        )
    if defect == "group-rooms":
        window = "am" if any(w == "am" for c in cohorts for _, w in c.days) else "pm"
        forced = [
            c
            for c in by_id
            if len(c.avail) == 3 and any(w == window for _, w in cohorts[c.cohort].days)
        ]
        note = ""
        if not forced:
            target = next(c for c in by_id if any(w == window for _, w in cohorts[c.cohort].days))
            entry = _client_entry(data, target.id)
            core = [d for d, _ in cohorts[target.cohort].days]
            entry["availability"] = {d: w for d, w in entry["availability"].items() if d in core}
            entry.pop("preferred_days", None)
            target.avail = {d: w for d, w in target.avail.items() if d in core}
            forced = [target]
            note = f" (client {target.id}'s availability is cut to its three cohort days)"
        days_of = Counter(d for c in forced for d in c.avail)
        day = min(days_of, key=lambda d: (-days_of[d], WEEK_DAYS.index(d)))
        who = [c.id for c in forced if day in c.avail]
        for room in data["rooms"]:
            if room["kind"] != "group_room":
                continue
            avail = room.get("availability") or {
                d: [[data["open"], data["close"]]] for d in data["days"]
            }
            avail = dict(avail)
            avail[day] = []
            room["availability"] = avail
        return (
            f"every group room is closed on {DAY_NAMES[day]}, and client(s) "
            f"{', '.join(who)} must attend that day (3 available days) with 2 group sessions" + note
        )
    raise InputError(f"--break: unknown defect {defect!r}")  # pragma: no cover
