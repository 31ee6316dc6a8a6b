"""``iop-scheduler validate``."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click

from ..errors import EXIT_FINDINGS, EXIT_OK
from ..io import load_instance, load_timetable
from ..report.summary import penalty_table
from ..result import total_penalty
from ..validator import check_references, score, shortfalls_allowed, validate
from .common import (
    declared_penalty_note,
    handles_input_errors,
    load_option_timetable,
    note_other_clinic,
    output_format_option,
)


@click.command("validate")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.argument("timetable", type=click.Path(dir_okay=False))
@click.option(
    "--previous",
    type=click.Path(dir_okay=False),
    help="The previous timetable, to count changes_from_previous.",
)
@output_format_option
@handles_input_errors
def validate_command(
    instance: str, timetable: str, previous: str | None, output_format: str
) -> None:
    """Check TIMETABLE against every rule of INSTANCE, independently of the solver.

    Lists every broken rule with the sessions, clients, clinicians or rooms involved, and
    prints the penalty term by term. Exit status: 0 valid, 1 rules broken, 2 bad input.

    \b
    Example:
      iop-scheduler validate instances/small.json week.json
    """
    week = load_instance(instance)
    table = load_timetable(timetable)
    check_references(week, table, file=timetable)
    note_other_clinic(week, table, timetable)
    before = load_option_timetable(previous, week, "--previous") if previous else None
    violations = validate(week, table)
    has_week = table.status in ("optimal", "feasible")
    terms = score(week, table, previous=before) if has_week else {}
    penalty = total_penalty(terms) if has_week else None
    if output_format == "json":
        payload = {
            "valid": has_week and not violations,
            "status": table.status,
            "violations": [asdict(v) for v in violations],
            "penalty": penalty,
            "terms": {
                n: {"amount": t.amount, "weight": t.weight, "cost": t.cost}
                for n, t in terms.items()
            },
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        if not has_week:
            click.echo(f"{timetable}: status {table.status}, so it holds no timetable to check")
            for v in violations:  # a file claiming no timetable while listing sessions
                click.echo(f"  {v}")
        elif violations:
            click.echo(f"{timetable}: {len(violations)} broken rule(s)")
            for v in violations:
                click.echo(f"  {v}")
        else:
            mode = " (shortfalls allowed)" if shortfalls_allowed(table) else ""
            click.echo(f"{timetable}: valid{mode}, {len(table.sessions)} sessions")
        if terms and penalty is not None:
            click.echo(f"\nPenalty {penalty:,}")
            click.echo("\n".join(penalty_table(terms)))
            note = declared_penalty_note(timetable, table, penalty, terms, previous)
            if note:
                click.echo(note)
    sys.exit(EXIT_OK if has_week and not violations else EXIT_FINDINGS)
