"""A trained run exported as a shipped model: NAME.safetensors (its weights, float32 or float16) beside NAME.json
(its card: config, progress, provenance, the file's SHA-256, and the figures of the file itself once scored), which
``open_run("pretrained:NAME")`` opens without unpickling anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from genzoo.errors import GenzooError
from genzoo.models.base import GenerativeModel
from genzoo.run import model_from_state, open_run, run_config_from_dict
from genzoo.weights_file import write_weights

STORAGE = {"float32": torch.float32, "float16": torch.float16}


def stored(tensors: dict[str, torch.Tensor], storage: str) -> dict[str, torch.Tensor]:
    """The float32 tensors in ``storage`` precision (integer counters and float64 statistics as they are); a one-line
    error where float16 cannot hold a value."""
    converted = {}
    for key, value in tensors.items():
        if value.dtype == torch.float32:
            value = value.to(STORAGE[storage])
            if not torch.isfinite(value).all() and torch.isfinite(tensors[key]).all():
                raise GenzooError(f"{key} holds values beyond {storage}'s range: export it as float32")
        converted[key] = value.clone()   # safetensors stores no tensors that share memory
    return converted


def check_samples_unchanged(model: GenerativeModel, without: GenerativeModel, omit: tuple[str, ...]) -> None:
    """A one-line error unless ``without`` (the model with the ``omit`` networks at their initial values) draws the
    same samples as ``model`` for the same seed: what a shipped file leaves out must be what sampling does not use."""
    labels = torch.arange(4) % model.num_classes if model.conditional else None
    with torch.no_grad():
        same = torch.equal(model.sample(4, torch.Generator().manual_seed(0), labels),
                           without.sample(4, torch.Generator().manual_seed(0), labels))
    if not same:
        raise GenzooError(f"leaving out {', '.join(omit)} changes this {model.name}'s samples: sampling uses it; "
                          "export it whole")


def export_run(run_dir: str | Path, directory: Path, name: str, storage: str = "float32", omit: tuple[str, ...] = (),
               note: str = "", provenance: dict[str, Any] | None = None,
               sampling: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the model of ``run_dir`` as ``name`` into ``directory``; ``omit``: state-dict prefixes left out (networks
    that sampling does not need, e.g. a discriminator), which ``note`` should explain; ``sampling``: model options
    that decide how the shipped model samples, not its weights (e.g. a Gibbs sampler's sample_steps), set in its
    card. Returns the card."""
    if storage not in STORAGE:
        raise GenzooError(f"storage {storage}: choose {' or '.join(STORAGE)}")
    opened = open_run(run_dir)
    record = {**opened.record, "model": {**opened.record["model"], **(sampling or {})}}
    run_config_from_dict(record)   # a sampling option unknown or out of range: its one-line error, before writing
    state = opened.model.state_dict()
    unmatched = [prefix for prefix in omit if not any(key.startswith(prefix) for key in state)]
    if unmatched:
        raise GenzooError(f"nothing to omit under '{unmatched[0]}' in a {opened.config.model_name}: its networks "
                          f"are {sorted({key.split('.')[0] for key in state})}")
    tensors = {k: v for k, v in state.items() if isinstance(v, torch.Tensor) and not k.startswith(omit)}
    extra_state = {k: v for k, v in state.items() if not isinstance(v, torch.Tensor)}   # e.g. StackGAN's vocabulary
    try:
        json.dumps(extra_state)
    except TypeError:
        raise GenzooError(f"a {opened.config.model_name} keeps state that is not JSON: it cannot be exported") from None
    if omit:
        without = model_from_state(opened.record, {**tensors, **extra_state}, opened.model.device, omit)
        check_samples_unchanged(opened.model, without, omit)
    card = {"model": opened.config.model_name, "dataset": opened.config.dataset, "run": record,
            "sampling_changed": sampling or {},
            "progress": opened.progress, "scalars": opened.scalars, "extra_state": extra_state,
            "weights": {"storage": storage, "omitted": list(omit), "note": note},
            "exported_from": str(run_dir), "provenance": provenance or {}, "figures": {}}
    return write_weights(directory, name, stored(tensors, storage), card)
