"""The trained models genzoo ships: NAME.safetensors (weights) beside NAME.json (its card): pretrained:NAME."""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent


def names() -> list[str]:
    """The shipped models' names, sorted: one per card in this folder."""
    return sorted(path.stem for path in DIRECTORY.glob("*.json"))
