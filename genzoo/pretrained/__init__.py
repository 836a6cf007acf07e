"""The trained models genzoo ships: NAME.safetensors (weights) beside NAME.json (its card): pretrained:NAME."""

from pathlib import Path

from genzoo.weights_file import names_in

DIRECTORY = Path(__file__).resolve().parent


def names() -> list[str]:
    """The shipped models' names, sorted: one per card in this folder."""
    return names_in(DIRECTORY)
