"""Output files and folders: checked before any work starts, and written whole or not at all.

A command that would fail to write its result only after minutes of work loses that work, and a file written in
place and interrupted half-way replaces a good one with a broken one; both are avoided here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from genzoo.errors import GenzooError


def check_output(path: str | Path, option: str = "--out", folder: bool = False) -> Path:
    """``path`` if a file (or, with ``folder``, a folder) can be written there; else a one-line error, before any
    work and without creating anything."""
    path = Path(path)
    if path.exists() and path.is_dir() != folder:
        raise GenzooError(f"{option} {path} is a {'file' if folder else 'folder'}: choose another {option}")
    ancestor = path if folder else path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise GenzooError(f"cannot write {option} {path}: {ancestor} is a file, not a folder; choose another {option}")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise GenzooError(f"cannot write {option} {path}: no permission to write in {ancestor}; choose another "
                          f"{option}")
    return path


def process_umask() -> int:
    """The process's file-creation mask; os has no getter, so it is set and at once set back."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~process_umask()   # the mode open() gives a new file; mkstemp's own 0600 would hide a report,
                                       # a grid or a result from the other users a plain write lets read it


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a temporary file beside ``path``, flush it to disk, then put it in place in one step (the
    rename made durable too), with the mode a plain write would give it; a one-line error if it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise GenzooError(f"cannot write {path}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fchmod(f.fileno(), FILE_MODE)
            os.fsync(f.fileno())
        os.replace(tmp, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise GenzooError(f"cannot write {path}: {err.strerror}") from None
        raise
