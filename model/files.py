"""Durable file writes shared by the model store and the training-job records.

``write_atomically`` is the one way the application replaces a small file that other
processes read: a reader sees the old content or the new, never a torn write, and after it
returns the new content (and its name) survives a power cut.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make the entries of directory ``path`` (creations, renames, removals) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:  # a few network filesystems refuse fsync on directories
        if exc.errno != errno.EINVAL:
            raise
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, temporary_prefix: str = ".") -> None:
    """Replace ``path`` with ``data``: a temporary file beside it, fsync, ``os.replace``, fsync
    of the directory.

    The temporary (``<temporary_prefix><name>-<pid>-<random>.tmp`` in the same directory, so
    the rename stays on one filesystem) is removed on any failure (ENOSPC...); ``path`` then
    keeps its old content. A prefix lets an owner sweep what a killed writer left behind.
    """
    path = Path(path)
    temporary = path.with_name(f"{temporary_prefix}{path.name}-{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
