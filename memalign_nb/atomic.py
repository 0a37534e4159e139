"""Atomic file writes: what is on disk is always either the old file or the new one whole.

Grades, cached judgments and saved judges are written through a temporary file in the
same folder, flushed to disk, then renamed over the target.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

T = TypeVar("T")


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[IO[str]], T], *, newline: str | None = None
) -> T:
    """Call ``write(handle)`` on a temporary file, fsync it, rename it over ``path``.

    Returns what ``write`` returned. The file keeps the permissions of the one it replaces;
    a new file gets the usual ``0o666`` less the umask (not the owner-only mode of a
    temporary file). On any error the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda handle: handle.write(text))


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
