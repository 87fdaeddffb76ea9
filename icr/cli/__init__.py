"""The ``icr`` command line: a thin shell over the library.

It parses options, shows progress and maps errors to exit codes (see
:mod:`icr.errors`); everything it does is callable from Python.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import click

from icr.cli import logs
from icr.errors import EXIT_INTERRUPTED, EXIT_USAGE, IcrError, exit_code_for


@dataclass
class CliState:
    """The group's options, for the commands (``ctx.find_object(CliState)``)."""

    verbose: int = 0
    quiet: int = 0
    log_format: str = "text"

    @property
    def progress(self) -> bool:
        """A progress bar only for a person reading text logs."""
        return self.quiet == 0 and self.log_format == "text"


def cli_state(ctx: click.Context | None = None) -> CliState:
    ctx = ctx or click.get_current_context(silent=True)
    state = ctx.find_object(CliState) if ctx is not None else None
    return state or CliState()


class IcrGroup(click.Group):
    """Maps icr's errors to a one-line message and their documented exit code.

    Command-line usage errors (an unknown command or option, a bad value) exit with 5, "bad
    command-line input", not click's 2, which icr keeps for "some documents failed".

    The commands in :attr:`lazy` are imported when they are run (or listed by ``--help``):
    ``report`` needs pandas, which ``icr ingest`` would otherwise carry for its whole run
    (about 100 MB of the parent's memory and a second of start-up)."""

    lazy: ClassVar[dict[str, str]] = {
        "report": "icr.cli.report_cmd:report_cmd",
        "watch": "icr.cli.watch_cmd:watch_cmd",
        "templates": "icr.cli.templates_cmd:templates",
        "locales": "icr.cli.locales_cmd:locales",
        "preprocess": "icr.cli.preprocess_cmd:preprocess",
        "htr": "icr.cli.htr_cmd:htr",
        "forms": "icr.cli.forms_cmd:forms",
        "serve": "icr.cli.serve_cmd:serve_cmd",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

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

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            exc.show()
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_USAGE if isinstance(exc, click.BadParameter) else exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=IcrGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="icr")
@click.option("-v", "--verbose", count=True, help="More log output (-v: one line per document, -vv: debug).")
@click.option("-q", "--quiet", count=True, help="Less output: no progress bar, only errors.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per event (one per document) on stderr, for log collectors.",
)
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: int, log_format: str) -> None:
    """icr: turn scanned receipts and forms into database records.

    \b
    Exit codes: 0 success; 1 unexpected error; 2 some documents failed
    (each recorded with its error); 3 invalid configuration or template;
    4 database error; 5 bad command-line input; 6 the Dask scheduler
    cannot be reached or was lost; 130 interrupted (Ctrl-C).
    """
    ctx.obj = CliState(verbose, quiet, log_format)
    logs.configure(verbose, quiet, log_format)


from icr.cli import commands as _commands  # noqa: E402  (registers the core commands)

_commands.register(main)
