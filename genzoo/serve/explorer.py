"""What the explorer's page asks of a model, as functions of checked parameters that return JSON-ready answers: the
model's work for 'genzoo serve', kept apart from the web server so that it is called and tested as plain Python.

A request names a served model by its id and never a path: the sources are opened once, at the start, and nothing
else is read. Every parameter is checked here and a bad one is a one-line :class:`BadRequest`.
"""

from __future__ import annotations

import base64
import io
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from genzoo import config as configs
from genzoo.data.captions import caption_words
from genzoo.data.preprocess import to_unit
from genzoo.errors import GenzooError
from genzoo.grid import grid_image
from genzoo.nn.clamped_gibbs import clamped_gibbs
from genzoo.run import OpenedRun, open_run
from genzoo.train.metrics_log import read_metrics
from genzoo.viz import plots
from genzoo.viz.interpolation import KINDS, interpolate
from genzoo.viz.latent_arithmetic import latent_arithmetic

CANDIDATES = 16            # the sheet of samples the latent panels choose from, drawn with the page's seed
MAX_SAMPLES = 64
MAX_SWEEPS = 50
MAX_TEXT = 200
SLIDER_REACH = 5.0         # a latent slider or a continuous code may go this far either side of 0


class BadRequest(GenzooError):
    """A request the explorer refuses, with the one line that says why (answered 400)."""


class NotFound(GenzooError):
    """A request for a model the explorer does not serve (answered 404)."""


class Params:
    """A request's parameters, each read once with its type and range checked."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = values

    def _raw(self, name: str, default: Any) -> Any:
        value = self.values.get(name, default)
        if value is None:
            raise BadRequest(f"missing parameter '{name}'")
        return value

    def integer(self, name: str, default: int | None, low: int, high: int) -> int:
        raw = self._raw(name, default)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise BadRequest(f"parameter '{name}' must be a whole number, not {str(raw)[:40]!r}") from None
        if not low <= value <= high:
            raise BadRequest(f"parameter '{name}'={value} is out of range: {low} to {high}")
        return value

    def number(self, name: str, default: float | None, low: float, high: float) -> float:
        return checked_number(name, self._raw(name, default), low, high)

    def choice(self, name: str, default: str | None, choices: Sequence[str]) -> str:
        value = str(self._raw(name, default))
        if value not in choices:
            raise BadRequest(f"parameter '{name}'={value[:40]!r}: choose {', '.join(choices)}")
        return value

    def text(self, name: str, default: str | None, longest: int) -> str:
        value = self._raw(name, default)
        if not isinstance(value, str) or len(value) > longest:
            raise BadRequest(f"parameter '{name}' must be text of at most {longest} characters")
        return value

    def indices(self, name: str, high: int) -> list[int]:
        """A comma-separated list of whole numbers in 0..high-1, '' for none."""
        text = self.text(name, "", 400).strip()
        parts = [part.strip() for part in text.split(",")] if text else []
        if not all(part.isdigit() and int(part) < high for part in parts):
            raise BadRequest(f"parameter '{name}'={text[:40]!r} must list sample numbers 0 to {high - 1}, e.g. 1,4")
        return [int(part) for part in parts]

    def pairs(self, name: str, keys: int, low: float, high: float) -> dict[int, float]:
        """'k:v,k:v' with keys in 0..keys-1 and values in [low, high], '' for none."""
        text = self.text(name, "", 1000).strip()
        found = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition(":")
            if not key.strip().isdigit() or int(key) >= keys:
                raise BadRequest(f"parameter '{name}': {part[:40]!r} must be INDEX:VALUE with INDEX 0 to {keys - 1}")
            found[int(key)] = checked_number(name, value, low, high)
        return found

    def pixels(self, name: str, count: int) -> Tensor:
        """A list of ``count`` numbers in [0, 1]: an image drawn on the page."""
        values = self._raw(name, None)
        if not isinstance(values, list) or len(values) != count:
            given = len(values) if isinstance(values, list) else type(values).__name__
            raise BadRequest(f"parameter '{name}' must list the image's {count} pixels, got {given}")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in values):
            raise BadRequest(f"parameter '{name}': every pixel must be a number in [0, 1]")
        return torch.tensor(values, dtype=torch.float32)


def checked_number(name: str, raw: Any, low: float, high: float) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BadRequest(f"parameter '{name}' must be a number, not {str(raw)[:40]!r}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise BadRequest(f"parameter '{name}'={value} is out of range: {low} to {high}")
    return value


def png(images: Tensor, columns: int | None = None, padding: int = 0) -> str:
    """Images (N, C, H, W) in [0, 1] as one PNG data URL, tiled ``columns`` wide."""
    buffer = io.BytesIO()
    grid_image(images.detach().cpu(), columns, padding=padding).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def pngs(images: Tensor) -> list[str]:
    return [png(image[None]) for image in images]


@dataclass
class Served:
    """A model the explorer serves: its run, the source it came from, and the lock its work holds (a model is not
    safe to run from two threads at once: batch norm and the RNG of its layers are shared state)."""

    id: str
    source: str
    opened: OpenedRun
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def model(self) -> Any:   # a GenerativeModel; Any, since each panel calls the members its capability promises
        return self.opened.model


def open_sources(sources: Sequence[str]) -> dict[str, Served]:
    """Each source (a run directory or pretrained:NAME) opened on the CPU, under an id made from its name: the run
    directory's name or NAME, with -2, -3, ... where two are alike."""
    served: dict[str, Served] = {}
    for source in sources:
        base = source.removeprefix("pretrained:") if source.startswith("pretrained:") else Path(source).name
        base = "".join(c if c.isalnum() or c in "-_." else "-" for c in base) or "run"
        key, count = base, 1
        while key in served:
            count += 1
            key = f"{base}-{count}"
        served[key] = Served(key, source, open_run(source, "cpu"))
    return served


