"""``iop-scheduler generate``: seeded, realistic clinic weeks."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from ..domain import display_name
from ..errors import InputError
from ..generate import (
    BREAKS,
    DEFAULT_WEEK_OF,
    PRESETS,
    GeneratorSettings,
    generate_week,
    parse_programs,
    parse_track_mix,
)
from ..io import dump_timetable, write_json_atomic
from ..times import monday_of
from .common import (
    checked_week_of,
    handles_input_errors,
    keeps_other_kind,
    outputs_apart,
)

#: Largest counts a week may have: a typo (100000000 clients) must not run for hours.
MOST = {"--clients": 10_000, "--clinicians": 2_000, "--rooms": 2_000}


def _count(value: str | None, option: str) -> int | None:
    """Parse a count option ourselves, so that a bad value is a one-line error."""
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise InputError(f"{option}: {value!r} is not a whole number") from None
    if number < 0:
        raise InputError(f"{option}: {number} is negative")
    if number > MOST[option]:
        raise InputError(f"{option}: {number} is more than {MOST[option]:,}")
    return number


@click.command("generate")
@click.option(
    "--preset",
    metavar="NAME",
    help="A clinic size: "
    + ", ".join(f"{k} (~{v.clients} clients)" for k, v in PRESETS.items())
    + ". Other options override it.",
)
@click.option("--clients", metavar="N", help="Clients enrolled (default 25, or the preset's).")
@click.option(
    "--clinicians",
    metavar="K",
    help="Staff in total (default: what the week needs plus about 15% more therapists).",
)
@click.option(
    "--rooms", metavar="R", help="Rooms in total (default: what the week needs plus spares)."
)
@click.option(
    "--tracks",
    metavar="MIX",
    help="Client mix, shares adding to 1 "
    "(default substance_use=0.5,mental_health=0.2,co_occurring=0.3).",
)
@click.option(
    "--programs",
    metavar="LIST",
    help="Programs that run: morning (09:00-13:00), evening (17:00-21:00), saturday "
    "(Saturday morning plus two weekday sessions) (default morning,evening, or the preset's).",
)
@click.option("--seed", metavar="S", default="0", show_default=True, help="Random seed.")
@click.option("--name", help="The week's name (default: the preset, or generated-N).")
@click.option(
    "--week-of",
    metavar="DATE",
    default=DEFAULT_WEEK_OF.isoformat(),
    show_default=True,
    help="A date of the week (YYYY-MM-DD); its Monday is used.",
)
@click.option(
    "--break",
    "breaks",
    metavar="DEFECT",
    multiple=True,
    help="Make the week infeasible on purpose: "
    + "; ".join(f"{k}: {v}" for k, v in BREAKS.items())
    + ".",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the instance here (default: print it on stdout).",
)
@click.option(
    "--witness",
    type=click.Path(dir_okay=False),
    help="Also write the witness timetable (iop-schedule/1) that proves the week "
    "feasible; it can be passed to `solve --hint`.",
)
@handles_input_errors
def generate_command(
    preset: str | None,
    clients: str | None,
    clinicians: str | None,
    rooms: str | None,
    tracks: str | None,
    programs: str | None,
    seed: str,
    name: str | None,
    week_of: str,
    breaks: tuple[str, ...],
    output: str | None,
    witness: str | None,
) -> None:
    """Generate a realistic, feasible clinic week (an iop-instance/1 file).

    The same options and seed always give a byte-identical file. Every week is feasible
    under the default rules by construction: the generator plans a witness timetable
    and hires the staff and furnishes the rooms it needs, with slack.

    \b
    Examples:
      iop-scheduler generate --preset medium -o week.json
      iop-scheduler generate --clients 40 --programs evening --seed 3 -o evening.json
      iop-scheduler generate --preset small --break client-days -o broken.json
    """
    try:
        seed_value = int(seed)
    except ValueError:
        raise InputError(f"--seed: {seed!r} is not a whole number") from None
    try:
        week = dt.date.fromisoformat(week_of)
    except ValueError:
        raise InputError(f"--week-of: {week_of!r} is not a date (YYYY-MM-DD)") from None
    week = monday_of(checked_week_of(week))  # any date of the week names it
    if name is not None:
        try:
            name = display_name(name)
        except ValueError as err:
            raise InputError(f"--name: {err}") from None
    overrides: dict[str, Any] = {
        "clients": _count(clients, "--clients"),
        "clinicians": _count(clinicians, "--clinicians"),
        "rooms": _count(rooms, "--rooms"),
        "tracks": parse_track_mix(tracks) if tracks is not None else None,
        "programs": parse_programs(programs) if programs is not None else None,
        "seed": seed_value,
        "name": name,
        "week_of": week,
        "breaks": tuple(breaks),
    }
    if preset is not None:
        settings = GeneratorSettings.from_preset(preset, **overrides)
    else:
        settings = GeneratorSettings(**{k: v for k, v in overrides.items() if v is not None})
    if witness and settings.breaks:
        raise InputError("--witness: a week broken on purpose has no witness timetable")
    outputs_apart({"-o": output, "--witness": witness}, {})
    keeps_other_kind(output, "iop-instance/1")
    keeps_other_kind(witness, "iop-schedule/1", "--witness")
    generated = generate_week(settings)
    if output:
        write_json_atomic(output, generated.data)
        if witness and generated.witness is not None:
            write_json_atomic(witness, dump_timetable(generated.witness))
        click.echo(f"wrote {output}: {generated.summary}")
    else:
        click.echo(json.dumps(generated.data, indent=2, ensure_ascii=False))
        if witness and generated.witness is not None:
            write_json_atomic(witness, dump_timetable(generated.witness))
        click.echo(generated.summary, err=True)
