"""Samples written to an .npz chunk by chunk, so that ``genzoo sample -n`` is bounded by the disk, not by memory.

The archive is the one ``np.savez_compressed`` writes (``x.npy``, and ``labels.npy`` for a conditional model, each
an .npy member of a zip), built by streaming each member's header and then its rows; it goes to a temporary file
renamed at the end, so an interrupted or failed write leaves no half archive behind.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np

from genzoo.errors import GenzooError
from genzoo.outputs import write_atomically

CHUNK = 10_000   # images drawn at once: -n up to this draws exactly what one call of model.sample would


def npz_size_bound(n: int, image_shape: tuple[int, ...], with_labels: bool) -> int:
    """Bytes of the archive before compression: its most, what the disk must have free."""
    return n * int(np.prod(image_shape)) + (8 * n if with_labels else 0) + 4096


def check_room(path: Path, n: int, image_shape: tuple[int, ...], with_labels: bool) -> None:
    """Refuse, in one line before any sampling, an archive that might not fit on the disk that is to hold it."""
    needed = npz_size_bound(n, image_shape, with_labels)
    folder = next((p for p in [path.parent, *path.parent.parents] if p.exists()), Path("."))
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise GenzooError(f"-n {n:,} samples of {'x'.join(map(str, image_shape))} would take up to "
                          f"{needed / 1e9:,.1f} GB in {path}, and {folder} has {free / 1e9:,.1f} GB free: "
                          "ask for fewer samples or write elsewhere")


def write_npz_in_chunks(path: Path, n: int, image_shape: tuple[int, ...],
                        images: Callable[[int, int], np.ndarray],
                        labels: Callable[[int, int], np.ndarray] | None = None) -> None:
    """Write ``x`` (n, *image_shape) uint8 from ``images(start, count)``, and ``labels`` (n,) int64 from
    ``labels(start, count)`` when given, drawing CHUNK rows at a time; the archive is put in place whole or not at
    all (:func:`genzoo.outputs.write_atomically`)."""

    def write(f: IO[bytes]) -> None:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            _write_member(archive, "x.npy", np.uint8, (n, *image_shape), (images(s, c) for s, c in _chunks(n)))
            if labels is not None:
                _write_member(archive, "labels.npy", np.int64, (n,), (labels(s, c) for s, c in _chunks(n)))

    write_atomically(path, write)


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK):
        yield start, min(CHUNK, n - start)


def _write_member(archive: zipfile.ZipFile, name: str, dtype: type, shape: tuple[int, ...],
                  rows: Iterator[np.ndarray]) -> None:
    """One .npy member: the header of an array of ``shape`` and ``dtype``, then its rows in C order."""
    with archive.open(name, "w", force_zip64=True) as member:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_2_0(member, header)
        for block in rows:
            member.write(np.ascontiguousarray(block, dtype=dtype).tobytes())