def require(served: Served, capability: str) -> None:
    if capability not in served.model.capabilities():
        raise BadRequest(f"{served.id} is a {served.model.name}, which has no '{capability}' panel "
                         f"(it has: {', '.join(sorted(served.model.capabilities())) or 'samples only'})")


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def describe(served: Served) -> dict[str, Any]:
    """What the page needs to lay out a model's panels."""
    model, opened = served.model, served.opened
    capabilities = sorted(model.capabilities())
    described: dict[str, Any] = {
        "id": served.id, "source": served.source, "model": model.name, "summary": model.summary,
        "dataset": opened.config.dataset, "classes": opened.classes, "capabilities": capabilities,
        "image_shape": list(model.image_shape), "step": opened.progress.get("step"),
    }
    if "latent" in capabilities:
        described["latent_dim"] = int(model.noise(1, generator(0)).shape[1])
    if "codes" in capabilities:
        described["codes"] = {"categorical": list(model.cfg.categorical_codes),
                              "continuous": model.cfg.continuous_codes}
    if "text" in capabilities and model.text_encoder is not None:
        described["vocabulary"] = [w for w in model.text_encoder.tokeniser.words if not w.startswith("<")]
    if "reconstruct" in capabilities:
        described["binary"] = opened.config.data.binarize != "none"
    return described


def run_record(served: Served) -> dict[str, Any]:
    """The run's config, its numbers (eval.json, or a shipped model's card) and its curves (metrics.jsonl) as SVG."""
    opened = served.opened
    records = read_metrics(opened.run_dir / "metrics.jsonl") if opened.run_dir is not None else []
    drawn = plots.training_curves(records)
    return {"config": opened.config.to_dict(), "figures": opened.figures, "progress": opened.progress,
            "curves": plots.inline_svg(drawn) if drawn is not None else "", "records": len(records)}


def samples(served: Served, p: Params) -> dict[str, Any]:
    """n samples drawn with the seed (a conditional model's of one class, when a label is given)."""
    n, seed = p.integer("n", 16, 1, MAX_SAMPLES), p.integer("seed", 0, 0, configs.MAX_SEED)
    labels = None
    if served.model.conditional and p.values.get("label") not in (None, ""):
        labels = torch.full((n,), p.integer("label", None, 0, len(served.opened.classes) - 1), dtype=torch.long)
    images = served.model.sample(n, generator(seed), labels)
    return {"images": pngs(images)}


def candidates(served: Served, seed: int) -> Tensor:
    """The CANDIDATES latents the latent panels choose from, as 'genzoo sample' and 'genzoo arithmetic' draw them."""
    return served.model.noise(CANDIDATES, generator(seed))


def decode(served: Served, z: Tensor) -> Tensor:
    return to_unit(served.model.generate(z))


def latent(served: Served, p: Params) -> dict[str, Any]:
    """Candidate ``index`` of the seed's sheet with chosen latent coordinates moved by the sliders' offsets."""
    require(served, "latent")
    seed, index = p.integer("seed", 0, 0, configs.MAX_SEED), p.integer("index", 0, 0, CANDIDATES - 1)
    z = candidates(served, seed)[index].clone()
    for dim, offset in p.pairs("offsets", len(z), -SLIDER_REACH, SLIDER_REACH).items():
        z[dim] += offset
    return {"image": png(decode(served, z[None])), "sheet": pngs(decode(served, candidates(served, seed)))}


