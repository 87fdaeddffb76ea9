"""One exception hierarchy; each class carries the exit code the CLI uses for it.

Library code raises these and never calls ``sys.exit``. A document that fails
is not an exception that stops a batch: it becomes a row with status ``failed``.
"""

from __future__ import annotations


class IcrError(Exception):
    """Base of every error icr raises on purpose."""

    exit_code = 1


class ConfigError(IcrError):
    """A configuration file or option is invalid."""

    exit_code = 3


class TemplateError(ConfigError):
    """A template file failed validation; the message names the file and the key."""

    def __init__(self, path: object, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: key '{key}': {problem}")


class LocaleError(TemplateError):
    """A locale pack (``config/locales/<tag>.yaml``) failed validation; the message names the file and the key."""


class DatabaseError(IcrError):
    """The database cannot be opened, migrated or written."""

    exit_code = 4


class InputError(IcrError):
    """A path given on the command line does not exist or cannot be read."""

    exit_code = 5


class ClusterError(IcrError):
    """The Dask scheduler cannot be reached, or the connection to it was lost."""

    exit_code = 6


class DocumentError(IcrError):
    """One document could not be processed; recorded on its row, the batch goes on."""

    def __init__(self, source: object, problem: str) -> None:
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


class DocumentTimeout(DocumentError):
    """A document took longer than the per-document time limit."""


EXIT_OK = 0
EXIT_SOME_FAILED = 2
"""``icr ingest`` finished, but at least one document was recorded as failed."""

EXIT_USAGE = InputError.exit_code
"""A command-line usage error (unknown command or option, a bad value): bad input."""

EXIT_INTERRUPTED = 130
"""Ctrl-C: what was stored is kept; the same command again goes on where it stopped."""


def exit_code_for(error: BaseException) -> int:
    """The process exit code for an error that reached the command line."""
    if isinstance(error, IcrError):
        return error.exit_code
    return 1
