"""Checkpoints that are written atomically, load without unpickling code, and detect tampering.

The file is an ordinary ``torch.save`` archive readable with ``torch.load(weights_only=True)``: it
holds the serialized content as bytes beside their SHA-256, so a flipped byte in the weights, which
the zip container alone would not notice, fails with a clear error instead of a silently wrong model.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from genzoo.errors import GenzooError
from genzoo.outputs import write_atomically

FORMAT = "genzoo-checkpoint/1"


def save_checkpoint(path: Path, content: dict[str, Any]) -> None:
    """Write ``content`` (tensors, numbers, strings, lists and dicts only) to ``path`` atomically."""
    buffer = io.BytesIO()
    torch.save(content, buffer)
    payload = buffer.getvalue()
    try:   # refuse to write what load_checkpoint would refuse to read
        torch.load(io.BytesIO(payload), weights_only=True)
    except pickle.UnpicklingError as err:
        raise TypeError(f"checkpoint content must be tensors, numbers, strings, lists and dicts: {err}") from None
    wrapped = {"format": FORMAT, "sha256": hashlib.sha256(payload).hexdigest(),
               "content": torch.frombuffer(bytearray(payload), dtype=torch.uint8)}
    write_atomically(path, lambda f: torch.save(wrapped, f))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`; anything else is a one-line GenzooError."""
    path = Path(path)
    if not path.is_file():
        raise GenzooError(f"no checkpoint at {path}: train a model first with 'genzoo train'")
    bad = f"checkpoint {path} is damaged or was not written by genzoo"
    try:
        wrapped = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, OSError, EOFError, zipfile.BadZipFile, ValueError) as err:
        reason = ("it holds objects other than tensors" if isinstance(err, pickle.UnpicklingError)
                  else "it cannot be read")
        raise GenzooError(f"{bad}: {reason}; retrain or restore it from a copy") from None
    if (not isinstance(wrapped, dict) or wrapped.get("format") != FORMAT
            or not isinstance(wrapped.get("content"), torch.Tensor) or not isinstance(wrapped.get("sha256"), str)):
        raise GenzooError(f"{bad}: unknown format; retrain or restore it from a copy")
    payload = wrapped["content"].numpy().tobytes()
    if hashlib.sha256(payload).hexdigest() != wrapped.get("sha256"):
        raise GenzooError(f"{bad}: its checksum does not match (modified or truncated); retrain or restore it")
    try:
        return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise GenzooError(f"{bad}: it holds objects other than tensors; retrain or restore it from a copy") from None
