"""The ``iop-scheduler`` command line: a thin layer over the Python API."""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from click.exceptions import NoArgsIsHelpError

from .. import __version__
from ..errors import EXIT_INPUT_ERROR
from .bench_cmd import bench_command
from .capacity_cmd import capacity_command
from .common import one_line
from .explain_cmd import explain_command
from .export_cmd import export_command
from .export_roster_cmd import export_roster_command
from .generate_cmd import generate_command
from .import_cmd import import_command
from .plot_cmd import plot_command
from .replan_cmd import diff_command, replan_command
from .report_cmd import report_command
from .solve_cmd import solve_command
from .validate_cmd import validate_command
from .whatif_cmd import whatif_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iop-scheduler")
def cli() -> None:
    """Weekly timetables for intensive outpatient programs, built and proven with CP-SAT.

    Start with `iop-scheduler solve instances/small.json -o week.json`, then
    `iop-scheduler validate instances/small.json week.json`.
    """


cli.add_command(solve_command)
cli.add_command(validate_command)
cli.add_command(explain_command)
cli.add_command(bench_command)
cli.add_command(replan_command)
cli.add_command(diff_command)
cli.add_command(export_command)
cli.add_command(plot_command)
cli.add_command(report_command)
cli.add_command(import_command)
cli.add_command(export_roster_command)
cli.add_command(generate_command)
cli.add_command(whatif_command)
cli.add_command(capacity_command)


def main() -> None:
    """Console-script entry point.

    A bad option value (a folder where a file is wanted, a date that is no date) is bad
    input like any other: one line and exit status 2, without click's usage banner. So is
    any other usage mistake (a missing argument, an unknown option): one line that ends
    with the command's usage, where click printed three (a coordinator walk-through found
    them the only errors of another shape, "Error:" beside every other "error:").
    """
    try:
        code = cli.main(standalone_mode=False, prog_name="iop-scheduler")
    except NoArgsIsHelpError as err:  # `iop-scheduler` alone: the help, as click gives it
        err.show()
        sys.exit(err.exit_code)
    except click.BadParameter as err:
        if isinstance(err, click.MissingParameter):
            _usage_error(err)
        click.echo(f"error: {one_line(err.format_message())}", err=True)
        sys.exit(EXIT_INPUT_ERROR)
    except click.UsageError as err:
        _usage_error(err)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    # Out of standalone mode click returns the code of ``ctx.exit`` (--help, --version).
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error(err: click.UsageError) -> NoReturn:
    """One line: the mistake, then the command's usage."""
    message = one_line(err.format_message()).rstrip(".")
    usage = err.ctx.get_usage().removeprefix("Usage: ") if err.ctx is not None else ""
    hint = f" (usage: {' '.join(usage.split())}; --help for more)" if usage else ""
    click.echo(f"error: {message}{hint}", err=True)
    sys.exit(EXIT_INPUT_ERROR)
