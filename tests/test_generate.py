"""The clinic-week generator (``iop-scheduler generate``): determinism, realism, feasibility."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from iop_scheduler import Instance, solve, validate
from iop_scheduler.cli import cli
from iop_scheduler.generate import (
    PRESETS,
    GeneratedWeek,
    GeneratorSettings,
    generate_instance,
    generate_week,
)

LADDER = Path(__file__).resolve().parents[1] / "instances" / "ladder"


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def dumped(week: GeneratedWeek) -> str:
    return json.dumps(week.data, indent=2, sort_keys=False)


@pytest.fixture(scope="module")
def presets() -> dict[str, GeneratedWeek]:
    """Every preset, generated once for the module (all of them take about a second)."""
    return {name: generate_week(GeneratorSettings.from_preset(name)) for name in PRESETS}


# -- determinism --------------------------------------------------------------------------


def test_same_settings_give_identical_json():
    settings = GeneratorSettings.from_preset("small", seed=11)
    assert dumped(generate_week(settings)) == dumped(generate_week(settings))


def test_different_seeds_give_different_weeks():
    first = generate_week(GeneratorSettings.from_preset("small", seed=1))
    second = generate_week(GeneratorSettings.from_preset("small", seed=2))
    assert first.data["clients"] != second.data["clients"]


def test_cli_output_is_byte_identical(tmp_path):
    args = ["generate", "--clients", "30", "--programs", "evening,saturday", "--seed", "5"]
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert run(*args, "-o", first).exit_code == 0
    assert run(*args, "-o", second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    printed = run(*args)
    assert printed.exit_code == 0
    assert printed.stdout.encode("utf-8") == first.read_bytes()


def test_cli_writes_a_summary_and_a_witness(tmp_path):
    out, witness = tmp_path / "week.json", tmp_path / "witness.json"
    result = run("generate", "--preset", "tiny", "-o", out, "--witness", witness)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1 and "feasible by construction" in result.stdout
    assert run("validate", out, witness).exit_code == 0


# -- the weeks are valid, realistic and feasible ------------------------------------------


def test_generate_instance_returns_a_valid_instance():
    instance = generate_instance(GeneratorSettings(clients=12, programs=("evening",)))
    assert isinstance(instance, Instance)
    assert len(instance.clients) == 12


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_validate_and_have_the_caps_of_practice(presets, name):
    week = presets[name]
    instance = Instance.model_validate(week.data)
    assert len(instance.clients) == PRESETS[name].clients
    for stype in instance.session_types:
        if stype.kind == "group":
            assert (stype.min_size, stype.max_size) == (3, 12)
            assert 60 <= stype.duration_minutes <= 90
        elif stype.kind == "course":
            assert (stype.min_size, stype.max_size) == (2, 16)
        assert stype.duration_minutes % instance.slot_minutes == 0
    assert instance.type_by_id["med_management"].room_kinds == []  # telehealth
    assert instance.type_by_id["med_management"].duration_minutes == 30
    assert instance.type_by_id["relapse_prevention"].tracks == ["substance_use", "co_occurring"]
    capacities = {"group_room": range(12, 15), "classroom": range(16, 21), "office": range(1, 3)}
    for room in instance.rooms:
        assert room.capacity in capacities[room.kind], room
    kinds = Counter(room.kind for room in instance.rooms)
    assert kinds["group_room"] >= 1 and kinds["office"] >= 1
    disciplines = Counter(c.discipline for c in instance.clinicians)
    assert disciplines["psychiatrist"] >= 1 and disciplines["peer_specialist"] >= 1
    therapists = sum(disciplines[d] for d in ("psychologist", "social_worker", "counselor"))
    assert therapists * 3 <= len(instance.clients) + 6  # a realistic caseload, not a crowd
    for client in instance.clients:
        assert 3 <= len(client.availability or {}) <= 5
        assert client.requires["individual"] == 1
        assert "individual" in client.assigned_clinicians


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_are_feasible_by_construction(presets, name):
    week = presets[name]
    assert week.witness is not None
    assert validate(week.instance, week.witness) == []
    # The witness keeps groups within the caps of practice.
    for session in week.witness.sessions:
        stype = week.instance.type_by_id[session.type]
        assert stype.size_min <= len(session.clients) <= (stype.size_max or 1)


@pytest.mark.parametrize("name", list(PRESETS))
def test_required_sessions_alone_meet_the_discipline_rule(presets, name):
    """Each client's required sessions with a fixed discipline span two disciplines."""
    instance = presets[name].instance
    for client in instance.clients:
        fixed = set()
        for type_id in client.requires:
            stype = instance.type_by_id[type_id]
            if type_id in client.assigned_clinicians:
                fixed.add(instance.clinician_by_id[client.assigned_clinicians[type_id]].discipline)
            elif len(stype.disciplines) == 1:
                fixed.add(stype.disciplines[0])
        assert len(fixed) >= 2, client.id
        if client.track in ("mental_health", "co_occurring"):
            assert client.requires.get("med_management") == 1


def test_programs_shape_the_week(presets):
    small = presets["small"].instance
    starts = {w[0] for c in small.clients for ws in (c.availability or {}).values() for w in ws}
    assert min(starts) < 12 * 60 and max(starts) >= 16 * 60  # morning and evening clients
    xlarge = presets["xlarge"].instance
    assert "sat" in xlarge.days
    assert any("sat" in (c.availability or {}) for c in xlarge.clients)


