"""``iop-scheduler explain``."""

from __future__ import annotations

import json
import sys

import click

from ..errors import EXIT_FINDINGS, EXIT_OK
from ..explain import explain
from ..io import load_instance
from ..report.summary import headline
from .common import handles_input_errors, output_format_option, time_limit_option

#: Exit status when the time limit ended the search before feasibility was decided.
EXIT_UNDECIDED = 3


@click.command("explain")
@click.argument("instance", type=click.Path(dir_okay=False))
@time_limit_option(30.0, "Seconds for the model-based part, when the quick checks find nothing.")
@output_format_option
@handles_input_errors
def explain_command(instance: str, time_limit: float, output_format: str) -> None:
    """Explain why INSTANCE's week cannot be scheduled, in plain words.

    Quick checks run first (a client available on too few days, a required session nobody
    can lead on the client's days, an assigned clinician whose hours never overlap the
    client's, too few group seats in a window, a day without enough disciplines,
    conflicting bookings). If none fires, the model finds a small set of rules that cannot
    all hold. Exit status: 1 when the week is infeasible (explained), 0 when it can be
    scheduled, 3 when neither was decided in the time given, 2 on bad input.

    \b
    Example:
      iop-scheduler explain instances/infeasible/client-days.json
    """
    week = load_instance(instance)
    found = explain(week, time_limit=time_limit)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "infeasible": found.infeasible,
                    "source": found.source,
                    "explanation": found.reasons,
                },
                indent=2,
            )
        )
    else:
        click.echo(headline(week))
        if found.infeasible:
            click.echo("\nNo valid timetable exists:")
            for reason in found.reasons:
                click.echo(f"  - {reason}" if not reason.startswith("  ") else f"  {reason}")
        elif found.infeasible is False:
            click.echo("\nThe week can be scheduled: no rule conflict found.")
        else:
            click.echo(
                f"\nUndecided in {time_limit:g} s: no quick check fires and the model "
                "neither found a timetable nor proved there is none. Try a longer "
                "--time-limit."
            )
    if found.infeasible is None:
        sys.exit(EXIT_UNDECIDED)  # not 0: a script must not read "can be scheduled"
    sys.exit(EXIT_FINDINGS if found.infeasible else EXIT_OK)
