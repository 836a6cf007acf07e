"""A weights file and its card: NAME.safetensors (tensors only, so loading runs no code) beside NAME.json (what
built the weights and what they score), the card holding the weights file's SHA-256 so that a modified or truncated
file is refused in one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import IO, Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from genzoo.errors import GenzooError
from genzoo.outputs import write_atomically

FORMAT = "genzoo-weights/1"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def weights_path(directory: Path, name: str) -> Path:
    return Path(directory) / f"{name}.safetensors"


def card_path(directory: Path, name: str) -> Path:
    return Path(directory) / f"{name}.json"


def write_bytes(path: Path, data: bytes) -> None:
    """``data`` written to ``path`` whole, or not at all."""
    def write(f: IO[bytes]) -> None:
        f.write(data)

    write_atomically(path, write)


def write_card(directory: Path, name: str, card: dict[str, Any]) -> None:
    """Write ``name``.json whole (its figures can be filled in after the weights, whose hash it keeps)."""
    write_bytes(card_path(directory, name), (json.dumps(card, indent=2) + "\n").encode())


def write_weights(directory: Path, name: str, tensors: dict[str, torch.Tensor], card: dict[str, Any]) -> dict[str, Any]:
    """Write ``name``.safetensors and, beside it, ``card`` with the file's name, size and SHA-256 under "weights";
    returns the card as written."""
    data = save_tensors({key: value.detach().cpu().contiguous() for key, value in tensors.items()})
    write_bytes(weights_path(directory, name), data)
    dtypes = sorted({str(value.dtype).removeprefix("torch.") for value in tensors.values()})
    card = {"format": FORMAT, "name": name, **card,
            "weights": {**card.get("weights", {}), "file": weights_path(directory, name).name, "bytes": len(data),
                        "sha256": sha256_of(data), "dtypes": dtypes}}
    write_card(directory, name, card)
    return card


def read_card(directory: Path, name: str) -> dict[str, Any]:
    """The card of ``name``, or a one-line error saying what is wrong with it."""
    path = card_path(directory, name)
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GenzooError(f"no card {path}") from None
    except (OSError, ValueError) as err:
        raise GenzooError(f"the card {path} cannot be read ({type(err).__name__}): restore it or export the model "
                          "again") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT or not isinstance(card.get("weights"), dict):
        raise GenzooError(f"the card {path} was not written by genzoo: restore it or export the model again")
    return card


def read_weights(directory: Path, name: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The tensors of ``name`` and its card, after checking the weights file against the SHA-256 the card holds."""
    card = read_card(directory, name)
    path = weights_path(directory, name)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise GenzooError(f"the weights of {name} cannot be read ({path}: {err.strerror}): restore the file or "
                          "export the model again") from None
    if sha256_of(data) != card["weights"].get("sha256"):
        raise GenzooError(f"the weights file {path} does not match the SHA-256 of its card (modified or truncated): "
                          "restore it or export the model again")
    try:
        return load_tensors(data), card
    except SafetensorError as err:
        raise GenzooError(f"the weights file {path} is not a safetensors file ({err})") from None


def names_in(directory: Path) -> list[str]:
    """The names of the weights files' cards in ``directory``, sorted (genzoo.pretrained.names for its folder)."""
    return sorted(path.stem for path in Path(directory).glob("*.json"))
