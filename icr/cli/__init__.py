"""The ``icr`` command line: a thin shell over the library.

It parses options, shows progress and maps errors to exit codes (see
:mod:`icr.errors`); everything it does is callable from Python.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import click

from icr.errors import EXIT_INTERRUPTED, IcrError, exit_code_for


class IcrGroup(click.Group):
    """Maps icr's errors to a one-line message and their documented exit code.

    The commands in :attr:`lazy` are imported when they are run (or listed by ``--help``):
    ``report`` needs pandas, which ``icr ingest`` would otherwise carry for its whole run
    (about 100 MB of the parent's memory and a second of start-up)."""

    lazy: ClassVar[dict[str, str]] = {
        "report": "icr.cli.report_cmd:report_cmd",
        "watch": "icr.cli.watch_cmd:watch_cmd",
        "templates": "icr.cli.templates_cmd:templates",
        "preprocess": "icr.cli.preprocess_cmd:preprocess",
        "serve": "icr.cli.serve_cmd:serve_cmd",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attr = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

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
