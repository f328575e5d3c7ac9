"""Checked, atomic file replacement: write, fsync, verify, rename, fsync the directory.

A crash, a full disk or a read-only directory leaves either the old file or the new one,
never half of one, and never passes silently: ``os.write`` may write fewer bytes than asked
(a full disk, a file size limit), so every byte is written in a loop, a write that makes no
progress is an error, and the size on disk is compared with what was meant to be written
before the file is renamed into place. Every failure raises :class:`OSError` after removing
the temporary file; callers turn it into an error that says what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

__all__ = ["fsync_dir", "replace_file"]


def fsync_dir(directory: Path) -> None:
    """Make a rename or link in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # never seen on Linux, but a loop that makes no progress never ends
            raise OSError(errno.EIO, "a write made no progress")
        view = view[written:]


def _write_file(fd: int, data: bytes) -> None:
    try:
        _write_all(fd, data)
        os.fsync(fd)
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if size != len(data):
        raise OSError(errno.EIO, f"wrote {size} of {len(data)} bytes")


def replace_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` by a file holding exactly ``data``, atomically and durably."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        _write_file(fd, data)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)