@pytest.mark.parametrize(
    "settings",
    [
        GeneratorSettings(clients=4, programs=("morning",), seed=3),
        GeneratorSettings(clients=9, programs=("saturday",), seed=4),
        GeneratorSettings(
            clients=20,
            programs=("morning", "evening"),
            tracks=(("substance_use", 0.0), ("mental_health", 1.0), ("co_occurring", 0.0)),
        ),
        GeneratorSettings(
            clients=20,
            programs=("evening",),
            tracks=(("substance_use", 1.0), ("mental_health", 0.0), ("co_occurring", 0.0)),
        ),
    ],
)
def test_unusual_settings_stay_feasible(settings):
    week = generate_week(settings)
    assert week.witness is not None
    assert validate(week.instance, week.witness) == []


def test_explicit_staff_and_room_totals_are_respected():
    base = generate_week(GeneratorSettings(clients=25, seed=2))
    wanted = len(base.data["clinicians"]) + 4
    rooms = len(base.data["rooms"]) + 3
    week = generate_week(GeneratorSettings(clients=25, seed=2, clinicians=wanted, rooms=rooms))
    assert len(week.data["clinicians"]) == wanted and len(week.data["rooms"]) == rooms
    assert week.witness is not None and validate(week.instance, week.witness) == []


def test_the_tiny_preset_solves_to_a_valid_timetable(presets):
    instance = presets["tiny"].instance
    result = solve(instance, time_limit=20, workers=2)
    assert result.status.has_timetable
    assert validate(instance, result.timetable) == []


def test_the_ladder_files_are_what_make_sh_generates():
    settings = GeneratorSettings.from_preset("tiny", name="ladder-tiny")
    text = (LADDER / "tiny.json").read_text(encoding="utf-8")
    assert json.loads(text) == generate_week(settings).data


# -- deliberate defects -------------------------------------------------------------------


def test_break_client_days_leaves_a_client_with_two_days():
    week = generate_week(GeneratorSettings.from_preset("small", breaks=("client-days",)))
    assert week.witness is None
    short = [c for c in week.instance.clients if len(c.availability or {}) < 3]
    assert len(short) == 1 and len(short[0].availability or {}) == 2
    result = solve(week.instance, time_limit=10, workers=2)
    assert result.status == "infeasible"


def test_break_psychiatrist_assigns_one_who_never_overlaps():
    week = generate_week(GeneratorSettings.from_preset("small", breaks=("psychiatrist",)))
    instance = week.instance
    broken = []
    for client in instance.clients:
        psychiatrist = client.assigned_clinicians.get("med_management")
        if psychiatrist is not None:
            hours = instance.clinician_by_id[psychiatrist].availability
            if not _overlap(client.availability, hours):
                broken.append(client.id)
    assert len(broken) == 1


def test_break_group_rooms_closes_every_group_room_on_a_day():
    week = generate_week(GeneratorSettings.from_preset("small", breaks=("group-rooms",)))
    closed = [
        {day for day, windows in (room.availability or {}).items() if windows == []}
        for room in week.instance.rooms
        if room.kind == "group_room"
    ]
    assert closed and all(days == closed[0] and len(days) == 1 for days in closed)


def _overlap(a, b) -> bool:
    return any(
        s1 < e2 and s2 < e1
        for day, windows in (a or {}).items()
        for s1, e1 in windows
        for s2, e2 in (b or {}).get(day, [])
    )


# -- bad options --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clients", "-5"], "--clients: -5 is negative"),
        (["--clients", "many"], "--clients: 'many' is not a whole number"),
        (["--clinicians", "-1"], "--clinicians: -1 is negative"),
        (["--preset", "medium", "--clinicians", "3"], "--clinicians: 3 is too few"),
        (["--rooms", "-2"], "--rooms: -2 is negative"),
        # Counts read as words: no "1 group rooms", no "0 classrooms".
        (["--clients", "10", "--rooms", "1"], "it needs at least 3 (1 group room, 2 offices)"),
        (["--tracks", "substance_use=0.5,mental_health=0.2"], "add up to 0.7, not 1"),
        (["--tracks", "alcohol=1"], "unknown track 'alcohol'"),
        (["--tracks", "substance_use=1.5,mental_health=-0.5"], "negative"),
        (["--programs", "morning,night"], "unknown program 'night'"),
        (["--preset", "huge"], "unknown preset 'huge'"),
        (["--week-of", "next monday"], "--week-of"),
        (["--break", "everything"], "unknown defect 'everything'"),
    ],
)
def test_bad_options_are_one_line_errors_with_exit_2(args, message, tmp_path):
    out = tmp_path / "week.json"
    result = run("generate", *args, "-o", out)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--name", "a\x01b"], "--name: 'a\\x01b' contains the control character U+0001"),
        (["--clients", "100000000"], "--clients: 100000000 is more than 10,000"),
        (["--tracks", "substance_use=nan"], "share 'nan' of substance_use is not a finite"),
    ],
)
def test_bad_options_are_one_line(tmp_path, args, needle):
    out = tmp_path / "week.json"
    result = run("generate", *args, "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: {needle}"] or (
        len(result.stderr.strip().splitlines()) == 1 and needle in result.stderr
    )
    assert not out.exists()


def test_week_of_any_date_gives_its_monday(tmp_path):
    out = tmp_path / "week.json"
    assert run("generate", "--week-of", "2026-12-02", "-o", str(out)).exit_code == 0  # a Wed
    assert json.loads(out.read_text(encoding="utf-8"))["week_of"] == "2026-11-30"