def interpolation(served: Served, p: Params) -> dict[str, Any]:
    """Decoded latents along the linear or spherical path between candidates a and b."""
    require(served, "latent")
    seed = p.integer("seed", 0, 0, configs.MAX_SEED)
    a, b = p.integer("a", 0, 0, CANDIDATES - 1), p.integer("b", 1, 0, CANDIDATES - 1)
    steps, kind = p.integer("steps", 8, 2, 16), p.choice("kind", "linear", KINDS)
    z = candidates(served, seed)
    return {"images": pngs(decode(served, interpolate(z[a], z[b], steps, kind)))}


def arithmetic(served: Served, p: Params) -> dict[str, Any]:
    """The plus group's mean z minus the minus group's, decoded with its neighbours (Radford et al. 2015, Fig. 7)."""
    require(served, "latent")
    seed = p.integer("seed", 0, 0, configs.MAX_SEED)
    plus, minus = p.indices("plus", CANDIDATES), p.indices("minus", CANDIDATES)
    if not plus:
        raise BadRequest("latent arithmetic needs at least one sample in the plus group: click one")
    groups = [(1, plus)] + ([(-1, minus)] if minus else [])
    result = latent_arithmetic(served.model, groups, seed, CANDIDATES)
    return {"result": png(result.result), "neighbours": pngs(result.neighbours), "means": pngs(result.means)}


def codes(served: Served, p: Params) -> dict[str, Any]:
    """n draws of an InfoGAN with its codes set: categorical ones to a category, continuous ones to any value in
    [-SLIDER_REACH, SLIDER_REACH], past the prior's [-1, 1]."""
    require(served, "codes")
    seed, n = p.integer("seed", 0, 0, configs.MAX_SEED), p.integer("n", 8, 1, MAX_SAMPLES)
    cfg = served.model.cfg
    values = p.pairs("codes", len(cfg.categorical_codes) + cfg.continuous_codes, -SLIDER_REACH, SLIDER_REACH)
    return {"images": pngs(served.model.decode_codes(n, generator(seed), values))}


def text(served: Served, p: Params) -> dict[str, Any]:
    """A caption's Stage-I and Stage-II images, n draws, and the caption's words the text encoder does not know."""
    require(served, "text")
    caption = p.text("text", None, MAX_TEXT)
    seed, n = p.integer("seed", 0, 0, configs.MAX_SEED), p.integer("n", 4, 1, 16)
    stage1, stage2 = served.model.generate_from_text([caption] * n, generator(seed))
    known = set(served.model.text_encoder.tokeniser.words)
    unknown = [word for word in caption_words(caption) if word not in known]
    return {"stage1": pngs(stage1), "stage2": pngs(stage2), "unknown": list(dict.fromkeys(unknown))}


def image_of(served: Served, p: Params, name: str) -> Tensor:
    shape = served.model.image_shape
    return p.pixels(name, math.prod(shape)).reshape(1, *shape)


def gibbs(served: Served, p: Params) -> dict[str, Any]:
    """``sweeps`` Gibbs sweeps from the page's binary pixels, those marked clamped held fixed."""
    require(served, "gibbs")
    state = image_of(served, p, "pixels").flatten(1).round()
    clamped = image_of(served, p, "clamped").flatten(1) > 0.5
    sweeps, seed = p.integer("sweeps", 1, 1, MAX_SWEEPS), p.integer("seed", 0, 0, configs.MAX_SEED)
    draws = generator(seed)
    state, mean = clamped_gibbs(lambda v: served.model.pixel_sweep(v, draws), state, clamped, sweeps)
    return {"pixels": state[0].tolist(), "mean": mean[0].tolist()}


def reconstruct(served: Served, p: Params) -> dict[str, Any]:
    """A drawn image's reconstruction and its log-likelihood, estimated within the model's small quick budget."""
    require(served, "reconstruct")
    image = image_of(served, p, "pixels")
    if served.opened.config.data.binarize != "none":
        image = image.round()
    model = served.model
    estimate = model.log_likelihood(image, dict(model.quick_budget), 0)
    reconstruction = model.reconstruct(image)
    return {"reconstruction": png(reconstruction), "pixels": reconstruction.flatten().tolist(),
            "log_likelihood": estimate.value, "method": estimate.method, "budget": estimate.budget}


Handler = Callable[[Served, Params], dict[str, Any]]
HANDLERS: dict[str, Handler] = {"samples": samples, "latent": latent, "interpolate": interpolation,
                                "arithmetic": arithmetic, "codes": codes, "text": text, "gibbs": gibbs,
                                "reconstruct": reconstruct}


def answer(served: dict[str, Served], model_id: str, action: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to one request on a served model, under the model's lock."""
    if model_id not in served:
        raise NotFound(f"no model '{model_id[:60]}' is served here: the page's list names those there are")
    if action not in HANDLERS:
        raise NotFound(f"no action '{action[:40]}': choose {', '.join(HANDLERS)}")
    chosen = served[model_id]
    with chosen.lock, torch.no_grad():
        return HANDLERS[action](chosen, Params(values))
