"""The ``icr`` command line: a thin shell over the library.

It parses options, shows progress and maps errors to exit codes (see
:mod:`icr.errors`); everything it does is callable from Python.
"""

from __future__ import annotations

from typing import Any

import click

from icr.errors import EXIT_INTERRUPTED, IcrError, exit_code_for


class IcrGroup(click.Group):
    """Maps icr's errors to a one-line message and their documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IcrError as exc:
            click.echo(f"icr: error: {exc}", err=True)
            ctx.exit(exit_code_for(exc))
        except KeyboardInterrupt:
            click.echo("icr: interrupted; what was stored is kept: run the same command again to go on", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=IcrGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="icr")
def main() -> None:
    """icr: turn scanned receipts and forms into database records.

    \b
    Exit codes: 0 success; 1 unexpected error; 2 some documents failed
    (each recorded with its error); 3 invalid configuration or template;
    4 database error; 5 bad command-line input; 6 the Dask scheduler
    cannot be reached or was lost; 130 interrupted (Ctrl-C).
    """


from icr.cli import commands as _commands  # noqa: E402  (registers the core commands)

_commands.register(main)

from icr.cli.report_cmd import report_cmd as _report_cmd  # noqa: E402

main.add_command(_report_cmd)

from icr.cli.watch_cmd import watch_cmd as _watch_cmd  # noqa: E402

main.add_command(_watch_cmd)

from icr.cli.templates_cmd import templates as _templates  # noqa: E402

main.add_command(_templates)

from icr.cli.preprocess_cmd import preprocess as _preprocess  # noqa: E402

main.add_command(_preprocess)
