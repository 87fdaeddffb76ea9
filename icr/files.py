"""Opening the files a batch names: regular files only, and never waiting on one.

A FIFO named like an image blocks the first ``open`` until a writer comes, and a
device (``/dev/zero``) never ends: either would hang a batch in planning. Files are
opened without blocking and checked with ``fstat`` on the open descriptor, so a file
swapped for something else after a check is caught too.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path is a FIFO, a device or a socket: reading it could block or never end."""


def open_regular(path: str | Path) -> BinaryIO:
    """``path`` open for reading in binary; OSError when it cannot be opened, IsADirectoryError for
    a folder, :class:`NotRegularFile` for anything else that is not a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "a special file")
            raise NotRegularFile(errno.EINVAL, f"{kind}, not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | Path) -> bytes:
    """The bytes of a regular file (see :func:`open_regular`)."""
    with open_regular(path) as fh:
        return fh.read()


def storable(text: str) -> str:
    """``text`` as a database column or a terminal can take it. A file name that is not valid UTF-8
    reaches Python with its stray bytes as lone surrogates (PEP 383), which no driver can encode:
    they become ``\\xe9`` escapes, readable and stable. NUL, which PostgreSQL text refuses, too."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
